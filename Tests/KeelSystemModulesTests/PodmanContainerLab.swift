import Foundation
import KeelBase
import KeelModules
import OrderedCollections

/// Test images for podman_container, built offline on a systemd lab host: a root filesystem of Debian's
/// static busybox, imported with `podman import` and an httpd CMD that serves /www/index.html on 8080.
/// Each tag serves its own text, so traffic shows which image a container runs.
enum PodmanContainerLab {
    static let repository = "localhost/keel-busybox"

    /// Builds `localhost/keel-busybox:TAG` unless it exists; `index.html` says "keel image TAG". A
    /// subshell, so that a script may go on after it.
    static func imageScript(tag: String) -> String {
        """
        (
        set -e
        if podman image exists \(repository):\(tag); then exit 0; fi
        root=$(mktemp -d)
        mkdir -p $root/bin $root/www $root/tmp $root/etc
        cp /bin/busybox $root/bin/busybox
        for tool in sh httpd wget cat env sleep echo id ls true false nc; do ln -s busybox $root/bin/$tool; done
        echo "keel image \(tag)" > $root/www/index.html
        echo 'root:x:0:0:root:/root:/bin/sh' > $root/etc/passwd
        echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> $root/etc/passwd
        echo 'root:x:0:' > $root/etc/group
        echo 'nogroup:x:65534:' >> $root/etc/group
        tar -C $root -c . | podman import \
          --change 'CMD \(command)' \
          --change 'ENV IMAGE_TAG=\(tag)' --change 'ENV PATH=/bin' \
          --change 'LABEL org.example.image=\(tag)' \
          --change 'WORKDIR /www' \
          - \(repository):\(tag) >/dev/null
        rm -rf $root
        ) || exit 1
        """
    }

    /// The image's CMD: a shell that ends on SIGTERM (a PID 1 without a handler ignores it, and every
    /// `podman stop` would wait its 10 s timeout) around busybox's httpd.
    static let commandWords = ["/bin/sh", "-c", "trap 'exit 0' TERM; /bin/httpd -f -p 8080 -h /www & wait"]
    static var command: String { "[" + commandWords.map { "\"\($0.replacingOccurrences(of: "'", with: "'\\''"))\"" }.joined(separator: ", ") + "]" }

    /// The lab host's podman answers (`podman run` of the test image prints what it was given).
    static let smokeTest = "podman run --rm \(repository):1 /bin/sh -c 'echo podman-runs'"

    static func image(_ tag: String) -> String { "\(repository):\(tag)" }

    /// What a test compares of a container: the settings as podman shows them.
    static func fingerprint(_ name: String) -> String {
        "podman container inspect --format '{{.Id}} {{.State.Status}} {{.ImageName}} {{.Config.Env}} {{.HostConfig.PortBindings}}' \(name) 2>&1 || true"
    }
}
