#!/usr/bin/python3
"""A vision transformer through the ONNX importer, with a fixed batch and a dynamic one.

    /usr/bin/python3 tests/models/check-transformer.py [--build DIR] MODEL [OPSET ...]

MODEL is vit_b_16 or swin_t: torchvision's network with weights drawn as
make-models.py's build() draws them (seed 1234; ViT's head, which
torchvision initialises to zeros, drawn N(0, 0.05) so that the logits
depend on the network); exported by torch.onnx.export at each OPSET
(default 13 and 17) twice: for one image without dynamic axes, and with
the batch dynamic as make-models.py exports (ViT's class token and
attention's head split, and Swin's batch of windows, then read the batch
from tensors' shapes when the graph runs), run at batch 1 and 3. Each is
imported and run by cnnfilt through GObject introspection, and compared
with PyTorch's float64 logits by the sweep's measure (max relative error,
floored at a tenth of the peak). Exits 1 if one is over 1e-4.

Swin-T's attention mask is computed at import from the feature maps'
sizes at the input's declared 224×224: the dynamic export is also run at
256×256, which the graph must refuse with an error naming the size it was
imported for.
"""

import argparse
import importlib.util
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("model", choices=["vit_b_16", "swin_t"])
    ap.add_argument("opsets", nargs="*", type=int, default=[13, 17])
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    os.environ.setdefault("GI_TYPELIB_PATH", os.path.join(build, "libcnnfilt"))
    os.environ.setdefault("CNNFILT_PLUGIN_PATH", os.path.join(build, "plugins"))
    if "LD_LIBRARY_PATH" not in os.environ:  # the loader reads it at start
        os.environ["LD_LIBRARY_PATH"] = os.path.join(build, "libcnnfilt")
        os.execv(sys.executable, [sys.executable] + sys.argv)

    name = a.model
    print(f"1..{(4 if name == 'swin_t' else 3) * len(a.opsets)}", flush=True)
    try:
        import torch
        import torchvision
    except ImportError as e:
        print(f"ok - {name} # SKIP needs python3-torch and python3-torchvision ({e})")
        return 0
    import gi
    gi.require_version("Cnnfilt", "1.0")
    from gi.repository import Cnnfilt, GLib

    spec = importlib.util.spec_from_file_location("make_models", os.path.join(HERE, "make-models.py"))
    mm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mm)

    model, x = mm.build(getattr(torchvision.models, name), (3, 224, 224), 1234)
    x = x[:3]
    want_all, float32_err = mm.reference(model, x)
    want_all = want_all.numpy()
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for opset in a.opsets:
            for dynamic in (False, True):
                path = os.path.join(tmp, f"{name}-opset{opset}-{dynamic}.onnx")
                if dynamic:
                    mm.export(model, x, path, opset=opset)
                else:
                    torch.onnx.export(model, x[:1], path, opset_version=opset,
                                      input_names=["input"], output_names=["logits"])
                graph = Cnnfilt.Graph.new_from_onnx_file(path)
                for n in ((1, 3) if dynamic else (1,)):
                    batch, want = x[:n].numpy(), want_all[:n]
                    tensor = Cnnfilt.Tensor.new_from_bytes(GLib.Bytes(batch.tobytes()), *batch.shape)
                    graph.run([tensor])
                    start = time.perf_counter()
                    graph.run([tensor])
                    ms = 1000 * (time.perf_counter() - start) / n
                    got = np.frombuffer(graph.get_output(0).get_bytes().get_data(),
                                        dtype=np.float32).reshape(want.shape)
                    scale = np.maximum(np.abs(want), 0.1 * np.abs(want).max(axis=1, keepdims=True))
                    err = float((np.abs(got - want) / scale).max())
                    failed = failed or not err <= 1e-4
                    print(f"{'ok' if err <= 1e-4 else 'not ok'} - {name} "
                          f"{'dynamic' if dynamic else 'fixed'} batch, run at {n}, opset {opset}: "
                          f"max rel err {err:.2e} (PyTorch float32 {float32_err:.2e}), "
                          f"peak {np.abs(want).max():.3g}, {ms:.0f} ms an image", flush=True)
                if dynamic and name == "swin_t":
                    refused = refuses_other_size(Cnnfilt, GLib, graph)
                    failed = failed or refused is None
                    print(f"{'ok' if refused else 'not ok'} - {name} dynamic batch, opset {opset}, "
                          f"at 256×256: {refused or 'ran, where it must refuse'}", flush=True)
    return 1 if failed else 0


def refuses_other_size(Cnnfilt, GLib, graph):
    """The error of GRAPH run at 256×256, or None if it runs or the error
    does not say the size it was imported for."""
    batch = np.zeros((1, 3, 256, 256), np.float32)
    try:
        graph.run([Cnnfilt.Tensor.new_from_bytes(GLib.Bytes(batch.tobytes()), *batch.shape)])
    except GLib.Error as e:
        return e.message if "imported for 56" in e.message else None
    return None


if __name__ == "__main__":
    sys.exit(main())
