/// Paths on the controller as the engine derives them from what the command line named. A playbook
/// named without a directory (`keel play site.yml`) lives in ".", never in "": joining "" with a
/// relative name gave "/name", so `vars_files: [vars.yml]` was looked up at /vars.yml.
public enum ControllerPath {
    /// The directory of `path`: "." for a bare file name, "/" for a file at the root.
    public static func directory(of path: String) -> String { directoryOf(path) }

    /// `name` relative to `directory` (unchanged when absolute), with `.` and `..` resolved.
    public static func join(_ directory: String, _ name: String) -> String { joinPath(directory, name) }
}
