import Crypto
import Foundation
import KeelBase
import KeelTransport

/// What decides whether an image must be rebuilt: a digest of everything `podman build` reads, recorded on
/// the image as the label `io.keel.context.digest`. The digest covers every regular file of the context
/// (path and SHA-256, so a changed COPY source rebuilds, not only a changed Containerfile as in
/// containers.podman), the Containerfile when it lives outside the context or is given inline, and the
/// build arguments and target. The file listing has the same text whether the context is on the host
/// (`find | sort | sha256sum`) or on the controller (computed here), so both give the same digest.
enum PodmanImageBuildContext {
    static let label = "io.keel.context.digest"

    /// A shell fragment that prints the context's listing: `HASH  ./relative/path`, one line per regular
    /// file, sorted by path bytes.
    static func listingScript(path: String) -> String {
        let quoted = ShellQuote.quote(path)
        return """
            [ -d \(quoted) ] || { echo "the build context \(path.replacingOccurrences(of: "\"", with: "")) is not a directory on the host" >&2; exit 3; }
            cd \(quoted) && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
            """
    }

    /// The same listing for a directory on the controller.
    static func controllerListing(path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw KeelError("the build context \(path) is not a directory on the controller")
        }
        guard let enumerator = FileManager.default.enumerator(atPath: path) else {
            throw KeelError("cannot read the build context \(path)")
        }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let full = path + "/" + relative
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: full),
                  attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            files.append("./" + relative)
        }
        // LC_ALL=C sort: plain byte order.
        files.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var listing = ""
        for file in files {
            guard let data = FileManager.default.contents(atPath: path + "/" + file.dropFirst(2)) else {
                throw KeelError("cannot read \(path)/\(file.dropFirst(2)) of the build context")
            }
            listing += hex(SHA256.hash(data: data)) + "  " + file + "\n"
        }
        return listing
    }

    /// The digest of a build: the listing plus what else changes the result.
    static func digest(listing: String, containerfileHash: String?, buildArgs: [String: String], target: String?,
                       extraArgs: String?) -> String {
        var text = "files\n" + listing
        text += "containerfile \(containerfileHash ?? "-")\n"
        for (key, value) in buildArgs.sorted(by: { $0.key < $1.key }) { text += "arg \(key)=\(value)\n" }
        text += "target \(target ?? "-")\n"
        text += "extra \(extraArgs ?? "-")\n"
        return hex(SHA256.hash(data: Data(text.utf8)))
    }

    static func sha256(_ text: String) -> String { hex(SHA256.hash(data: Data(text.utf8))) }

    static func hex(_ digest: SHA256.Digest) -> String { digest.map { String(format: "%02x", $0) }.joined() }

    /// The controller's context as a tar stream, to unpack on the host for the build.
    static func tarball(of path: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/tar")
        process.arguments = ["-C", path, "--sort=name", "-cf", "-", "."]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read before waiting: a context larger than the pipe's buffer would block tar otherwise.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let messages = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw KeelError("cannot pack the build context \(path): \(String(decoding: messages, as: UTF8.self))")
        }
        return data
    }
}
