import KeelBase
import Testing
@testable import KeelModules

/// The git and release modules' pure parts, without a host: ls-remote parsing, the ssh command line,
/// and the release history read as a stack of deploys.
@Suite struct GitPlanTests {
    @Test func lsRemotePeelsAnnotatedTagsToTheirCommit() {
        let a = String(repeating: "a", count: 40), b = String(repeating: "b", count: 40), c = String(repeating: "c", count: 40)
        let refs = RemoteRefs.parse(["\(a)\tHEAD", "\(a)\trefs/heads/main", "\(b)\trefs/tags/v1", "\(c)\trefs/tags/v1^{}", "\(b)\trefs/tags/light"])
        #expect(refs.head == a && refs.branches == ["main": a])
        #expect(refs.tags == ["v1": c, "light": b])
    }

    @Test func hostKeyCheckingIsOnlyTurnedOffByTheTaskAndThenWarned() {
        let (plain, none) = GitEnvironment.make(keyFile: "/k ey", sshOptions: nil, acceptHostKey: false, acceptNewHostKey: false, umask: nil)
        #expect(plain.sshOptions == "-o BatchMode=yes -i '/k ey' -o IdentitiesOnly=yes")
        #expect(none.isEmpty)
        let (newKeys, quiet) = GitEnvironment.make(keyFile: nil, sshOptions: nil, acceptHostKey: false, acceptNewHostKey: true, umask: nil)
        #expect(newKeys.sshOptions == "-o StrictHostKeyChecking=accept-new -o BatchMode=yes" && quiet.isEmpty)
        let (any, warned) = GitEnvironment.make(keyFile: nil, sshOptions: nil, acceptHostKey: true, acceptNewHostKey: false, umask: nil)
        #expect(any.sshOptions.contains("StrictHostKeyChecking=no") && warned.count == 1)
        let (_, byOptions) = GitEnvironment.make(keyFile: nil, sshOptions: "-o UserKnownHostsFile=/dev/null", acceptHostKey: false, acceptNewHostKey: false, umask: nil)
        #expect(byOptions.count == 1)
    }

    @Test func rollbacksWalkBackThroughDeploysNotBackAndForth() {
        let history = ReleaseHistory(text: """
            t switch a
            t switch b
            t switch c
            t rollback b
            garbage line
            """)
        #expect(history.stack == ["a", "b"])
        #expect(history.previous(current: "b", existing: ["a", "b", "c"]) == "a")
        #expect(history.previous(current: "b", existing: ["b", "c"]) == nil, "a removed release is not a rollback target")
        #expect(history.byRecency(["a", "b", "c", "x"]) == ["b", "c", "a", "x"])
    }

    @Test func releaseNamesAndSharedPathsStayInsideTheLayout() {
        #expect(throws: KeelError.self) { try ReleaseModule.checkName("../etc", what: "release") }
        #expect(throws: KeelError.self) { try ReleaseModule.checkRelative("../secrets") }
        #expect(throws: KeelError.self) { try ReleaseModule.checkRelative("/etc/passwd") }
        #expect(throws: Never.self) { try ReleaseModule.checkRelative("config/app.env") }
    }
}
