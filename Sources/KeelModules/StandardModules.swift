/// The task library Keel ships. The engine receives these lists through the registry and never names a
/// module itself; adding a module means adding it here.
public enum StandardModules {
    public static let all: [any Module.Type] = [
        CommandModule.self,
        ShellModule.self,
        FileModule.self,
        CopyModule.self,
        LineInFileModule.self,
        TemplateModule.self,
        AssembleModule.self,
        BlockInFileModule.self,
        ReplaceModule.self,
        StatModule.self,
        SlurpModule.self,
        FetchModule.self,
        TempfileModule.self,
        RawModule.self,
        ScriptModule.self,
        UnarchiveModule.self,
        WaitForModule.self,
        FirewalldModule.self,
        FirewalldZoneModule.self,
        SystemdModule.self,
        ServiceModule.self,
        UserModule.self,
        GroupModule.self,
        AuthorizedKeyModule.self,
        KnownHostsModule.self,
        AptModule.self,
        AptRepositoryModule.self,
        AptKeyModule.self,
        DnfModule.self,
        PackageModule.self,
        SysctlModule.self,
        HostnameModule.self,
        TimezoneModule.self,
        CronModule.self,
        MountModule.self,
        LocaleGenModule.self,
        HAProxyConfigModule.self,
        HAProxyServerModule.self,
    ]

    public static let controlActions: [any ControlAction.Type] = [
        DebugAction.self,
        SetFactAction.self,
        AssertAction.self,
        FailAction.self,
        MetaAction.self,
        IncludeVarsAction.self,
        IncludeTasksAction.self,
        IncludeRoleAction.self,
        GatherFactsAction.self,
        PauseAction.self,
    ]

    public static var registry: ModuleRegistry { ModuleRegistry(all, controlActions: controlActions) }
}
