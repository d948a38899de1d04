import Foundation
import KeelBase
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A zone file (/etc/firewalld/zones/NAME.xml, or the shipped default in /usr/lib/firewalld/zones) read
/// into ZoneSettings, and written back with Keel's settings in place. Elements Keel does not manage
/// (short, description, forward, forward-port, source-port, ...) are kept as they were, so an offline
/// change touches only what the task asked for.
struct ZoneXML {
    var root: XMLElement

    /// A zone that has no file yet.
    init() { root = XMLElement(name: "zone") }

    init(parsing text: String) throws {
        let document: XMLDocument
        do {
            document = try XMLDocument(xmlString: text, options: [])
        } catch {
            throw KeelError("cannot parse the zone file: \(error)", expected: "firewalld zone XML", found: String(text.prefix(300)))
        }
        guard let root = document.rootElement(), root.name == "zone" else {
            throw KeelError("the zone file has no <zone> root element", found: String(text.prefix(300)))
        }
        self.root = root
    }

    private func children(_ name: String) -> [XMLElement] { root.elements(forName: name) }
    private func attribute(_ element: XMLElement, _ name: String) -> String? { element.attribute(forName: name)?.stringValue }

    var settings: ZoneSettings {
        get throws {
            var settings = ZoneSettings()
            settings.target = ZoneTarget.normalized(attribute(root, "target") ?? "default")
            settings[.interface] = children("interface").compactMap { attribute($0, "name") }
            settings[.source] = children("source").compactMap { source in
                attribute(source, "address") ?? attribute(source, "mac") ?? attribute(source, "ipset").map { "ipset:\($0)" }
            }
            settings[.service] = children("service").compactMap { attribute($0, "name") }
            settings[.port] = children("port").compactMap { port in
                guard let number = attribute(port, "port"), let proto = attribute(port, "protocol") else { return nil }
                return "\(number)/\(proto)"
            }
            settings[.protocol] = children("protocol").compactMap { attribute($0, "value") }
            settings[.icmpBlock] = children("icmp-block").compactMap { attribute($0, "name") }
            settings.icmpBlockInversion = !children("icmp-block-inversion").isEmpty
            settings.masquerade = !children("masquerade").isEmpty
            settings[.richRule] = try children("rule").map { try RichRule(xml: $0).canonical }
            return settings
        }
    }

    static let managed: Set<String> = ["interface", "source", "service", "port", "protocol", "icmp-block",
                                       "icmp-block-inversion", "masquerade", "rule"]

    /// The file's text with `settings` in place of what it had, in the element order firewalld writes.
    func text(with settings: ZoneSettings) throws -> String {
        let kept = (root.children ?? []).compactMap { $0 as? XMLElement }
        let head = kept.filter { $0.name == "short" || $0.name == "description" }
        let tail = kept.filter { !Self.managed.contains($0.name ?? "") && $0.name != "short" && $0.name != "description" }
        var body: [String] = head.map { Self.serialize($0) }
        body += settings.interfaces.map { "<interface name=\"\(Self.escape($0))\"/>" }
        body += settings.sources.map { source in
            if source.hasPrefix("ipset:") { return "<source ipset=\"\(Self.escape(String(source.dropFirst(6))))\"/>" }
            let isMAC = source.split(separator: ":").count == 6 && !source.contains("/") && !source.contains("::")
            return "<source \(isMAC ? "mac" : "address")=\"\(Self.escape(source))\"/>"
        }
        body += settings.services.map { "<service name=\"\(Self.escape($0))\"/>" }
        body += try settings.ports.map { port in
            let (number, proto) = try PortSpec.split(port)
            return "<port port=\"\(Self.escape(number))\" protocol=\"\(Self.escape(proto))\"/>"
        }
        body += settings.protocols.map { "<protocol value=\"\(Self.escape($0))\"/>" }
        body += settings.icmpBlocks.map { "<icmp-block name=\"\(Self.escape($0))\"/>" }
        if settings.icmpBlockInversion { body.append("<icmp-block-inversion/>") }
        if settings.masquerade { body.append("<masquerade/>") }
        body += tail.map { Self.serialize($0) }
        body += try settings.richRules.map { Self.serialize(try RichRule(parsing: $0).xmlElement) }

        var attributes = (root.attributes ?? []).filter { $0.name != "target" }.map { ($0.name ?? "", $0.stringValue ?? "") }
        if settings.target != "default" { attributes.append(("target", settings.target)) }
        let open = "<zone" + attributes.map { " \($0.0)=\"\(Self.escape($0.1))\"" }.joined()
        var text = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        text += body.isEmpty ? open + "/>\n" : open + ">\n" + body.map { Self.indent($0) }.joined() + "</zone>\n"
        return text
    }

    private static func indent(_ block: String) -> String {
        block.split(separator: "\n").map { "  " + $0 + "\n" }.joined()
    }

    /// An element as text, children indented below it (only elements and text: zone files hold nothing else).
    static func serialize(_ element: XMLElement) -> String {
        let name = element.name ?? ""
        let open = "<" + name + (element.attributes ?? []).map { " \($0.name ?? "")=\"\(escape($0.stringValue ?? ""))\"" }.joined()
        let children = element.children ?? []
        if children.isEmpty { return open + "/>" }
        if children.allSatisfy({ $0.kind == .text }) {
            return open + ">" + escape(element.stringValue ?? "") + "</\(name)>"
        }
        let inner = children.compactMap { $0 as? XMLElement }.map { indent(serialize($0)) }.joined()
        return open + ">\n" + inner + "</\(name)>"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
