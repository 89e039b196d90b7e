#!/usr/bin/python3
"""The default embedding model, made from npm's nsfwjs 4.3.0 (MIT licence).

    convert-nsfwjs-mobilenet.py PACKAGE_DIR OUT.onnx

nsfwjs ships, in dist/models/mobilenet_v2_mid/, a TensorFlow.js graph model
whose backbone is Google's ImageNet MobileNetV2 (depth multiplier 1.4,
224×224) feature-vector network, followed by a 5-class head. The files are
browserify bundles: model.min.js exports the graph JSON, each
group1-shard*.min.js a base64 string of weight bytes, every weight uint8-
quantised per tensor (value = q · scale + min). This script reads them with
node, dequantises the weights and writes an ONNX model of the backbone
only: NCHW input 1×3×224×224 of RGB standardised with ImageNet's mean and
standard deviation, as torchvision's models take it (so that `cnnfilt
embed`, `classify` and `features` prepare photos for it as for any of
them), output "embedding", 1×1792, the pooled features. The graph itself
takes RGB in [0, 1] and maps it to [−1, 1]: a per-channel x·std + mean is
put in front of it, undoing the standardisation.
Convolutions become ONNX Conv (weights HWIO → OIHW; depthwise [kh,kw,C,1]
→ [C,1,kh,kw] with group C; TensorFlow's SAME padding as SAME_UPPER),
their fused bias, ReLU6 as Clip(0, 6), AddV2 as Add, the 7×7 average pool
as GlobalAveragePool. It also runs the TensorFlow graph itself in float64
numpy (NHWC, TensorFlow's padding) on a fixed pseudo-random image and
writes that input and its embedding beside OUT.onnx (OUT.onnx-check-*.npy):
the test suite holds cnnfilt's run of the ONNX file to them.
"""
import base64
import json
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# ImageNet's statistics, as torchvision (and cnnfilt_imagenet_pipeline) use them
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)

PREFIX = "StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/" \
         "StatefulPartitionedCall/StatefulPartitionedCall/predict/"


def load_bundles(folder):
    """The graph JSON and the weight bytes, evaluated by node."""
    script = """
const dir = process.argv[1];
const m = require(dir + '/model.min.js');
const j = typeof m === 'string' ? JSON.parse(m) : m;
const parts = j.weightsManifest[0].paths.map(p => {
  const s = require(dir + '/' + p + '.min.js');
  return typeof s === 'string' ? s : s.default;
});
process.stdout.write(JSON.stringify({model: j, shards: parts}));
"""
    out = subprocess.run(["node", "-e", script, folder], stdout=subprocess.PIPE, check=True)
    data = json.loads(out.stdout)
    raw = b"".join(base64.b64decode(s) for s in data["shards"])
    return data["model"], raw


def dequantise(model, raw):
    weights, at = {}, 0
    for w in model["weightsManifest"][0]["weights"]:
        shape = [int(d) for d in w["shape"]]
        count = int(np.prod(shape)) if shape else 1
        q = w.get("quantization")
        if q is None:
            values = np.frombuffer(raw, np.float32, count, at)
            at += 4 * count
        else:
            assert q["dtype"] == "uint8", q
            values = np.frombuffer(raw, np.uint8, count, at).astype(np.float64) * q["scale"] + q["min"]
            at += count
        weights[w["name"]] = values.astype(np.float32).reshape(shape)
    assert at == len(raw), f"{at} of {len(raw)} weight bytes read"
    return weights


def attr(node, key):
    return node.get("attr", {}).get(key, {})


def ints(node, key):
    return [int(v) for v in attr(node, key).get("list", {}).get("i", [])]


def text(node, key):
    return base64.b64decode(attr(node, key).get("s", "")).decode()


