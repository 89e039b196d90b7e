#!/usr/bin/python3
"""Python side of bench/opencl: one timed case per process.

    bench.py info
    bench.py pngdiff A.png B.png
    bench.py filter DEVICE [--pipeline sobel] [--size 4096] [--chain 10]
                    [--min-time 1] [--min-reps 5] [--warm-only]
    bench.py model ENGINE MODEL_DIR MODEL BATCH [--min-time 0.5]
                   [--min-reps 5] [--slow-reps 3] [--ocv-cl-reps 2]
                   [--warm-only | --serve]

DEVICE is a cnnfilt device spec (cpu, opencl, opencl:0:0). ENGINE is one of
  cnnfilt-cpu     Cnnfilt.Graph.new_from_onnx_file on the cpu device
  cnnfilt-opencl  the same on the opencl device (BENCH_OPENCL_DEVICE, default
                  "opencl": the first OpenCL device)
  opencv-opencl   cv2.dnn.readNetFromONNX, DNN_BACKEND_OPENCV, DNN_TARGET_OPENCL
                  (run.sh sets OPENCV_OPENCL_DEVICE and
                  OPENCV_DNN_OPENCL_ALLOW_ALL_DEVICES=1 so that it runs on PoCL)
  opencv-cpu      the same with DNN_TARGET_CPU

cnnfilt needs GI_TYPELIB_PATH, LD_LIBRARY_PATH and CNNFILT_PLUGIN_PATH
pointing at a libcnnfilt build (run.sh sets them).

filter: a graph made with Cnnfilt.Graph.new_from_string(PIPELINE) on one
1x1xSIZExSIZE float32 tensor of seeded uniform noise. After a warm-up (the
first process() prepares the graph and, on OpenCL, builds or loads its
kernels), two figures:
  readback_ms  out = graph.process(t); out.get_bytes().get_data(): one run
               with the values read back into a Python bytes object
  device_ms    CHAIN graph.run([t]) back to back, then one readback
               (tensor.get_value, which waits for the queue and copies the
               output into the tensor's host memory), divided by CHAIN
Each is timed until >= --min-reps runs and >= --min-time seconds; the
figure is the median. The input tensor is uploaded once and stays on the
device (the transfer counters are printed as a check).

model: MODEL_DIR/MODEL/model.onnx with its input.npy (as
tests/models/make-models.py writes them); batch N is images 0, 1, 2, 3, 0,
... of input.npy. One run is a forward pass with the logits read back into
numpy. Warm-up: the first run (preparation, kernels), then runs until >= 2
runs and >= 0.2 s in all; then timed runs until >= --min-reps runs and
>= --min-time seconds (--slow-reps where a warm-up run took over 1 s). For
opencv-opencl, exactly --ocv-cl-reps timed runs (its PoCL path takes about
a second per image). The figure is the median run, in ms per image. The
last logits are checked against expected.npy (max over logits of
|got - want| / max(|want|, 0.1 * peak |want| of the image), as
tests/models/test-models.py does).

--warm-only: the first run only (run.sh uses it to fill the OpenCL program
caches before timing); prints first_ms and the logits check.

--serve: after the warm-up, prints "D ready" and waits on stdin; each line
"run" times one round as above and ends with "D done"; end of input or
another line ends the process. run.sh keeps OpenCV's OpenCL path in such a
process for the whole benchmark: its first forward pass sets up for 5 s
(batch 1) to 50 s (batch 8) in every process, program cache or not.

Output, one line each, tab-separated:
  R KEY VALUE     a figure
  I KEY VALUE     what ran and how
  W KEY TEXT      a warning (e.g. OpenCV fell back to its CPU path)
  S REASON        not timed (import or run failed)
  D WHAT          --serve: ready, or a round done
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from capture import capture_fd as _capture_fd  # noqa: E402

import numpy as np


def out(*fields):
    print("\t".join(" ".join(str(f).split()) for f in fields), flush=True)


def capture_fd(fd, echo=True):
    """bench/capture.py's, with this script's default for echo."""
    return _capture_fd(fd, echo=echo)


def timed(fn, min_reps, min_time):
    """Runs fn until >= min_reps runs and >= min_time seconds; returns the
    median time, the number of runs and the last run's result."""
    times = []
    result = None
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_time:
        a = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - a)
    return statistics.median(times), len(times), result


# ------------------------------------------------------------ cnnfilt

def cnnfilt_module():
    import gi
    gi.require_version("Cnnfilt", "1.0")
    gi.require_version("GLib", "2.0")
    from gi.repository import Cnnfilt, GLib
    Cnnfilt.init()
    return Cnnfilt, GLib


