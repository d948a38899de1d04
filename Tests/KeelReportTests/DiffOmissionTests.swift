import Testing
@testable import KeelReport

/// A changed file whose content is too large (or binary) to diff: `--diff` says so (issue 14, defect 8).
@Suite("Diffs left out") struct DiffOmissionTests {
    @Test func twoLargeFilesOfTheSameSizeSayTheDiffWasLeftOut() {
        let diff = ReportedDiff(label: "/etc/big", before: "(70000 bytes, not shown)\n", after: "(70000 bytes, not shown)\n")
        #expect(diff.unified == """
            --- before: /etc/big
            +++ after: /etc/big
            (diff left out: the content is too large to diff (Keel diffs files up to 64 KiB of text); before: 70000 bytes, after: 70000 bytes)

            """)
    }

    @Test func aNewLargeOrBinaryFileSaysWhy() {
        #expect(ReportedDiff(label: "f", before: "", after: "(90000 bytes, not shown)\n").unified
            .contains("(diff left out: the content is too large to diff (Keel diffs files up to 64 KiB of text); before: nothing, after: 90000 bytes)"))
        #expect(ReportedDiff(label: "f", before: "(binary, 10 bytes)\n", after: "(binary, 12 bytes)\n").unified
            .contains("(diff left out: binary content is not diffed; before: binary, 10 bytes, after: binary, 12 bytes)"))
    }

    @Test func ordinaryTextStillDiffs() {
        let diff = ReportedDiff(label: "f", before: "(a note in parentheses)\n", after: "other\n")
        #expect(diff.unified.contains("-(a note in parentheses)\n+other\n"))
    }
}
