#!/usr/bin/python3
"""Where the time goes in one model: cnnfilt's per-node profile against ONNX
Runtime's. profile.sh runs the two halves and then the report:

    /usr/bin/python3 profile_nodes.py cnnfilt MODEL_DIR MODEL BATCH RUNS THREADS
        (with libcnnfilt's environment: GI_TYPELIB_PATH, LD_LIBRARY_PATH,
        CNNFILT_PLUGIN_PATH) prints cnnfilt's CNNFILT_PROFILE tables on stderr
    /usr/bin/python3 profile_nodes.py report PROFILE_DIR MODEL_DIR "MODELS" "BATCHES" THREADS
        prints the markdown summary (profile.sh writes it to
        results/profile-Nt.md)

cnnfilt times each node of a graph when CNNFILT_PROFILE is set when the
graph is made, and prints ms per run of each node when the graph is freed,
over the runs after the first since the graph was prepared (the first
makes the oneDNN primitives and packs the weights, which takes longer than
many steady runs; the library reports it apart). The cnnfilt half makes
two graphs of the model in one process: one unprofiled, run once (it
fills oneDNN's primitive cache), then one profiled, run 1 + RUNS times,
whose table is the steady time of each node.

ONNX Runtime (ort.js --profile) writes a Chrome trace with one event per
node and run (its optimised graph: fused and NCHWc nodes); the report keeps
the runs after ort.js's warm-up.

The report gives, per model and batch, each engine's sum of node times per
run, the time by kind of work (convolutions split by shape: dense k×k,
pointwise 1×1, depthwise, grouped; elementwise; normalisation; layout
reorders; ...) and by op, and the slowest nodes.
"""
import glob
import json
import os
import re
import sys
from collections import defaultdict

MODELS = {"resnet18": "ResNet-18", "vgg16": "VGG-16", "alexnet": "AlexNet", "mobilenet_v2": "MobileNetV2",
          "resnet50": "ResNet-50", "efficientnet_b0": "EfficientNet-B0",
          "mobilenet_v3_large": "MobileNetV3-large", "convnext_tiny": "ConvNeXt-tiny",
          "regnet_y_800mf": "RegNetY-800MF", "vit_b_16": "ViT-B/16", "swin_t": "Swin-T"}
TOP_NODES = 8


# ------------------------------------------------------------ cnnfilt half

def run_cnnfilt(model_dir, model, batch, runs, threads):
    import gc
    import numpy as np
    import gi
    gi.require_version("Cnnfilt", "1.0")
    gi.require_version("GLib", "2.0")
    from gi.repository import Cnnfilt as C, GLib
    C.init()
    device = C.Device.new_from_string("cpu")
    device.props.n_threads = threads
    path = os.path.join(model_dir, model, "model.onnx")
    images = np.load(os.path.join(model_dir, model, "input.npy"))
    x = np.ascontiguousarray(images[[i % len(images) for i in range(batch)]], dtype=np.float32)
    tensor = C.Tensor.new_from_bytes(GLib.Bytes(x.tobytes()), *x.shape)

    def graph_run(n, label):
        graph = C.Graph.new_from_onnx_file(path)
        graph.set_device(device)
        for _ in range(n):
            graph.run([tensor])
        del graph
        gc.collect()
        print("== %s %d" % (label, n), file=sys.stderr, flush=True)

    os.environ.pop("CNNFILT_PROFILE", None)
    graph_run(1, "warm")
    os.environ["CNNFILT_PROFILE"] = "1"      # read by each graph as it is made
    graph_run(1 + runs, "B")


def parse_cnnfilt(path):
    """{label: (runs, [(name, op, shape, ms per run)])} of a cnnfilt half's
    stderr."""
    blocks, rows = {}, []
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("cnnfilt profile:"):
                rows = []
                continue
            m = re.match(r"== (\w+) (\d+)$", line.strip())
            if m:
                blocks[m.group(1)] = (int(m.group(2)), rows)
                rows = []
                continue
            m = re.match(r"\s*([\d.]+) ms\s+[\d.]+%\s+(.*?)\s+(\S+)\s+(\d+(?:x\d+)*)\s*$", line)
            if m:
                rows.append((m.group(2), m.group(3), m.group(4), float(m.group(1))))
    return blocks


def cnnfilt_steady(path):
    """[(name, op, shape, steady ms per run)] and the number of runs, or None:
    the profiled graph's table, which leaves its first run out."""
    blocks = parse_cnnfilt(path)
    if "B" not in blocks:
        return None, 0
    nb, rows_b = blocks["B"]
    return list(rows_b), nb - 1


# ------------------------------------------------------------ ORT half

def ort_runs(tsv):
    """{(model, batch): runs kept} from the P lines of ort.js --profile."""
    kept = {}
    if os.path.exists(tsv):
        with open(tsv) as f:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if p[0] == "P" and len(p) >= 6:
                    kept[(p[2], int(p[3]))] = int(p[5])
    return kept


