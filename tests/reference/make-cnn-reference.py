#!/usr/bin/python3
"""PyTorch reference data for the cnn plugin's ops (tests/test-cnn-parity.c).

Run with Debian's interpreter, which has python3-torch (1.13) and numpy:

    /usr/bin/python3 tests/reference/make-cnn-reference.py

It deletes and rewrites tests/data/cnn/: one folder per case holding

  op.txt          the pipeline (one stage, or a chain joined by `!`) in
                  cnnfilt's syntax, naming the .npy files beside it
  input.npy       the input of a one-input pipeline, or
  input0.npy ...  the inputs, in order, of a multi-input op (add, mul,
                  concat); const<i>.npy in place of input<i>.npy makes that
                  input a graph constant (cnnfilt_graph_add_constant, as an
                  ONNX initializer is). The test builds such graphs through
                  the API from the op line
  *.npy           the op's tensor properties (weights, bias, slope, ...)
  expected.npy    PyTorch's output

Every array is float32, little-endian, C order. Inputs and parameters are
drawn in float32 from a fixed seed; the expected output is computed from
those same values in float64 (modules and tensors cast to double) and only
then rounded to float32, so the reference is exact to float32 rounding and
any difference the test sees is the C code's own. Inputs and outputs are
stored 4-D (n, c, h, w) as the library holds them; parameters keep their
PyTorch shapes (a bias (O,) loads as (O, 1, 1, 1)).

The run is deterministic: same torch, same files.
"""

import math
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, '..', 'data', 'cnn'))

torch.manual_seed(20240601)
torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)

CASES = []


# helpers ------------------------------------------------------------------

def randn(*shape, scale=1.0, offset=0.0):
    """float32 normal values; the stored values are exactly these."""
    t = torch.randn(*shape, dtype=torch.float32) * scale + offset
    return t.to(torch.float32)


def uniform(*shape, low=0.0, high=1.0):
    return (torch.rand(*shape, dtype=torch.float32) * (high - low) + low).to(torch.float32)


def d(t):
    """The float64 copy that the reference is computed from."""
    return t.to(torch.float64)


def as4d(t):
    shape = tuple(t.shape)
    assert len(shape) <= 4, shape
    return t.reshape(shape + (1,) * (4 - len(shape)))


def num(v):
    """A number as op.txt writes it."""
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, int):
        return str(v)
    r = repr(float(v))
    return r[:-2] if r.endswith('.0') else r


def stage(name, **props):
    """`name key=value ...`; Python names use _ for the ops' -."""
    words = [name]
    for key, value in props.items():
        if value is None:
            continue
        words.append('%s=%s' % (key.replace('_', '-'), value if isinstance(value, str) else num(value)))
    return ' '.join(words)


def case(name, op, expected, inputs, params=None):
    """Records a case: @inputs a tensor (one-input pipeline) or a list
    (multi-input graph) whose items are tensors or ('const', tensor), @params
    file name -> tensor."""
    assert all(c[0] != name for c in CASES), name
    assert expected.dtype == torch.float64, (name, expected.dtype)
    CASES.append((name, op, expected, inputs, params or {}))


def write_npy(path, tensor, four_d):
    t = tensor.detach()
    if four_d:
        t = as4d(t)
    a = np.ascontiguousarray(t.numpy().astype('<f4'))
    assert a.ndim <= 4
    np.save(path, a, allow_pickle=False)


def write_all():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    for name, op, expected, inputs, params in CASES:
        folder = os.path.join(OUT, name)
        os.makedirs(folder)
        with open(os.path.join(folder, 'op.txt'), 'w') as f:
            f.write(op + '\n')
        if isinstance(inputs, torch.Tensor):
            assert inputs.dtype == torch.float32
            write_npy(os.path.join(folder, 'input.npy'), inputs, True)
        else:
            for i, t in enumerate(inputs):
                kind = 'input'
                if isinstance(t, tuple):
                    kind, t = t
                assert kind in ('input', 'const') and t.dtype == torch.float32
                write_npy(os.path.join(folder, '%s%d.npy' % (kind, i)), t, True)
        for file_name, t in params.items():
            assert t.dtype == torch.float32, (name, file_name)
            write_npy(os.path.join(folder, file_name), t, False)
        # float64 -> float32: round to nearest, once
        write_npy(os.path.join(folder, 'expected.npy'), expected.to(torch.float32), True)


