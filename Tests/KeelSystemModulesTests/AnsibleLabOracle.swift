import Foundation
import KeelBase
import KeelLab
import KeelTestSupport
import OrderedCollections

/// Runs a real Ansible module against a lab host over SSH (`ansible HOST -m MODULE -a JSON`) with the
/// host's own /usr/bin/python3, so differential tests compare Keel and Ansible on the same machine.
enum AnsibleLabOracle {
    static func run(_ module: String, _ arguments: OrderedDictionary<String, Value> = [:], on host: SystemLabHost,
                    check: Bool = false) throws -> (changed: Bool, failed: Bool, result: Value) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-ansible-lab-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inventory = LabInventory.ini([host.lab], lab: LabFixture.shared.lab,
                                         hostVars: [host.lab.name: "ansible_python_interpreter=/usr/bin/python3"])
        try inventory.write(toFile: dir + "/inventory.ini", atomically: true, encoding: .utf8)
        var args = [host.lab.name, "-i", dir + "/inventory.ini", "-m", module]
        if !arguments.isEmpty { args += ["-a", Value.dict(arguments).jsonString()] }
        if check { args.append("--check") }
        let (_, text) = try AnsibleTool.run("ansible", args, home: dir + "/.ansible", keepStderr: false)
        let result = try AnsibleTool.adHocResult(text)
        return (result["changed"]?.isTruthy ?? false, text.contains("| FAILED!") || (result["failed"]?.isTruthy ?? false), result)
    }
}
