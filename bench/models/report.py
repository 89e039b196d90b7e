#!/usr/bin/python3
"""Turns what run.sh collected into results/report.md (on stdout).

    /usr/bin/python3 report.py RESULTS_DIR MODEL_DIR
    /usr/bin/python3 report.py --ort-graphs DIR     (K lines for probe-ort.tsv)

Reads RESULTS_DIR/round*-ENGINE.tsv (R/S/I lines of bench.py and ort.js),
probe-ENGINE.tsv (K lines: kernels that ran), env.tsv (machine, versions),
memory.tsv (M lines: peak resident kB per engine, model and batch) and
logits/roundR-ENGINE-MODEL-bN.f32. For every engine, model and batch
the figure is the median, over rounds, of that round's median time; cells
are milliseconds per image and ×ratio = engine time / cnnfilt time (> 1:
cnnfilt is faster). The logits of every run kept are checked against
MODEL_DIR/MODEL/expected.npy, PyTorch's float64 logits of the same images
(tests/models/make-models.py), by tests/models/test-models.py's measure:
max over logits of |got - want| / max(|want|, 0.1 * peak |want| of the image).
"""
import glob
import os
import re
import statistics
import sys
from collections import Counter, defaultdict

import numpy as np

ENGINES = ["cnnfilt", "ort", "torch-jit", "torch", "torch-cl", "opencv"]
LABEL = {"cnnfilt": "cnnfilt", "ort": "ONNX Runtime", "torch-jit": "PyTorch (TorchScript)",
         "torch": "PyTorch (NCHW)", "torch-cl": "PyTorch (channels_last)", "opencv": "OpenCV dnn"}
MODELS = {"resnet18": "ResNet-18", "vgg16": "VGG-16", "alexnet": "AlexNet", "mobilenet_v2": "MobileNetV2",
          "resnet50": "ResNet-50", "efficientnet_b0": "EfficientNet-B0",
          "mobilenet_v3_large": "MobileNetV3-large", "convnext_tiny": "ConvNeXt-tiny",
          "regnet_y_800mf": "RegNetY-800MF", "vit_b_16": "ViT-B/16", "swin_t": "Swin-T"}
ERR_MAX = 1e-3   # a larger error marks the cell: that engine computed something else


def lines(path):
    with open(path, errors="replace") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if p and p[0] in ("I", "R", "S", "K", "M"):
                yield p


def short(reason):
    """A table cell's form of a reason (the full one is under What ran)."""
    reason = re.sub(r" \(constant inputs? [^)]*\)", "", reason)
    return reason if len(reason) <= 140 else reason[:139] + "…"


def rel_err(got, want):
    want = want.astype(np.float64)
    peak = np.abs(want).max(axis=1, keepdims=True)
    return float((np.abs(got.astype(np.float64) - want) / np.maximum(np.abs(want), 0.1 * peak)).max())


def ort_graphs(folder):
    import onnx
    for f in sorted(glob.glob(os.path.join(folder, "*.onnx"))):
        m = onnx.load(f, load_external_data=False)
        c = Counter("%s%s" % (n.domain + "." if n.domain else "", n.op_type) for n in m.graph.node)
        acts = Counter(onnx.helper.get_attribute_value(a).decode() for n in m.graph.node
                       for a in n.attribute if a.name == "activation")
        s = ", ".join("%s ×%d" % kv for kv in c.most_common())
        if acts:
            s += "; fused activations: " + ", ".join("%s ×%d" % kv for kv in acts.most_common())
        print("K\tort\t%s\toptimised graph\t%s" % (os.path.basename(f)[:-5], s))


def table_head(engines):
    """The head of a table with a row per model and batch, a column per engine."""
    print("| model | batch | " + " | ".join(LABEL.get(e, e) for e in engines) + " |")
    print("|---|--:|" + "|".join(["--:"] * len(engines)) + "|")


def memory_table(peak, engines, models, batches):
    """The peak resident memory table: @peak, (engine, model, batch) -> MB, from memory.tsv."""
    if not peak:
        return
    cols = [e for e in engines if any(k[0] == e for k in peak)]
    print("### Peak memory (MB; ×ratio = engine / cnnfilt)")
    print()
    print("Maximum resident set size (`/usr/bin/time -v`) of one process per engine, model and "
          "batch: the interpreter or node, the import, a warm-up and one timed run. "
          "**Bold**: least in the row.")
    print()
    table_head(cols)
    for m in models:
        for n in batches:
            row = {e: peak.get((e, m, n)) for e in cols}
            if all(v is None for v in row.values()):
                continue
            least = min(v for v in row.values() if v is not None)
            ref = row.get("cnnfilt")
            cells = []
            for e in cols:
                v = row[e]
                if v is None:
                    cells.append("—")
                    continue
                c = "%.0f" % v + (" ×%.2f" % (v / ref) if ref and e != "cnnfilt" else "")
                cells.append("**%s**" % c if v == least and len(row) > 1 else c)
            print("| %s | %d | %s |" % (MODELS.get(m, m), n, " | ".join(cells)))
    print()


