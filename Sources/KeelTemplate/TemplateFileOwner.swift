import Foundation
import Synchronization

/// `template_uid`, as Ansible's template variables give it to the template module and the template
/// lookup alike: the name of the user owning the controller file (its target when a link), or the uid as
/// a number when that user has no name.
public enum TemplateFileOwner {
    /// "" when the file cannot be read. Names are kept per uid: the user database was read for every host
    /// and every lookahead pass.
    public static func name(of path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "" }
        let uid = info.st_uid
        if let known = names.withLock({ $0[uid] }) { return known }
        var entry = passwd()
        var found: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let name = getpwuid_r(uid, &entry, &buffer, buffer.count, &found) == 0 && found != nil
            ? String(cString: entry.pw_name) : String(uid)
        names.withLock { $0[uid] = name }
        return name
    }

    private static let names = Mutex<[uid_t: String]>([:])
}
