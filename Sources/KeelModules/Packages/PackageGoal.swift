/// What apt's or dnf's `state` asks for once Ansible's synonyms are folded (installed is present, removed is
/// absent): the plans branch on this, so a synonym cannot take a path of its own.
public enum PackageGoal: Sendable, Equatable {
    case present, latest, absent
}
