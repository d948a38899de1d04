import KeelBase
import Testing
@testable import KeelModules

/// `state` and the other choice options decode to enums: the choices whose names are not Swift identifiers
/// reach their cases, synonyms fold to one goal, and a choice that is not listed never reaches a module.
@Suite("Choice options as enums") struct StateChoiceTests {
    @Test func choicesWithUnderscoresDecodeToTheirCases() throws {
        #expect(try MountModule.arguments(["path": "/mnt/x", "state": "absent_from_fstab"]).state == .absentFromFstab)
        #expect(try UserModule.arguments(["name": "u", "update_password": "on_create"]).update_password == .onCreate)
    }

    @Test func defaultsDecodeToTheirCases() throws {
        #expect(try UserModule.arguments(["name": "u"]).state == .present)
        #expect(try WaitForModule.arguments(["path": "/x"]).state == .started)
        #expect(try SystemdModule.arguments(["name": "cron"]).scope == .system)
        #expect(try FileModule.arguments(["path": "/x"]).state == nil)
    }

    @Test func packageSynonymsFoldToOneGoal() throws {
        for (state, goal) in [("installed", PackageGoal.present), ("present", .present), ("latest", .latest), ("removed", .absent), ("absent", .absent)] {
            #expect(try AptModule.arguments(["name": ["git"], "state": .string(state)]).wantedState == goal)
            #expect(try DnfModule.arguments(["name": ["git"], "state": .string(state)]).wantedState == goal)
        }
    }

    @Test func anUnlistedStateIsRefusedBeforeTheModuleSeesIt() {
        #expect { try ServiceModule.arguments(["name": "cron", "state": "running"]) } throws: { error in
            let text = "\(error)"
            return text.contains("running") && text.contains("started")
        }
    }

    @Test func aSpecialFileHasNoStateOfItsOwn() {
        #expect(FileModule.FileState(current: .other) == nil)
        #expect(FileModule.FileState(current: .absent) == .file)
        #expect(FileModule.FileState(current: .link) == .link)
    }
}
