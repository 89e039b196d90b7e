#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The table of bench.py's runs: report.py results.jsonl

Per engine: the median time of a run over the rounds, images/s at that
median, the spread (fastest and slowest run, and (slowest - fastest) /
median), the overhead against the median plain run, and for the Dask
clusters the median time their start took (not in the run's time), and
the CPU time (user + system) a run used: the plain process, or the Dask
workers plus the client process (which holds the scheduler and nannies);
not measured for slurm."""
import json
import statistics
import sys


def main():
    runs, skipped = {}, {}
    for line in open(sys.argv[1]):
        entry = json.loads(line)
        if "skipped" in entry:
            skipped[entry["engine"]] = entry["skipped"]
        else:
            runs.setdefault(entry["engine"], []).append(entry)
    if "plain" not in runs:
        sys.exit("no plain runs")
    images = runs["plain"][0]["images"]
    plain = statistics.median(e["seconds"] for e in runs["plain"])
    order = ["plain", "dask-1", "dask-1 warm", "dask-2", "dask-2 warm", "slurm"]
    print(f"{images} photos; medians of {len(runs['plain'])} rounds\n")
    plain_cpu = statistics.median(e["cpu"] for e in runs["plain"]) if all(
        "cpu" in e for e in runs["plain"]) else None
    print("| engine | median s | images/s | fastest–slowest s (spread) | overhead vs plain | "
          "CPU s (vs plain) | cluster start s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for engine in order + sorted(set(runs) - set(order)):
        if engine not in runs:
            if engine in skipped:
                print(f"| {engine} | — | — | — | skipped: {skipped[engine]} | | |")
            continue
        times = sorted(e["seconds"] for e in runs[engine])
        median = statistics.median(times)
        spread = (times[-1] - times[0]) / median
        overhead = "—" if engine == "plain" else f"{(median / plain - 1) * 100:+.0f} %"
        starts = [e["start"] for e in runs[engine] if e.get("start")]
        start = f"{statistics.median(starts):.1f}" if starts else ""
        cpus = [e["cpu"] for e in runs[engine] if "cpu" in e]
        cpu = ""
        if cpus:
            cpu = f"{statistics.median(cpus):.1f}"
            if plain_cpu and engine != "plain":
                cpu += f" ({(statistics.median(cpus) / plain_cpu - 1) * 100:+.0f} %)"
        print(f"| {engine} | {median:.2f} | {images / median:.1f} | "
              f"{times[0]:.2f}–{times[-1]:.2f} ({spread * 100:.0f} %) | {overhead} | {cpu} | "
              f"{start} |")
    loads = [e["load"] for es in runs.values() for e in es]
    print(f"\nload average (1 min) before the runs: median {statistics.median(loads):.1f}, "
          f"{min(loads):.1f}–{max(loads):.1f}")


if __name__ == "__main__":
    main()
