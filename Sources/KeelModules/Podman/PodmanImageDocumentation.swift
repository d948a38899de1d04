/// `keel doc podman_image`.
enum PodmanImageDocumentation {
    static let documentation = ModuleDocumentation(
        summary: "Pull, build, load, push or remove podman images",
        description: """
            The image is found by its name (`name:tag` or `name@sha256:...`). state=present pulls it when missing, builds it \
            when a context is given (path on the host, src on the controller, or only build.container_file), or loads it from \
            load_path; state=build always builds. A build is repeated only when the digest of its context changed: every file \
            of the context (path and SHA-256), the Containerfile, build.args, build.target and build.extra_args are hashed \
            into one digest, recorded on the image as the label io.keel.context.digest. A loaded archive is loaded again only \
            when the image ID inside it differs from the named image's. push: true pushes only when the registry's manifest for \
            the destination does not name this image ID as its config (the registry is asked in the same round trip; wrong \
            credentials or an untrusted certificate fail the task with podman's message). state=absent runs `podman rmi`. \
            The result's `image` is `podman image inspect` of the image, `actions` the commands run.
            """,
        examples: """
            - name: Pull the database image from the local registry
              containers.podman.podman_image:
                name: registry.lab:5000/postgres
                tag: "16"
                auth_file: /etc/containers/auth.json

            - name: Build the app from a context sent from the controller; rebuilt only when a file changed
              podman_image:
                name: localhost/gateway
                tag: "{{ release }}"
                src: gateway/
                build:
                  args: {RELEASE: "{{ release }}"}
                push: true
                push_args:
                  dest: registry.lab:5000/apps

            - name: Load an image saved with `podman save`
              podman_image:
                name: localhost/tools:1
                load_path: /var/tmp/tools.tar
            """,
        deviations: [
            "A build is repeated when any file of the context, the Containerfile, build.args, target or extra_args changed (containers.podman: only when the Containerfile's text changed, label containerfile.hash); the label is io.keel.context.digest.",
            "src (a build context on the controller), load_path (an image archive) and build.args are Keel's additions.",
            "push: true is idempotent: it pushes only when the registry lacks this image ID under the destination (containers.podman pushes, and reports changed, on every run). With ca_cert_dir or validate_certs: false the registry cannot be asked (podman 4.3's manifest inspect takes no TLS options) and the push runs every time.",
            "state=quadlet and quadlet_* options are not supported; the container module owns systemd units.",
            "force: true with present pulls, builds or loads again and reports changed every run, as containers.podman does.",
            "A Containerfile given as build.container_file is written to a temporary directory outside the context (containers.podman writes it into the context directory).",
        ])
}