def ort_steady(trace, keep_runs):
    """[(name, op, shape, ms per run, conv kind)] over the last KEEP_RUNS
    runs of an ORT profile (the others are ort.js's warm-up), and the number
    of runs kept."""
    with open(trace) as f:
        events = json.load(f)
    runs = sorted((e["ts"], e["ts"] + e["dur"]) for e in events
                  if e.get("cat") == "Session" and e.get("name") == "model_run")
    keep = runs[-keep_runs:] if keep_runs else runs[3:]
    if not keep:
        return None, 0
    total = defaultdict(float)
    info = {}
    for e in events:
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        if not any(a <= e["ts"] <= b for a, b in keep):
            continue
        name = e["name"][:-len("_kernel_time")]
        total[name] += e["dur"]
        if name not in info:
            args = e.get("args", {})
            ins = [list(t.values())[0] for t in args.get("input_type_shape", [])]
            outs = [list(t.values())[0] for t in args.get("output_type_shape", [])]
            ck = None
            if args.get("op_name") in ("Conv", "FusedConv") and len(ins) >= 2 and len(ins[1]) == 4:
                ck = conv_kind_of(ins[0][1] if len(ins[0]) > 1 else 0, ins[1])
            info[name] = (args.get("op_name", "?"), "x".join(map(str, outs[0])) if outs else "", ck)
    return [(n, info[n][0], info[n][1], us / 1e3 / len(keep), info[n][2]) for n, us in total.items()], len(keep)


# ------------------------------------------------------------ kinds of work

