#!/usr/bin/python3
"""Python engines of bench/models: times whole ONNX models with one engine.

    /usr/bin/python3 bench.py ENGINE MODEL_DIR [--models "resnet18 vgg16"]
        [--batches 1,8] [--threads 2] [--min-time 0.5] [--min-reps 5]
        [--slow-reps 3] [--logits PREFIX] [--probe]

ENGINE is one of
  cnnfilt   Cnnfilt.Graph.new_from_onnx_file + Cnnfilt.Graph.run (GObject
            introspection; needs GI_TYPELIB_PATH, LD_LIBRARY_PATH and
            CNNFILT_PLUGIN_PATH pointing at a libcnnfilt build)
  torch     PyTorch eager, the ONNX graph mapped onto torch.nn.functional by
            onnx_torch.py, NCHW tensors, under torch.no_grad()
  torch-cl  the same with the input and the conv weights channels-last
  torch-jit the torchvision module itself, rebuilt with the ONNX file's
            weights by tests/models/make-models.py's build(), traced,
            frozen and optimised for inference (TorchScript), channels-last,
            under torch.inference_mode()
  opencv    cv2.dnn.readNetFromONNX, DNN_BACKEND_OPENCV, DNN_TARGET_CPU

Each model is MODEL_DIR/NAME/model.onnx as tests/models/make-models.py
writes it, with its input.npy (4 images of N(0, 1) noise). Batch N is images
0, 1, 2, 3, 0, 1, ... so that every engine sees the same pixels and the
logits can be checked against expected.npy (report.py does that from the
files --logits PREFIX writes: PREFIX-NAME-bN.f32, raw float32).

Timing: warm-up runs until >= 2 runs and >= 0.2 s (the first run at a batch
size prepares the graph), then timed runs until >= --min-time seconds and
>= --min-reps runs (--slow-reps when a warm-up run took over 1 s: VGG-16 at
batch 8 in PyTorch and OpenCV takes ~2 s a batch); the figure is the median.

Output, tab-separated, like bench/layers:
  I ENGINE KEY VALUE             what the engine is and how it was set up
  R ENGINE MODEL N MS REPS NOTE  median milliseconds per batch of N
  S ENGINE MODEL N REASON        not timed (import or run failed)
  K ENGINE MODEL WHAT SUMMARY    kernels that ran (--probe only)
With --probe nothing is timed: each model runs once at batch 1 to warm up
and once more with oneDNN's verbose mode on (cnnfilt, torch), whose exec
lines are summarised as primitive/implementation counts.
"""
import argparse
import ctypes
import os
import re
import statistics
import sys
import time
import traceback
import warnings
from collections import Counter

REPO_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from capture import capture_fd as _capture_fd  # noqa: E402

import numpy as np


ERR_MAX = 1e-3   # report.py's: logits further off than this are wrong

# the models of run.sh, all exported by tests/models/make-models.py
MODELS = ["resnet18", "vgg16", "alexnet", "mobilenet_v2", "resnet50", "efficientnet_b0",
          "mobilenet_v3_large", "convnext_tiny", "regnet_y_800mf"]


def out(*fields):
    print("\t".join(str(f).replace("\t", " ").replace("\n", " ") for f in fields), flush=True)


def one_line(text, limit=300):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def time_it(fn, min_time, min_reps, slow_reps):
    warm = []
    t0 = time.perf_counter()
    while len(warm) < 2 or time.perf_counter() - t0 < 0.2:
        a = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - a)
    reps = slow_reps if min(warm) > 1.0 else min_reps
    times = []
    start = time.perf_counter()
    while len(times) < reps or time.perf_counter() - start < min_time:
        a = time.perf_counter()
        fn()
        times.append(time.perf_counter() - a)
    return statistics.median(times), len(times)


def batch_of(images, n):
    return np.ascontiguousarray(images[[i % len(images) for i in range(n)]], dtype=np.float32)


# ------------------------------------------------------------ kernel probes

def capture_fd(fd, echo=False):
    """bench/capture.py's, with this script's default for echo."""
    return _capture_fd(fd, echo=echo)


def dnnl_lib():
    """The oneDNN library already loaded in this process (Debian's
    libdnnl.so.2, shared by cnnfilt's cnn plugin and PyTorch), or None."""
    with open("/proc/self/maps") as f:
        paths = {l.split()[-1] for l in f if "libdnnl.so" in l}
    return ctypes.CDLL(sorted(paths)[0]) if paths else None


