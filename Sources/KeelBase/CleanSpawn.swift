#if canImport(Glibc)
import Glibc
#endif

/// What every posix_spawn of ours sets so the child starts clean: no blocked signals and default
/// handlers (threads of a test runner or of Swift's pool block most signals, and a shell inheriting
/// that never reaps its jobs nor dies of SIGTERM), and none of our descriptors beyond 0-2 (a daemon
/// holding a pipe it does not own keeps its reader waiting for an end that never comes).
public enum CleanSpawn {
    /// Call after the file actions that set up fds 0-2, before posix_spawn.
    public static func prepare(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>,
                               _ attributes: UnsafeMutablePointer<posix_spawnattr_t>) {
        _ = addCloseFrom?(actions, 3)
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(attributes, &none)
        posix_spawnattr_setsigdefault(attributes, &all)
        posix_spawnattr_setflags(attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), looked up at run time because Swift's
    /// Glibc module does not export it.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()
}
