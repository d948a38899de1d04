/// Ansible's boolean words, shared by every place that reads a yes/no value (connection variables,
/// templated task keywords): true/false, yes/no, on/off, y/n, t/f, 1/0, in any case.
extension Value {
    public var ansibleBool: Bool? {
        switch self {
        case .bool(let b): return b
        case .int(let i) where i == 0 || i == 1: return i == 1
        case .string(let s):
            switch s.lowercased().trimmingCharacters(in: [" ", "\t"]) {
            case "true", "yes", "on", "1", "y", "t": return true
            case "false", "no", "off", "0", "n", "f": return false
            default: return nil
            }
        default: return nil
        }
    }
}
