#!/usr/bin/python3
"""Writes one single-Conv ONNX model per row of `shapes` (seeded random weights
and bias) into the given folder, for ort.js.  Skips models already there."""
import os
import sys
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from shapes import model_file, read_shapes


def make(r, path):
    rng = np.random.default_rng(zlib.crc32(r["name"].encode()) + r["N"])
    fan_in = r["C"] * r["kh"] * r["kw"]
    w = (rng.uniform(-1, 1, (r["O"], r["C"], r["kh"], r["kw"])) / np.sqrt(fan_in)).astype(np.float32)
    b = (rng.uniform(-0.1, 0.1, r["O"])).astype(np.float32)
    node = helper.make_node("Conv", ["X", "W", "B"], ["Y"],
                            kernel_shape=[r["kh"], r["kw"]], strides=[r["stride"]] * 2,
                            pads=[r["pad"]] * 4, dilations=[1, 1], group=1)
    graph = helper.make_graph(
        [node], r["name"],
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [r["N"], r["C"], r["H"], r["W"]])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [r["N"], r["O"], r["Ho"], r["Wo"]])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="cnnfilt-bench-layers")
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    made = 0
    for r in read_shapes():
        path = model_file(out, r)
        if not os.path.exists(path):
            make(r, path)
            made += 1
    print("models: %d written, %d already in %s (onnx %s)" % (made, len(read_shapes()) - made, out, onnx.__version__))


if __name__ == "__main__":
    main()
