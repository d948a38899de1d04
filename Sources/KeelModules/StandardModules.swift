/// The task library Keel ships. The engine receives this list through the registry and never names a
/// module itself; adding a module means adding it here.
public enum StandardModules {
    public static let all: [any Module.Type] = [
        CommandModule.self,
        ShellModule.self,
        FileModule.self,
        CopyModule.self,
        LineInFileModule.self,
    ]

    public static var registry: ModuleRegistry { ModuleRegistry(all) }
}
