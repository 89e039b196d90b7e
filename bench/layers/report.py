#!/usr/bin/python3
"""Turns the I/R/S lines that run.sh collected into one table per batch size.

    /usr/bin/python3 report.py RESULTS_DIR [--models-opt DIR]

Reads RESULTS_DIR/round*-*.tsv.  For every engine and layer the figure is the
median, over rounds, of that round's median time.  Cells are
"GFLOP/s ×ratio", ratio = PyTorch's time / the engine's time (> 1: faster
than PyTorch), PyTorch being the best of its three variants for that layer.
Network rows add count × time over the network's layers.
"""
import glob
import os
import statistics
import sys
from collections import defaultdict

from shapes import read_shapes

ORDER = ["blas", "blas-split", "dnnl", "dnnl-reorder", "dnnl-auto", "xnnpack", "ort",
         "pytorch", "torch-nchw", "torch-cl", "torch-mkldnn", "cnnfilt"]
TORCH = ("torch-nchw", "torch-cl", "torch-mkldnn")
NETS = {"r18": "ResNet-18", "vgg16": "VGG-16"}


def main():
    rdir = sys.argv[1]
    opt_dir = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--models-opt" else None
    times = defaultdict(list)      # (engine, layer, N) -> [ms per round]
    errs = defaultdict(float)
    notes = defaultdict(lambda: defaultdict(list))  # engine -> note -> [layers]
    infos = {}
    skips = defaultdict(list)
    files = sorted(glob.glob(os.path.join(rdir, "round*-*.tsv")))
    rounds = sorted({os.path.basename(f).split("-")[0] for f in files})
    for f in files:
        for line in open(f):
            p = line.rstrip("\n").split("\t")
            if p[0] == "R" and len(p) >= 8:
                key = (p[1], p[2], int(p[3]))
                times[key].append(float(p[4]))
                if p[7] not in ("-", ""):
                    errs[key] = max(errs[key], float(p[7]))
                note = p[8] if len(p) > 8 else ""
                if note:
                    if p[2] not in notes[p[1]][note]:
                        notes[p[1]][note].append(p[2])
            elif p[0] == "I" and len(p) >= 4:
                infos[(p[1], p[2])] = p[3]
            elif p[0] == "S" and len(p) >= 5:
                if p[1] != "blas-split" or "N >= 2" not in p[4]:
                    skips[p[1]].append("%s N=%s: %s" % (p[2], p[3], p[4]))

    med = {k: statistics.median(v) for k, v in times.items()}
    rows = read_shapes()
    engines = [e for e in ORDER if e == "pytorch" or any(k[0] == e for k in med)]
    engines += sorted({k[0] for k in med} - set(engines))
    for r in rows:   # pytorch = best torch variant per layer
        c = [med[(v, r["name"], r["N"])] for v in TORCH if (v, r["name"], r["N"]) in med]
        if c:
            med[("pytorch", r["name"], r["N"])] = min(c)
    if not any(k[0] == "pytorch" for k in med):
        engines.remove("pytorch")

    print("Rounds: %d (%s). Cells: GFLOP/s ×(PyTorch time / engine time); "
          "PyTorch = best of %s per layer." % (len(rounds), " ".join(rounds), ", ".join(TORCH)))
    big = [(k, e) for k, e in errs.items() if e > 1e-4]
    print("Max relative error vs im2col+sgemm reference (C engines) / vs torch-nchw (torch): %.1e%s"
          % (max(errs.values(), default=0.0),
             "" if not big else "  LARGE: " + ", ".join("%s %s N=%d %.1e" % (k + (e,)) for k, e in big)))
    print()
    for N in sorted({r["N"] for r in rows}):
        lrows = [r for r in rows if r["N"] == N and any(k[1] == r["name"] and k[2] == N for k in med)]
        if not lrows:
            continue
        print("### Batch %d" % N)
        print()
        hdr = ["layer", "×", "GFLOP"] + engines
        print("| " + " | ".join(hdr) + " |")
        print("|" + "|".join(["---"] + ["--:"] * (len(hdr) - 1)) + "|")

        def cell(e, t, ref, fl):
            if t is None:
                return "—"
            g = fl / (t * 1e-3) * 1e-9
            return "%.0f" % g if ref is None or e == "pytorch" else "%.0f ×%.2f" % (g, ref / t)

        for r in lrows:
            ref = med.get(("pytorch", r["name"], N))
            cells = [cell(e, med.get((e, r["name"], N)), ref, r["flops"]) for e in engines]
            print("| %s | %d | %.2f | %s |" % (r["name"], r["count"], r["flops"] * 1e-9, " | ".join(cells)))
        for net, label in NETS.items():
            nrows = [r for r in lrows if r["net"] == net]
            if not nrows:
                continue
            fl = sum(r["count"] * r["flops"] for r in nrows)
            tot = {}
            for e in engines:
                ts = [med.get((e, r["name"], N)) for r in nrows]
                tot[e] = None if None in ts else sum(r["count"] * t for r, t in zip(nrows, ts))
            ref = tot.get("pytorch")
            print("| **%s total, GFLOP/s** | %d | %.2f | %s |" % (
                label, sum(r["count"] for r in nrows), fl * 1e-9,
                " | ".join("**%s**" % cell(e, tot[e], ref, fl) if tot[e] else "—" for e in engines)))
            print("| %s total, ms | | | %s |" % (
                label, " | ".join("%.1f" % tot[e] if tot[e] else "—" for e in engines)))
        print()

    print("### What ran")
    print()
    for (eng, key), val in sorted(infos.items()):
        print("- %s %s: %s" % (eng, key, val))
    for eng in engines:
        for note, layers in notes.get(eng, {}).items():
            print("- %s (%d layer rows): %s" % (eng, len(layers), note))
    if opt_dir and os.path.isdir(opt_dir):
        try:
            import onnx
            kinds = defaultdict(list)
            for f in sorted(glob.glob(os.path.join(opt_dir, "*.onnx"))):
                m = onnx.load(f, load_external_data=False)
                k = " → ".join("%s%s" % (n.domain + "." if n.domain else "", n.op_type) for n in m.graph.node)
                kinds[k].append(os.path.basename(f)[:-5])
            for k, fs in kinds.items():
                print("- ort optimised graph (%d models): %s" % (len(fs), k))
        except Exception as e:  # informational only
            print("- ort optimised graph: could not read (%s)" % e)
    for eng, s in skips.items():
        uniq = sorted(set(x.split(": ", 1)[1] for x in s))
        print("- %s skipped %d rows: %s" % (eng, len(s), "; ".join(uniq)[:300]))


if __name__ == "__main__":
    main()
