/// The POSIX sh fragments that observe each fact subset (only /proc, /sys, coreutils, getent and, for
/// network, iproute2's `ip`). Each prints `key=value` lines (a key may repeat) that the parsers read;
/// whatever the host lacks prints nothing, and the fact is left out or empty, never an error. The
/// selected fragments run as one script: one round trip. Files are read with the shell's `read` where
/// possible: every program started costs a few milliseconds on a busy host.
enum FactScripts {
    static let platform = #"""
        set -- $(uname -snrm); echo "system=$1"; echo "nodename=$2"; echo "kernel=$3"; echo "machine=$4"
        echo "kernel_version=$(uname -v)"; echo "fqdn=$(hostname -f 2>/dev/null || uname -n)"
        echo "userspace_bits=$(getconf LONG_BIT 2>/dev/null)"
        v=; read -r v 2>/dev/null < /etc/machine-id || read -r v 2>/dev/null < /var/lib/dbus/machine-id; echo "machine_id=$v"
        """#

    static let distribution = #"""
        v=; read -r v 2>/dev/null < /etc/debian_version && echo "debian_version=$v"
        [ -r /etc/os-release ] && while IFS= read -r l; do case "$l" in [A-Z]*=*) echo "os_$l";; esac; done < /etc/os-release
        """#

    static let user = #"""
        echo "user_id=${LOGNAME:-${USER:-}}"; echo "ids=$(id)"
        echo "passwd=$(getent passwd "$(id -u)" 2>/dev/null)"
        """#

    static let dateTime = #"""
        now=$(date '+%Y|%m|%d|%H|%M|%S|%N|%s|%A|%w|%W|%Z|%z'); echo "now=$now"; y=${now%%|*}
        printf '%s\n' "$y-01-01 12:00" "$y-07-01 12:00" | date -f - '+zone=%Z|%z' 2>/dev/null
        """#

    static let dns = #"""
        [ -r /etc/resolv.conf ] && while read -r k rest; do
          case "$k" in nameserver|domain|search|sortlist|options) echo "resolv_$k=$rest";; esac
        done < /etc/resolv.conf
        """#

    static let pkgMgr = #"""
        for m in apt-get dnf5 dnf yum zypper apk pacman emerge pkg xbps-install; do if command -v $m >/dev/null 2>&1; then echo "pkg_mgr=$m"; break; fi; done
        """#

    static let serviceMgr = #"""
        v=; read -r v 2>/dev/null < /proc/1/comm; echo "proc1=$v"
        [ -d /run/systemd/system ] && echo "systemd_booted=1"
        """#

    static let selinux = #"""
        if [ -r /sys/fs/selinux/enforce ]; then
          read -r v < /sys/fs/selinux/enforce; echo "selinux_enforce=$v"
          v=; read -r v 2>/dev/null < /sys/fs/selinux/policyvers; echo "selinux_policyvers=$v"
          [ -r /etc/selinux/config ] && while IFS= read -r l; do case "$l" in SELINUX=*|SELINUXTYPE=*) echo "selinux_config${l#SELINUX}";; esac; done < /etc/selinux/config
        fi
        """#

    static let apparmor = #"""
        [ -d /sys/kernel/security/apparmor ] && echo "apparmor=enabled"
        """#

    static let fips = #"""
        v=; read -r v 2>/dev/null < /proc/sys/crypto/fips_enabled; echo "fips=$v"
        """#

    static let cmdline = #"""
        v=; read -r v 2>/dev/null < /proc/cmdline; echo "cmdline=$v"
        """#

    /// The host's Python 3 (Ansible reports the interpreter its modules run with; Keel runs none, so the
    /// first python3, then python, on the PATH). One interpreter start, only when one is there.
    static let python = #"""
        py=$(command -v python3 2>/dev/null || command -v python 2>/dev/null)
        [ -n "$py" ] && "$py" -c 'import sys, ssl; v = sys.version_info; print("python_executable=" + sys.executable); print("python_version=%d|%d|%d|%s|%d" % (v[0], v[1], v[2], v[3], v[4])); print("python_type=" + sys.implementation.name); print("python_ssl=%d" % hasattr(ssl, "SSLContext"))' 2>/dev/null
        """#

    static let loadavg = #"""
        v=; read -r v 2>/dev/null < /proc/loadavg; echo "loadavg=$v"
        """#

    static let chroot = #"""
        echo "chroot_env=${debian_chroot:-}"; echo "roots=$(stat --printf '%d:%i ' / /proc/1/root/. 2>/dev/null)"
        """#

    static let hardware = #"""
        while read -r k v rest; do
          case "$k" in MemTotal:|MemFree:|Buffers:|Cached:|SwapTotal:|SwapFree:|SwapCached:) echo "mem_${k%:}=$v";; esac
        done < /proc/meminfo
        sed -n -E 's/^(processor|vendor_id|model name|Processor|cpu|Vendor|physical id|core id|cpu cores|siblings)[[:space:]]*:/cpu=&/p' /proc/cpuinfo 2>/dev/null
        echo "nproc=$(nproc 2>/dev/null)"
        read -r v rest 2>/dev/null < /proc/uptime && echo "uptime=$v"
        for f in product_name product_version product_uuid product_serial sys_vendor bios_vendor bios_version bios_date board_name board_vendor; do
          v=; read -r v 2>/dev/null < /sys/class/dmi/id/$f && echo "dmi_$f=$v"
        done
        """#

    static let mounts = #"""
        while read -r dev mnt fs opts rest; do
          case "$dev" in /*|*:/*) ;; *) continue;; esac
          mnt=$(printf '%b' "$mnt")
          echo "mount=$dev|$mnt|$fs|$opts|$(stat -f -c '%s %S %b %f %a %c %d' "$mnt" 2>/dev/null)"
        done < /proc/mounts
        """#

    static let virtual = #"""
        [ -r /proc/1/environ ] && echo "pid1_environ=$(tr '\0' '\n' < /proc/1/environ 2>/dev/null | grep '^container=')"
        v=; read -r v 2>/dev/null < /run/systemd/container && echo "systemd_container=$v"
        [ -e /.dockerenv ] && echo "dockerenv=1"
        echo "cgroup1=$(sed -n 's,.*/docker[/-].*,docker,p; s,.*\(/lxc/\|machine-lxc\).*,lxc,p; s,.*/containerd\.service.*,containerd,p' /proc/1/cgroup 2>/dev/null)"
        v=; read -r v 2>/dev/null < /sys/class/dmi/id/product_name; echo "vm_product=$v"
        v=; read -r v 2>/dev/null < /sys/class/dmi/id/sys_vendor; echo "vm_vendor=$v"
        grep -q '^flags.* hypervisor' /proc/cpuinfo 2>/dev/null && echo "hypervisor_flag=1"
        [ -e /dev/kvm ] && echo "kvm_host=1"; [ -d /proc/xen ] && echo "xen=1"; [ -d /proc/vz ] && echo "openvz=1"
        """#

    static let network = #"""
        for d in /sys/class/net/*; do
          [ -e "$d" ] || continue
          n=${d##*/}; kind=; mtu=; mac=; flags=; speed=
          read -r kind < "$d/type"; read -r mtu < "$d/mtu"; read -r mac < "$d/address"; read -r flags < "$d/flags"
          read -r speed 2>/dev/null < "$d/speed"; [ -d "$d/bridge" ] && kind=bridge; [ -d "$d/bonding" ] && kind=bonding
          echo "if=$n|$mtu|$mac|$kind|$flags|$speed"
        done
        ip -o addr show 2>/dev/null | while IFS= read -r l; do echo "addr=$l"; done
        echo "route4=$(ip -4 route get 8.8.8.8 2>/dev/null)"
        echo "route6=$(ip -6 route get 2001:4860:4860::8888 2>/dev/null)"
        """#

    /// Last, because its values may span lines: NUL-separated up to the end of the output.
    static let env = #"""
        echo "KEEL_ENV_BEGIN"; env -0
        """#
}