def start_table(starts, engines, models, batch):
    """Load and first run at @batch: @starts, (engine, model, batch) -> [(load s, first s)]."""
    cols = [e for e in engines if any(k[0] == e for k in starts)]
    print("### Load and first run at batch %d (ms; ×ratio = engine / cnnfilt, on the sum)" % batch)
    print()
    print("From the model file to the first output, in the timing rounds' processes, median over "
          "rounds: the import or session creation (load) and the first run at this batch, which "
          "makes the kernels and packs the weights (first), after the engine's libraries are "
          "loaded. **Bold**: least in the row.")
    print()
    table_head(cols)
    for m in models:
        row = {}
        for e in cols:
            v = starts.get((e, m, batch))
            if v:
                row[e] = (statistics.median(x[0] for x in v) * 1e3, statistics.median(x[1] for x in v) * 1e3,
                          statistics.median(x[0] + x[1] for x in v) * 1e3)
        if not row:
            continue
        least = min(v[2] for v in row.values())
        ref = row.get("cnnfilt")
        cells = []
        for e in cols:
            if e not in row:
                cells.append("—")
                continue
            load, first, total = row[e]
            c = "%.0f + %.0f = %.0f" % (load, first, total)
            if ref and e != "cnnfilt":
                c += " ×%.2f" % (total / ref[2])
            cells.append("**%s**" % c if total == least and len(row) > 1 else c)
        print("| %s | %d | %s |" % (MODELS.get(m, m), batch, " | ".join(cells)))
    print()


