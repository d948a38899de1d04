import Foundation
import KeelBase
import Testing

/// Where firewalld's LogDenied lines land in a lab host. firewalld logs denied packets with nftables
/// `log prefix "filter_IN_<zone>_REJECT: "` statements; the kernel writes those to its ring buffer, which
/// a lab host shares with this machine (nspawn gives the host no /dev/kmsg and no CAP_SYSLOG, so the
/// host's own journal never sees them). And the kernel writes them for a network namespace other than
/// the first only when net.netfilter.nf_log_all_netns is 1 (a machine-wide switch, off by default so a
/// container cannot flood the machine's log): the probe turns it on, as the lab's own nftables table is
/// set up machine-wide too.
enum FirewalldLogProbe {
    static let sysctl = "/proc/sys/net/netfilter/nf_log_all_netns"

    static func expectLogLine(lab: FirewalldLab, port: Int) throws {
        try Data("1\n".utf8).write(to: URL(fileURLWithPath: sysctl))
        #expect(try lab.connectFromController(port: port) == 7, "port \(port) should be refused")
        let prefix = "filter_IN_public_REJECT: "
        let wanted = ["DST=\(lab.host.address) ", "DPT=\(port) "]
        let lines = try kernelLog().split(separator: "\n").filter { line in line.contains(prefix) && wanted.allSatisfy { line.contains($0) } }
        #expect(!lines.isEmpty, "no '\(prefix)' line for port \(port) in the kernel log")
    }

    static func kernelLog() throws -> String {
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/dmesg")
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
