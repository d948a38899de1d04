"""Keel against ansible-playbook and pyinfra: the same workload (bench/workload.py), the same lab hosts,
one run. Scenarios: (a) first run on clean hosts, (b) converged re-run, (c) check/dry-run with diff on
converged hosts. Tools alternate run by run so drift in the machine's load hits all of them alike; ratios
are computed pair by pair (same repetition), then summarised by their median.

Every run must really do the work: after (a) each host's /srv/bench is listed (type, mode, owner, sha256
of every file) over plain OpenSSH and must match the expected set and be identical across tools; (b) and
(c) must report zero changes. A tool that fails either check fails the benchmark.

Latency mode (--rtt MS): every tool reaches every host through bench/relay.py, which holds each chunk for
half the round trip in each direction; the state checks still go straight to the hosts.

Run through bench/run, which builds Keel and the Python tools first.
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import relay
import workload

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
SCENARIOS = {"first": "(a) first run, clean hosts", "converged": "(b) converged re-run",
             "check": "(c) --check --diff, converged"}


class Lab:
    """The benchmark's own lab (its own directory, hosts bench1..benchN), driven through `keel lab`."""

    def __init__(self, keel, directory):
        self.keel = keel
        self.directory = pathlib.Path(directory)
        self.env = dict(os.environ, KEEL_LAB_DIR=str(self.directory))

    def up(self, count):
        names = [f"bench{i}" for i in range(1, count + 1)]
        args = [self.keel, "lab", "up"] + [a for n in names for a in ("--name", n)]
        subprocess.run(args, env=self.env, check=True, stdout=subprocess.DEVNULL)
        addresses = {}
        for line in (self.directory / "inventory.ini").read_text().splitlines():
            match = re.match(r"^(bench\d+) ansible_host=(\S+)", line)
            if match:
                addresses[match.group(1)] = match.group(2)
        return [(n, addresses[n]) for n in names]

    def down(self):
        subprocess.run([self.keel, "lab", "down"], env=self.env, check=False, stdout=subprocess.DEVNULL)

    @property
    def key(self):
        return str(self.directory / "id_ed25519")

    @property
    def known_hosts(self):
        return str(self.directory / "known_hosts")

    def ssh(self, address, command):
        """OpenSSH, not Keel: the state check must not trust the tool it checks."""
        return subprocess.run(
            ["ssh", "-i", self.key, "-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "StrictHostKeyChecking=yes",
             "-o", "BatchMode=yes", f"root@{address}", command],
            capture_output=True, text=True, check=True).stdout


class Endpoints:
    """Where the tools connect to each host: straight to its sshd, or (latency mode) to its relay listener on
    loopback, with a known_hosts file that records each host's key under `[127.0.0.1]:port`."""

    def __init__(self, lab, hosts, workdir, rtt_ms):
        self.relay = None
        self.known_hosts = lab.known_hosts
        self.by_name = {name: (address, 22) for name, address in hosts}
        if not rtt_ms:
            return
        keys = {}
        for line in pathlib.Path(lab.known_hosts).read_text().splitlines():
            fields = line.split(None, 1)
            if len(fields) == 2:
                keys[fields[0]] = fields[1]
        self.relay = relay.start(rtt_ms, [f"{address}:22" for _, address in hosts])
        self.by_name = {name: self.relay.listeners[f"{address}:22"] for name, address in hosts}
        self.known_hosts = str(workdir / "relay_known_hosts")
        pathlib.Path(self.known_hosts).write_text("".join(
            f"[{host}]:{port} {keys[address]}\n" for (name, address), (host, port) in zip(hosts, self.by_name.values())))

    def relay_stats(self):
        return self.relay.stats() if self.relay else None

    def close(self):
        if self.relay:
            self.relay.close()


# Both tools keep their SSH logins between runs for the same time: ansible-playbook through OpenSSH's
# ControlPersist, Keel through its connection masters (--control-persist). Their masters live through a
# size's scenarios and repetitions alike, and are stopped together when the size is done (stop_masters).
# 900 s: longer than any gap between two runs of one tool (the other tools run in between: ansible-playbook
# alone takes over 120 s on 20 far-away hosts, and a shorter idle time let Keel's masters expire there).
CONTROL_PERSIST_SECONDS = 900


