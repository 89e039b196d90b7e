#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The report of bench/search/run.sh, in markdown, from RESULTS/lines.tsv
(timings), procs.tsv (peak RSS of each process), topk-*.tsv (the results of
every query) and env.tsv.

    report.py RESULTS
"""
import collections
import os
import statistics
import sys

DIM = 1792


def med_spread(values):
    return statistics.median(values), min(values), max(values)


def main():
    results = sys.argv[1]
    env = {}
    if os.path.isfile(os.path.join(results, "env.tsv")):
        with open(os.path.join(results, "env.tsv")) as f:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if len(p) >= 3:
                    env[p[1]] = p[2]
    load = collections.defaultdict(list)                          # (engine, n) -> [s]
    single = collections.defaultdict(lambda: collections.defaultdict(list))   # (engine, n) -> round -> [ms]
    batch = collections.defaultdict(lambda: collections.defaultdict(list))
    bw = collections.defaultdict(list)                            # threads -> [GB/s]
    bw_n = collections.defaultdict(list)                          # n -> [GB/s]
    info = {}
    with open(os.path.join(results, "lines.tsv")) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            rnd, kind = p[0], p[1]
            if kind == "L":
                load[(p[2], int(p[3]))].append(float(p[4]))
            elif kind == "Q":
                single[(p[2], int(p[3]))][rnd].append(float(p[5]))
            elif kind == "B":
                batch[(p[2], int(p[3]))][rnd].append(float(p[5]))
            elif kind == "W":
                bw[int(p[4])].append(float(p[5]))
                bw_n[int(p[3])].append(float(p[5]))
            elif kind == "I":
                info[(p[2], p[3])] = p[4]
    rss = collections.defaultdict(list)
    failed = []
    with open(os.path.join(results, "procs.tsv")) as f:
        for line in f:
            _, e, n, kb, status = line.rstrip("\n").split("\t")
            if int(status):
                failed.append(f"{e} N={n} (exit {status})")
            else:
                rss[(e, int(n))].append(int(kb) / 1024)

    sizes = sorted({n for _, n in list(single) + list(load)})
    rounds = len({r for v in single.values() for r in v})
    # the machine's streaming read bandwidth: the best any process measured
    # (other load only ever lowers it)
    best_bw = max(max(v) for v in bw.values()) if bw else None
    print(f"### Exact top-10 search over N vectors of {DIM} float32 ({rounds} rounds)\n")
    print("Per query: each round's median over its queries, then the median over rounds "
          "(min–max of the round medians). Load: cnnfilt's first search (SQLite → memory, then the "
          "search), numpy's `np.load` of the same matrix. Floor: the matrix's bytes at the machine's "
          f"streaming read bandwidth, {best_bw:.1f} GB/s (the best any worker measured, below); it is for "
          "one query: a batch reads the matrix once for all its queries, so its time per query can go "
          "below it.")
    print()
    print("| N | matrix | engine | load s | ms per query | ×cnnfilt | GB/s | floor ms | peak RSS MB |")
    print("|--:|--:|---|--:|--:|--:|--:|--:|--:|")
    for n in sizes:
        nbytes = n * DIM * 4
        floor = 1e3 * nbytes / (best_bw * 1e9) if best_bw else None
        base = None
        rows = []
        for e, label, table in (("cnnfilt", "cnnfilt `index.search(q, 10)`", single),
                                ("numpy", "numpy `X @ q` + argpartition", single),
                                ("numpy", f"numpy, batches of {env.get('batch', '16')} as GEMM (per query)", batch)):
            per_round = table.get((e, n))
            if not per_round:
                continue
            meds = [statistics.median(v) for v in per_round.values()]
            m, lo, hi = med_spread(meds)
            if e == "cnnfilt":
                base = m
            ld = load.get((e, n)) if table is single else None
            ld_cell = ("{:.3f} ({:.3f}–{:.3f})".format(*med_spread(ld)) if len(ld) > 1 else f"{ld[0]:.3f}") \
                if ld else "″"
            r = rss.get((e, n))
            rss_cell = f"{statistics.median(r):.0f}" if r and table is single else "″"
            gbs = f"{nbytes / (m * 1e-3) / 1e9:.1f}" + (" (amortised)" if table is batch else "")
            rows.append([f"{n:,}", f"{nbytes / 1e6:.0f} MB", label, ld_cell, f"{m:.2f} ({lo:.2f}–{hi:.2f})", m,
                         gbs, f"{floor:.2f}" if floor and table is single else "–", rss_cell])
        for row in rows:
            row[5] = "×1.00" if base is None or row[2].startswith("cnnfilt") else f"×{row[5] / base:.2f}"
            if base is None:
                row[5] = "–"
            print("| " + " | ".join(row) + " |")
    print()
    print("×cnnfilt: the engine's time per query ÷ cnnfilt's (above 1: cnnfilt is faster). GB/s: the "
          "matrix's bytes ÷ the time per query.\n")

    # the same answers?
    tops = collections.defaultdict(dict)    # (round, n, i) -> {engine/mode: (paths, scores)}
    path = os.path.join(results, "topk.tsv")
    if os.path.isfile(path):
        with open(path) as f:
            for line in f:
                rnd, e, n, i, mode, paths, scores = line.rstrip("\n").split("\t")
                tops[(rnd, int(n), int(i))][f"{e} {mode}"] = (paths.split(","), [float(s) for s in scores.split(",")])
    if tops:
        agree = collections.Counter()
        total = collections.Counter()
        notes = []
        for key, got in sorted(tops.items()):
            ref = got.get("cnnfilt single")
            if ref is None:
                continue
            for other, (paths, scores) in got.items():
                if other == "cnnfilt single":
                    continue
                total[(key[1], other)] += 1
                if paths == ref[0]:
                    agree[(key[1], other)] += 1
                else:
                    gap = max(abs(a - b) for a, b in zip(scores, ref[1]))
                    same_set = set(paths) == set(ref[0])
                    notes.append(f"round {key[0]} N={key[1]} query {key[2]}: {other} differs "
                                 f"({'same paths, other order' if same_set else 'other paths'}; "
                                 f"largest score difference {gap:.2e})")
        print("Same top-10 paths, in the same order, as cnnfilt's:\n")
        print("| N | " + " | ".join(sorted({o for _, o in total})) + " |")
        print("|--:|" + "--:|" * len({o for _, o in total}))
        for n in sizes:
            cells = [f"{agree[(n, o)]}/{total[(n, o)]}" for o in sorted({o for _, o in total})]
            print(f"| {n:,} | " + " | ".join(cells) + " |")
        print()
        for line in notes[:10]:
            print(f"- {line}")
        if len(notes) > 10:
            print(f"- … and {len(notes) - 10} more")
        if notes:
            print()
        diffs = []
        for key, got in tops.items():
            if "cnnfilt single" in got and "numpy single" in got:
                a, b = got["cnnfilt single"], got["numpy single"]
                if a[0] == b[0]:
                    diffs.append(max(abs(x - y) for x, y in zip(a[1], b[1])))
        if diffs:
            print(f"Largest difference between cnnfilt's and numpy's scores for the same results: {max(diffs):.1e}\n")

    if bw:
        print("Streaming read bandwidth (each numpy worker, at its end: its matrix's bytes summed as int64, "
              "split over 1 and 2 threads, best of 5), GB/s: " +
              "; ".join(f"N={n:,}: " + " / ".join(f"{v:.1f}" for v in vals) for n, vals in sorted(bw_n.items())) +
              " (1 thread / 2 threads)\n")
    for (e, key), value in sorted(info.items()):
        if key in ("blas", "openblas"):
            print(f"- numpy's {key}: {value}")
    if failed:
        print("\nFailed: " + "; ".join(failed))
    print()
    print("Machine: " + env.get("CPU", "?") + ", " + env.get("memory", "") + "; load " +
          env.get("load average at start", "?") + " at start, " + env.get("load average at end", "?") + " at end.")
    print("numpy's BLAS: " + env.get("numpy's BLAS", "?"))
    print("Versions: " + env.get("packages", "?"))
    print("Commit: " + env.get("commit", "?") + "; " + env.get("date", "") + "; libcnnfilt build: " +
          env.get("cnnfilt build", "?"))
    if "WARNING" in env:
        print("\n**WARNING: " + env["WARNING"] + "**")
    return 0


if __name__ == "__main__":
    sys.exit(main())
