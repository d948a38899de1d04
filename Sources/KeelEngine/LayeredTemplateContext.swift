import KeelBase
import KeelTemplate
import OrderedCollections

/// Variables a module adds for one render (the template module's template_path, ansible_managed, ...)
/// in front of the task's own.
struct LayeredTemplateContext: TemplateContext {
    var variables: OrderedDictionary<String, Value>
    var base: any TemplateContext

    func lookup(_ name: String) throws -> Value? {
        if let value = variables[name] { return value }
        return try base.lookup(name)
    }
}
