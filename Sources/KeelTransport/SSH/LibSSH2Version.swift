import CLibSSH2

/// The libssh2 this process runs with (the shared library's, which may be newer than the headers').
public enum LibSSH2Version {
    public static var runtime: String {
        guard let text = libssh2_version(0) else { return "unknown" }
        return String(cString: text)
    }
}