def write_inventories(workdir, lab, hosts, endpoints):
    host_lines = "".join(f"{name} ansible_host={endpoints.by_name[name][0]} ansible_port={endpoints.by_name[name][1]}\n"
                         for name, _ in hosts)
    (workdir / "inventory.ini").write_text(
        "[bench]\n" + host_lines + "\n[bench:vars]\nansible_user=root\n"
        f"ansible_ssh_private_key_file={lab.key}\n"
        f"ansible_ssh_common_args='-o UserKnownHostsFile={endpoints.known_hosts} -o StrictHostKeyChecking=yes'\n"
        "ansible_python_interpreter=/usr/bin/python3\n")
    entries = ",\n".join(
        f"    ({name!r}, {{'ssh_hostname': {endpoints.by_name[name][0]!r}, 'ssh_port': {endpoints.by_name[name][1]}, "
        f"'ssh_user': 'root', 'ssh_key': {lab.key!r}, "
        f"'ssh_known_hosts_file': {endpoints.known_hosts!r}, 'ssh_strict_host_key_checking': 'yes'}})"
        for name, _ in hosts)
    (workdir / "inventory.py").write_text(f"bench = [\n{entries},\n]\n")
    # Ansible at its fastest: pipelining, a persistent ControlMaster, forks = hosts, no fact gathering.
    (workdir / "ansible.cfg").write_text(
        f"[defaults]\nforks = {len(hosts)}\nretry_files_enabled = False\nstdout_callback = default\n"
        "[ssh_connection]\npipelining = True\n"
        f"ssh_args = -o ControlMaster=auto -o ControlPersist={CONTROL_PERSIST_SECONDS}s\n"
        f"control_path_dir = {workdir}/cp\ncontrol_path = %(directory)s/%%h-%%p-%%r\n")


def command_for(tool, scenario, tools, workdir, forks):
    if tool == "keel":
        cmd = [tools["keel"], "play", "site.yml", "-i", "inventory.ini", "--forks", str(forks),
               "--control-persist", str(CONTROL_PERSIST_SECONDS)]
        return cmd + (["--check", "--diff"] if scenario == "check" else [])
    if tool == "ansible":
        cmd = [tools["ansible"], "site.yml", "-i", "inventory.ini"]
        return cmd + (["--check", "--diff"] if scenario == "check" else [])
    # pyinfra's check: --dry without -y, so it runs its change detection and prints what it would change.
    if scenario == "check":
        return [tools["pyinfra"], "inventory.py", "deploy.py", "--dry", "--diff"]
    return [tools["pyinfra"], "inventory.py", "deploy.py", "-y"]


def keel_env(env, workdir):
    """Keel's connection masters get a socket directory inside the size's work directory."""
    return dict(env, KEEL_CONTROL_DIR=str(workdir / "keel-cp"))


