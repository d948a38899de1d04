import KeelBase
import OrderedCollections

/// What `apply` did: whether the host really changed (a step may find nothing left to do, such as an image
/// pull that found the image already there) and the values for `register`, merged over the plan's values.
public struct Applied: Sendable, Equatable {
    public var changed: Bool
    public var values: OrderedDictionary<String, Value>

    public init(changed: Bool, values: OrderedDictionary<String, Value> = [:]) {
        self.changed = changed
        self.values = values
    }

    /// The plan was carried out and the host changed.
    public static func changed(_ values: OrderedDictionary<String, Value> = [:]) -> Applied {
        Applied(changed: true, values: values)
    }

    /// The plan was carried out but the host turned out to be right already.
    public static func unchanged(_ values: OrderedDictionary<String, Value> = [:]) -> Applied {
        Applied(changed: false, values: values)
    }
}

/// A module's failure that still has results to report (a command's rc, stdout and stderr): thrown from
/// `apply` (or `observe`/`plan`), turned by ModuleRunner into a failed result whose values `register` keeps.
/// Other errors fail the task with their message only.
public struct ModuleFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var values: OrderedDictionary<String, Value>
    /// Whether the host may have changed before the failure (Ansible reports a failed command as changed).
    public var changed: Bool

    public init(message: String, values: OrderedDictionary<String, Value> = [:], changed: Bool = true) {
        self.message = message
        self.values = values
        self.changed = changed
    }

    public var description: String { message }
}