def dnnl_verbose_summary(run):
    """Runs run() with oneDNN verbose mode on; returns 'kind impl ×n, ...'
    over its exec lines, and the ISA line oneDNN prints."""
    lib = dnnl_lib()
    if lib is None:
        return None, None
    with capture_fd(1) as text:
        lib.dnnl_set_verbose(1)
        try:
            run()
        finally:
            lib.dnnl_set_verbose(0)
    counts = Counter()
    isa = None
    for line in text[0].splitlines():
        p = line.split(",")
        if len(p) > 4 and p[0] in ("onednn_verbose", "dnnl_verbose") and p[1] == "exec":
            counts["%s %s" % (p[3], p[4])] += 1
        elif len(p) > 3 and p[1] == "info" and p[3].startswith("isa:"):
            isa = p[3][4:]
    summary = ", ".join("%s ×%d" % kv for kv in counts.most_common())
    return summary or "no oneDNN primitive ran", isa


def openblas_corename():
    with open("/proc/self/maps") as f:
        paths = {l.split()[-1] for l in f if "libopenblas" in l}
    if not paths:
        return "libopenblas not loaded"
    lib = ctypes.CDLL(sorted(paths)[0])
    lib.openblas_get_corename.restype = ctypes.c_char_p
    lib.openblas_get_config.restype = ctypes.c_char_p
    return "%s (%s)" % (lib.openblas_get_corename().decode(), lib.openblas_get_config().decode())


# ------------------------------------------------------------ engines

class Cnnfilt:
    name = "cnnfilt"

    def __init__(self, threads):
        import gi
        gi.require_version("Cnnfilt", "1.0")
        gi.require_version("GLib", "2.0")
        from gi.repository import Cnnfilt as C, GLib
        self.C, self.GLib = C, GLib
        C.init()
        # the thread count is the CPU device's, handed to each op as it runs
        self.device = C.Device.new_from_string("cpu")
        self.device.props.n_threads = threads
        out("I", self.name, "version", "%s (%s)" % (C.VERSION, os.path.realpath(
            os.path.join(os.environ.get("LD_LIBRARY_PATH", "").split(":")[0], "libcnnfilt-1.0.so"))))
        out("I", self.name, "threads", "cpu device n-threads = %d; OMP_NUM_THREADS=%s"
            % (self.device.props.n_threads, os.environ.get("OMP_NUM_THREADS", "(unset)")))
        out("I", self.name, "plugins", os.environ.get("CNNFILT_PLUGIN_PATH", "(default)"))

    def load(self, path):
        try:
            graph = self.C.Graph.new_from_onnx_file(path)
        except self.GLib.Error as e:
            raise ImportFailed(e.message)
        graph.set_device(self.device)
        return graph

    def prepare(self, graph, x):
        t = self.C.Tensor.new_from_bytes(self.GLib.Bytes(x.tobytes()), *x.shape)
        # run() keeps its output tensors when nothing else holds them: no
        # allocation per run; the logits are read after the timing
        return lambda: graph.run([t])

    def logits(self, graph, x, run):
        run()
        o = graph.get_output(0)
        return np.frombuffer(o.get_bytes().get_data(), dtype=np.float32).reshape(x.shape[0], -1).copy()

    def probe(self, model, graph, x):
        run = self.prepare(graph, x)
        run()
        summary, isa = dnnl_verbose_summary(run)
        if isa:
            out("K", self.name, model, "oneDNN ISA", isa)
        out("K", self.name, model, "oneDNN exec", summary or "libdnnl not loaded")
        ops = Counter()
        for name in graph.get_node_names():
            op = graph.get_op(name)
            ops[op.get_name() if op is not None else "(input)"] += 1
        out("K", self.name, model, "graph nodes", ", ".join("%s ×%d" % kv for kv in ops.most_common()))