def describe_cnnfilt_device(C, dev):
    out("I", "cnnfilt", "%s (%s)" % (C.VERSION, os.path.realpath(os.path.join(
        os.environ.get("LD_LIBRARY_PATH", "").split(":")[0], "libcnnfilt-1.0.so"))))
    out("I", "device", "%s: %s" % (dev.get_name(), dev.get_description()))
    out("I", "n-threads", "%d (0: one per core)" % dev.props.n_threads)


def transfers(dev):
    return dev.props.uploaded_bytes, dev.props.downloaded_bytes


def sobel_reference(x):
    p = np.pad(x.astype(np.float64), 1, mode="edge")
    gx = (p[:-2, 2:] + 2 * p[1:-1, 2:] + p[2:, 2:]) - (p[:-2, :-2] + 2 * p[1:-1, :-2] + p[2:, :-2])
    gy = (p[2:, :-2] + 2 * p[2:, 1:-1] + p[2:, 2:]) - (p[:-2, :-2] + 2 * p[:-2, 1:-1] + p[:-2, 2:])
    return np.sqrt(gx * gx + gy * gy)


def cmd_filter(a):
    C, GLib = cnnfilt_module()
    dev = C.Device.new_from_string(a.device)
    describe_cnnfilt_device(C, dev)
    graph = C.Graph.new_from_string(a.pipeline)
    graph.set_device(dev)
    out("I", "graph", "Cnnfilt.Graph.new_from_string(%r) on a 1x1x%dx%d float32 tensor"
        % (a.pipeline, a.size, a.size))
    x = np.random.default_rng(7).random((1, 1, a.size, a.size), dtype=np.float32)
    t = C.Tensor.new_from_bytes(GLib.Bytes(x.tobytes()), 1, 1, a.size, a.size)

    def with_readback():
        o = graph.process(t)
        data = o.get_bytes().get_data()
        del o   # the graph reuses its output tensor when nobody holds it
        return data

    t0 = time.perf_counter()
    data = with_readback()
    out("R", "first_ms", "%.1f" % ((time.perf_counter() - t0) * 1e3))
    if a.pipeline.strip() == "sobel":
        got = np.frombuffer(data, dtype=np.float32).reshape(a.size, a.size)
        err = float(np.abs(got - sobel_reference(x[0, 0])).max())
        out("R", "max_abs_err", "%.3g" % err)
        if err > 1e-4:
            out("W", "values", "sobel output differs from the numpy reference by up to %.3g" % err)
    del data
    if a.warm_only:
        return

    with_readback()
    ms, reps, _ = timed(with_readback, a.min_reps, a.min_time)
    out("R", "readback_ms", "%.3f" % (ms * 1e3))
    out("I", "readback_reps", reps)

    def chain():
        for _ in range(a.chain):
            graph.run([t])
        o = graph.get_output(0)
        o.get_value(0, 0, 0, 0)   # waits for the queue; one download of the output
        del o

    chain()
    up0, down0 = transfers(dev)
    s, reps, _ = timed(chain, max(3, a.min_reps // 2), a.min_time)
    up1, down1 = transfers(dev)
    out("R", "device_ms", "%.3f" % (s * 1e3 / a.chain))
    out("I", "device_reps", "%d x %d runs" % (reps, a.chain))
    if dev.get_kind() == C.DeviceKind.OPENCL:
        out("I", "transfers", "%.1f MiB up, %.1f MiB down per %d runs (output %.1f MiB)"
            % ((up1 - up0) / reps / 2**20, (down1 - down0) / reps / 2**20, a.chain,
               x.nbytes / 2**20))


# ------------------------------------------------------------ models

class ImportFailed(Exception):
    pass


class CnnfiltEngine:
    def __init__(self, name):
        self.C, self.GLib = cnnfilt_module()
        spec = "cpu" if name == "cnnfilt-cpu" else os.environ.get("BENCH_OPENCL_DEVICE", "opencl")
        self.device = self.C.Device.new_from_string(spec)
        describe_cnnfilt_device(self.C, self.device)

    def load(self, path):
        try:
            graph = self.C.Graph.new_from_onnx_file(path)
        except self.GLib.Error as e:
            raise ImportFailed(e.message)
        graph.set_device(self.device)
        return graph

    def runner(self, graph, x):
        t = self.C.Tensor.new_from_bytes(self.GLib.Bytes(x.tobytes()), *x.shape)

        def run():
            graph.run([t])
            o = graph.get_output(0)
            logits = np.frombuffer(o.get_bytes().get_data(), dtype=np.float32)
            del o
            return logits
        return run

    def report(self):
        if self.device.get_kind() == self.C.DeviceKind.OPENCL:
            up, down = transfers(self.device)
            out("I", "transfers", "%.1f MiB up, %.2f MiB down in all" % (up / 2**20, down / 2**20))


class OpenCVEngine:
    def __init__(self, name):
        import cv2
        self.cv2 = cv2
        self.opencl = name == "opencv-opencl"
        out("I", "opencv", "%s, cv2.getNumThreads() = %d" % (cv2.__version__, cv2.getNumThreads()))
        if self.opencl:
            d = cv2.ocl.Device.getDefault()
            out("I", "ocl", "haveOpenCL=%s useOpenCL=%s" % (cv2.ocl.haveOpenCL(), cv2.ocl.useOpenCL()))
            out("I", "device", "%s (%s, %s, driver %s, type %d)" % (
                d.name(), d.vendorName(), d.version(), d.driverVersion(), d.type()))
            out("I", "env", "OPENCV_OPENCL_DEVICE=%s OPENCV_DNN_OPENCL_ALLOW_ALL_DEVICES=%s" % (
                os.environ.get("OPENCV_OPENCL_DEVICE", "(unset)"),
                os.environ.get("OPENCV_DNN_OPENCL_ALLOW_ALL_DEVICES", "(unset)")))
            if not cv2.ocl.haveOpenCL() or not cv2.ocl.useOpenCL():
                out("W", "fallback", "OpenCV has no usable OpenCL (haveOpenCL=%s useOpenCL=%s): "
                    "its OpenCL target runs on the CPU" % (cv2.ocl.haveOpenCL(), cv2.ocl.useOpenCL()))

    def load(self, path):
        try:
            net = self.cv2.dnn.readNetFromONNX(path)
        except self.cv2.error as e:
            raise ImportFailed(" ".join(str(e).split()))
        net.setPreferableBackend(self.cv2.dnn.DNN_BACKEND_OPENCV)
        net.setPreferableTarget(self.cv2.dnn.DNN_TARGET_OPENCL if self.opencl
                                else self.cv2.dnn.DNN_TARGET_CPU)
        return net

    def runner(self, net, x):
        def run():
            net.setInput(x)
            return net.forward()
        return run

    def first_run(self, run):
        """The first forward sets the net up; OpenCV says there when it
        moves an OpenCL target to the CPU ('switching to CPU')."""
        if not self.opencl:
            return run()
        with capture_fd(2) as text:
            y = run()
        for line in text[0].splitlines():
            if "switching to CPU" in line or "fallback" in line.lower():
                out("W", "fallback", line.strip())
        return y

    def report(self):
        if self.opencl:
            out("I", "ocl_after", "useOpenCL=%s" % self.cv2.ocl.useOpenCL())


def logits_error(got, want):
    got = got.reshape(got.shape[0], -1).astype(np.float64)
    want = want.reshape(want.shape[0], -1).astype(np.float64)
    worst = 0.0
    for g, w in zip(got, want):
        floor = 0.1 * np.abs(w).max()
        worst = max(worst, float((np.abs(g - w) / np.maximum(np.abs(w), floor)).max()))
    return worst


def cmd_model(a):
    folder = os.path.join(a.model_dir, a.model)
    path = os.path.join(folder, "model.onnx")
    if not os.path.exists(path):
        out("S", "model missing: %s" % path)
        return
    eng = CnnfiltEngine(a.engine) if a.engine.startswith("cnnfilt") else OpenCVEngine(a.engine)
    images = np.load(os.path.join(folder, "input.npy"))
    expected = np.load(os.path.join(folder, "expected.npy"))
    idx = [i % len(images) for i in range(a.batch)]
    x = np.ascontiguousarray(images[idx], dtype=np.float32)
    want = expected[idx]
    try:
        t0 = time.perf_counter()
        net = eng.load(path)
        out("R", "load_ms", "%.1f" % ((time.perf_counter() - t0) * 1e3))
    except ImportFailed as e:
        out("S", "import failed: %s" % e)
        return

    def check(y):
        err = logits_error(np.asarray(y, dtype=np.float32).reshape(a.batch, -1), want)
        out("R", "logits_err", "%.2g" % err)

    try:
        run = eng.runner(net, x)
        t0 = time.perf_counter()
        y = eng.first_run(run) if isinstance(eng, OpenCVEngine) else run()
        first = time.perf_counter() - t0
        out("R", "first_ms", "%.1f" % (first * 1e3))
        if a.warm_only:
            check(y)
            eng.report()
            return
        warm = [first]
        while len(warm) < 2 or sum(warm) < 0.2:
            t0 = time.perf_counter()
            run()
            warm.append(time.perf_counter() - t0)
        if a.serve:
            check(y)
            out("I", "warm-up", "%d runs of batch %d, then one request per round" % (len(warm), a.batch))
            out("D", "ready")
        while True:
            if a.serve:
                request = sys.stdin.readline().split()
                if not request or request[0] != "run":
                    break
            if a.engine == "opencv-opencl":
                ms, reps, y = timed(run, a.ocv_cl_reps, 0)
            else:
                slow = min(warm[1:]) > 1.0
                ms, reps, y = timed(run, a.slow_reps if slow else a.min_reps, a.min_time)
            out("R", "ms_per_image", "%.3f" % (ms * 1e3 / a.batch))
            out("I", "reps", "%d timed runs of batch %d" % (reps, a.batch))
            check(y)
            if not a.serve:
                break
            out("D", "done")
    except Exception as e:  # noqa: BLE001 - reported as a skipped cell
        out("S", "run failed: %s: %s" % (type(e).__name__, e))
        return
    eng.report()


# ------------------------------------------------------------ checks

def cmd_pngdiff(a):
    import cv2
    x = cv2.imread(a.a, cv2.IMREAD_UNCHANGED)
    y = cv2.imread(a.b, cv2.IMREAD_UNCHANGED)
    if x is None or y is None or x.shape != y.shape:
        out("S", "cannot compare %s and %s" % (a.a, a.b))
        return
    d = np.abs(x.astype(np.int32) - y.astype(np.int32))
    out("R", "mean_abs_diff", "%.4f" % d.mean())
    out("R", "max_abs_diff", int(d.max()))
    out("R", "pct_over_2", "%.3f" % (100.0 * (d > 2).mean()))


# ------------------------------------------------------------ info

def cmd_info(_a):
    try:
        C, _ = cnnfilt_module()
        for spec in ("cpu", os.environ.get("BENCH_OPENCL_DEVICE", "opencl")):
            try:
                d = C.Device.new_from_string(spec)
                out("I", "cnnfilt %s" % spec, "%s: %s" % (d.get_name(), d.get_description()))
            except Exception as e:  # noqa: BLE001
                out("W", "cnnfilt %s" % spec, str(e))
    except Exception as e:  # noqa: BLE001
        out("W", "cnnfilt", "bindings do not load: %s" % e)
    try:
        import cv2
        d = cv2.ocl.Device.getDefault()
        out("I", "opencv", cv2.__version__)
        out("I", "opencv ocl", "haveOpenCL=%s useOpenCL=%s; default device: %s (%s, %s, driver %s)" % (
            cv2.ocl.haveOpenCL(), cv2.ocl.useOpenCL(), d.name() or "(none)", d.vendorName(),
            d.version(), d.driverVersion()))
    except Exception as e:  # noqa: BLE001
        out("W", "opencv", str(e))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("info")
    f = sub.add_parser("filter")
    f.add_argument("device")
    f.add_argument("--pipeline", default="sobel")
    f.add_argument("--size", type=int, default=4096)
    f.add_argument("--chain", type=int, default=10)
    f.add_argument("--min-time", type=float, default=1.0)
    f.add_argument("--min-reps", type=int, default=5)
    f.add_argument("--warm-only", action="store_true")
    m = sub.add_parser("model")
    m.add_argument("engine", choices=["cnnfilt-cpu", "cnnfilt-opencl", "opencv-opencl", "opencv-cpu"])
    m.add_argument("model_dir")
    m.add_argument("model")
    m.add_argument("batch", type=int)
    m.add_argument("--min-time", type=float, default=0.5)
    m.add_argument("--min-reps", type=int, default=5)
    m.add_argument("--slow-reps", type=int, default=3)
    m.add_argument("--ocv-cl-reps", type=int, default=2)
    m.add_argument("--warm-only", action="store_true")
    m.add_argument("--serve", action="store_true")
    d = sub.add_parser("pngdiff")
    d.add_argument("a")
    d.add_argument("b")
    a = ap.parse_args()
    {"info": cmd_info, "filter": cmd_filter, "model": cmd_model, "pngdiff": cmd_pngdiff}[a.cmd](a)


if __name__ == "__main__":
    main()
