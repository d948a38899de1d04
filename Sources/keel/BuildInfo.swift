/// What the binary was built from. scripts/package writes the commit here for the packaged build and
/// puts this file back afterwards; a build from a working tree says so.
enum BuildInfo {
    static let commit: String? = nil
}