def convert(model, weights):
    nodes = {n["name"]: n for n in model["modelTopology"]["node"]}
    onnx_nodes, inits = [], {}
    names = {}  # TF node → ONNX tensor

    def const(name, value):
        inits[name] = numpy_helper.from_array(np.asarray(value, np.float32), name)
        return name

    clip_lo, clip_hi = const("relu6_min", 0.0), const("relu6_max", 6.0)
    # ImageNet-standardised input back to [0, 1], per channel
    onnx_nodes.append(helper.make_node("Mul", ["image", const("unstandardize_std", STD.reshape(1, 3, 1, 1))],
                                       ["image_scaled"], name="unstandardize_std"))
    onnx_nodes.append(helper.make_node("Add", ["image_scaled", const("unstandardize_mean", MEAN.reshape(1, 3, 1, 1))],
                                       ["image_01"], name="unstandardize_mean"))
    order = model["modelTopology"]["node"]
    out_name = None
    for n in order:
        op, name = n["op"], n["name"]
        inputs = [i.split(":")[0] for i in n.get("input", [])]
        if op in ("Const", "Identity"):
            continue
        if op == "Placeholder":
            names[name] = "image_01"
            continue
        if op in ("Mul", "Sub"):
            data = names[[i for i in inputs if nodes[i]["op"] != "Const"][0]]
            k = float(weights[[i for i in inputs if nodes[i]["op"] == "Const"][0]].reshape(-1)[0])
            out = name.replace(PREFIX, "")
            if op == "Mul":
                onnx_nodes.append(helper.make_node("Mul", [data, const(out + "_k", k)], [out], name=out))
            else:  # x − k as x + (−k): Add is what the importer's elementwise ops take
                onnx_nodes.append(helper.make_node("Add", [data, const(out + "_k", -k)], [out], name=out))
            names[name] = out
        elif op in ("_FusedConv2D", "FusedDepthwiseConv2dNative"):
            x, w, b = names[inputs[0]], weights[inputs[1]], weights[inputs[2]]
            fused = [base64.b64decode(s).decode() for s in attr(n, "fused_ops").get("list", {}).get("s", [])]
            assert fused[0] == "BiasAdd" and set(fused[1:]) <= {"Relu6"}, fused
            stride = ints(n, "strides")[1:3]
            pad = text(n, "padding")
            out = name.replace(PREFIX, "")
            if op == "_FusedConv2D":
                kernel = w.transpose(3, 2, 0, 1)  # HWIO → OIHW
                group = 1
            else:
                kh, kw, c, mult = w.shape
                assert mult == 1, w.shape
                kernel = w.transpose(2, 3, 0, 1).reshape(c, 1, kh, kw)
                group = c
            conv_out = out if "Relu6" not in fused else out + "_conv"
            onnx_nodes.append(helper.make_node(
                "Conv", [x, const(out + "_w", kernel), const(out + "_b", b)], [conv_out], name=conv_out,
                strides=stride, group=group, kernel_shape=list(kernel.shape[2:]),
                auto_pad="SAME_UPPER" if pad == "SAME" else "VALID"))
            if "Relu6" in fused:
                onnx_nodes.append(helper.make_node("Clip", [conv_out, clip_lo, clip_hi], [out], name=out))
            names[name] = out
        elif op == "AddV2":
            out = name.replace(PREFIX, "")
            onnx_nodes.append(helper.make_node("Add", [names[inputs[0]], names[inputs[1]]], [out], name=out))
            names[name] = out
        elif op == "AvgPool":
            assert ints(n, "ksize")[1:3] == [7, 7] and text(n, "padding") == "VALID"
            out = "pool"
            onnx_nodes.append(helper.make_node("GlobalAveragePool", [names[inputs[0]]], [out], name=out))
            names[name] = out
        elif op == "Squeeze":
            onnx_nodes.append(helper.make_node("Flatten", [names[inputs[0]]], ["embedding"], name="embedding"))
            out_name = "embedding"
            break  # the backbone ends here: the 5-class head is not wanted
        else:
            raise SystemExit(f"unexpected op {op} ({name})")
    assert out_name, "no Squeeze: not the expected graph"
    graph = helper.make_graph(
        onnx_nodes, "mobilenet_v2_140",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, 1792])],
        list(inits.values()))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="libcnnfilt convert-nsfwjs-mobilenet.py")
    m.doc_string = ("Google's ImageNet MobileNetV2 1.4 224 feature vector, as shipped (uint8-quantised) "
                    "in npm's nsfwjs 4.3.0 (MIT). Input RGB standardised with ImageNet's mean "
                    "(0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225), as torchvision's models.")
    onnx.checker.check_model(m)
    return m