class Torch:
    def __init__(self, threads, channels_last):
        import torch
        self.torch = torch
        from onnx_torch import OnnxTorch
        self.OnnxTorch = OnnxTorch
        self.channels_last = channels_last
        self.name = "torch-cl" if channels_last else "torch"
        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        out("I", self.name, "version", torch.__version__)
        out("I", self.name, "threads", "torch.set_num_threads(%d): get_num_threads() = %d"
            % (threads, torch.get_num_threads()))
        out("I", self.name, "mode", "eager, torch.no_grad(), ONNX graph mapped by onnx_torch.py, %s"
            % ("input and conv weights channels_last" if channels_last else "NCHW (contiguous)"))
        cfg = torch.__config__.show()
        keep = [l.strip(" -") for l in cfg.splitlines() if "Build settings" not in l and any(k in l for k in ("MKL-DNN", "oneDNN", "CPU capability", "OpenMP", "LAPACK"))]
        keep += [kv.strip() for kv in cfg.replace("\n", ",").split(",")
                 if kv.strip().startswith(("BLAS_INFO", "USE_MKLDNN", "USE_OPENMP", "USE_NNPACK",
                                           "PERF_WITH_AVX512"))]
        out("I", self.name, "torch.__config__.show()", "; ".join(keep))
        out("I", self.name, "mkldnn", "available=%s enabled=%s" % (torch.backends.mkldnn.is_available(),
                                                                 torch.backends.mkldnn.enabled))

    def load(self, path):
        try:
            return self.OnnxTorch(path, channels_last=self.channels_last)
        except NotImplementedError as e:
            raise ImportFailed(str(e))

    def prepare(self, runner, x):
        t = self.torch.from_numpy(x)

        def run():
            with self.torch.no_grad():
                return runner(t)
        return run

    def logits(self, runner, x, run):
        return run().contiguous().numpy().reshape(x.shape[0], -1).copy()

    def probe(self, model, runner, x):
        run = self.prepare(runner, x)
        run()
        summary, isa = dnnl_verbose_summary(run)
        if isa:
            out("K", self.name, model, "oneDNN ISA", isa)
        out("K", self.name, model, "oneDNN exec", summary or "libdnnl not loaded")
        with self.torch.autograd.profiler.profile() as prof:
            run()
        ops = Counter()
        for e in prof.function_events:
            if any(k in e.name for k in ("conv", "mkldnn", "thnn", "addmm", "linear", "matmul", "pool",
                                          "hardtanh", "relu", "add")):
                ops[e.name] += 1
        out("K", self.name, model, "aten ops", ", ".join("%s ×%d" % kv for kv in sorted(ops.items())))
        out("K", self.name, model, "OpenBLAS (addmm)", openblas_corename())


class TorchJit:
    """The torchvision module itself, rebuilt with the weights of the ONNX
    file by tests/models/make-models.py's build() (same constructor, seed,
    batch-norm randomisation), then traced, frozen and optimised for
    inference (TorchScript), channels-last, under torch.inference_mode():
    PyTorch's own graph and its recommended path for CPU inference."""
    name = "torch-jit"

    def __init__(self, threads):
        import importlib.util
        import torch
        self.torch = torch
        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        path = os.path.join(REPO_ROOT, "tests", "models", "make-models.py")
        spec = importlib.util.spec_from_file_location("make_models", path)
        self.mm = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.mm)
        out("I", self.name, "version", torch.__version__)
        out("I", self.name, "threads", "torch.set_num_threads(%d): get_num_threads() = %d"
            % (threads, torch.get_num_threads()))
        out("I", self.name, "mode", "torchvision module rebuilt by tests/models/make-models.py build() "
            "(the ONNX file's weights: same seed and batch-norm statistics), torch.jit.trace at each "
            "batch size -> torch.jit.freeze (folds batch norm into the convolutions) -> "
            "torch.jit.optimize_for_inference, module and input channels_last, torch.inference_mode()")
        out("I", self.name, "mkldnn", "available=%s enabled=%s" % (torch.backends.mkldnn.is_available(),
                                                                 torch.backends.mkldnn.enabled))

    def load(self, path):
        name = os.path.basename(os.path.dirname(os.path.abspath(path)))
        models = self.mm.MODELS
        if name not in models:
            raise ImportFailed("%s is not a model of tests/models/make-models.py" % name)
        constructor, shape = models[name]
        # make-models.py's main(): the seed is 1000 + the model's place in MODELS
        module, _ = self.mm.build(constructor, shape, 1000 + list(models).index(name))
        return {"module": module.to(memory_format=self.torch.channels_last), "jit": {}}

    def compiled(self, net, x):
        """The module traced at X's shape, frozen (batch norm folded into
        the convolutions) and optimised for inference (oneDNN tensors and
        prepacked weights), checked against the frozen module's output on
        X. PyTorch 1.13's optimize_for_inference computes a wrong hard-swish
        (prim::MKLDNNHardSwish_) on oneDNN tensors whose channels are not a
        multiple of 16 (MobileNetV3-large's 200 and 184): where the outputs
        differ, the frozen module is timed instead, and the R line says so."""
        torch = self.torch
        if x.shape not in net["jit"]:
            example = torch.from_numpy(x).contiguous(memory_format=torch.channels_last)
            with torch.no_grad():
                traced = torch.jit.trace(net["module"], example)
                # freeze makes a copy, which optimize_for_inference then changes
                frozen = torch.jit.freeze(traced)
                optimised = torch.jit.optimize_for_inference(torch.jit.freeze(traced))
                with warnings.catch_warnings():
                    # the broken conversion also resizes outputs in place
                    warnings.simplefilter("ignore", UserWarning)
                    want = frozen(example).reshape(x.shape[0], -1).double()
                    got = optimised(example).reshape(x.shape[0], -1).double()
                scale = torch.maximum(want.abs(), 0.1 * want.abs().amax(dim=1, keepdim=True))
                err = ((got - want).abs() / scale).max().item()
            if err <= ERR_MAX:
                net["jit"][x.shape] = optimised, "frozen, optimize_for_inference"
            else:
                net["jit"][x.shape] = frozen, ("frozen only: optimize_for_inference's output is %.1e off "
                                               "the frozen module's" % err)
        return net["jit"][x.shape]

    def prepare(self, net, x):
        torch = self.torch
        fn, how = self.compiled(net, x)
        net["note"] = how
        t = torch.from_numpy(x)

        def run():
            with torch.inference_mode():
                return fn(t.contiguous(memory_format=torch.channels_last))
        return run

    def logits(self, net, x, run):
        return run().contiguous().numpy().reshape(x.shape[0], -1).copy()

    def probe(self, model, net, x):
        run = self.prepare(net, x)
        run()
        summary, isa = dnnl_verbose_summary(run)
        if isa:
            out("K", self.name, model, "oneDNN ISA", isa)
        out("K", self.name, model, "oneDNN exec", summary or "libdnnl not loaded")
        fn, how = self.compiled(net, x)
        out("K", self.name, model, "TorchScript", how)
        graph = fn.graph
        kinds = Counter(n.kind() for n in graph.nodes()
                        if n.kind() not in ("prim::Constant", "prim::GetAttr", "prim::ListConstruct"))
        out("K", self.name, model, "TorchScript graph", ", ".join("%s ×%d" % kv for kv in kinds.most_common()))


