import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// Values written into line-based files or used as names are refused when they cannot be represented:
/// a newline in a cron job would add a second cron line (issue 14, defect 6).
@Suite("Single-line fields and host names are checked before anything runs") struct TextFormatTests {
    let here = SourceLocation(file: "site.yml", line: 4, column: 9)

    func refusal<M: Module>(_ module: M.Type, _ arguments: OrderedDictionary<String, Value>) -> KeelError? {
        do {
            try ModuleRunner(module).validate(arguments, at: here)
            return nil
        } catch let error as KeelError { return error } catch { return KeelError("\(error)") }
    }

    @Test func aCronJobWithANewlineIsRefusedNamingTheOptionAndWhere() throws {
        let error = try #require(refusal(CronModule.self, ["name": "x", "cron_file": "keel", "job": "/bin/true\n* * * * * root /tmp/evil"]))
        #expect(error.location == here)
        #expect(error.message.contains("'job'") && error.message.contains("line break"))
        #expect(error.found == "'/bin/true\\n* * * * * root /tmp/evil'")
        #expect(refusal(CronModule.self, ["name": "a\nb", "job": "/bin/true"])?.message.contains("'name'") == true)
        #expect(refusal(CronModule.self, ["name": "x", "job": "/bin/true", "minute": "1\r"])?.message.contains("'minute'") == true)
        #expect(refusal(CronModule.self, ["name": "nightly backup", "job": "/usr/bin/backup --all"]) == nil)
    }

    @Test func sysctlNamesAreOneWordAndValuesOneLine() {
        #expect(refusal(SysctlModule.self, ["name": "net.ipv4.ip_forward\nkernel.x", "value": "1"])?.message.contains("'name'") == true)
        #expect(refusal(SysctlModule.self, ["name": "net.ipv4.ip_forward", "value": "1\nkernel.panic=0"])?.message.contains("'value'") == true)
        #expect(refusal(SysctlModule.self, ["name": "net.ipv4.ip_local_port_range", "value": "1024 65000"]) == nil)
    }

    @Test func mountFieldsCannotShiftTheFstabColumns() {
        #expect(refusal(MountModule.self, ["path": "/mnt/x", "src": "tmpfs", "fstype": "tmpfs", "opts": "size=1m\n/dev/sda1 / ext4", "state": "present"])?
            .message.contains("'opts'") == true)
        #expect(refusal(MountModule.self, ["path": "/mnt/x", "src": "tmpfs x", "fstype": "tmpfs", "state": "present"])?.found == "'tmpfs x'")
        #expect(refusal(MountModule.self, ["path": "/mnt/x\n", "src": "tmpfs", "fstype": "tmpfs", "state": "present"]) != nil)
        #expect(refusal(MountModule.self, ["path": "/mnt/with space", "src": "tmpfs", "fstype": "tmpfs", "opts": "size=1m,mode=700", "state": "present"]) == nil)
    }

    @Test func hostnamesFollowRFC1123() {
        for bad in ["web 1", "$(reboot)", "\"web\"", "web_1", "-web", "web-", "a..b", "web.", String(repeating: "a", count: 64), ""] {
            #expect(refusal(HostnameModule.self, ["name": .string(bad)]) != nil, "\(bad) accepted")
        }
        for good in ["web1", "web-1.example.test", "a", "1.2.example", String(repeating: "a", count: 63)] {
            #expect(refusal(HostnameModule.self, ["name": .string(good)]) == nil, "\(good) refused")
        }
        #expect(refusal(HostnameModule.self, ["name": "$(reboot)"])?.expected?.contains("RFC 1123") == true)
    }

    @Test func formatsSayWhatIsWrong() {
        #expect(TextFormat.singleLine.problem(in: "a\u{2028}b") == "a line break (U+2028)")
        #expect(TextFormat.word.problem(in: "a\tb") == "whitespace")
        #expect(TextFormat.hostname.problem(in: "web_1") == "the character '_'")
        #expect(TextFormat.hostname.problem(in: "web\u{1}") == "the character U+1")
    }

    @Test func aSecretIsNotShownWhenRefused() throws {
        let validator = ArgumentValidator(module: "m", spec: ArgumentSpec([OptionSpec("token", .string, noLog: true, format: .singleLine, help: "")]))
        do {
            _ = try validator.validate(["token": "s3cret\nmore"], at: here)
            Issue.record("accepted")
        } catch let error as KeelError {
            #expect(!"\(error)".contains("s3cret"))
        }
    }
}