def conv_kind_of(in_channels, w, group=None):
    """dense k×k, pointwise 1×1, depthwise, grouped, from the weight shape
    (out, in / group, kh, kw) and the input channels (or the group)."""
    if group is None:
        group = max(1, in_channels // w[1]) if w[1] else 1
    k = "%dx%d" % (w[2], w[3])
    if group > 1 and w[1] == 1:
        return "conv depthwise " + k
    if group > 1:
        return "conv grouped " + k
    return "conv pointwise 1x1" if k == "1x1" else "conv dense " + k


def onnx_convs(model_path):
    """The kind of every Conv of the ONNX file by node name, with maps to
    find the Conv of a fused node: cnnfilt names a fused node after its
    last ONNX node (a conv + bias + ReLU after the Relu)."""
    import onnx
    g = onnx.load(model_path, load_external_data=False).graph
    shapes = {i.name: list(i.dims) for i in g.initializer}
    producer, by_name, kinds = {}, {}, {}
    for n in g.node:
        by_name[n.name] = n
        for o in n.output:
            producer[o] = n
        if n.op_type == "Conv" and n.input[1] in shapes:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            kinds[n.name] = conv_kind_of(0, shapes[n.input[1]], attrs.get("group", 1))
    return kinds, by_name, producer


def conv_of(name, kinds, by_name, producer, depth=3):
    """The kind of the Conv nearest above ONNX node NAME (breadth first)."""
    level = [by_name[name]] if name in by_name else []
    for _ in range(depth + 1):
        for n in level:
            if n.name in kinds:
                return kinds[n.name]
        level = [producer[i] for n in level for i in n.input if i in producer]
    return None


KIND_OF_OP = [   # (regex on the op's name, lower case) -> kind of work
    (r"(reorder.*|transpose|reshape|flatten|concat|copy|memcpy.*|squeeze|unsqueeze)$",
     "layout (reorder, transpose, reshape)"),
    (r"(gemm|matmul|linear|fusedmatmul|fusedgemm)$", "matmul / fully connected"),
    (r"(layer-?norm.*|layernormalization|batchnorm.*|batchnormalization|reduce-?mean|sub|pow|sqrt|div"
     r"|instance.*|simplifiedlayernormalization)$", "normalisation (and its parts)"),
    (r".*pool.*$", "pooling"),
    (r"(relu|clip|sigmoid|hard-?sigmoid|hard-?swish|erf|gelu|silu|swish|tanh|mul|add|sum"
     r"|biasgelu|fastgelu|quickgelu)$", "elementwise (activations, mul, add)"),
]


def kind(row, model_kinds):
    name, op, ck = row[0], row[1], row[4] if len(row) > 4 else None
    if op.lower() in ("conv", "fusedconv", "conv2d"):
        return ck or conv_of(name, *model_kinds) or "conv (unmatched)"
    for rx, k in KIND_OF_OP:
        if re.match(rx, op.lower()):
            return k
    return "other (%s)" % op


def summarise(rows, model_kinds):
    by_kind, by_op = defaultdict(float), defaultdict(float)
    for row in rows:
        by_kind[kind(row, model_kinds)] += row[3]
        by_op[row[1]] += row[3]
    return by_kind, by_op


def pct(x, total):
    return "%.1f%%" % (100 * x / total) if total else "—"


def report(prof_dir, model_dir, models, batches, threads):
    print("## Where the time goes, %s thread%s: cnnfilt (`CNNFILT_PROFILE=1`) against ONNX Runtime's profiler"
          % (threads, "" if threads == "1" else "s"))
    print()
    print("Per node, ms per run, summed over the nodes of each engine's own graph after its fusions "
          "(cnnfilt: conv with bias, activation and residual add fused; ORT: `FusedConv`, NCHWc "
          "`Conv` with `ReorderInput`/`ReorderOutput` around NCHWc regions; cnnfilt has no reorder "
          "nodes: the oneDNN reorders it needs run inside its conv2d nodes and count there). "
          "cnnfilt's first run "
          "(primitive creation, weight packing) is left out by the library's profile; ORT's warm-up "
          "runs are dropped. Sums of node times leave out the time between nodes (each engine's own "
          "overhead), so they are a little under the benchmark's wall-clock figures. Each profile is "
          "one process on a shared machine: compare shares within a column more than absolute ms "
          "across engines.")
    print()
    kept = ort_runs(os.path.join(prof_dir, "ort.tsv"))
    for model in models:
        mk = onnx_convs(os.path.join(model_dir, model, "model.onnx"))
        for n in batches:
            cf, cf_runs = cnnfilt_steady(os.path.join(prof_dir, "cnnfilt-%s-b%d.err" % (model, n)))
            traces = sorted(glob.glob(os.path.join(prof_dir, "ort", "%s-b%d_*.json" % (model, n))))
            ort, ort_n = ort_steady(traces[-1], kept.get((model, n), 0)) if traces else (None, 0)
            print("### %s, batch %d" % (MODELS.get(model, model), n))
            print()
            if cf is None:
                print("- cnnfilt: no profile (see %s)" % os.path.join(prof_dir, "cnnfilt-%s-b%d.err" % (model, n)))
            if ort is None:
                print("- ONNX Runtime: no profile (see %s)" % os.path.join(prof_dir, "ort.err"))
            if cf is None and ort is None:
                print()
                continue
            tot_c = sum(r[3] for r in cf) if cf else 0.0
            tot_o = sum(r[3] for r in ort) if ort else 0.0
            kc, oc = summarise(cf, mk) if cf else ({}, {})
            ko, oo = summarise(ort, mk) if ort else ({}, {})
            print("Sum of node times per run: cnnfilt **%.2f ms** (%d nodes, %d runs), "
                  "ONNX Runtime **%.2f ms** (%d nodes, %d runs)%s." % (
                      tot_c, len(cf or []), cf_runs, tot_o, len(ort or []), ort_n,
                      ", ratio cnnfilt / ORT %.2f" % (tot_c / tot_o) if tot_c and tot_o else ""))
            print()
            print("| kind of work | cnnfilt ms | share | ORT ms | share | cnnfilt − ORT ms |")
            print("|---|--:|--:|--:|--:|--:|")
            for k in sorted(set(kc) | set(ko), key=lambda k: -max(kc.get(k, 0), ko.get(k, 0))):
                c, o = kc.get(k, 0.0), ko.get(k, 0.0)
                print("| %s | %.2f | %s | %.2f | %s | %+.2f |" % (k, c, pct(c, tot_c), o, pct(o, tot_o), c - o))
            print()
            print("By op: cnnfilt %s; ORT %s." % (
                ", ".join("%s %.2f ms (%s)" % (op, ms, pct(ms, tot_c))
                          for op, ms in sorted(oc.items(), key=lambda kv: -kv[1])[:8]) or "—",
                ", ".join("%s %.2f ms (%s)" % (op, ms, pct(ms, tot_o))
                          for op, ms in sorted(oo.items(), key=lambda kv: -kv[1])[:8]) or "—"))
            print()
            print("Slowest nodes:")
            print()
            print("| cnnfilt node | op | shape | ms | ORT node | op | shape | ms |")
            print("|---|---|---|--:|---|---|---|--:|")
            top_c = sorted(cf or [], key=lambda r: -r[3])[:TOP_NODES]
            top_o = sorted(ort or [], key=lambda r: -r[3])[:TOP_NODES]
            for i in range(max(len(top_c), len(top_o))):
                c = top_c[i] if i < len(top_c) else ("", "", "", None)
                o = top_o[i] if i < len(top_o) else ("", "", "", None)
                print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    c[0], c[1], c[2], "%.3f" % c[3] if c[3] is not None else "",
                    o[0], o[1], o[2], "%.3f" % o[3] if o[3] is not None else ""))
            print()


def main(argv):
    if len(argv) == 7 and argv[1] == "cnnfilt":
        run_cnnfilt(argv[2], argv[3], int(argv[4]), int(argv[5]), int(argv[6]))
        return 0
    if len(argv) == 7 and argv[1] == "report":
        report(argv[2], argv[3], argv[4].split(), [int(b) for b in argv[5].split(",")], argv[6])
        return 0
    print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