class OpenCV:
    name = "opencv"

    def __init__(self, threads):
        import cv2
        self.cv2 = cv2
        cv2.setNumThreads(threads)
        out("I", self.name, "version", cv2.__version__)
        out("I", self.name, "threads", "cv2.setNumThreads(%d): getNumThreads() = %d"
            % (threads, cv2.getNumThreads()))
        out("I", self.name, "net", "cv2.dnn.readNetFromONNX, DNN_BACKEND_OPENCV, DNN_TARGET_CPU, useOptimized=%s"
            % cv2.useOptimized())
        info = cv2.getBuildInformation().splitlines()
        for key in ("Baseline:", "Dispatched code generation:", "Parallel framework:", "Lapack:",
                    "Custom HAL:", "C++ flags (Release):"):
            for l in info:
                if l.strip().startswith(key):
                    v = l.split(":", 1)[1].strip()
                    if key.startswith("C++ flags"):
                        v = " ".join(f for f in v.split() if f.startswith(("-O", "-m")))
                    out("I", self.name, "getBuildInformation " + key.rstrip(":"), v)
                    break

    def load(self, path):
        try:
            net = self.cv2.dnn.readNetFromONNX(path)
        except self.cv2.error as e:
            raise ImportFailed(cv_reason(e, path))
        net.setPreferableBackend(self.cv2.dnn.DNN_BACKEND_OPENCV)
        net.setPreferableTarget(self.cv2.dnn.DNN_TARGET_CPU)
        return net

    def prepare(self, net, x):
        def run():
            net.setInput(x)
            return net.forward()
        return run

    def logits(self, net, x, run):
        return np.array(run(), dtype=np.float32).reshape(x.shape[0], -1)

    def probe(self, model, net, x):
        run = self.prepare(net, x)
        run()
        types = [(t, net.getLayersCount(t)) for t in net.getLayerTypes() if t != "__NetInputLayer__"]
        out("K", self.name, model, "dnn layers", ", ".join("%s ×%d" % kv for kv in types))
        run()
        _, per_layer = net.getPerfProfile()
        freq = self.cv2.getTickFrequency()
        by_type = Counter()
        names = net.getLayerNames()
        for name, ticks in zip(names, np.asarray(per_layer).ravel()):
            by_type[net.getLayer(name).type] += float(ticks) * 1e3 / freq
        if by_type:
            out("K", self.name, model, "ms by layer type (batch 1)",
                ", ".join("%s %.1f" % kv for kv in by_type.most_common()))


class ImportFailed(Exception):
    pass


def run_reason(e):
    """An exception raised by a run, on one line; OpenCV's errors without
    their source path: 'OpenCV 4.6.0 forward: Assertion failed: COND in
    function F'."""
    msg = " ".join(str(e).split())
    m = re.search(r"OpenCV\(([^)]*)\) \S+:\d+: error: \(-?\d+:([^)]*)\) (.*)", msg)
    if m:
        return "OpenCV %s forward: %s: %s" % (m.group(1), m.group(2), m.group(3))
    return "%s: %s" % (type(e).__name__, msg)