def stop_masters(tools, workdir, env):
    """Ends both tools' kept SSH sessions: Keel's with `keel connections --stop`, ansible's with ssh -O exit."""
    subprocess.run([tools["keel"], "connections", "--stop"], env=keel_env(env, workdir),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    control = workdir / "cp"
    for socket in (sorted(control.iterdir()) if control.is_dir() else []):
        subprocess.run(["ssh", "-o", f"ControlPath={socket}", "-O", "exit", "bench-master"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def machine_busy_seconds():
    """CPU seconds the whole machine spent busy so far (all cores): the lab hosts' sshd and shells run on
    these same cores, so this shows how much of the machine a run used, beyond the tool's own CPU."""
    fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def timed(cmd, cwd, env):
    """Wall and CPU seconds (user + system of the tool and every child it waited for), peak RSS, and the
    machine's busy CPU seconds over the run (tool + hosts + anything else running)."""
    busy_before = machine_busy_seconds()
    started = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    machine_busy = machine_busy_seconds() - busy_before
    process.returncode = os.waitstatus_to_exitcode(status)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "maxrss_mb": usage.ru_maxrss / 1024,
            "machine_busy": machine_busy,
            "rc": process.returncode, "output": output}


def changes_reported(tool, output):
    """The number of changes the tool says it made (or would make), from its own summary."""
    if tool in ("keel", "ansible"):
        counts = re.findall(r"changed=(\d+)", output)
        if not counts:
            raise RuntimeError(f"{tool}: no PLAY RECAP in its output:\n{output[-2000:]}")
        return sum(int(c) for c in counts)
    # pyinfra 3, --dry: a "Detected changes" table, "Operation  Change  Conditional Change", whose Change
    # column starts with a count (or "-").
    if "--> Detected changes:" in output:
        table = output.split("--> Detected changes:", 1)[1].split("\n\n", 1)[0]
        return sum(int(m.group(1)) for m in re.finditer(r"^ {4}\S.*?\s{2,}(\d+) \(", table, re.M))
    if "No changes detected" in output or "No changes" in output:
        return 0
    # pyinfra 3 ends with a results table; its "Grand total" row reads: hosts, success (changed),
    # error, no change, with "-" for zero.
    for line in output.splitlines():
        words = line.split()
        if words[:2] == ["Grand", "total"] and len(words) >= 6:
            return int(words[3].replace("-", "0"))
    raise RuntimeError(f"pyinfra: no results table in its output:\n{output[-2000:]}")


def host_state(lab, address):
    listing = lab.ssh(address, "cd /srv/bench 2>/dev/null && find . -mindepth 1 -printf '%y %m %u %P\\n' | sort && "
                               "find . -type f -printf '%P\\n' | sort | xargs -r sha256sum")
    return listing


def verify_first_run(tool, lab, hosts, expected, reference):
    for name, address in hosts:
        state = host_state(lab, address)
        present = {line.split(" ", 3)[3]: line.split(" ")[0] for line in state.splitlines() if line[:2] in ("d ", "f ")}
        want = {path: ("d" if kind == "dir" else "f") for path, kind in expected.items()}
        if present != want:
            raise RuntimeError(f"{tool}: {name} does not hold the workload's files\nexpected {sorted(want)}\nfound {sorted(present)}")
        if name in reference and reference[name] != state:
            raise RuntimeError(f"{tool}: {name} differs from what the first tool left there:\n{state}\n---\n{reference[name]}")
        reference.setdefault(name, state)


def summarise(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def versions(tools):
    def first_line(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except Exception as error:  # a missing tool is reported, not hidden
            return f"unknown ({error})"
    # A debug build is several times slower per task than the release build bench/run makes: say which ran.
    build = " (debug build)" if "/debug/" in tools["keel"] else ""
    return {"keel": first_line([tools["keel"], "version"]) + build, "ansible": first_line([tools["ansible"], "--version"]),
            "pyinfra": first_line([tools["pyinfra"], "--version"])}


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    memory = next((int(line.split()[1]) // 1024 for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": memory, "kernel": platform.release(),
            "transport": "loopback sshd in lab network namespaces"}


def run_size(count, args, tools, lab, env):
    hosts = lab.up(count)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=f"keel-bench-{count}-"))
    n = workload.counts(args.tasks)
    (workdir / "templates").mkdir()
    (workdir / "site.yml").write_text(workload.playbook(n))
    (workdir / "templates" / "bench.conf.j2").write_text(workload.TEMPLATE)
    (workdir / "deploy.py").write_text(workload.pyinfra_deploy(n))
    endpoints = Endpoints(lab, hosts, workdir, args.rtt)
    try:
        write_inventories(workdir, lab, hosts, endpoints)
        return measure_size(count, args, tools, lab, env, hosts, workdir, endpoints)
    finally:
        stop_masters(tools, workdir, env)
        endpoints.close()
        shutil.rmtree(workdir, ignore_errors=True)


def measure_size(count, args, tools, lab, env, hosts, workdir, endpoints):
    n = workload.counts(args.tasks)
    env = keel_env(dict(env, ANSIBLE_CONFIG=str(workdir / "ansible.cfg"), NO_COLOR="1", ANSIBLE_NOCOLOR="1"), workdir)
    expected = workload.expected_files(n)
    results = {}
    for scenario in args.scenarios:
        runs = {tool: [] for tool in args.tools}
        reference = {}
        for repetition in range(args.repeat):
            order = args.tools[repetition % len(args.tools):] + args.tools[:repetition % len(args.tools)]
            for tool in order:
                if scenario == "first":
                    for _, address in hosts:
                        lab.ssh(address, "rm -rf /srv/bench")
                endpoints.relay_stats()  # counts from here: this run's traffic only
                result = timed(command_for(tool, scenario, tools, workdir, count), workdir, env)
                relayed = endpoints.relay_stats()
                if result["rc"] != 0:
                    raise RuntimeError(f"{tool} failed ({scenario}, {count} hosts), exit {result['rc']}:\n{result['output'][-3000:]}")
                changes = changes_reported(tool, result["output"])
                if scenario == "first":
                    verify_first_run(tool, lab, hosts, expected, reference)
                elif changes != 0:
                    raise RuntimeError(f"{tool} reported {changes} changes on converged hosts ({scenario}):\n{result['output'][-3000:]}")
                runs[tool].append({"wall": result["wall"], "cpu": result["cpu"], "changes": changes,
                                   "maxrss_mb": result["maxrss_mb"], "machine_busy": result["machine_busy"],
                                   "load_1min": os.getloadavg()[0], "relay": relayed})
                late = f"  relay late p99 {relayed['late_ms']['p99']:.1f} ms" if relayed else ""
                print(f"  {count:>3} hosts  {scenario:<9} {tool:<8} wall {result['wall']:7.2f} s  cpu {result['cpu']:7.2f} s"
                      f"  machine busy {result['machine_busy']:7.2f} s  changes {changes}  load {os.getloadavg()[0]:.1f}{late}",
                      flush=True)
        summary = {}
        for tool, tool_runs in runs.items():
            summary[tool] = {"wall": summarise([r["wall"] for r in tool_runs]), "cpu": summarise([r["cpu"] for r in tool_runs]),
                             "machine_busy": summarise([r["machine_busy"] for r in tool_runs]),
                             "load_1min": summarise([r["load_1min"] for r in tool_runs]),
                             "changes": [r["changes"] for r in tool_runs]}
            if tool_runs[0]["relay"]:
                summary[tool]["relay"] = [r["relay"] for r in tool_runs]
            if tool != "keel" and "keel" in runs:
                summary[tool]["wall_ratio_to_keel"] = summarise(
                    [r["wall"] / k["wall"] for r, k in zip(tool_runs, runs["keel"])])
                summary[tool]["cpu_ratio_to_keel"] = summarise(
                    [r["cpu"] / k["cpu"] for r, k in zip(tool_runs, runs["keel"]) if k["cpu"] > 0])
        results[scenario] = summary
    return results


def scale_run(count, args, tools, lab, env):
    """Keel alone on many hosts: a first run, then the converged re-run that is measured, with peak memory."""
    hosts = lab.up(count)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix=f"keel-bench-scale-"))
    n = workload.counts(args.tasks)
    (workdir / "templates").mkdir()
    (workdir / "site.yml").write_text(workload.playbook(n))
    (workdir / "templates" / "bench.conf.j2").write_text(workload.TEMPLATE)
    env = keel_env(dict(env, NO_COLOR="1"), workdir)
    forks = min(count, args.scale_forks)
    endpoints = Endpoints(lab, hosts, workdir, args.rtt)
    try:
        write_inventories(workdir, lab, hosts, endpoints)
        first = timed(command_for("keel", "first", tools, workdir, forks), workdir, env)
        if first["rc"] != 0:
            raise RuntimeError(f"keel failed on {count} hosts:\n{first['output'][-3000:]}")
        again = timed(command_for("keel", "converged", tools, workdir, forks), workdir, env)
        changes = changes_reported("keel", again["output"])
        if again["rc"] != 0 or changes != 0:
            raise RuntimeError(f"keel converged re-run on {count} hosts: exit {again['rc']}, {changes} changes")
    finally:
        stop_masters(tools, workdir, env)
        endpoints.close()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"  scale: {count} hosts, forks {forks}: first {first['wall']:.2f} s, converged {again['wall']:.2f} s, "
          f"cpu {again['cpu']:.2f} s, peak RSS {again['maxrss_mb']:.0f} MB", flush=True)
    return {"hosts": count, "forks": forks, "first_wall": first["wall"], "wall": again["wall"], "cpu": again["cpu"],
            "peak_rss_mb": max(first["maxrss_mb"], again["maxrss_mb"])}


