#!/usr/bin/python3
"""Small ONNX models with bytes that are not UTF-8 where ONNX wants UTF-8
text, for the tests of what the importer lets out: error messages and
node names must be valid UTF-8 (PyGObject cannot convert anything else),
with each invalid byte written as \\xNN.

    /usr/bin/python3 tests/onnx/invalid-utf8/make.py

(needs python3-onnx) writes, next to itself:

  pad-mode.onnx   a Pad whose mode attribute is the bytes ff fe
  op-type.onnx    a node whose op_type is "Re" ff "lu"
  attribute.onnx  a Relu named "relu" ff fe with an attribute "a" ff fe,
                  which Relu does not have
  names.onnx      x ff fe -> Relu named "relu" ff fe -> y ff fe: a model
                  that imports, its node names escaped

protobuf will not write such strings, so each model is written with "~~"
(or "~") where the bytes go, and the bytes are swapped in afterwards (same
length, so the encoding stays whole). Each file is under 200 bytes.
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
BAD = b"\xff\xfe"


def save(name, nodes, inputs, outputs, initializers=(), bad=BAD):
    """Writes the model with @bad (of the same length) in place of each "~~"
    or "~" (the op_type, where one byte is enough)."""
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    data = model.SerializeToString()
    placeholder = b"~" * len(bad)
    assert placeholder in data, name
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data.replace(placeholder, bad))


def value(name):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, 1, 4, 4])


save("pad-mode.onnx",
     [helper.make_node("Pad", ["x", "pads"], ["y"], name="pad", mode="~~")],
     [value("x")], [value("y")],
     [numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=np.int64), "pads")])
save("op-type.onnx", [helper.make_node("Re~lu", ["x"], ["y"], name="n")],
     [value("x")], [value("y")], bad=b"\xff")
save("attribute.onnx", [helper.make_node("Relu", ["x"], ["y"], name="relu~~", **{"a~~": 1})],
     [value("x")], [value("y")])
save("names.onnx", [helper.make_node("Relu", ["x~~"], ["y~~"], name="relu~~")],
     [value("x~~")], [value("y~~")])
