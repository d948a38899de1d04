import Foundation
import KeelBase
import Testing

/// Where log_denied's lines land (to be found out).
enum FirewalldLogProbe {
    static func expectLogLine(lab: FirewalldLab, port: Int) throws {
        Issue.record("log probe not written yet")
    }
}