def spread(summary):
    return f"{summary['median']:.2f} ({summary['min']:.2f}-{summary['max']:.2f})"


def times(ratio):
    return "" if ratio is None else f"{ratio['median']:.1f}x"


def exchanges_per_host(data, size):
    counts = [stats.get("exchanges") for stats in data.get("relay", [])]
    if not counts or None in counts:
        return ""
    return f"{statistics.median(counts) / int(size):.0f}"


def markdown(report):
    names = {"keel": "Keel", "ansible": "ansible-playbook", "pyinfra": "pyinfra"}
    cores = report['machine']['cores']
    rtt = report.get("rtt_ms", 0)
    network = (f"every host {rtt:g} ms round trip away through bench/relay.py" if rtt
               else "hosts on loopback (about 0.5 ms round trip)")
    load = [size_load for size_load in report.get("load_1min", {}).values()]
    load_note = (f" Load average (1 min) seen during the run: {min(min(l) for l in load):.1f}-{max(max(l) for l in load):.1f}"
                 f" (the machine is shared)." if load else "")
    lines = [f"Measured {report['date']} on {report['machine']['cpu']} ({cores} cores), {network}, "
             f"{report['tasks_per_host']} tasks per host, {report['repeat']} run{'s' if report['repeat'] != 1 else ''} each; median (min-max) seconds. "
             f"CPU s is the tool's own (with its children); machine busy is the whole machine's busy CPU over the "
             f"run, lab hosts included, as a share of {cores} cores x wall.{load_note}"
             + (" Exchanges per host: the relay's count of the host answering after the tool spoke (one round trip "
                "each when the tool waits for the answer), per run, divided by the hosts." if rtt else ""), "",
             "| hosts | scenario | tool | wall s | CPU s | wall ratio tool/Keel | CPU ratio tool/Keel | machine busy |"
             + (" exchanges per host |" if rtt else ""),
             "|---:|---|---|---|---|---:|---:|---:|" + ("---:|" if rtt else "")]
    for size, scenarios in report["sizes"].items():
        for scenario, tools in scenarios.items():
            for tool, data in tools.items():
                busy = data.get("machine_busy")
                load = "" if busy is None else f"{busy['median'] / (data['wall']['median'] * cores) * 100:.0f}%"
                lines.append(
                    f"| {size} | {SCENARIOS[scenario]} | {names[tool]} | {spread(data['wall'])} | {spread(data['cpu'])} | "
                    f"{times(data.get('wall_ratio_to_keel'))} | {times(data.get('cpu_ratio_to_keel'))} | {load} |"
                    + (f" {exchanges_per_host(data, size)} |" if rtt else ""))
    sizes = sorted(report["sizes"], key=int)
    if len(sizes) >= 2 and int(sizes[-1]) > 5 and "5" in report["sizes"]:
        big = sizes[-1]
        growth = []
        for tool in report["tools"]:
            small_run = report["sizes"]["5"].get("converged", {}).get(tool)
            big_run = report["sizes"][big].get("converged", {}).get(tool)
            if small_run and big_run:
                growth.append(f"{names[tool]} {big_run['wall']['median'] / small_run['wall']['median']:.2f}x")
        if growth:
            lines += ["", f"Growth of the converged re-run's wall time from 5 to {big} hosts: " + ", ".join(growth) + "."]
    if report.get("scale"):
        s = report["scale"]
        lines += ["", f"Scale: Keel alone on {s['hosts']} hosts (forks {s['forks']}), converged re-run "
                      f"{s['wall']:.2f} s wall, {s['cpu']:.2f} s CPU, peak controller RSS {s['peak_rss_mb']:.0f} MB "
                      f"(first run {s['first_wall']:.2f} s)."]
    relayed = [stats for scenarios in report["sizes"].values() for tools in scenarios.values()
               for data in tools.values() for stats in data.get("relay", [])]
    if relayed:
        lines += ["", f"The relay delivered 99% of chunks at most {max(r['late_ms']['p99'] for r in relayed):.1f} ms later than "
                      f"due in every run (worst single chunk {max(r['late_ms']['max'] for r in relayed):.1f} ms): the round "
                      f"trips were {report['rtt_ms']:g} ms, plus that much at most."]
    lines += ["", "Versions: " + ", ".join(f"{k} `{v}`" for k, v in report["versions"].items())]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default="1,5,20", help="host counts, comma separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool and scenario")
    parser.add_argument("--tasks", type=int, default=0, help="scale every task kind down to N (CI's tiny run)")
    parser.add_argument("--tools", default="keel,ansible,pyinfra")
    parser.add_argument("--scale", type=int, default=0, help="also run Keel alone on this many hosts")
    parser.add_argument("--scale-forks", type=int, default=50)
    parser.add_argument("--keel", required=True)
    parser.add_argument("--venv", required=True)
    parser.add_argument("--lab-dir", default="/var/lib/keel/bench")
    parser.add_argument("--out", default=str(HERE / "results"))
    parser.add_argument("--keep-hosts", action="store_true")
    parser.add_argument("--rtt", type=float, default=0,
                        help="round trip in ms added between the tools and every host by bench/relay.py (0: loopback)")
    parser.add_argument("--scenarios", default=None,
                        help="comma separated, of first,converged,check (default: all; with --rtt: first,converged)")
    args = parser.parse_args()
    args.tools = args.tools.split(",")
    if args.rtt < 0:
        parser.error(f"--rtt is a round trip in milliseconds, 0 or more; found {args.rtt:g}")
    args.scenarios = (args.scenarios or ("first,converged" if args.rtt else ",".join(SCENARIOS))).split(",")
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"--scenarios takes {', '.join(SCENARIOS)}; found {', '.join(unknown)}")
    # The tools run in a work directory of their own: relative paths would point nowhere there.
    args.keel, args.venv = os.path.abspath(args.keel), os.path.abspath(args.venv)
    tools = {"keel": args.keel, "ansible": f"{args.venv}/bin/ansible-playbook", "pyinfra": f"{args.venv}/bin/pyinfra"}
    env = dict(os.environ, PATH=f"{args.venv}/bin:" + os.environ["PATH"])
    lab = Lab(args.keel, args.lab_dir)
    n = workload.counts(args.tasks)
    report = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
              "versions": versions(tools), "tasks_per_host": sum(n.values()) + 1, "repeat": args.repeat,
              "tools": args.tools, "rtt_ms": args.rtt, "scenarios": args.scenarios, "load_1min": {}, "sizes": {}}
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = report["date"].replace(":", "").replace("+00:00", "Z")
    # Each round trip has its own latest table: a latency run does not replace the loopback one.
    suffix = f"-rtt{args.rtt:g}" if args.rtt else ""

    def save():
        """Written after every size, so a long run stopped half-way keeps what it measured."""
        (out / f"bench-{stamp}{suffix}.json").write_text(json.dumps(report, indent=2) + "\n")
        (out / f"latest{suffix}.md").write_text(markdown(report))

    try:
        for count in [int(c) for c in args.hosts.split(",")]:
            print(f"== {count} hosts" + (f", {args.rtt:g} ms round trip" if args.rtt else ""), flush=True)
            loads = [os.getloadavg()[0]]
            report["sizes"][str(count)] = run_size(count, args, tools, lab, env)
            loads.append(os.getloadavg()[0])
            report["load_1min"][str(count)] = loads + [run["load_1min"]["median"] for scenario in report["sizes"][str(count)].values()
                                                       for run in scenario.values()]
            save()
        if args.scale:
            print(f"== scale", flush=True)
            report["scale"] = scale_run(args.scale, args, tools, lab, env)
            save()
    finally:
        if not args.keep_hosts:
            lab.down()
    print()
    print(markdown(report))


if __name__ == "__main__":
    sys.exit(main())
