import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `service_facts`: every service the host knows, as `ansible_facts.services` (name -> name, state,
/// status, source), read in one round trip from the sysv `service` tool and systemd, the way
/// ansible.builtin.service_facts reads them. It only reads, so it never changes anything.
public struct ServiceFactsModule: Module {
    public static let name = "service_facts"
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Return the host's services as facts",
        description: """
            Lists services into `ansible_facts.services`, keyed by name. systemd units (`source: systemd`) carry `state` \
            (running, stopped, or the ActiveState of a unit that is not loaded) and `status` (the unit file's state: enabled, \
            disabled, static, ..., or not-found/masked/failed). On hosts with the sysv `service` tool its scripts are listed \
            too (`source: sysv`, state running or stopped), as Ansible does.
            """,
        examples: """
            - service_facts:
            - debug: msg="nginx is {{ ansible_facts.services['nginx.service'].state }}"
              when: "'nginx.service' in ansible_facts.services"
            """,
        deviations: ["Upstart, chkconfig (RHEL 6), OpenRC, AIX and BSD service managers are not scanned.",
                     "When no service is found the task is ok with a message (Ansible reports it skipped)."])

    public struct Arguments: ModuleArguments { public init() {} }
    public typealias State = ServiceListing
    public enum Step: Sendable, Codable, Equatable { case none }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        ServiceListing.parse(try await host.run(ServiceListing.observationScript).stdoutText)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        guard !observed.services.isEmpty else {
            return .unchanged(values: ["msg": "Failed to find any services. This can be due to privileges or some other configuration issue."])
        }
        return .unchanged(values: ["ansible_facts": ["services": .dict(observed.services)]])
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied { .unchanged() }
}
