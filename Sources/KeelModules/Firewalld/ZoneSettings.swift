/// What Keel manages of one firewalld zone, in one configuration (permanent or runtime). Lists are kept
/// sorted and without duplicates, so two observations of the same zone compare equal whatever order
/// firewalld printed them in; rich rules are kept in firewalld's canonical spelling.
public struct ZoneSettings: Sendable, Equatable, Codable {
    public var target = "default"
    public var interfaces: [String] = []
    public var sources: [String] = []
    public var services: [String] = []
    public var ports: [String] = []
    public var protocols: [String] = []
    public var icmpBlocks: [String] = []
    public var icmpBlockInversion = false
    public var masquerade = false
    public var richRules: [String] = []

    public init() {}

    /// The list-valued settings, by the names firewall-cmd uses in `--add-NAME` / `--remove-NAME`.
    public enum Collection: String, CaseIterable, Sendable {
        case interface, source, service, port, `protocol`, icmpBlock = "icmp-block", richRule = "rich-rule"

        var keyPath: WritableKeyPath<ZoneSettings, [String]> {
            switch self {
            case .interface: return \.interfaces
            case .source: return \.sources
            case .service: return \.services
            case .port: return \.ports
            case .protocol: return \.protocols
            case .icmpBlock: return \.icmpBlocks
            case .richRule: return \.richRules
            }
        }

        /// The zone XML element holding one item, and its attribute.
        var xmlName: String { self == .richRule ? "rule" : rawValue }
    }

    public subscript(_ collection: Collection) -> [String] {
        get { self[keyPath: collection.keyPath] }
        set { self[keyPath: collection.keyPath] = Self.normalized(newValue) }
    }

    public mutating func insert(_ item: String, into collection: Collection) {
        self[collection] = self[collection] + [item]
    }

    public mutating func remove(_ item: String, from collection: Collection) {
        self[collection] = self[collection].filter { $0 != item }
    }

    static func normalized(_ items: [String]) -> [String] { Array(Set(items)).sorted() }

    /// One line per setting and per item, for before/after diffs a person can read.
    public var lines: [String] {
        var lines = ["target: \(target)"]
        for (label, items) in [("interface", interfaces), ("source", sources), ("service", services), ("port", ports),
                               ("protocol", protocols), ("icmp-block", icmpBlocks)] {
            lines += items.map { "\(label): \($0)" }
        }
        lines.append("icmp-block-inversion: \(icmpBlockInversion ? "yes" : "no")")
        lines.append("masquerade: \(masquerade ? "yes" : "no")")
        lines += richRules.map { "rich rule: \($0)" }
        return lines
    }
}