def cv_reason(e, path):
    """The useful part of an OpenCV dnn importer error, on one line."""
    import cv2
    msg = " ".join(re.sub(r"(^|\n)[> ]*", " ", str(e)).split())
    node = re.search(r"Node \[([^\]@]+)@[^\]]*\]:\(([^)]*)\)", msg)
    if not node:
        return one_line(msg)
    op, name = node.group(1), node.group(2).replace("onnx_node!", "")
    inner = msg.split("parse error:", 1)[-1]
    inner = re.sub(r"OpenCV\([^)]*\) \S+:\d+: error: \(-?\d+:([^)]*)\)", r"\1:", inner).strip()
    cond = re.search(r"\(expected: '([^']+)'\), where '([^']+)' is (\S+)", inner)
    if cond:
        inner = "requires %s (here %s)" % (cond.group(1), cond.group(3))
    const = ""
    try:   # name the node's inputs that are initializers: OpenCV 4.6 wants those as attributes
        import onnx
        g = onnx.load(path, load_external_data=False).graph
        inits = {i.name for i in g.initializer} | {o for n in g.node if n.op_type == "Constant" for o in n.output}
        n = next(n for n in g.node if n.name == name or (n.output and n.output[0] == name))
        ci = [i for i in n.input if i in inits]
        if ci:
            const = " (constant input%s %s)" % ("s" if len(ci) > 1 else "", ", ".join(ci))
    except Exception:  # noqa: BLE001 - the explanation is optional
        pass
    return one_line("%s node %s%s: OpenCV %s importer: %s" % (op, name, const, cv2.__version__, inner))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", choices=["cnnfilt", "torch", "torch-cl", "torch-jit", "opencv"])
    ap.add_argument("model_dir")
    ap.add_argument("--models", default=" ".join(MODELS))
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--min-reps", type=int, default=5)
    ap.add_argument("--slow-reps", type=int, default=3)
    ap.add_argument("--logits")
    ap.add_argument("--probe", action="store_true")
    a = ap.parse_args()

    if a.engine == "cnnfilt":
        eng = Cnnfilt(a.threads)
    elif a.engine in ("torch", "torch-cl"):
        eng = Torch(a.threads, a.engine == "torch-cl")
    elif a.engine == "torch-jit":
        eng = TorchJit(a.threads)
    else:
        eng = OpenCV(a.threads)
    batches = [int(b) for b in a.batches.split(",")]

    for model in a.models.split():
        folder = os.path.join(a.model_dir, model)
        path = os.path.join(folder, "model.onnx")
        if not os.path.exists(path):
            for n in batches:
                out("S", eng.name, model, n, "model missing: %s" % path)
            continue
        images = np.load(os.path.join(folder, "input.npy"))
        try:
            t0 = time.perf_counter()
            net = eng.load(path)
            load_s = time.perf_counter() - t0
        except ImportFailed as e:
            for n in batches:
                out("S", eng.name, model, n, "import failed: " + one_line(e))
            continue
        except Exception as e:  # noqa: BLE001 - reported, the other models go on
            for n in batches:
                out("S", eng.name, model, n, "import failed: " + one_line("%s: %s" % (type(e).__name__, e)))
            continue
        if a.probe:
            try:
                eng.probe(model, net, batch_of(images, 1))
            except Exception:  # noqa: BLE001
                out("K", eng.name, model, "probe failed", one_line(traceback.format_exc().splitlines()[-1]))
            del net
            continue
        for n in batches:
            x = batch_of(images, n)
            try:
                run = eng.prepare(net, x)
                t0 = time.perf_counter()
                run()            # the first at this batch: kernels made, weights packed
                first_s = time.perf_counter() - t0
                t, reps = time_it(run, a.min_time, a.min_reps, a.slow_reps)
                if a.logits:
                    eng.logits(net, x, run).astype("<f4").tofile("%s-%s-b%d.f32" % (a.logits, model, n))
            except Exception as e:  # noqa: BLE001
                out("S", eng.name, model, n, "run failed: " + one_line(run_reason(e)))
                continue
            note = "load %.3f s; first run %.3f s" % (load_s, first_s)
            if isinstance(net, dict) and net.get("note"):
                note += "; " + net["note"]
            out("R", eng.name, model, n, "%.4f" % (t * 1e3), reps, note)
        del net


if __name__ == "__main__":
    main()
