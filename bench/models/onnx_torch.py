"""Runs an ONNX file with PyTorch: the `torch` columns of bench/models.

PyTorch 1.13 has no ONNX importer, and re-building the torchvision model
would time a different graph (batch normalisation unfolded, other weights
layout), so this walks the ONNX graph that every other engine reads and
maps each node onto one torch.nn.functional call, in eager mode. Weights
are converted to torch tensors once; nodes whose inputs are all constant
(Constant, Identity of an initializer) are folded at load time. Only the ops
of the exported CNNs are known; another raises NotImplementedError naming it.

    runner = OnnxTorch(path, channels_last=False)
    logits = runner(x)          # x: float32 NCHW torch tensor

With channels_last=True the 4-D weights and the input are made
channels-last (NHWC in memory), the layout in which PyTorch's CPU
convolutions (oneDNN) run without reorders.
"""
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _sym_pads(pads, op):
    """ONNX pads [t, l, b, r] to torch's symmetric (ph, pw)."""
    if not pads:
        return (0, 0)
    t, l, b, r = pads
    if t != b or l != r:
        raise NotImplementedError("%s with asymmetric pads %s" % (op, pads))
    return (t, l)


# elementwise ops of the exported CNNs (opset 13): SiLU is x · Sigmoid(x),
# GELU 0.5 · x · (1 + Erf(x / √2)), hard-swish x · HardSigmoid(x), layer
# normalisation ReduceMean, Sub, Pow, Sqrt, Div, Mul, Add
_BINARY = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div, "Pow": torch.pow}
_UNARY = {"Sigmoid": torch.sigmoid, "Erf": torch.erf, "Sqrt": torch.sqrt}


def _binary(fn, node, const):
    """A two-input op, either input possibly constant (numpy broadcasting,
    as ONNX's)."""
    x, y = node.input[0], node.input[1]
    if y in const:
        c = const[y]
        return (lambda v: fn(v, c)), [x]
    if x in const:
        c = const[x]
        return (lambda v: fn(c, v)), [y]
    return fn, [x, y]


class OnnxTorch:
    def __init__(self, path, channels_last=False):
        model = onnx.load(path)
        g = model.graph
        self.channels_last = channels_last
        const = {}
        for init in g.initializer:
            t = torch.from_numpy(numpy_helper.to_array(init).copy())
            if channels_last and t.dim() == 4:
                t = t.contiguous(memory_format=torch.channels_last)
            const[init.name] = t
        inits = set(const)
        self.input = [i.name for i in g.input if i.name not in inits][0]
        self.output = g.output[0].name
        self.steps = []          # (fn, [input names], output name)
        self.op_types = []
        for node in g.node:
            a = _attrs(node)
            op = node.op_type
            if op == "Constant":
                const[node.output[0]] = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
                continue
            if op == "Identity" and node.input[0] in const:
                const[node.output[0]] = const[node.input[0]]
                continue
            fn, ins = self._compile(op, node, a, const)
            self.steps.append((fn, ins, node.output[0]))
            self.op_types.append(op)
        # free each intermediate after its last reader, as an eager module does
        last = {}
        for i, (_, ins, _) in enumerate(self.steps):
            for n in ins:
                last[n] = i
        self.frees = [list(dict.fromkeys(n for n in ins if last[n] == i and n != self.output))
                      for i, (_, ins, _) in enumerate(self.steps)]

    @staticmethod
    def _compile(op, node, a, const):
        ins = [node.input[0]]
        if op == "Conv":
            w = const[node.input[1]]
            b = const[node.input[2]] if len(node.input) > 2 and node.input[2] else None
            s = tuple(a.get("strides", [1, 1]))
            p = _sym_pads(a.get("pads"), op)
            d = tuple(a.get("dilations", [1, 1]))
            grp = a.get("group", 1)
            if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise NotImplementedError("Conv auto_pad")
            return (lambda x: F.conv2d(x, w, b, s, p, d, grp)), ins
        if op == "Relu":
            return F.relu, ins
        if op == "Clip":
            lo = const[node.input[1]].item() if len(node.input) > 1 and node.input[1] else a.get("min")
            hi = const[node.input[2]].item() if len(node.input) > 2 and node.input[2] else a.get("max")
            if lo is not None and hi is not None:
                return (lambda x: F.hardtanh(x, lo, hi)), ins
            return (lambda x: torch.clamp(x, lo, hi)), ins
        if op == "MaxPool":
            k = tuple(a["kernel_shape"])
            s = tuple(a.get("strides", k))
            p = _sym_pads(a.get("pads"), op)
            c = bool(a.get("ceil_mode", 0))
            return (lambda x: F.max_pool2d(x, k, s, p, ceil_mode=c)), ins
        if op == "AveragePool":
            k = tuple(a["kernel_shape"])
            s = tuple(a.get("strides", k))
            p = _sym_pads(a.get("pads"), op)
            c = bool(a.get("ceil_mode", 0))
            cip = bool(a.get("count_include_pad", 0))
            if k == (1, 1) and s == (1, 1) and p == (0, 0):
                return (lambda x: x), ins
            return (lambda x: F.avg_pool2d(x, k, s, p, c, cip)), ins
        if op == "GlobalAveragePool":
            return (lambda x: F.adaptive_avg_pool2d(x, 1)), ins
        if op in _BINARY:
            return _binary(_BINARY[op], node, const)
        if op in _UNARY:
            return _UNARY[op], ins
        if op == "HardSigmoid":
            alpha, beta = a.get("alpha", 0.2), a.get("beta", 0.5)
            if abs(alpha - 1 / 6) < 1e-7 and beta == 0.5:
                return F.hardsigmoid, ins
            return (lambda x: torch.clamp(alpha * x + beta, 0.0, 1.0)), ins
        if op == "ReduceMean":
            axes = a.get("axes")
            keep = bool(a.get("keepdims", 1))
            if axes is None:
                return (lambda x: x.mean(dim=tuple(range(x.dim())), keepdim=keep)), ins
            return (lambda x: x.mean(dim=tuple(axes), keepdim=keep)), ins
        if op == "Transpose":
            perm = tuple(a["perm"])
            return (lambda x: x.permute(perm)), ins
        if op == "MatMul":
            return _binary(torch.matmul, node, const)
        if op == "Flatten":
            axis = a.get("axis", 1)
            return (lambda x: torch.flatten(x, axis)), ins
        if op == "Gemm":
            w = const[node.input[1]]
            b = const[node.input[2]] if len(node.input) > 2 and node.input[2] else None
            if a.get("transA", 0):
                raise NotImplementedError("Gemm transA")
            if not a.get("transB", 0):
                w = w.t().contiguous()
            alpha, beta = a.get("alpha", 1.0), a.get("beta", 1.0)
            if alpha != 1.0:
                w = w * alpha
            if b is not None and beta != 1.0:
                b = b * beta
            return (lambda x: F.linear(x, w, b)), ins
        if op in ("Dropout", "Identity"):
            return (lambda x: x), ins
        raise NotImplementedError("ONNX op %s is not mapped onto torch by onnx_torch.py" % op)

    def __call__(self, x):
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        env = {self.input: x}
        for (fn, ins, out), frees in zip(self.steps, self.frees):
            env[out] = fn(*[env[i] for i in ins])
            for n in frees:
                del env[n]
        return env[self.output]
