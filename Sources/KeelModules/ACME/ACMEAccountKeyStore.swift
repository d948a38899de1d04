import Crypto
import Foundation
import KeelACME
import KeelBase

/// Where the account key comes from, on the controller: `account_key_content`, `account_key_src`, or a key
/// Keel makes once per directory URL and keeps in its state directory (0600), so the account key never
/// leaves the controller.
struct ACMEAccountKeySource: Sendable, Codable, Equatable {
    var content: String?
    var path: String?
    var directoryURL: String

    func load(stateDirectory: () throws -> String) throws -> ACMEAccountKey {
        if let content { return try ACMEAccountKey(pem: content) }
        if let path {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw KeelError("account_key_src \(path) cannot be read on the controller", expected: "a readable PEM file", found: "none")
            }
            return try ACMEAccountKey(pem: text)
        }
        let file = try stateDirectory() + "/account-" + Self.fileName(for: directoryURL) + ".pem"
        if let text = try? String(contentsOfFile: file, encoding: .utf8) { return try ACMEAccountKey(pem: text) }
        let key = ACMEAccountKey.generate()
        // O_EXCL: two hosts of one run may race to make the key; the loser reads the winner's.
        let fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            if let text = try? String(contentsOfFile: file, encoding: .utf8), !text.isEmpty { return try ACMEAccountKey(pem: text) }
            throw KeelError("cannot create the ACME account key \(file) on the controller: \(String(cString: strerror(errno)))")
        }
        let data = Data(key.pem.utf8)
        _ = data.withUnsafeBytes { write(fd, $0.baseAddress, data.count) }
        close(fd)
        return key
    }

    /// A readable name per directory: the host, then a short hash of the whole URL.
    static func fileName(for url: String) -> String {
        let host = URL(string: url)?.host ?? "ca"
        let digest = SHA256.hash(data: Data(url.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
        return host.filter { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" } + "-" + digest
    }
}
