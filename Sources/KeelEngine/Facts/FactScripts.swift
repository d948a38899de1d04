/// The POSIX sh fragments that observe each fact subset (only /proc, /sys, coreutils and, for network,
/// iproute2's `ip`). Each prints `key=value` lines (a key may repeat) that the parsers read; whatever
/// the host lacks prints nothing, and the fact is left out or empty, never an error. The selected
/// fragments run as one script: one round trip.
enum FactScripts {
    static let platform = #"""
        echo "system=$(uname -s)"; echo "kernel=$(uname -r)"; echo "kernel_version=$(uname -v)"; echo "machine=$(uname -m)"
        echo "nodename=$(uname -n)"; echo "fqdn=$(hostname -f 2>/dev/null || uname -n)"
        echo "userspace_bits=$(getconf LONG_BIT 2>/dev/null)"
        echo "machine_id=$(cat /etc/machine-id 2>/dev/null || cat /var/lib/dbus/machine-id 2>/dev/null)"
        """#

    static let distribution = #"""
        [ -r /etc/debian_version ] && echo "debian_version=$(cat /etc/debian_version)"
        [ -r /etc/os-release ] && sed -n 's/^\([A-Z_]*\)=/os_\1=/p' /etc/os-release
        """#

    static let user = #"""
        echo "user_id=${USER:-${LOGNAME:-$(id -un)}}"; echo "user_uid=$(id -ru)"; echo "user_gid=$(id -rg)"
        echo "effective_user_id=$(id -u)"; echo "effective_group_id=$(id -g)"
        echo "passwd=$(getent passwd "$(id -u)" 2>/dev/null || grep "^[^:]*:[^:]*:$(id -u):" /etc/passwd | head -n1)"
        """#

    static let dateTime = #"""
        echo "now=$(date '+%Y|%m|%d|%H|%M|%S|%N|%s|%A|%w|%W|%Z|%z')"
        y=$(date +%Y)
        echo "zone_jan=$(date -d "$y-01-01 12:00" '+%Z|%z' 2>/dev/null)"; echo "zone_jul=$(date -d "$y-07-01 12:00" '+%Z|%z' 2>/dev/null)"
        """#

    static let dns = #"""
        [ -r /etc/resolv.conf ] && sed -n 's/^[[:space:]]*\(nameserver\|domain\|search\|sortlist\|options\)[[:space:]]\{1,\}/resolv_\1=/p' /etc/resolv.conf
        """#

    static let pkgMgr = #"""
        for m in apt-get dnf5 dnf yum zypper apk pacman emerge pkg xbps-install; do if command -v $m >/dev/null 2>&1; then echo "pkg_mgr=$m"; break; fi; done
        """#

    static let serviceMgr = #"""
        echo "proc1=$(cat /proc/1/comm 2>/dev/null)"
        [ -d /run/systemd/system ] && echo "systemd_booted=1"
        """#

    static let selinux = #"""
        if [ -r /sys/fs/selinux/enforce ]; then
          echo "selinux_enforce=$(cat /sys/fs/selinux/enforce)"; echo "selinux_policyvers=$(cat /sys/fs/selinux/policyvers 2>/dev/null)"
          [ -r /etc/selinux/config ] && sed -n 's/^SELINUX\(TYPE\)\{0,1\}=/selinux_config\1=/p' /etc/selinux/config
        fi
        """#

    static let apparmor = #"""
        [ -d /sys/kernel/security/apparmor ] && echo "apparmor=enabled"
        """#

    static let fips = #"""
        echo "fips=$(cat /proc/sys/crypto/fips_enabled 2>/dev/null)"
        """#

    static let cmdline = #"""
        echo "cmdline=$(cat /proc/cmdline 2>/dev/null)"
        """#

    static let loadavg = #"""
        echo "loadavg=$(cat /proc/loadavg 2>/dev/null)"
        """#

    static let chroot = #"""
        echo "chroot_env=${debian_chroot:-}"; echo "roots=$(stat -c '%d:%i' / 2>/dev/null) $(stat -c '%d:%i' /proc/1/root/. 2>/dev/null)"
        """#

    static let hardware = #"""
        grep -E '^(MemTotal|MemFree|Buffers|Cached|SwapTotal|SwapFree|SwapCached):' /proc/meminfo 2>/dev/null | tr -d ' ' | sed 's/^/mem_/; s/kB$//; s/:/=/'
        grep -E '^(processor|vendor_id|model name|Processor|cpu|Vendor|physical id|core id|cpu cores|siblings)[[:space:]]*:' /proc/cpuinfo 2>/dev/null | sed 's/^/cpu=/'
        echo "nproc=$(nproc 2>/dev/null)"
        echo "uptime=$(cut -d' ' -f1 /proc/uptime 2>/dev/null)"
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
        [ -r /proc/1/environ ] && echo "pid1_container=$(tr '\0' '\n' < /proc/1/environ 2>/dev/null | sed -n 's/^container=//p' | head -n1)"
        [ -r /run/systemd/container ] && echo "systemd_container=$(cat /run/systemd/container)"
        [ -e /.dockerenv ] && echo "dockerenv=1"
        echo "cgroup1=$(sed -n 's,.*/docker[/-].*,docker,p; s,.*\(/lxc/\|machine-lxc\).*,lxc,p; s,.*/containerd\.service.*,containerd,p' /proc/1/cgroup 2>/dev/null | head -n1)"
        echo "vm_product=$(cat /sys/class/dmi/id/product_name 2>/dev/null)"; echo "vm_vendor=$(cat /sys/class/dmi/id/sys_vendor 2>/dev/null)"
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
        ip -o addr show 2>/dev/null | sed 's/^/addr=/'
        echo "route4=$(ip -4 route get 8.8.8.8 2>/dev/null | head -n1)"
        echo "route6=$(ip -6 route get 2001:4860:4860::8888 2>/dev/null | head -n1)"
        """#

    /// Last, because its values may span lines: NUL-separated up to the end of the output.
    static let env = #"""
        echo "KEEL_ENV_BEGIN"; env -0
        """#
}
