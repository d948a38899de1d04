extension PodmanContainerModule {
    public static let documentation = ModuleDocumentation(
        summary: "Manage podman containers, run them as systemd services, gate on their health",
        description: """
            Observes with one round trip (the container's and the image's `podman inspect`, env files, the pod, ports \
            other containers publish, the service's unit) and compares only the settings the task gives, in podman's \
            normalized form: the image's own ENV, LABEL, CMD, ENTRYPOINT, USER, WORKDIR and VOLUME and podman's defaults \
            (container=podman, HOSTNAME, HOME, TERM; default capabilities) are not differences. A container is recreated \
            when a given setting differs (the diff names each one, before and after) or when the image name now resolves \
            to another image ID (`recreated_because` lists the fields); `recreate: true` forces it. Nothing is updated in \
            place. A recreate creates the new container beside the old one first (a bad image, option or env file fails \
            there, with the old container untouched), then swaps them; if the new one does not start, the old one is put \
            back and started. A host port already published by another running container fails the task before anything \
            changes.

            `systemd: {}` runs the container as the service `container-NAME.service` (written by Keel in the shape of \
            `podman generate systemd`: `podman start --attach`, Restart=on-failure, enabled for boot). The unit file is \
            converged in the same step: a changed unit is rewritten, reloaded and restarted; a recreated container is \
            started through the service. `state: absent` also removes a unit Keel wrote. A task run as another user \
            (become_user: deploy) manages that user's rootless containers; its unit is a user unit in \
            ~/.config/systemd/user (systemctl --user), which needs `loginctl enable-linger USER` to start at boot.

            Health gate: when the task starts or recreates the container, `wait_healthy: true` waits until the \
            container's healthcheck passes, `wait_port: N` until 127.0.0.1:N answers on the host, both within \
            `wait_timeout` seconds; the task fails (with the container's state, the healthcheck's output and the last \
            log lines) otherwise. When nothing is started, `wait_healthy` fails the task if podman reports the container \
            unhealthy. A service's container is always waited for until it runs.
            """,
        examples: """
            - name: The gateway runs as a systemd service and is healthy before the play goes on
              podman_container:
                name: gateway
                image: registry.example.test/gateway:1.4.2
                publish: ["3000:3000"]
                env:
                  DATABASE_URL: "postgres://app@db:5432/app"
                env_file: [/etc/gateway/secrets.env]
                volumes: ["/srv/gateway:/data:ro"]
                healthcheck: "wget -q -O /dev/null http://127.0.0.1:3000/health"
                healthcheck_interval: 10s
                memory: 256m
                systemd:
                  restart_sec: 2
                wait_healthy: true
                wait_timeout: 60
            - name: Remove the old worker (and its unit)
              containers.podman.podman_container:
                name: worker
                state: absent
            """,
        deviations: [
            "Only the options listed here are supported; containers.podman's other options (device, ulimit, uidmap, userns, cgroups, ...) are refused as unknown. `detach: false` is refused.",
            "Quadlet is not used, also not on podman 4.4 and later: Keel writes and converges the same unit on every version (the lab's podman is 4.3.1, where a quadlet path could not be tested).",
            "env_file contents are compared (containers.podman does not look into the files): editing a file recreates the container. Their values are passed to podman as --env.",
            "State `quadlet` and `generate_systemd` are not supported; `systemd:` (a Keel option) renders and converges the unit itself, also on podman < 4.4 (Debian 12's 4.3.1), which has no quadlet.",
            "Settings the task does not give are never compared, so removing an option from a task does not recreate the container (containers.podman compares some defaults); env, labels, publish, volumes and capabilities given are compared as whole sets (a variable or port dropped from the list recreates).",
            "A recreate is rolled back when the new container cannot be created or started; containers.podman removes the old container first.",
            "`stopped` does not compare settings (as containers.podman); `present` creates without starting, like `created`.",
            "wait_healthy, wait_port and wait_timeout are Keel options (a health gate); containers.podman has none.",
            "Check mode predicts the same steps and diffs as a real run and writes nothing, not even the unit file.",
        ])
}
