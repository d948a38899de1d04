/// The first program of a light host, run by `unshare` as PID 1 of the host's fresh PID namespace, inside
/// its network namespace and a private mount namespace. It builds the host's root (an overlay whose lower
/// layer is this machine's `/`, and fresh /proc, /sys, /dev, /run, /tmp), pivots into it and becomes
/// `tini -> sshd`. Kept in POSIX sh so it runs with /bin/sh on any Debian-like machine.
enum LightHostInit {
    static let fileName = "light-host-init.sh"

    static let script = #"""
        #!/bin/sh
        # Written by keel lab. Usage: light-host-init.sh NAME HOST_DIRECTORY LAB_DIRECTORY
        set -eu
        name=$1
        dir=$2
        lab=$3
        root=$dir/root
        hostname "$name"
        mount -t overlay overlay -o "lowerdir=/,upperdir=$dir/upper,workdir=$dir/work" "$root"
        # The lab directory (client key, other hosts' upper layers) is part of the lower layer: hide it.
        mount -t tmpfs -o mode=700,size=1m tmpfs "$root$lab"
        mount -t proc proc "$root/proc"
        mount -t sysfs sysfs "$root/sys"
        mount -t tmpfs -o mode=755,size=64m tmpfs "$root/dev"
        for node in null zero full random urandom tty; do
            touch "$root/dev/$node"
            mount --bind "/dev/$node" "$root/dev/$node"
        done
        mkdir -p "$root/dev/pts" "$root/dev/shm"
        mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$root/dev/pts"
        ln -s pts/ptmx "$root/dev/ptmx"
        ln -s /proc/self/fd "$root/dev/fd"
        ln -s /proc/self/fd/0 "$root/dev/stdin"
        ln -s /proc/self/fd/1 "$root/dev/stdout"
        ln -s /proc/self/fd/2 "$root/dev/stderr"
        mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
        mount -t tmpfs -o mode=755,size=256m tmpfs "$root/run"
        mkdir -p "$root/run/sshd" "$root/run/lock"
        mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
        mkdir -p "$root/.keel-oldroot"
        cd "$root"
        pivot_root . .keel-oldroot
        cd /
        umount -l /.keel-oldroot
        rmdir /.keel-oldroot
        exec /usr/bin/tini -- /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config
        """#
}
