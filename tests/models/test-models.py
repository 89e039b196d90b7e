#!/usr/bin/python3
"""Whole models through the ONNX importer against PyTorch's logits.

    /usr/bin/python3 tests/models/test-models.py [--make] FOLDER ...

Each FOLDER is one model as tests/models/make-models.py writes it
(model.onnx, input.npy, expected.npy); with --make, a FOLDER that is
missing, or older than make-models.py, is first (re)made by it, the model
being the folder's name. The model is imported with
Cnnfilt.Graph.new_from_onnx_file and run on the first image alone
(batch 1) and on all four (batch 4). A logit passes when

    |got - want| <= 1e-4 * max(|want|, 0.1 * peak)

where peak is the largest |want| of the same image: 1e-4 relative for
every logit of at least a tenth of the largest, and the smaller ones held
to 1e-5 of the largest instead. A tighter floor fails float32 itself: the
logits near zero come out of sums that cancel, and PyTorch's own float32
run of mobilenet_v2 is 1.7e-4 off its float64 one with a floor of 1e-2
(make-models.py prints PyTorch float32's error by this measure, for each
model, beside cnnfilt's). The TAP line gives the worst ratio
|got - want| / max(|want|, 0.1 * peak) and the milliseconds per
image of the second of two runs (the first prepares the graph).

Every model runs on the CPU and, where there is one, on the OpenCL device
CNNFILT_TEST_OPENCL names (default "opencl"; "0" for none), held to the
same bound against PyTorch. Run by meson with GI_TYPELIB_PATH,
LD_LIBRARY_PATH and CNNFILT_PLUGIN_PATH pointing at the build tree; prints
TAP.
"""

import os
import subprocess
import sys
import time
import traceback

import gi

gi.require_version("Cnnfilt", "1.0")
gi.require_version("GLib", "2.0")
from gi.repository import Cnnfilt, GLib  # noqa: E402

import numpy as np  # noqa: E402

RTOL = 1e-4
FLOOR = 0.1  # of the image's peak |logit|


def tensor_from_array(array):
    array = np.ascontiguousarray(array, dtype=np.float32)
    return Cnnfilt.Tensor.new_from_bytes(GLib.Bytes(array.tobytes()), *array.shape)


def array_from_tensor(tensor):
    shape = (tensor.get_n(), tensor.get_c(), tensor.get_h(), tensor.get_w())
    data = tensor.get_bytes().get_data()
    return np.frombuffer(data, dtype=np.float32).reshape(shape).copy()


def relative_errors(got, want):
    """Per logit, |got - want| / max(|want|, FLOOR * peak of its image)."""
    want = want.astype(np.float64)
    peak = np.abs(want).max(axis=1, keepdims=True)
    return np.abs(got.astype(np.float64) - want) / np.maximum(np.abs(want), FLOOR * peak)


def check(graph, images, want, rtol=RTOL):
    """(worst error, ms per image, failure text or None). The graph runs
    twice: the first run prepares it for the batch size, the second is
    timed, and both outputs must match. RTOL unless told otherwise."""
    tensor = tensor_from_array(images)
    first = array_from_tensor(graph.process(tensor))
    start = time.monotonic()
    out = graph.process(tensor)
    # reading the values waits for a device to finish, so it is timed too
    got = array_from_tensor(out)
    ms = (time.monotonic() - start) * 1000 / len(images)
    if first.tobytes() != got.tobytes():
        return None, ms, "two runs on the same input differ"
    if got.size != want.size or got.shape[0] != want.shape[0]:
        return None, ms, f"output {got.shape}, expected {want.shape}"
    got = got.reshape(want.shape)
    if not np.all(np.isfinite(got)):
        return None, ms, "output has NaN or infinite values"
    ratio = relative_errors(got, want)
    err = float(ratio.max())
    if err > rtol:
        n, k = np.unravel_index(np.argmax(ratio), ratio.shape)
        peak = np.abs(want[n]).max()
        return err, ms, (f"max rel err {err:.3g} > {rtol:g}: image {n} logit {k} "
                         f"is {got[n, k]:.7g}, PyTorch {want[n, k]:.7g} (peak {peak:.4g}); "
                         f"{int(np.sum(ratio > rtol))} of {ratio.size} logits off")
    return err, ms, None


def import_model(path):
    """(graph, None), or (None, the failure text) when the import fails."""
    try:
        return Cnnfilt.Graph.new_from_onnx_file(path), None
    except GLib.Error as e:
        return None, f"import failed: {e.message}"


def check_batch(graph, images, want, rtol=RTOL):
    """check(), with a failed run reported as its failure text."""
    try:
        return check(graph, images, want, rtol)
    except GLib.Error as e:
        return None, 0, f"run failed: {e.message}"
    except Exception:  # noqa: BLE001 - reported as a failed test
        return None, 0, traceback.format_exc()


def devices():
    """The CPU, and the OpenCL device to compare where there is one."""
    found = [Cnnfilt.Device.new_from_string("cpu")]
    spec = os.environ.get("CNNFILT_TEST_OPENCL", "opencl") or "opencl"
    if spec != "0":
        try:
            found.append(Cnnfilt.Device.new_from_string(spec))
        except GLib.Error:
            pass
    return found


def make(folder):
    """Runs make-models.py for FOLDER if its files are missing or stale."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "make-models.py")
    stamp = os.path.join(folder, "expected.npy")
    if os.path.exists(stamp) and os.path.getmtime(stamp) >= os.path.getmtime(script):
        return
    parent, name = os.path.split(os.path.normpath(folder))
    made = subprocess.run([sys.executable, script, parent or ".", name],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          universal_newlines=True, check=True)
    for line in made.stdout.splitlines():
        print(f"# {line}", flush=True)


def main(argv):
    folders = argv[1:]
    if folders and folders[0] == "--make":
        folders = folders[1:]
        for folder in folders:
            make(folder)
    if not folders:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    if not any(os.path.exists(os.path.join(f, "model.onnx")) for f in folders):
        print(f"1..0 # SKIP no model.onnx in {' '.join(folders)} (made by "
              "tests/models/make-models.py, which needs python3-torch and "
              "python3-torchvision)", flush=True)
        return 0
    targets = devices()
    print(f"1..{2 * len(folders) * len(targets)}", flush=True)
    number = 0
    failed = False
    for folder in folders:
        name = os.path.basename(os.path.normpath(folder))
        images = np.load(os.path.join(folder, "input.npy"))
        want = np.load(os.path.join(folder, "expected.npy"))
        graph, error = import_model(os.path.join(folder, "model.onnx"))
        for device in targets:
            if graph is not None:
                graph.set_device(device)
            for batch in (1, len(images)):
                number += 1
                if graph is None:
                    err, ms, problem = None, 0, error
                else:
                    err, ms, problem = check_batch(graph, images[:batch], want[:batch])
                what = f"{name} batch {batch} on {device.get_name()}"
                if problem is None:
                    print(f"ok {number} - {what} (max rel err {err:.2e}, {ms:.3g} ms/image)",
                          flush=True)
                else:
                    failed = True
                    print(f"not ok {number} - {what}", flush=True)
                    for line in problem.rstrip().splitlines():
                        print(f"# {line}", flush=True)
                    if err is not None:
                        print(f"# {ms:.3g} ms/image", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
