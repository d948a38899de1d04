import KeelBase

/// A zone's target: what happens to packets no rule of the zone matched.
enum ZoneTarget {
    static let choices = ["default", "ACCEPT", "DROP", "REJECT", "%%REJECT%%"]

    /// firewalld stores REJECT as %%REJECT%% (its placeholder for "reject with the family's ICMP type").
    static func normalized(_ target: String) -> String {
        target == "REJECT" ? "%%REJECT%%" : target
    }
}
