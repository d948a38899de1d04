/// ansible.cfg's `gathering` (ANSIBLE_GATHERING): what a play that does not say `gather_facts` does.
public enum FactGathering: String, Sendable, CaseIterable {
    /// Gather unless the play says `gather_facts: false` (Ansible's default).
    case implicit
    /// Gather only when the play says `gather_facts: true`.
    case explicit
    /// Gather, but skip hosts whose facts an earlier play of the run already gathered.
    case smart
}
