import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A rich rule as the zone XML stores it: a `<rule>` element whose children are the rule's parts, each
/// part's attributes as XML attributes, `invert="True"` for `NOT`, and a `<limit>` child for limits.
extension RichRule {
    init(xml rule: XMLElement) throws {
        var text = "rule"
        if let family = rule.attribute(forName: "family")?.stringValue { text += " family=\"\(family)\"" }
        if let priority = rule.attribute(forName: "priority")?.stringValue, priority != "0" { text += " priority=\"\(priority)\"" }
        for child in rule.children ?? [] {
            guard let part = child as? XMLElement, let name = part.name else { continue }
            text += " " + name
            if ["true", "yes"].contains(part.attribute(forName: "invert")?.stringValue?.lowercased() ?? "") { text += " NOT" }
            for attribute in part.attributes ?? [] where attribute.name != "invert" {
                text += " \(attribute.name ?? "")=\"\(attribute.stringValue ?? "")\""
            }
            if let limit = part.elements(forName: "limit").first {
                text += " limit"
                for attribute in limit.attributes ?? [] { text += " \(attribute.name ?? "")=\"\(attribute.stringValue ?? "")\"" }
            }
        }
        try self.init(parsing: text)
    }

    var xmlElement: XMLElement {
        let rule = XMLElement(name: "rule")
        if let family { rule.setAttribute("family", family) }
        if priority != 0 { rule.setAttribute("priority", String(priority)) }
        for part in parts {
            let element = XMLElement(name: part.name)
            for (key, value) in part.attributes { element.setAttribute(key, value) }
            if part.inverted { element.setAttribute("invert", "True") }
            if let limit = part.limit {
                let child = XMLElement(name: "limit")
                for (key, value) in limit { child.setAttribute(key, value) }
                element.addChild(child)
            }
            rule.addChild(element)
        }
        return rule
    }
}

extension XMLElement {
    func setAttribute(_ name: String, _ value: String) {
        if let existing = attribute(forName: name) { existing.stringValue = value; return }
        addAttribute(XMLNode.attribute(withName: name, stringValue: value) as! XMLNode)
    }
}