def pad_same(x, k, s):
    """TensorFlow's SAME padding of an NHWC batch for a k×k window, stride s."""
    h, w = x.shape[1:3]
    pads = []
    for size in (h, w):
        out = -(-size // s)
        total = max((out - 1) * s + k - size, 0)
        pads.append((total // 2, total - total // 2))
    return np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))


def run_tf(model, weights, image):
    """The TensorFlow graph itself, in float64 numpy, NHWC, up to the pooled
    features: the reference the ONNX model is checked against."""
    values = {}
    for n in model["modelTopology"]["node"]:
        op, name = n["op"], n["name"]
        inputs = [i.split(":")[0] for i in n.get("input", [])]
        get = lambda i: values[i] if i in values else weights[i].astype(np.float64)
        if op == "Placeholder":
            values[name] = image
        elif op in ("Const", "Identity"):
            continue
        elif op == "Mul":
            values[name] = get(inputs[0]) * get(inputs[1])
        elif op == "Sub":
            values[name] = get(inputs[0]) - get(inputs[1])
        elif op in ("_FusedConv2D", "FusedDepthwiseConv2dNative"):
            x, w, b = get(inputs[0]), get(inputs[1]), get(inputs[2])
            s = ints(n, "strides")[1]
            kh = w.shape[0]
            if text(n, "padding") == "SAME":
                x = pad_same(x, kh, s)
            oh = (x.shape[1] - kh) // s + 1
            ow = (x.shape[2] - kh) // s + 1
            if op == "_FusedConv2D":
                y = np.zeros((x.shape[0], oh, ow, w.shape[3]))
                for i in range(kh):
                    for j in range(kh):
                        y += x[:, i:i + s * oh:s, j:j + s * ow:s, :] @ w[i, j]
            else:
                y = np.zeros((x.shape[0], oh, ow, x.shape[3]))
                for i in range(kh):
                    for j in range(kh):
                        y += x[:, i:i + s * oh:s, j:j + s * ow:s, :] * w[i, j, :, 0]
            y += b
            fused = [base64.b64decode(t).decode() for t in attr(n, "fused_ops").get("list", {}).get("s", [])]
            values[name] = np.clip(y, 0, 6) if "Relu6" in fused else y
        elif op == "AddV2":
            values[name] = get(inputs[0]) + get(inputs[1])
        elif op == "AvgPool":
            values[name] = get(inputs[0]).mean(axis=(1, 2), keepdims=True)
        elif op == "Squeeze":
            return get(inputs[0]).reshape(image.shape[0], -1)
    raise SystemExit("no Squeeze in the graph")


def main():
    folder, out = sys.argv[1], sys.argv[2]
    model, raw = load_bundles(folder)
    weights = dequantise(model, raw)
    onnx_model = convert(model, weights)
    onnx.save(onnx_model, out)
    # the reference: a fixed pseudo-random image through the TensorFlow
    # graph in numpy; tests/… compare cnnfilt's run of the ONNX file with it
    image = np.random.default_rng(1792).random((1, 224, 224, 3))
    embedding = run_tf(model, weights, image)
    # the ONNX model's input: the same image, standardised
    standardised = (image.transpose(0, 3, 1, 2) - MEAN.reshape(1, 3, 1, 1)) / STD.reshape(1, 3, 1, 1)
    np.save(out + "-check-input.npy", standardised.astype(np.float32))
    np.save(out + "-check-embedding.npy", embedding.astype(np.float32))
    print(f"{out}: {len(onnx_model.graph.node)} nodes, "
          f"{sum(int(np.prod(t.dims)) for t in onnx_model.graph.initializer):,} weights")


if __name__ == "__main__":
    main()