def same_pads(size, k, s, dil, lower):
    """ONNX auto_pad SAME_UPPER / SAME_LOWER: output ceil(size / s)."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * dil + 1 - size, 0)
    small, big = total // 2, total - total // 2
    return (big, small) if lower else (small, big)


# conv2d -------------------------------------------------------------------

def conv(name, n, cin, h, w, cout, k, stride=1, pads=0, dil=1, groups=1, bias=True,
         clamp=(None, None), scale=1.0, auto_pad=None, sym=None):
    """pads: an int (all sides) or (top, left, bottom, right); PyTorch's own
    symmetric padding is used where the pads are symmetric, F.pad first
    otherwise."""
    kh, kw = (k, k) if isinstance(k, int) else k
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    dh, dw = (dil, dil) if isinstance(dil, int) else dil
    x = randn(n, cin, h, w, scale=scale)
    fan_in = cin // groups * kh * kw
    weight = randn(cout, cin // groups, kh, kw, scale=1.0 / math.sqrt(fan_in))
    b = randn(cout, scale=0.5) if bias else None
    if auto_pad in ('same-upper', 'same-lower'):
        pt, pb = same_pads(h, kh, sh, dh, auto_pad == 'same-lower')
        pl, pr = same_pads(w, kw, sw, dw, auto_pad == 'same-lower')
    elif auto_pad == 'valid':
        pt = pl = pb = pr = 0
    elif isinstance(pads, int):
        pt = pl = pb = pr = pads
    else:
        pt, pl, pb, pr = pads

    xd = d(x)
    if pt == pb and pl == pr:
        y = F.conv2d(xd, d(weight), d(b) if bias else None, (sh, sw), (pt, pl), (dh, dw), groups)
    else:
        y = F.conv2d(F.pad(xd, (pl, pr, pt, pb)), d(weight), d(b) if bias else None,
                     (sh, sw), 0, (dh, dw), groups)
    lo, hi = clamp
    if lo is not None or hi is not None:
        y = torch.clamp(y, min=lo, max=hi)

    props = dict(weights='weights.npy', bias='bias.npy' if bias else None,
                 stride_h=sh, stride_w=sw)
    if auto_pad is None:
        props.update(pad_top=pt, pad_left=pl, pad_bottom=pb, pad_right=pr)
    else:
        props['auto_pad'] = auto_pad
    props.update(dilation_h=dh, dilation_w=dw, groups=groups,
                 clamp_min=lo, clamp_max=hi)
    params = {'weights.npy': weight}
    if bias:
        params['bias.npy'] = b
    case(name, stage('conv2d', **props), y, x, params)


conv('conv2d-3x3-s1-p1', 1, 3, 8, 8, 4, 3, pads=1)
conv('conv2d-3x3-p0-nobias', 1, 4, 7, 9, 5, 3, bias=False)
conv('conv2d-1x1', 1, 8, 6, 7, 5, 1)
conv('conv2d-1x1-s2-nobias', 1, 6, 9, 8, 4, 1, stride=2, bias=False)
conv('conv2d-5x5-s2-p2', 1, 3, 13, 11, 6, 5, stride=2, pads=2)
conv('conv2d-7x7-s2-p3-stem', 1, 3, 20, 20, 8, 7, stride=2, pads=3, bias=False)
conv('conv2d-3x3-s2x1-p1', 1, 3, 9, 8, 4, 3, stride=(2, 1), pads=1)
conv('conv2d-3x3-s1x2-p1', 1, 3, 8, 9, 4, 3, stride=(1, 2), pads=1)
conv('conv2d-3x3-s2-p1-even', 1, 4, 10, 10, 6, 3, stride=2, pads=1)
conv('conv2d-3x3-s3-floor', 1, 2, 11, 10, 3, 3, stride=3)
conv('conv2d-3x2-kernel', 1, 3, 8, 9, 4, (3, 2), pads=(1, 0, 1, 1))
conv('conv2d-asym-pad', 1, 3, 7, 8, 4, 3, pads=(0, 1, 2, 1))
conv('conv2d-asym-pad-s2', 1, 3, 9, 10, 5, 3, stride=2, pads=(1, 0, 0, 1))
conv('conv2d-dilation2', 1, 3, 11, 12, 4, 3, pads=2, dil=2)
conv('conv2d-dilation2x1', 1, 3, 10, 9, 4, 3, pads=(2, 1, 2, 1), dil=(2, 1))
conv('conv2d-dilation2-s2', 1, 4, 13, 12, 4, 3, stride=2, pads=1, dil=2)
conv('conv2d-groups2', 1, 4, 8, 8, 6, 3, pads=1, groups=2)
conv('conv2d-groups4-nobias', 1, 8, 7, 7, 8, 3, groups=4, bias=False)
conv('conv2d-depthwise', 1, 6, 9, 9, 6, 3, pads=1, groups=6)
conv('conv2d-depthwise-s2', 1, 8, 10, 10, 8, 3, stride=2, pads=1, groups=8)
conv('conv2d-depthwise-x2', 1, 4, 8, 8, 8, 3, pads=1, groups=4)
conv('conv2d-depthwise-5x5-nobias', 1, 5, 11, 10, 5, 5, pads=2, groups=5, bias=False)
conv('conv2d-batch3', 3, 3, 8, 9, 4, 3, pads=1)
conv('conv2d-batch3-s2-groups2', 3, 4, 9, 9, 6, 3, stride=2, pads=1, groups=2)
conv('conv2d-batch3-1x1', 3, 16, 5, 5, 8, 1)
conv('conv2d-wide-16ch', 1, 16, 6, 6, 16, 3, pads=1)
conv('conv2d-relu', 1, 3, 8, 8, 4, 3, pads=1, clamp=(0.0, None))
conv('conv2d-relu-batch3-s2', 3, 4, 9, 8, 6, 3, stride=2, pads=1, clamp=(0.0, None))
conv('conv2d-relu6', 1, 3, 8, 8, 6, 3, pads=1, clamp=(0.0, 6.0), scale=6.0)
conv('conv2d-depthwise-relu6', 1, 6, 9, 9, 6, 3, stride=2, pads=1, groups=6, clamp=(0.0, 6.0),
     scale=8.0)
conv('conv2d-clamp-max', 1, 3, 7, 7, 4, 3, pads=1, clamp=(None, 0.25))
conv('conv2d-auto-same-upper-s2', 1, 3, 9, 10, 4, 3, stride=2, auto_pad='same-upper')
conv('conv2d-auto-same-upper-k4', 1, 3, 8, 7, 4, (4, 2), auto_pad='same-upper')
conv('conv2d-auto-same-lower-k4', 1, 3, 8, 7, 4, (4, 2), auto_pad='same-lower')
conv('conv2d-auto-same-lower-s2', 1, 3, 10, 9, 4, 3, stride=2, auto_pad='same-lower')
conv('conv2d-auto-valid', 1, 3, 9, 10, 4, 3, stride=2, auto_pad='valid')


# pooling ------------------------------------------------------------------

def pool_props(kh, kw, sh, sw, pads, dh, dw, ceil, include, is_max, auto_pad, write_stride):
    props = dict(kernel_h=kh, kernel_w=kw)
    if write_stride:
        props.update(stride_h=sh, stride_w=sw)
    if auto_pad is not None:
        props['auto_pad'] = auto_pad
    else:
        pt, pl, pb, pr = pads
        props.update(pad_top=pt, pad_left=pl, pad_bottom=pb, pad_right=pr)
    if is_max:
        props.update(dilation_h=dh, dilation_w=dw)
    props['ceil_mode'] = bool(ceil)
    if not is_max:
        props['count_include_pad'] = bool(include)
    return props


def pool(name, kind, n, c, h, w, k, stride=None, pads=0, dil=1, ceil=False, include=False,
         auto_pad=None, x=None):
    """max-pool / avg-pool. stride None: not written (the default, = kernel).
    Asymmetric pads (and auto-pad) go through F.pad: -inf for max; for avg
    the zero-padded window mean, divided by the padded mean of ones where
    padding is not counted (sum over the real pixels / their number)."""
    kh, kw = (k, k) if isinstance(k, int) else k
    write_stride = stride is not None
    if stride is None:
        stride = (kh, kw)
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    dh, dw = (dil, dil) if isinstance(dil, int) else dil
    if x is None:
        x = randn(n, c, h, w)
    if auto_pad in ('same-upper', 'same-lower'):
        pt, pb = same_pads(h, kh, sh, dh, auto_pad == 'same-lower')
        pl, pr = same_pads(w, kw, sw, dw, auto_pad == 'same-lower')
    elif auto_pad == 'valid':
        pt = pl = pb = pr = 0
    elif isinstance(pads, int):
        pt = pl = pb = pr = pads
    else:
        pt, pl, pb, pr = pads
    xd = d(x)
    symmetric = pt == pb and pl == pr
    if kind == 'max':
        if symmetric:
            y = F.max_pool2d(xd, (kh, kw), (sh, sw), (pt, pl), (dh, dw), ceil_mode=ceil)
        else:
            assert not ceil
            y = F.max_pool2d(F.pad(xd, (pl, pr, pt, pb), value=-math.inf), (kh, kw), (sh, sw), 0,
                             (dh, dw))
    else:
        assert dh == 1 and dw == 1
        if symmetric:
            y = F.avg_pool2d(xd, (kh, kw), (sh, sw), (pt, pl), ceil_mode=ceil,
                             count_include_pad=include)
        else:
            assert not ceil
            padded = F.pad(xd, (pl, pr, pt, pb))
            y = F.avg_pool2d(padded, (kh, kw), (sh, sw), 0)
            if not include:
                ones = F.pad(torch.ones_like(xd), (pl, pr, pt, pb))
                y = y / F.avg_pool2d(ones, (kh, kw), (sh, sw), 0)
    props = pool_props(kh, kw, sh, sw, (pt, pl, pb, pr), dh, dw, ceil, include, kind == 'max',
                       auto_pad, write_stride)
    case(name, stage(kind + '-pool', **props), y, x)


pool('max-pool-k2', 'max', 1, 3, 8, 9, 2)
pool('max-pool-k3-s2', 'max', 1, 4, 11, 10, 3, stride=2)
pool('max-pool-k3-s2-p1', 'max', 2, 4, 10, 10, 3, stride=2, pads=1)
# every value below zero: zero padding instead of -inf shows at the border
pool('max-pool-k3-s2-p1-negative', 'max', 1, 3, 9, 8, 3, stride=2, pads=1,
     x=-uniform(1, 3, 9, 8, low=0.1, high=2.0))
pool('max-pool-k2-ceil', 'max', 1, 3, 7, 9, 2, stride=2, ceil=True)
# h 9, k 2, s 2, pad 1, ceil: 6 rows by the formula, 5 because the last
# window would start in the right padding (PyTorch's rule)
pool('max-pool-k2-s2-p1-ceil-drop', 'max', 1, 2, 9, 8, 2, stride=2, pads=1, ceil=True,
     x=-uniform(1, 2, 9, 8, low=0.1, high=2.0))
pool('max-pool-k3-s2-p1-ceil', 'max', 1, 3, 10, 11, 3, stride=2, pads=1, ceil=True)
pool('max-pool-dilation2', 'max', 1, 2, 9, 10, 3, stride=1, pads=1, dil=2)
pool('max-pool-dilation2x1-s2', 'max', 2, 2, 10, 9, (2, 3), stride=2, dil=(2, 1))
pool('max-pool-2x3-s1x2', 'max', 1, 3, 7, 10, (2, 3), stride=(1, 2))
pool('max-pool-asym-pad', 'max', 1, 3, 8, 9, 2, stride=2, pads=(0, 1, 1, 0),
     x=-uniform(1, 3, 8, 9, low=0.1, high=2.0))
pool('max-pool-auto-same-upper', 'max', 1, 2, 9, 10, 3, stride=2, auto_pad='same-upper')
pool('max-pool-auto-same-lower', 'max', 1, 2, 8, 9, 2, stride=1, auto_pad='same-lower')

pool('avg-pool-k2', 'avg', 1, 3, 8, 9, 2)
pool('avg-pool-k3-s2', 'avg', 1, 4, 11, 10, 3, stride=2)
pool('avg-pool-k3-s1-p1-exclude', 'avg', 1, 3, 7, 8, 3, stride=1, pads=1, include=False)
pool('avg-pool-k3-s1-p1-include', 'avg', 1, 3, 7, 8, 3, stride=1, pads=1, include=True)
pool('avg-pool-k2-ceil', 'avg', 2, 3, 7, 9, 2, stride=2, ceil=True)
# ceil mode with padding: the last window runs past the padded input;
# PyTorch divides by the window clipped to input + padding (include) or to
# the input (exclude)
pool('avg-pool-k3-s2-p1-ceil-exclude', 'avg', 1, 3, 10, 11, 3, stride=2, pads=1, ceil=True,
     include=False)
pool('avg-pool-k3-s2-p1-ceil-include', 'avg', 1, 3, 10, 11, 3, stride=2, pads=1, ceil=True,
     include=True)
pool('avg-pool-2x3-s1x2', 'avg', 1, 3, 7, 10, (2, 3), stride=(1, 2))
pool('avg-pool-asym-pad-exclude', 'avg', 1, 3, 8, 9, 3, stride=2, pads=(0, 1, 2, 1),
     include=False)
pool('avg-pool-asym-pad-include', 'avg', 1, 3, 8, 9, 3, stride=2, pads=(0, 1, 2, 1),
     include=True)
pool('avg-pool-auto-same-upper', 'avg', 1, 2, 9, 10, 3, stride=2, auto_pad='same-upper')

x = randn(2, 5, 6, 7)
case('global-avg-pool', 'global-avg-pool', d(x).mean(dim=(2, 3), keepdim=True), x)
x = randn(2, 5, 6, 7)
case('global-max-pool', 'global-max-pool', d(x).amax(dim=(2, 3), keepdim=True), x)
x = randn(1, 3, 1, 1)
case('global-avg-pool-1x1', 'global-avg-pool', d(x), x)


# activations ----------------------------------------------------------------

x = randn(2, 3, 5, 6)
case('relu', 'relu', F.relu(d(x)), x)
x = randn(2, 3, 5, 6)
case('leaky-relu-0.1', 'leaky-relu alpha=0.1', F.leaky_relu(d(x), 0.1), x)
x = randn(1, 4, 5, 5)
case('leaky-relu-default', 'leaky-relu', F.leaky_relu(d(x), 0.01), x)
x = randn(2, 3, 5, 6, scale=4.0)
case('sigmoid', 'sigmoid', torch.sigmoid(d(x)), x)
x = randn(2, 3, 5, 6, scale=2.0)
case('tanh', 'tanh', torch.tanh(d(x)), x)
x = randn(2, 3, 5, 6)
case('clip', 'clip min=-0.5 max=0.7', torch.clamp(d(x), -0.5, 0.7), x)
x = randn(1, 3, 5, 6, scale=4.0)
case('clip-min-only', 'clip min=0', torch.clamp(d(x), min=0.0), x)
x = randn(1, 3, 5, 6, scale=4.0)
case('clip-max-only', 'clip max=6', torch.clamp(d(x), max=6.0), x)
x = randn(2, 4, 5, 6)
slope = randn(4, scale=0.3)
# nn.PReLU(4)'s weight (4,) applies per channel; the op takes it shaped (1,C,1,1)
case('prelu-per-channel', 'prelu slope=slope.npy',
     F.prelu(d(x), d(slope)), x, {'slope.npy': slope.reshape(1, 4, 1, 1)})
x = randn(2, 3, 5, 6)
slope = torch.tensor([0.25], dtype=torch.float32)
case('prelu-single', 'prelu slope=slope.npy', F.prelu(d(x), d(slope)), x, {'slope.npy': slope})
x = randn(1, 3, 4, 5)
case('identity', 'identity', d(x), x)
x = randn(2, 3, 4, 5)
case('dropout', 'dropout ratio=0.3', F.dropout(d(x), 0.3, training=False), x)


# normalisation ----------------------------------------------------------------

def batchnorm(name, n, c, h, w, eps, small_var=False):
    x = randn(n, c, h, w)
    scale = randn(c, scale=0.5, offset=1.0)
    bias = randn(c, scale=0.5)
    mean = randn(c, scale=0.5)
    var = uniform(c, low=0.001, high=0.01) if small_var else uniform(c, low=0.2, high=2.0)
    y = F.batch_norm(d(x), d(mean), d(var), d(scale), d(bias), training=False, eps=eps)
    case(name, 'batchnorm scale=scale.npy bias=bias.npy mean=mean.npy var=var.npy epsilon=%s'
         % num(eps), y, x, {'scale.npy': scale, 'bias.npy': bias, 'mean.npy': mean,
                            'var.npy': var})


batchnorm('batchnorm-eps1e-5', 2, 4, 6, 7, 1e-5)
batchnorm('batchnorm-eps1e-3', 1, 6, 5, 5, 1e-3)
# variances of the order of epsilon: a wrong epsilon shows
batchnorm('batchnorm-eps1e-3-small-var', 2, 5, 4, 4, 1e-3, small_var=True)


def lrn(name, n, c, h, w, size, alpha, beta, k, scale):
    x = randn(n, c, h, w, scale=scale)
    # PyTorch divides alpha by size, as ONNX LRN does
    y = F.local_response_norm(d(x), size, alpha, beta, k)
    case(name, stage('lrn', size=size, alpha=alpha, beta=beta, bias=k), y, x)


# AlexNet's settings; inputs large enough (as after AlexNet's ReLUs) that the
# normalisation is well above the tolerance
lrn('lrn-alexnet-k2', 2, 8, 5, 6, 5, 1e-4, 0.75, 2.0, 20.0)
lrn('lrn-k1', 1, 8, 5, 5, 5, 1e-4, 0.75, 1.0, 30.0)
lrn('lrn-size3-strong', 1, 7, 4, 5, 3, 0.1, 0.5, 1.0, 2.0)


# linear (Gemm) --------------------------------------------------------------------

def linear(name, x, out_f, bias=True, trans_a=False, trans_b=None, alpha=None, beta=None,
           bias_shape=None):
    """x (n,c,h,w) read as the matrix (n, c*h*w); trans_b None: not written
    (default true, PyTorch's (out, in) weights)."""
    a = d(x).reshape(x.shape[0], -1)
    if trans_a:
        a = a.t()
    in_f = a.shape[1]
    weight = randn(out_f, in_f, scale=1.0 / math.sqrt(in_f))  # nn.Linear's layout
    y = a @ d(weight).t()
    if alpha is not None:
        y = alpha * y
    params = {}
    if bias:
        b = randn(*(bias_shape or (out_f,)), scale=0.5)
        y = y + (beta if beta is not None else 1.0) * d(b)
        params['bias.npy'] = b
    stored = weight if trans_b in (None, True) else weight.t().contiguous()
    params = {'weights.npy': stored, **params}
    op = stage('linear', weights='weights.npy', bias='bias.npy' if bias else None,
               alpha=alpha, beta=beta, trans_a=True if trans_a else None, trans_b=trans_b)
    case(name, op, y, x, params)


linear('linear-72-10', randn(2, 8, 3, 3), 10)
linear('linear-trans-b-true', randn(3, 12, 1, 1), 5, trans_b=True)
linear('linear-nobias', randn(3, 20, 1, 1), 7, bias=False)
linear('linear-trans-b-false', randn(2, 4, 2, 3), 6, trans_b=False)
linear('linear-alpha-beta', randn(2, 16, 1, 1), 6, alpha=0.5, beta=2.0)
linear('linear-bias-mn', randn(2, 10, 1, 1), 4, bias_shape=(2, 4))
linear('linear-bias-scalar', randn(2, 10, 1, 1), 4, bias_shape=(1,))
linear('linear-trans-a', randn(9, 3, 1, 1), 5, trans_a=True)


# layout ---------------------------------------------------------------------

x = randn(2, 3, 4, 5)
for axis in (1, 0, 2, 3):
    lead = int(np.prod(x.shape[:axis]))
    case('flatten-axis%d' % axis, 'flatten axis=%d' % axis, d(x).reshape(lead, -1), x)
x = randn(2, 3, 4, 5)
case('flatten-default', 'flatten', d(x).reshape(2, -1), x)

for axis in (1, 3, 0, 2):
    x = randn(2, 5, 3, 4, scale=3.0)
    case('softmax-axis%d' % axis, 'softmax axis=%d' % axis, F.softmax(d(x), dim=axis), x)
x = randn(3, 10, 1, 1, scale=3.0)
case('softmax-default', 'softmax', F.softmax(d(x), dim=1), x)

for name, shape in (('reshape-flat', (0, -1, 1, 1)), ('reshape-2-6-10-1', (2, 6, 10, 1)),
                    ('reshape-copy-infer-h', (0, 3, -1, 4)), ('reshape-infer-n', (-1, 4, 5, 3))):
    x = randn(2, 3, 4, 5)
    target = [x.shape[i] if v == 0 else v for i, v in enumerate(shape)]
    case(name, 'reshape n=%d c=%d h=%d w=%d' % shape, d(x).reshape(*target), x)

x = randn(1, 3, 4, 5)
case('pad-constant', 'pad pad-top=1 pad-left=2 pad-bottom=0 pad-right=3 mode=constant value=0.5',
     F.pad(d(x), (2, 3, 1, 0), mode='constant', value=0.5), x)
x = randn(2, 2, 3, 4)
case('pad-constant-default', 'pad pad-top=2 pad-left=1 pad-bottom=1 pad-right=0',
     F.pad(d(x), (1, 0, 2, 1)), x)
x = randn(1, 3, 5, 6)
case('pad-reflect', 'pad pad-top=2 pad-left=1 pad-bottom=1 pad-right=3 mode=reflect',
     F.pad(d(x), (1, 3, 2, 1), mode='reflect'), x)
x = randn(2, 2, 4, 5)
case('pad-edge', 'pad pad-top=1 pad-left=2 pad-bottom=3 pad-right=1 mode=edge',
     F.pad(d(x), (2, 1, 1, 3), mode='replicate'), x)


# multi-input ----------------------------------------------------------------

for op, fn in (('add', torch.add), ('mul', torch.mul)):
    for name, shapes in (('full', ((2, 4, 5, 6), (2, 4, 5, 6))),
                         ('per-channel', ((2, 4, 5, 6), (1, 4, 1, 1))),
                         ('per-channel-first', ((1, 4, 1, 1), (2, 4, 5, 6))),
                         ('both-ways', ((2, 1, 5, 1), (1, 4, 1, 6))),
                         ('scalar', ((2, 3, 4, 5), (1, 1, 1, 1)))):
        a, b = randn(*shapes[0]), randn(*shapes[1])
        case('%s-%s' % (op, name), op, fn(d(a), d(b)), [a, b])

for name, axis, shapes in (('concat-2-axis1', 1, ((2, 3, 4, 5), (2, 5, 4, 5))),
                           ('concat-3-axis1', 1, ((1, 1, 4, 5), (1, 2, 4, 5), (1, 3, 4, 5))),
                           ('concat-2-axis0', 0, ((1, 3, 4, 5), (2, 3, 4, 5))),
                           ('concat-3-axis0', 0, ((2, 2, 3, 3), (1, 2, 3, 3), (3, 2, 3, 3))),
                           ('concat-2-axis2', 2, ((1, 2, 3, 5), (1, 2, 4, 5))),
                           ('concat-2-axis3', 3, ((2, 2, 3, 2), (2, 2, 3, 4))),
                           ('concat-1', 1, ((1, 3, 2, 2),))):
    ts = [randn(*s) for s in shapes]
    case(name, 'concat axis=%d' % axis, torch.cat([d(t) for t in ts], dim=axis), ts)

# a graph constant as one operand, as ONNX initializers are imported
a, b = randn(2, 4, 5, 6), randn(1, 4, 1, 1)
case('add-graph-constant', 'add', d(a) + d(b), [a, ('const', b)])
a, b = randn(1, 4, 1, 1), randn(2, 4, 5, 6)
case('mul-graph-constant-first', 'mul', d(a) * d(b), [('const', a), b])
ts = [randn(2, 2, 3, 4), randn(2, 3, 3, 4), randn(2, 1, 3, 4)]
case('concat-graph-constant', 'concat axis=1', torch.cat([d(t) for t in ts], dim=1),
     [ts[0], ('const', ts[1]), ts[2]])


# chains ---------------------------------------------------------------------

def conv_params(cin, cout, k, groups=1, bias=True, suffix=''):
    fan_in = cin // groups * k * k
    weight = randn(cout, cin // groups, k, k, scale=1.0 / math.sqrt(fan_in))
    b = randn(cout, scale=0.5) if bias else None
    params = {'weights%s.npy' % suffix: weight}
    if bias:
        params['bias%s.npy' % suffix] = b
    return weight, b, params


def bn_params(c, suffix=''):
    p = {'scale': randn(c, scale=0.5, offset=1.0), 'bias': randn(c, scale=0.5),
         'mean': randn(c, scale=0.5), 'var': uniform(c, low=0.2, high=2.0)}
    return p, {'bn-%s%s.npy' % (k, suffix): v for k, v in p.items()}


def bn_stage(eps, suffix=''):
    return ('batchnorm scale=bn-scale{0}.npy bias=bn-bias{0}.npy mean=bn-mean{0}.npy '
            'var=bn-var{0}.npy epsilon={1}').format(suffix, num(eps))


# conv -> bn -> relu in eval mode, as torchvision's blocks: the graph folds the
# batchnorm into the convolution and the relu into its clamp
x = randn(2, 3, 9, 9)
weight, b, params = conv_params(3, 6, 3)
bn, bn_files = bn_params(6)
module = torch.nn.Sequential(torch.nn.Conv2d(3, 6, 3, padding=1), torch.nn.BatchNorm2d(6, eps=1e-5),
                             torch.nn.ReLU()).eval().double()
with torch.no_grad():
    module[0].weight.copy_(d(weight))
    module[0].bias.copy_(d(b))
    module[1].weight.copy_(d(bn['scale']))
    module[1].bias.copy_(d(bn['bias']))
    module[1].running_mean.copy_(d(bn['mean']))
    module[1].running_var.copy_(d(bn['var']))
    y = module(d(x))
case('chain-conv-bn-relu',
     'conv2d weights=weights.npy bias=bias.npy stride=1 padding=1 ! %s ! relu' % bn_stage(1e-5),
     y, x, {**params, **bn_files})

# MobileNet's conv (no bias) -> bn -> relu6, inputs scaled so the clamp bites
x = randn(1, 4, 10, 10, scale=5.0)
weight, _, params = conv_params(4, 8, 3, bias=False)
bn, bn_files = bn_params(8)
y = F.conv2d(d(x), d(weight), None, 2, 1)
y = F.batch_norm(y, d(bn['mean']), d(bn['var']), d(bn['scale']), d(bn['bias']), False, eps=1e-3)
y = torch.clamp(y, 0.0, 6.0)
case('chain-conv-bn-relu6',
     'conv2d weights=weights.npy stride=2 padding=1 ! %s ! clip min=0 max=6' % bn_stage(1e-3),
     y, x, {**params, **bn_files})

# depthwise conv -> bn -> relu
x = randn(1, 6, 8, 8)
weight, b, params = conv_params(6, 6, 3, groups=6)
bn, bn_files = bn_params(6)
y = F.conv2d(d(x), d(weight), d(b), 1, 1, 1, 6)
y = F.relu(F.batch_norm(y, d(bn['mean']), d(bn['var']), d(bn['scale']), d(bn['bias']), False,
                        eps=1e-5))
case('chain-depthwise-bn-relu',
     'conv2d weights=weights.npy bias=bias.npy padding=1 groups=6 ! %s ! relu' % bn_stage(1e-5),
     y, x, {**params, **bn_files})

# conv -> relu -> max-pool (AlexNet / VGG)
x = randn(2, 3, 12, 11)
weight, b, params = conv_params(3, 5, 3)
y = F.max_pool2d(F.relu(F.conv2d(d(x), d(weight), d(b), 1, 1)), 3, 2)
case('chain-conv-relu-maxpool',
     'conv2d weights=weights.npy bias=bias.npy pad-top=1 pad-left=1 pad-bottom=1 pad-right=1 '
     '! relu ! max-pool kernel-h=3 kernel-w=3 stride-h=2 stride-w=2',
     y, x, params)

# two convolutions, each with its own files
x = randn(1, 3, 9, 9)
w1, b1, p1 = conv_params(3, 4, 3, suffix='1')
w2, b2, p2 = conv_params(4, 5, 3, suffix='2')
y = F.conv2d(F.relu(F.conv2d(d(x), d(w1), d(b1), 1, 1)), d(w2), d(b2), 2, 0)
case('chain-conv-relu-conv',
     'conv2d weights=weights1.npy bias=bias1.npy padding=1 ! relu ! '
     'conv2d weights=weights2.npy bias=bias2.npy stride=2',
     y, x, {**p1, **p2})

# classifier head: global pool -> flatten -> linear -> softmax
x = randn(2, 8, 3, 3)
weight = randn(10, 72, scale=1.0 / math.sqrt(72))
b = randn(10, scale=0.5)
y = F.softmax(F.linear(d(x).reshape(2, 72), d(weight), d(b)), dim=1)
case('chain-linear-softmax', 'linear weights=weights.npy bias=bias.npy ! softmax axis=1',
     y, x, {'weights.npy': weight, 'bias.npy': b})

x = randn(2, 6, 4, 5, scale=2.0)
weight = randn(7, 6, scale=1.0 / math.sqrt(6))
b = randn(7, scale=0.5)
y = F.softmax(F.linear(d(x).mean(dim=(2, 3)), d(weight), d(b)), dim=1)
case('chain-gap-flatten-linear-softmax',
     'global-avg-pool ! flatten ! linear weights=weights.npy bias=bias.npy ! softmax',
     y, x, {'weights.npy': weight, 'bias.npy': b})


# upsampling (conv-transpose, interpolate, upsample) ------------------------
# drawn from a generator of their own, so that these cases and the ones
# above do not shift each other's values

upsampling = torch.Generator().manual_seed(20250113)


def draw(*shape, scale=1.0):
    return (torch.randn(*shape, generator=upsampling, dtype=torch.float32) * scale).to(torch.float32)


def conv_transpose(name, n, cin, h, w, cout, k, stride=1, padding=0, output_padding=0, groups=1,
                   dilation=1, bias=True):
    x = draw(n, cin, h, w)
    weight = draw(cin, cout // groups, k, k, scale=1.0 / math.sqrt(cin // groups * k * k))
    b = draw(cout, scale=0.5) if bias else None
    y = F.conv_transpose2d(d(x), d(weight), d(b) if bias else None, stride, padding,
                           output_padding, groups, dilation)
    params = {'weights.npy': weight}
    if bias:
        params['bias.npy'] = b
    op = stage('conv-transpose', weights='weights.npy', bias='bias.npy' if bias else None,
               stride=stride, padding=padding, output_padding=output_padding, groups=groups,
               dilation=dilation)
    case(name, op, y, x, params)


# the case: every attribute at once (oneDNN's path, and the loops)
conv_transpose('conv-transpose-s2-p1-op1-g2-d2', 2, 4, 5, 6, 6, 3, stride=2, padding=1,
               output_padding=1, groups=2, dilation=2)
# DCGAN's generator block: 4x4, stride 2, padding 1, no bias
conv_transpose('conv-transpose-4x4-s2-p1-nobias', 1, 8, 6, 5, 4, 4, stride=2, padding=1,
               bias=False)
# output padding past the padding: a last row and column no input reaches
conv_transpose('conv-transpose-s2-op1', 1, 3, 4, 5, 5, 3, stride=2, output_padding=1)
conv_transpose('conv-transpose-s1-p2', 1, 3, 6, 6, 2, 5, padding=2)


def interpolate(name, x, op, **kwargs):
    case(name, op, F.interpolate(d(x), **kwargs), x)


# PyTorch's bilinear and bicubic (align_corners=False) are ONNX's
# half_pixel; align_corners=True is align_corners; its nearest is
# asymmetric with floor (Upsample's). A size gives in/out as the scale.
interpolate('interpolate-bilinear-x2', draw(1, 3, 5, 6),
            'interpolate scale-h=2 scale-w=2 mode=linear',
            scale_factor=2, mode='bilinear', align_corners=False)
interpolate('interpolate-bilinear-size-down', draw(2, 2, 9, 10),
            'interpolate height=5 width=6 mode=linear',
            size=(5, 6), mode='bilinear', align_corners=False)
interpolate('interpolate-bilinear-align-corners', draw(1, 2, 4, 6),
            'interpolate height=11 width=7 mode=linear coordinate-transformation-mode=align-corners',
            size=(11, 7), mode='bilinear', align_corners=True)
interpolate('interpolate-bicubic-x2', draw(1, 2, 5, 4),
            'interpolate scale-h=2 scale-w=2 mode=cubic',
            scale_factor=2, mode='bicubic', align_corners=False)
interpolate('interpolate-bicubic-align-corners', draw(1, 2, 4, 5),
            'interpolate height=7 width=9 mode=cubic coordinate-transformation-mode=align-corners',
            size=(7, 9), mode='bicubic', align_corners=True)
interpolate('interpolate-nearest-size', draw(1, 3, 5, 6),
            'interpolate height=7 width=9 coordinate-transformation-mode=asymmetric nearest-mode=floor',
            size=(7, 9), mode='nearest')
interpolate('upsample-nearest-x2', draw(2, 3, 4, 5), 'upsample scale-h=2 scale-w=2',
            scale_factor=2, mode='nearest')

if __name__ == '__main__':
    write_all()
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
    print('%d cases, %d bytes in %s' % (len(CASES), total, OUT), file=sys.stderr)
