#!/usr/bin/python3
"""Write the seed corpus of fuzz-onnx: small ONNX models.

Usage: make-onnx-corpus.py OUT_DIR [NODE_DIR]

Debian's /usr/bin/python3 with python3-onnx (1.12) and libonnx-testdata.
Seeds are: the ONNX node tests of the supported ops, their constant inputs
folded into initializers as the importer expects; a few chains of layers
(conv, batchnorm, pooling, gemm, softmax, concat, broadcasting) with small
seeded weights, in float_data, raw_data and as Constant nodes; and models
the importer must refuse (opset 8, rank 5, an unknown op, an unused and a
used extra output, external data). Files are named after what they hold,
so a finding is easy to place; each is a few hundred bytes to a few kB.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# The inputs each op takes as constants (the op classes' onnx_inputs).
CONSTANT_INPUTS = {
    "Conv": {1, 2}, "Gemm": {1, 2}, "BatchNormalization": {1, 2, 3, 4}, "PRelu": {1},
    "Pad": {1, 2}, "Reshape": {1}, "Clip": {1, 2}, "Dropout": {1, 2},
}
NODE_TESTS = [
    "test_conv_with_strides_padding", "test_conv_with_autopad_same", "test_maxpool_2d_ceil",
    "test_maxpool_2d_dilations", "test_averagepool_2d_pads_count_include_pad",
    "test_averagepool_2d_precomputed_same_upper", "test_batchnorm_epsilon", "test_clip",
    "test_clip_default_min", "test_prelu_broadcast", "test_lrn", "test_gemm_all_attributes",
    "test_gemm_default_scalar_bias", "test_flatten_negative_axis2", "test_softmax_axis_1",
    "test_add_bcast", "test_mul_bcast", "test_concat_3d_axis_negative_2",
    "test_dropout_default_ratio", "test_constant_pad", "test_reshape_negative_extended_dims",
    "test_reshape_zero_and_negative_dim", "test_leakyrelu", "test_identity", "test_relu",
    "test_maxpool_with_argmax_2d_precomputed_strides", "test_globalmaxpool",
    "test_batchnorm_example_training_mode", "test_softmax_example_expanded",
]

rng = np.random.default_rng(7)


def weights(*shape):
    return rng.standard_normal(shape).astype(np.float32) * 0.5


def folded(node_dir, name):
    """A node test's model with its constant inputs as initializers."""
    model = onnx.load(os.path.join(node_dir, name, "model.onnx"))
    graph = model.graph
    for k, value in enumerate(graph.input):
        constant = any(i in CONSTANT_INPUTS.get(node.op_type, ())
                       for node in graph.node for i, n in enumerate(node.input) if n == value.name)
        if constant:
            tensor = onnx.TensorProto()
            with open(os.path.join(node_dir, name, "test_data_set_0", f"input_{k}.pb"), "rb") as f:
                tensor.ParseFromString(f.read())
            tensor.name = value.name
            graph.initializer.append(tensor)
    return model


def model(nodes, inputs, outputs, initializers=(), opset=13):
    graph = helper.make_graph(nodes, "seed", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                             producer_name="make-onnx-corpus")


def tensor(name, array, raw=True):
    t = numpy_helper.from_array(array, name)
    if not raw:
        t = helper.make_tensor(name, TensorProto.FLOAT, array.shape, array.flatten().tolist())
    return t


