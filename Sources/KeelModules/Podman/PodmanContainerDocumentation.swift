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

            `systemd: {}` runs the container as a systemd service. Which kind is decided from `podman --version` in the \
            same observation: podman 4.4 and later get the quadlet file /etc/containers/systemd/NAME.container \
            (~/.config/containers/systemd for a rootless user; `quadlet_dir` overrides), from which systemd's generator \
            makes NAME.service at daemon-reload; older podman gets `container-NAME.service`, rendered by Keel in the \
            shape of `podman generate systemd` (`podman start --attach`, Restart=on-failure, enabled for boot). The unit file is \
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
            "`systemd:` (a Keel option; containers.podman has generate_systemd and state quadlet) picks the mechanism from the host's podman version in the same observation: on podman 4.4 and later it writes the quadlet file NAME.container ([Unit], the same [Container] keys as state quadlet, [Service], [Install] when enabled) and runs NAME.service; on older podman (Debian 12's 4.3.1) it renders container-NAME.service itself. The quadlet path is planned and unit-tested but has not run against a real quadlet generator (none in the lab); a generator older than a key Keel writes (PidsLimit came after 4.4) rejects the file. In the service file a pod is joined with `PodmanArgs=--pod NAME` (quadlet's Pod= names a .pod unit) and `%` is escaped as `%%`. With quadlet, a recreate is a restart of the service (podman run --replace): the old container is not kept for a rollback.",
            "env_file contents are compared (containers.podman does not look into the files): editing a file recreates the container. Their values are passed to podman as --env.",
            "state: quadlet writes NAME.container (quadlet_dir, quadlet_filename, quadlet_file_mode, quadlet_options) with the keys and values containers.podman writes for the same arguments (compared in the lab with its file); a file whose lines differ only in comments is the same file, as in containers.podman. It never touches the container, and state: absent leaves such a file. generate_systemd is not supported.",
            "Settings the task does not give are never compared, so removing an option from a task does not recreate the container (containers.podman compares some defaults); env, labels, publish, volumes and capabilities given are compared as whole sets (a variable or port dropped from the list recreates).",
            "A recreate is rolled back when the new container cannot be created or started; containers.podman removes the old container first.",
            "`stopped` does not compare settings (as containers.podman); `present` creates without starting, like `created`.",
            "wait_healthy, wait_port and wait_timeout are Keel options (a health gate); containers.podman has none.",
            "Check mode predicts the same steps and diffs as a real run and writes nothing, not even the unit file.",
        ])
}
