"""One compact table from several benchmark results (loopback and latency runs): the README's form.

    python3 bench/summary.py bench/results/bench-<date>.json bench/results/bench-<date>-rtt25.json ...

Rows: round trip, hosts, scenario; wall seconds (median) per tool and each tool's ratio to Keel (the median
of the per-repetition ratios, as bench.py computes them); in latency runs, each tool's exchanges per host. Below it, per round trip, the growth of the
converged wall time from 5 hosts to the largest count, and the load seen during each result's runs.
"""
import json
import sys

NAMES = {"keel": "Keel", "ansible": "ansible-playbook", "pyinfra": "pyinfra"}
SCENARIOS = {"first": "(a) first run", "converged": "(b) converged", "check": "(c) --check --diff"}


def network(report):
    rtt = report.get("rtt_ms", 0)
    return f"{rtt:g} ms" if rtt else "loopback"


def exchanges(results, tools, size):
    """The relay's exchanges (round trips of a tool that waits for each answer) per host, median over runs."""
    counts = []
    for tool in tools:
        runs = [stats.get("exchanges") for stats in results.get(tool, {}).get("relay", [])]
        if not runs or None in runs:
            return ""
        counts.append(f"{sorted(runs)[len(runs) // 2] / int(size):.0f}")
    return " / ".join(counts)


def table(reports):
    tools = [t for t in NAMES if any(t in r["tools"] for r in reports)]
    others = [t for t in tools if t != "keel"]
    header = (["round trip", "hosts", "scenario"] + [f"{NAMES[t]} s" for t in tools]
              + [f"{NAMES[t]} / Keel" for t in others] + ["exchanges per host: " + " / ".join(NAMES[t] for t in tools)])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * 3 + "---:|" * (len(tools) + len(others) + 1)]
    for report in reports:
        for size in sorted(report["sizes"], key=int):
            for scenario, results in report["sizes"][size].items():
                walls = [f"{results[t]['wall']['median']:.2f}" if t in results else "" for t in tools]
                ratios = [f"{results[t]['wall_ratio_to_keel']['median']:.1f}x"
                          if t in results and "wall_ratio_to_keel" in results[t] else "" for t in others]
                lines.append("| " + " | ".join([network(report), size, SCENARIOS[scenario]] + walls + ratios
                                               + [exchanges(results, tools, size)]) + " |")
    notes = []
    for report in reports:
        sizes = sorted(report["sizes"], key=int)
        if "5" in report["sizes"] and int(sizes[-1]) > 5:
            growth = []
            for tool in tools:
                small = report["sizes"]["5"].get("converged", {}).get(tool)
                big = report["sizes"][sizes[-1]].get("converged", {}).get(tool)
                if small and big:
                    growth.append(f"{NAMES[tool]} {big['wall']['median'] / small['wall']['median']:.2f}x")
            if growth:
                notes.append(f"{network(report)}: converged wall time from 5 to {sizes[-1]} hosts: " + ", ".join(growth))
        loads = [value for values in report.get("load_1min", {}).values() for value in values]
        if loads:
            notes.append(f"{network(report)} ({report['date']}): load average (1 min) {min(loads):.1f}-{max(loads):.1f}"
                         f" on {report['machine']['cores']} cores")
    return "\n".join(lines) + "\n\n" + "".join(f"- {note}\n" for note in notes)


def main():
    if len(sys.argv) < 2:
        raise SystemExit("usage: bench/summary.py RESULT.json... (bench/results/bench-*.json)")
    reports = [json.load(open(path)) for path in sys.argv[1:]]
    reports.sort(key=lambda r: r.get("rtt_ms", 0))
    sys.stdout.write(table(reports))


if __name__ == "__main__":
    main()