def value(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def chains():
    x = value("x", [1, 3, 8, 8])
    yield "chain-conv-bn-relu-pool", model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
         helper.make_node("BatchNormalization", ["c", "s", "bb", "m", "v"], ["n"], name="bn"),
         helper.make_node("Relu", ["n"], ["r"], name="relu"),
         helper.make_node("MaxPool", ["r"], ["y"], kernel_shape=[2, 2], strides=[2, 2])],
        [x], [value("y", None)],
        [tensor("w", weights(4, 3, 3, 3)), tensor("b", weights(4), raw=False),
         tensor("s", weights(4)), tensor("bb", weights(4)), tensor("m", weights(4)),
         tensor("v", np.abs(weights(4)) + 0.1)])
    yield "chain-gap-flatten-gemm-softmax", model(
        [helper.make_node("GlobalAveragePool", ["x"], ["g"]),
         helper.make_node("Flatten", ["g"], ["f"], axis=1),
         helper.make_node("Gemm", ["f", "w", "b"], ["l"], transB=1),
         helper.make_node("Softmax", ["l"], ["y"], axis=-1)],
        [x], [value("y", [1, 5])], [tensor("w", weights(5, 3)), tensor("b", weights(5))])
    yield "chain-constant-reshape-add", model(
        [helper.make_node("Constant", [], ["shape"], value=numpy_helper.from_array(
            np.array([1, 3, 64], np.int64))),
         helper.make_node("Reshape", ["x", "shape"], ["r"]),
         helper.make_node("Constant", [], ["k"], value_floats=[0.5] * 64),
         helper.make_node("Add", ["r", "k"], ["a"]),
         helper.make_node("Clip", ["a", "lo", ""], ["y"])],
        [x], [value("y", None)], [tensor("lo", np.array(0.25, np.float32))])
    yield "chain-concat-mul-prelu", model(
        [helper.make_node("Conv", ["x", "w"], ["c"], group=3, kernel_shape=[3, 3],
                          auto_pad="SAME_UPPER"),
         helper.make_node("Concat", ["x", "c", "x"], ["cat"], axis=1),
         helper.make_node("Mul", ["cat", "scale"], ["m"]),
         helper.make_node("PRelu", ["m", "slope"], ["y"])],
        [x], [value("y", None)],
        [tensor("w", weights(3, 1, 3, 3)), tensor("scale", weights(9, 1, 1)),
         tensor("slope", weights(9, 1, 1))])
    yield "chain-pad-avgpool-lrn-dropout", model(
        [helper.make_node("Pad", ["x", "pads"], ["p"], mode="reflect"),
         helper.make_node("AveragePool", ["p"], ["a"], kernel_shape=[3, 3], ceil_mode=1,
                          strides=[2, 2], count_include_pad=1),
         helper.make_node("LRN", ["a"], ["l"], size=3),
         helper.make_node("Dropout", ["l"], ["y", "mask"])],
        [x], [value("y", None)], [tensor("pads", np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64))])
    yield "chain-two-inputs-two-outputs", model(
        [helper.make_node("Add", ["x", "z"], ["s"], name="add"),
         helper.make_node("Sigmoid", ["s"], ["y0"], name="same"),
         helper.make_node("Tanh", ["s"], ["y1"], name="same"),
         helper.make_node("LeakyRelu", ["y1"], ["y2"], alpha=0.2)],
        [x, value("z", [8])], [value("y0", None), value("y2", None)])
    yield "chain-identity-of-initializer", model(
        [helper.make_node("Identity", ["b"], ["b2"]),
         helper.make_node("Conv", ["x", "w", "b2"], ["c"], strides=[2, 2]),
         helper.make_node("Conv", ["c", "w2", "b2"], ["y"], dilations=[2, 2])],
        [x], [value("y", None)],
        [tensor("w", weights(4, 3, 1, 1)), tensor("w2", weights(4, 4, 2, 2)),
         tensor("b", np.zeros(4, np.float32))])
    # Swin's import paths: a mask computed at import from a size the
    # graph computes, and values of six and five dims (views)
    ints = lambda name, *v: tensor(name, np.array(v, np.int64))
    t = value("t", [-1, 4, 4, 2])
    yield "chain-fold-mask", model(
        [helper.make_node("Relu", ["t"], ["r"]),
         helper.make_node("Shape", ["r"], ["s"]),
         helper.make_node("Gather", ["s", "one"], ["h"]),
         helper.make_node("Range", ["zero", "h", "one"], ["seq"]),
         helper.make_node("Mod", ["seq", "three"], ["m"]),
         helper.make_node("Slice", ["m", "minus1", "low", "axis0", "minus1"], ["rev"]),
         helper.make_node("Cast", ["rev"], ["f"], to=TensorProto.FLOAT),
         helper.make_node("ScatterND", ["f", "at", "upd"], ["sc"]),
         helper.make_node("Equal", ["sc", "onef"], ["e"]),
         helper.make_node("Not", ["e"], ["n"]),
         helper.make_node("Where", ["n", "fill", "sc"], ["w"]),
         helper.make_node("Unsqueeze", ["w", "axes"], ["u"]),
         helper.make_node("Add", ["r", "u"], ["y"])],
        [t], [value("y", None)],
        [ints("one", 1), ints("zero", 0), ints("three", 3), ints("minus1", -1),
         ints("low", -2 ** 63), ints("axis0", 0), ints("axes", 0, 1, 3),
         tensor("at", np.array([[1]], np.int64)), tensor("upd", np.array([5], np.float32)),
         tensor("onef", np.array(1, np.float32)), tensor("fill", np.array(-100, np.float32))])
    yield "chain-view-windows", model(
        [helper.make_node("Reshape", ["t", "six"], ["v"]),
         helper.make_node("Transpose", ["v"], ["p"], perm=[0, 1, 3, 2, 4, 5]),
         helper.make_node("Reshape", ["p", "three_dims"], ["y"])],
        [t], [value("y", None)], [ints("six", -1, 2, 2, 2, 2, 2), ints("three_dims", -1, 4, 2)])
    q = value("q", [-1, 3, 12])
    yield "chain-view-heads-mask", model(
        [helper.make_node("Reshape", ["q", "five"], ["v"]),
         helper.make_node("Transpose", ["v"], ["p"], perm=[2, 0, 3, 1, 4]),
         helper.make_node("Gather", ["p", "k"], ["g"], axis=0),
         helper.make_node("Reshape", ["g", "windows"], ["w"]),
         helper.make_node("Unsqueeze", ["mask4", "axis2"], ["mask"]),
         helper.make_node("Add", ["w", "mask"], ["a"]),
         helper.make_node("Reshape", ["a", "back"], ["y"])],
        [q], [value("y", None)],
        [ints("five", -1, 3, 3, 2, 2), tensor("k", np.array(1, np.int64)),
         ints("windows", -1, 2, 2, 3, 2), tensor("mask4", weights(1, 2, 3, 2)), ints("axis2", 2),
         ints("back", -1, 2, 3, 2)])
    yield "chain-rank-5-initializer", model(
        [helper.make_node("Reshape", ["q", "five"], ["v"]),
         helper.make_node("Add", ["v", "mask5"], ["a"]),
         helper.make_node("Reshape", ["m8", "flat"], ["m1"]),
         helper.make_node("Reshape", ["a", "back"], ["r"]),
         helper.make_node("Add", ["r", "m1"], ["y"])],
        [q], [value("y", None)],
        [ints("five", -1, 3, 3, 2, 2), tensor("mask5", weights(1, 1, 3, 2, 2)),
         tensor("m8", weights(1, 1, 1, 1, 1, 1, 3, 4)), ints("flat", 12), ints("back", -1, 3, 12)])
    # refused, each for one reason
    relu = [helper.make_node("Relu", ["x"], ["y"])]
    yield "refuse-opset-8", model(relu, [x], [value("y", None)], opset=8)
    yield "refuse-rank-5", model(relu, [value("x", [1, 1, 2, 2, 2])], [value("y", None)])
    yield "refuse-unknown-op", model([helper.make_node("Foo", ["x"], ["y"])], [x], [value("y", None)])
    yield "refuse-used-mask", model([helper.make_node("Dropout", ["x"], ["y", "m"])], [x],
                                    [value("y", None), value("m", None)])
    external = tensor("w", weights(2, 3, 1, 1))
    external.ClearField("raw_data")
    external.data_location = TensorProto.EXTERNAL
    for key, val in (("location", "w.bin"), ("offset", "0"), ("length", "24")):
        entry = external.external_data.add()
        entry.key, entry.value = key, val
    yield "refuse-external-data", model([helper.make_node("Conv", ["x", "w"], ["y"])], [x],
                                        [value("y", None)], [external])


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    out = argv[1]
    node_dir = argv[2] if len(argv) == 3 else "/usr/share/libonnx-testdata/data/node"
    os.makedirs(out, exist_ok=True)
    for name in NODE_TESTS:
        with open(os.path.join(out, name[len("test_"):] + ".onnx"), "wb") as f:
            f.write(folded(node_dir, name).SerializeToString())
    for name, m in chains():
        with open(os.path.join(out, name + ".onnx"), "wb") as f:
            f.write(m.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
