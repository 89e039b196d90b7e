#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The report of bench/embed/run.sh, in markdown, from RESULTS/runs.tsv,
RESULTS/out/ (embeddings and paths of each engine's last run) and
RESULTS/log/ (each process's stderr and /usr/bin/time -v).

    report.py RESULTS [--gate 0.99]
"""
import argparse
import os
import re
import statistics
import sys

import numpy as np

NAMES = {
    "cnnfilt": "cnnfilt embed",
    "opencv": "Pillow + OpenCV dnn",
    "ort": "sharp + ONNX Runtime",
}
SETS = [
    ("mixed", "mixed: 200 photos 640×480…1920×1080 + 20 at 4000×3000"),
    ("small256", "small256: the same, pre-shrunk to 256 px (shorter side)"),
    ("1080p", "1080p: the 1920×1080 and 1080×1920 ones"),
    ("12mp", "12mp: the 4000×3000 and 3000×4000 ones"),
    ("one", "one: a single 1920×1080 photo (start-up)"),
]


def read_runs(path):
    runs = []
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if p[0] != "R":
                continue
            runs.append(dict(tag=p[1], engine=p[2], set=p[3], variant=p[4], n=int(p[5]), wall=float(p[6]),
                             rss=int(p[7]) / 1024, cpu=float(p[8]) + float(p[9]), status=int(p[10])))
    return runs


def pick(runs, engine, set_, variant="default"):
    return [r for r in runs if r["engine"] == engine and r["set"] == set_ and r["variant"] == variant
            and r["status"] == 0]


def load_embeddings(out, name):
    npy, txt = os.path.join(out, name + ".npy"), os.path.join(out, name + ".txt")
    if not (os.path.isfile(npy) and os.path.isfile(txt)):
        return None
    x = np.load(npy)
    with open(txt) as f:
        paths = [line.rstrip("\n") for line in f]
    return dict(zip(paths, x))


def compare(ref, got):
    """(min cosine, median, worst path, paths missing) of got against ref."""
    common = [p for p in ref if p in got]
    if not common:
        return None
    cos = [(float(np.dot(ref[p], got[p]) / (np.linalg.norm(ref[p]) * np.linalg.norm(got[p]))), p) for p in common]
    cos.sort()
    return (cos[0][0], statistics.median(c for c, _ in cos), cos[0][1], len(ref) - len(common),
            [c for c, _ in cos])


def fmt_rate(rs):
    rates = [r["n"] / r["wall"] for r in rs]
    return statistics.median(rates), min(rates), max(rates)


def phases(log_dir, engine, set_):
    """Median over runs of the peers' own stderr summary: model load s,
    preparation ms/image, forward ms/image."""
    got = []
    for f in sorted(os.listdir(log_dir)):
        if not f.endswith(f"-{engine}-{set_}-default.err"):
            continue
        with open(os.path.join(log_dir, f)) as fh:
            m = re.search(r"(\d+) images .*model load ([\d.]+) s, preparation ([\d.]+) s.*forward ([\d.]+) s",
                          fh.read())
        if m and int(m.group(1)) > 0:
            n = int(m.group(1))
            got.append((float(m.group(2)), 1e3 * float(m.group(3)) / n, 1e3 * float(m.group(4)) / n))
    if not got:
        return None
    return tuple(statistics.median(g[i] for g in got) for i in range(3))


PIPE_OPS = {"model", "rgb", "grayscale", "resize", "center-crop", "standardize", "global-avg-pool"}


def profile(log_dir):
    """cnnfilt's CNNFILT_PROFILE tables (one per graph, printed when the
    graph is freed): the pipeline's ops and the model's slowest layers, in
    ms per image (a row's ms per run ÷ its batch size), weighted over the
    graphs by the images each ran."""
    path = os.path.join(log_dir, "profile-cnnfilt-mixed-profile.err")
    if not os.path.isfile(path):
        return None
    blocks, cur = [], None
    with open(path) as f:
        for line in f:
            m = re.match(r"cnnfilt profile: ([\d.]+) ms per run over (\d+) runs", line)
            if m:
                cur = dict(runs=int(m.group(2)), rows=[])
                blocks.append(cur)
                continue
            m = re.match(r"\s*([\d.]+) ms\s+[\d.]+%\s+(.*?)\s+(\S+)\s+(\d+)x(\d+)x(\d+)x(\d+)\s*$", line)
            if m and cur is not None:
                cur["rows"].append((float(m.group(1)) / int(m.group(4)), m.group(2).strip(), m.group(3),
                                    "x".join(m.group(i) for i in range(4, 8)), int(m.group(4))))
    ops, layers, images = {}, {}, {}
    for b in blocks:
        if not b["rows"]:
            continue
        pipe = all(r[2] in PIPE_OPS for r in b["rows"])
        n = b["rows"][0][4] * b["runs"]
        for ms, name, op, shape, batch in b["rows"]:
            key = op if pipe else (name, op, shape)
            table = ops if pipe else layers
            table[key] = table.get(key, 0) + ms * b["runs"] * batch
            images[(pipe, key)] = images.get((pipe, key), 0) + b["runs"] * batch
    ops = {k: v / images[(True, k)] for k, v in ops.items()}
    layers = {k: v / images[(False, k)] for k, v in layers.items()}
    batches = sorted({b["rows"][0][4] for b in blocks if b["rows"] and any(r[2] == "model" for r in b["rows"])})
    return dict(ops=ops, layers=sorted(layers.items(), key=lambda kv: -kv[1])[:6], batches=batches,
                graphs=len(blocks))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--gate", type=float, default=0.99)
    args = ap.parse_args()
    runs = read_runs(os.path.join(args.results, "runs.tsv"))
    out_dir, log_dir = os.path.join(args.results, "out"), os.path.join(args.results, "log")
    engines = [e for e in NAMES if pick(runs, e, "mixed")]
    env = {}
    env_path = os.path.join(args.results, "env.tsv")
    if os.path.isfile(env_path):
        with open(env_path) as f:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if len(p) >= 3:
                    env[p[1]] = p[2]

    ref = load_embeddings(out_dir, "cnnfilt-mixed-default")
    gate = {}
    for e in engines:
        got = load_embeddings(out_dir, f"{e}-mixed-default")
        gate[e] = compare(ref, got) if ref is not None and got is not None else None

    n_rounds = len(pick(runs, engines[0], "mixed")) if engines else 0
    print(f"### Embedding a folder: images per second, whole process ({n_rounds} rounds)\n")
    base = fmt_rate(pick(runs, "cnnfilt", "mixed"))[0] if "cnnfilt" in engines else None
    print("| engine | images/s (median) | spread (min–max) | ×cnnfilt | CPU ms/image | peak RSS MB "
          "| cosine to cnnfilt: min (median) |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for e in engines:
        rs = pick(runs, e, "mixed")
        med, lo, hi = fmt_rate(rs)
        ratio = f"×{med / base:.2f}" if base else "–"
        cpu = statistics.median(1e3 * r["cpu"] / r["n"] for r in rs)
        rss = statistics.median(r["rss"] for r in rs)
        g = gate.get(e)
        if e == "cnnfilt":
            cell = "(reference)"
        elif g is None:
            cell = "no output"
        else:
            below = sum(c < args.gate for c in g[4])
            cell = f"{g[0]:.4f} ({g[1]:.5f})" + (f" ⚠ {below} of {len(g[4])} below {args.gate}" if below else "")
            if g[3]:
                cell += f", {g[3]} missing"
        name = f"**{NAMES[e]}**" if e == "cnnfilt" else NAMES[e]
        print(f"| {name} | {med:.1f} | {lo:.1f}–{hi:.1f} | {ratio} | {cpu:.0f} | {rss:.0f} | {cell} |")
    print()
    for e in engines:
        g = gate.get(e)
        if e != "cnnfilt" and g is not None:
            print(f"- {e}: least similar {os.path.basename(g[2])} at {g[0]:.4f}")
    j1 = load_embeddings(out_dir, "cnnfilt-mixed-j1")
    if ref is not None and j1 is not None:
        g = compare(ref, j1)
        print(f"- cnnfilt -j 1 against -j {env.get('threads', '?').split()[0]}: min cosine {g[0]:.6f}")
    print()

    # where the time goes: every folder, every engine
    sets = [s for s in SETS if any(pick(runs, e, s[0]) for e in engines)]
    if len(sets) > 1:
        print("### Where the time goes: the same engines on other folders\n")
        print("images/s, median (min–max) over rounds; ms/image = wall ÷ images, so the start-up "
              "(model load, graph preparation) is in it; `one` is that start-up plus one photo.\n")
        print("| folder | images | " + " | ".join(NAMES[e] for e in engines) + " |")
        print("|---|--:|" + "--:|" * len(engines))
        for s, label in sets:
            cells, n = [], ""
            for e in engines:
                rs = pick(runs, e, s)
                if not rs:
                    cells.append("–")
                    continue
                n = rs[0]["n"]
                if s == "one":
                    w = [r["wall"] for r in rs]
                    cells.append(f"{statistics.median(w):.2f} s ({min(w):.2f}–{max(w):.2f})")
                else:
                    med, lo, hi = fmt_rate(rs)
                    cells.append(f"{med:.1f} ({lo:.1f}–{hi:.1f}) · {1e3 / med:.0f} ms")
            print(f"| {label} | {n} | " + " | ".join(cells) + " |")
        extra = []
        rs = pick(runs, "cnnfilt", "mixed", "j1")
        if rs:
            med, lo, hi = fmt_rate(rs)
            extra.append(f"| cnnfilt `-j 1` (one worker), mixed | {rs[0]['n']} | {med:.1f} · {1e3 / med:.0f} ms |")
        rs = pick(runs, "ort", "mixed", "area")
        if rs:
            med, lo, hi = fmt_rate(rs)
            g = compare(ref, load_embeddings(out_dir, "ort-mixed-area") or {}) if ref is not None else None
            cos = f"; cosine to cnnfilt min {g[0]:.4f} (median {g[1]:.5f})" if g else ""
            extra.append(f"| sharp + ONNX Runtime with `--resize area` (every pixel decoded by sharp, cnnfilt's area "
                         f"resize in JavaScript{cos}), mixed | {rs[0]['n']} | {med:.1f} · {1e3 / med:.0f} ms |")
        rs = pick(runs, "ort", "12mp", "fast-shrink")
        if rs:
            med, lo, hi = fmt_rate(rs)
            extra.append(f"| sharp + ONNX Runtime with `fastShrinkOnLoad: true` (sharp's default: 1/8 decode), "
                         f"12mp | {rs[0]['n']} | {med:.1f} · {1e3 / med:.0f} ms |")
        if extra:
            print("\nOne run each:\n\n| variant | images | images/s · ms/image |\n|---|--:|--:|")
            print("\n".join(extra))
        print()

        # per-image cost with the start-up taken out
        print("Per photo, start-up taken out ((wall − wall of `one`) ÷ (images − 1), medians), ms:\n")
        print("| folder | " + " | ".join(NAMES[e] for e in engines) + " |")
        print("|---|" + "--:|" * len(engines))
        for s, label in sets:
            if s == "one":
                continue
            cells = []
            for e in engines:
                rs, one = pick(runs, e, s), pick(runs, e, "one")
                if not rs or not one:
                    cells.append("–")
                    continue
                w1 = statistics.median(r["wall"] for r in one)
                cells.append(f"{1e3 * (statistics.median(r['wall'] for r in rs) - w1) / (rs[0]['n'] - 1):.1f}")
            print(f"| {s} | " + " | ".join(cells) + " |")
        print()

    ph = {e: phases(log_dir, e, "mixed") for e in engines if e != "cnnfilt"}
    if any(ph.values()):
        print("The peers' own account of the mixed folder (medians over rounds): model load s; "
              "preparation (read, decode, resize, crop, scale) ms per image, summed over the threads "
              "that overlap it with the network; forward ms per image.\n")
        print("| engine | model load s | preparation ms/image | forward ms/image |\n|---|--:|--:|--:|")
        for e, v in ph.items():
            if v:
                print(f"| {NAMES[e]} | {v[0]:.2f} | {v[1]:.1f} | {v[2]:.1f} |")
        print()

    prof = profile(log_dir)
    if prof and prof["ops"]:
        print(f"cnnfilt's `CNNFILT_PROFILE=1` on the mixed folder ({prof['graphs']} graphs; the model ran "
              f"batches of {', '.join(map(str, prof['batches'])) or '?'}): ms per image, each op on the "
              "threads it was given; reading and decoding the file are not in it (they come before "
              "the graph)\n")
        print("| op | ms per image |\n|---|--:|")
        for name, ms in sorted(prof["ops"].items(), key=lambda kv: -kv[1]):
            print(f"| {name} | {ms:.2f} |")
        print("\nslowest layers of the model, ms per image:\n")
        print("| layer | op | output | ms |\n|---|---|---|--:|")
        for (name, op, shape), ms in prof["layers"]:
            print(f"| {name} | {op} | {shape} | {ms:.2f} |")
        print()

    print("Machine: " + env.get("CPU", "?") + "; " + env.get("load average at start", "") +
          " at start, " + env.get("load average at end", "?") + " at end.")
    print("Threads: " + env.get("threads", "?"))
    print("Versions: " + env.get("packages", "?") + "; " + env.get("engines", ""))
    print("Commit: " + env.get("commit", "?") + "; " + env.get("date", "") + "; cnnfilt build: " +
          env.get("cnnfilt build", "?"))
    if "WARNING" in env:
        print("\n**WARNING: " + env["WARNING"] + "**")
    return 0


if __name__ == "__main__":
    sys.exit(main())
