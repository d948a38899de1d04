/// What `service` and `systemd_service` do to a service's run state (the same choices in both):
/// `started`/`stopped` act only when needed, `restarted`/`reloaded` always act.
public enum ServiceState: String, OptionChoice {
    case reloaded, restarted, started, stopped
}
