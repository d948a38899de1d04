import Foundation
import KeelBase
import Testing
@testable import KeelReport

/// The transport counters at the end of a run (issue 22): one line per host under -v, and in the JSON recap.
@Suite("Transport counters in reports") struct TransportReportTests {
    let recaps = [
        HostRecap(host: "web1", counts: [.ok: 40], transport: TransportSummary(roundTrips: 2, commands: 41, bytesSent: 23_300, bytesReceived: 412)),
        HostRecap(host: "web2", counts: [.ok: 40]),
    ]

    @Test func verboseConsoleOutputEndsWithOneLinePerHost() async {
        let out = Captured()
        let console = ConsoleReporter(style: .init(colors: false, verbosity: 1), write: { out.append($0) })
        await console.handle(.recap(recaps, elapsedSeconds: 1))
        #expect(out.value.contains("TRANSPORT"))
        #expect(out.value.contains("web1                       : round_trips=2 commands=41 sent=23.3kB received=412B\n"))
        #expect(!out.value.contains("web2                       : round_trips"), "a host never connected to has no line")
        let quiet = Captured()
        await ConsoleReporter(style: .init(colors: false), write: { quiet.append($0) }).handle(.recap(recaps, elapsedSeconds: 1))
        #expect(!quiet.value.contains("round_trips"), "only with -v")
    }

    @Test func theJSONRecapCarriesTheCounters() {
        let event = JSONLinesReporter.object(for: .recap(recaps, elapsedSeconds: 1), time: 1)
        let web1 = event.dictValue?["transport"]?.dictValue?["web1"]?.dictValue
        #expect(web1?["round_trips"] == .int(2))
        #expect(web1?["commands"] == .int(41))
        #expect(web1?["bytes_sent"] == .int(23_300))
        #expect(web1?["bytes_received"] == .int(412))
        #expect(event.dictValue?["transport"]?.dictValue?["web2"] == nil)
    }
}