def main(argv):
    if len(argv) == 3 and argv[1] == "--ort-graphs":
        ort_graphs(argv[2])
        return 0
    if len(argv) != 3:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    rdir, mdir = argv[1], argv[2]
    times = defaultdict(list)          # (engine, model, N) -> [ms per batch, one per round]
    skips = {}                         # (engine, model, N) -> reason
    notes = {}                         # (engine, model, N) -> the R line's note
    starts = defaultdict(list)         # (engine, model, N) -> [(load s, first run s), one per round]
    infos = defaultdict(dict)          # engine -> key -> value
    kern = defaultdict(lambda: defaultdict(dict))   # engine -> what -> model -> summary
    rounds = set()
    for f in sorted(glob.glob(os.path.join(rdir, "round*-*.tsv"))):
        rounds.add(os.path.basename(f).split("-")[0])
        for p in lines(f):
            if p[0] == "R" and len(p) >= 6:
                times[(p[1], p[2], int(p[3]))].append(float(p[4]))
                if len(p) >= 7:
                    notes[(p[1], p[2], int(p[3]))] = p[6]
                    load = re.search(r"\bload ([0-9.]+) s", p[6])
                    first = re.search(r"\bfirst run ([0-9.]+) s", p[6])
                    if load and first:
                        starts[(p[1], p[2], int(p[3]))].append((float(load.group(1)), float(first.group(1))))
            elif p[0] == "S" and len(p) >= 5:
                skips[(p[1], p[2], int(p[3]))] = p[4]
            elif p[0] == "I" and len(p) >= 4:
                infos[p[1]][p[2]] = p[3]
    for f in sorted(glob.glob(os.path.join(rdir, "probe-*.tsv"))):
        for p in lines(f):
            if p[0] == "K" and len(p) >= 5:
                kern[p[1]][p[3]][p[2]] = p[4]
            elif p[0] == "I" and len(p) >= 4:
                infos[p[1]].setdefault(p[2], p[3])
            elif p[0] == "S" and len(p) >= 5:
                skips.setdefault((p[1], p[2], int(p[3])), p[4])
    env = [p for p in lines(os.path.join(rdir, "env.tsv"))] if os.path.exists(os.path.join(rdir, "env.tsv")) else []

    med = {k: statistics.median(v) for k, v in times.items()}
    mem_path = os.path.join(rdir, "memory.tsv")
    peak = {(p[1], p[2], int(p[3])): int(p[4]) / 1024 for p in lines(mem_path) if p[0] == "M" and len(p) >= 5} \
        if os.path.exists(mem_path) else {}
    keys = set(med) | set(skips) | set(peak)
    engines = [e for e in ENGINES if any(k[0] == e for k in keys)]
    engines += sorted({k[0] for k in keys} - set(engines))
    models = [m for m in MODELS if any(k[1] == m for k in keys)]
    models += sorted({k[1] for k in keys} - set(models))
    batches = sorted({k[2] for k in keys})

    # logits against PyTorch's float64 ones
    errs = {}
    for f in glob.glob(os.path.join(rdir, "logits", "round*-*.f32")):
        base = os.path.basename(f)[:-4]
        rest, b = base.rsplit("-b", 1)
        n = int(b)
        rest = rest.split("-", 1)[1]                 # drop roundR
        model = next((m for m in models if rest.endswith("-" + m)), None)
        if model is None:
            continue
        eng = rest[:-len(model) - 1]
        exp = os.path.join(mdir, model, "expected.npy")
        if not os.path.exists(exp):
            continue
        want = np.load(exp)
        want = want[[i % len(want) for i in range(n)]].reshape(n, -1)
        got = np.fromfile(f, dtype="<f4")
        e = rel_err(got.reshape(n, -1), want) if got.size == want.size else float("inf")
        errs[(eng, model, n)] = max(errs.get((eng, model, n), 0.0), e)

    threads = next((p[3] for p in env if len(p) >= 4 and p[2] == "threads"), "?")
    if med or skips:
        print("## Whole models, %s threads, ms per image (×ratio = engine time / cnnfilt time)" % threads)
        print()
        print("Rounds: %d. Each figure: median over rounds of each round's median time per batch, "
              "divided by the batch size. **Bold**: fastest in the row. "
              "Cells whose logits are off PyTorch's by more than %.0e (second table) "
              "show ⚠ instead of a figure." % (len(rounds), ERR_MAX))
        print()
        table_head(engines)
        for m in models:
            for n in batches:
                row = {e: med.get((e, m, n)) for e in engines}
                if all(v is None for v in row.values()) and not any((e, m, n) in skips for e in engines):
                    continue
                wrong = {e for e in engines if errs.get((e, m, n), 0.0) > ERR_MAX}
                ref = row.get("cnnfilt") if "cnnfilt" not in wrong else None
                best = min((v for e, v in row.items() if v is not None and e not in wrong), default=None)
                cells = []
                for e in engines:
                    t = row[e]
                    if t is None:
                        cells.append(short(skips.get((e, m, n), "—")))
                        continue
                    if e in wrong:
                        cells.append("⚠ wrong logits (max rel err %.1e), %.2f not counted" % (errs[(e, m, n)], t / n))
                        continue
                    c = "%.2f" % (t / n)
                    if ref is not None and e != "cnnfilt":
                        c += " ×%.2f" % (t / ref)
                    if t == best and sum(v is not None for v in row.values()) > 1:
                        c = "**%s**" % c
                    if (e, m, n) not in errs:
                        c += " (logits unchecked)"
                    if "frozen only" in notes.get((e, m, n), ""):
                        c += " (frozen only)"
                    cells.append(c)
                print("| %s | %d | %s |" % (MODELS.get(m, m), n, " | ".join(cells)))
        print()

        print("### Logits against PyTorch's (max relative error)")
        print()
        print("Every engine's logits on the same images, against PyTorch's float64 logits from "
              "tests/models/make-models.py (`expected.npy`), by tests/models/test-models.py's measure "
              "(|got − want| / max(|want|, 0.1 · peak |want| of the image)); the largest over rounds. "
              "float32 engines land at 1e-6…1e-4.")
        print()
        table_head(engines)
        for m in models:
            for n in batches:
                cells = []
                for e in engines:
                    v = errs.get((e, m, n))
                    if v is None:
                        cells.append("—")
                    else:
                        cells.append(("**%.1e ⚠**" if v > ERR_MAX else "%.1e") % v)
                if any(c != "—" for c in cells):
                    print("| %s | %d | %s |" % (MODELS.get(m, m), n, " | ".join(cells)))
        print()

    if starts:
        start_table(starts, engines, models, min(batches))
    memory_table(peak, engines, models, batches)

    spread = [((max(v) - min(v)) / statistics.median(v), k) for k, v in times.items() if len(v) > 1]
    if spread:
        s, k = max(spread)
        print("Round-to-round spread: largest (max − min) / median is %.0f%% (%s %s batch %d); "
              "median over cells %.0f%%." % (100 * s, k[0], k[1], k[2],
                                             100 * statistics.median(x for x, _ in spread)))
        print()

    print("### What ran")
    print()
    for p in env:
        if p[0] == "I" and len(p) >= 4:
            print("- %s: %s" % (p[2], p[3]))
    for e in engines:
        for key, val in infos.get(e, {}).items():
            print("- %s %s: %s" % (e, key, val))
        for what, per_model in kern.get(e, {}).items():
            vals = list(per_model.items())
            if len(set(v for _, v in vals)) == 1 and len(vals) > 1:
                print("- %s %s (all models): %s" % (e, what, vals[0][1]))
            else:
                for model, v in vals:
                    print("- %s %s, %s: %s" % (e, what, MODELS.get(model, model), v))
    for (e, m, n), note in sorted(notes.items()):
        if "frozen only" in note:
            print("- %s %s batch %d: %s" % (e, MODELS.get(m, m), n, note[note.index("frozen only"):]))
    for (e, m, n), reason in sorted(skips.items()):
        if (e, m, n) not in med:
            print("- %s %s batch %d not timed: %s" % (e, MODELS.get(m, m), n, reason))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
