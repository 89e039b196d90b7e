#!/usr/bin/python3
"""Small PyTorch models whose exports hold the subgraphs the ONNX importer
takes as one op (libcnnfilt/cnnfilt-onnx-patterns.c), for
tests/onnx/test-onnx-patterns.c.

Run with Debian's interpreter (python3-torch 1.13, python3-onnx):

    /usr/bin/python3 tests/onnx/make-pattern-models.py

It deletes and rewrites tests/data/onnx-patterns/: one folder per case
holding

  model.onnx    the module exported by torch.onnx.export at the case's
                opset, the batch axis dynamic unless the case says static
  input.npy     its input, float32, 4-D as the library holds tensors (a
                rank-3 input (n, t, d) is stored (n, t, d, 1))
  expected.npy  PyTorch's output, computed in float64 from the same float32
                weights and input, then rounded to float32, stored 4-D
  expect.txt    what the import must give: lines `OP COUNT`, how many
                graph nodes run that op (`gelu 1`, `erf 0`: fused;
                `gelu 0`, `erf 1`: imported node by node), or one line
                `error TEXT`: the import fails with TEXT in the message

Each pattern is exported at opsets 11, 13 and 17 (where PyTorch writes the
function as one ONNX op from some opset on, that opset's case checks that
the op still imports as itself), and beside the real thing come near
misses: a constant off by 2 % (0.49 for GELU's 0.5), an intermediate value
read outside the subgraph, the same nodes on two different values (the
squeeze-and-excitation blocks of EfficientNet and MobileNetV3), means over
different dims, a shuffle whose last reshape swaps h and w, a channel
taken by Gather and unsqueezed at another axis, a product read outside
its bias Add, weights of rank 3, a bias that varies by row. Each must stay
unfused and still compute the module's output, or, for the shuffle and
the Gather, which the graph cannot hold node by node (rank 5; a dim
less), be refused with an error.
class-token and attention are a ViT's parts with a dynamic batch, which
its export reads from tensors' shapes. shape-div checks the shape folding that the exported shuffle needs
(channels // groups) on a plain Reshape.

The run is deterministic: same torch, same files.
"""

import io
import math
import os
import shutil

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.shufflenetv2 import channel_shuffle

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, '..', 'data', 'onnx-patterns'))

torch.set_num_threads(1)


class Around(nn.Module):
    """A 3×3 convolution, @middle, a 1×1 convolution: the pattern between
    two ops, its input computed and its output read by another node."""

    def __init__(self, middle, c_in=3, c_mid=4, c_out=3):
        super().__init__()
        self.before = nn.Conv2d(c_in, c_mid, 3, padding=1)
        self.middle = middle
        self.after = nn.Conv2d(c_mid, c_out, 1)

    def forward(self, x):
        return self.after(self.middle(self.before(x)))


class Lambda(nn.Module):
    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, x):
        return self.function(x)


class SqueezeExcite(nn.Module):
    """x · gate(conv(mean(x))): the gate's input is not x."""

    def __init__(self, gate, c=4):
        super().__init__()
        self.reduce = nn.Conv2d(c, c, 1)
        self.gate = gate

    def forward(self, x):
        return x * self.gate(self.reduce(x.mean((2, 3), keepdim=True)))


class LayerNorm2d(nn.LayerNorm):
    """ConvNeXt's: channels moved last, normalized, moved back."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class ChannelsLastMlp(nn.Module):
    """ConvNeXt's block around its depthwise conv: channels moved last,
    Linear, GELU, Linear, moved back."""

    def __init__(self, c=4, hidden=12):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(c, hidden), nn.GELU(), nn.Linear(hidden, c))

    def forward(self, x):
        return self.mlp(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ProductShared(nn.Module):
    """x·W read by the bias Add and by another node."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(8, 6))
        self.bias = nn.Parameter(torch.randn(6))

    def forward(self, x):
        y = x @ self.weight
        return (y + self.bias) * y


class ProductBatched(nn.Module):
    """x·W with W one matrix per token, and a bias that varies by token."""

    def __init__(self, weight_shape, bias_shape):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(*weight_shape))
        self.bias = nn.Parameter(torch.randn(*bias_shape))

    def forward(self, x):
        return x @ self.weight + self.bias


class ClassToken(nn.Module):
    """ViT's class token put before the tokens: expanded to the batch,
    which the export reads from the tokens' shape."""

    def __init__(self, d=8):
        super().__init__()
        self.token = nn.Parameter(torch.randn(1, 1, d))

    def forward(self, x):
        return torch.cat([self.token.expand(x.shape[0], -1, -1), x], dim=1)


class SelfAttention(nn.Module):
    """ViT's attention: nn.MultiheadAttention on (batch, tokens, dim), whose
    export splits the heads with reshapes to sizes read from shapes."""

    def __init__(self, d=8, heads=2):
        super().__init__()
        self.attention = nn.MultiheadAttention(d, heads, batch_first=True)

    def forward(self, x):
        return self.attention(x, x, x, need_weights=False)[0]


def gelu_half_first(x):
    return x * 0.5 * (1 + torch.erf(x / math.sqrt(2)))


def gelu_inverse_root(x):
    return 0.5 * x * (1.0 + torch.erf(x * 0.7071067811865476))


def gelu_off(x):
    return x * 0.49 * (1 + torch.erf(x / math.sqrt(2)))


def gelu_shared(x):
    e = torch.erf(x / math.sqrt(2))
    return x * 0.5 * (1 + e) + e


def silu_shared(x):
    s = torch.sigmoid(x)
    return x * s + s


def transform_input(x):
    """Inception-v3's transform_input: each channel taken with x[:, k],
    unsqueezed back, scaled and shifted."""
    channels = [torch.unsqueeze(x[:, k], 1) * (s / 0.5) + (m - 0.5) / 0.5
                for k, (s, m) in enumerate(((0.229, 0.485), (0.224, 0.456), (0.225, 0.406)))]
    return torch.cat(channels, 1)


def take_last(x):
    return torch.unsqueeze(x[:, -1], 1)


def take_moved(x):
    return torch.unsqueeze(x[:, 0], 2)


def means_apart(x):
    mean = x.mean(-1, keepdim=True)
    variance = ((x - mean) ** 2).mean(-2, keepdim=True)
    return (x - mean) / torch.sqrt(variance + 1e-5)


def shuffle_swapped(x):
    n, c, h, w = x.size()
    x = x.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous()
    return x.view(n, c, w, h)


def halve_channels(x):
    return x.view(x.size(0), x.size(1) // 2, -1, x.size(3)) * 2


def shuffle_free_groups(x):
    n, c, h, w = x.size()
    x = x.view(n, 4, -1, h, w).transpose(1, 2).contiguous()
    return x.view(n, -1, h, w)


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def as_4d(array):
    return array.reshape(array.shape + (1,) * (4 - array.ndim))


def write_case(name, module, x, opset, expect, dynamic=True):
    """Exports @module at @opset and writes the case folder."""
    folder = os.path.join(OUT, name)
    os.makedirs(folder)
    module = module.eval()
    names = {'input_names': ['x'], 'output_names': ['y']}
    if dynamic:
        names['dynamic_axes'] = {'x': {0: 'batch'}, 'y': {0: 'batch'}}
    buffer = io.BytesIO()
    torch.onnx.export(module, x[:1], buffer, opset_version=opset, **names)
    model = onnx.load_from_string(buffer.getvalue())
    onnx.checker.check_model(model)
    with open(os.path.join(folder, 'model.onnx'), 'wb') as f:
        f.write(buffer.getvalue())
    with torch.no_grad():
        want = module.double()(x.double()).float().numpy()
    np.save(os.path.join(folder, 'input.npy'), as_4d(x.numpy()), allow_pickle=False)
    np.save(os.path.join(folder, 'expected.npy'), as_4d(want), allow_pickle=False)
    with open(os.path.join(folder, 'expect.txt'), 'w') as f:
        f.write(expect + '\n')
    ops = ' '.join(node.op_type for node in model.graph.node if node.op_type != 'Constant')
    print(f'{name}: {ops}')


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    torch.manual_seed(0)
    image = randn(2, 3, 6, 7)
    tokens = randn(2, 5, 8) * 3 + 1

    for opset in (11, 13, 17):
        torch.manual_seed(opset)
        write_case(f'silu-opset{opset}', Around(nn.SiLU()), image, opset,
                   'silu 1\nsigmoid 0\nmul 0')
        write_case(f'gelu-opset{opset}', Around(nn.GELU()), image, opset,
                   'gelu 1\nerf 0\nmul 0')
        write_case(f'hard-swish-opset{opset}', Around(nn.Hardswish()), image, opset,
                   'hard-swish 1\nhard-sigmoid 0\nmul 0')
        write_case(f'layer-norm-opset{opset}', nn.LayerNorm(8), tokens, opset,
                   'layer-norm 1\nreduce-mean 0\nsqrt 0')
        write_case(f'channel-shuffle-opset{opset}',
                   Around(Lambda(lambda x: channel_shuffle(x, 2)), c_mid=8), image, opset,
                   'channel-shuffle 1\ntranspose 0\nreshape 0')
        write_case(f'take-opset{opset}', Lambda(transform_input), image, opset,
                   'slice 3\nconcat 1')
        write_case(f'linear-opset{opset}', nn.Linear(8, 6), tokens, opset,
                   'linear 1\nmatmul 0\nadd 0')

    torch.manual_seed(1)
    # GELU as people write it by hand: 0.5 first, x times 1/√2
    write_case('gelu-half-first', Around(Lambda(gelu_half_first)), image, 13, 'gelu 1\nerf 0')
    write_case('gelu-inverse-root', Around(Lambda(gelu_inverse_root)), image, 13,
               'gelu 1\nerf 0')
    # LayerNorm: ConvNeXt's channels-last one, none affine, over two dims
    write_case('layer-norm-2d', Around(LayerNorm2d(4)), image, 13,
               'layer-norm 1\nreduce-mean 0\ntranspose 2')
    write_case('layer-norm-plain', nn.LayerNorm(8, elementwise_affine=False), tokens, 13,
               'layer-norm 1\nreduce-mean 0')
    norm = nn.LayerNorm((5, 8))
    with torch.no_grad():
        norm.weight.normal_()
        norm.bias.normal_()
    write_case('layer-norm-two-dims', norm, tokens, 11, 'layer-norm 1\nreduce-mean 0')
    # channel shuffle: 4 groups, sizes as numbers (no dynamic axis), -1
    write_case('channel-shuffle-static', Around(Lambda(lambda x: channel_shuffle(x, 4)),
                                                c_mid=8), image[:1], 13,
               'channel-shuffle 1\ntranspose 0', dynamic=False)
    write_case('channel-shuffle-free-groups', Around(Lambda(shuffle_free_groups), c_mid=8),
               image, 13, 'channel-shuffle 1\ntranspose 0')

    # a negative index
    write_case('take-last', Lambda(take_last), image, 13, 'slice 1')

    # channels // 2 folded at import (Shape, Gather, Div) for a plain Reshape
    write_case('shape-div', Lambda(halve_channels), randn(2, 4, 6, 7), 13, 'reshape 1')

    # near misses: imported node by node, the output still the module's
    write_case('near-gelu-off', Around(Lambda(gelu_off)), image, 13, 'gelu 0\nerf 1')
    write_case('near-gelu-shared', Around(Lambda(gelu_shared)), image, 13, 'gelu 0\nerf 1')
    write_case('near-silu-shared', Around(Lambda(silu_shared)), image, 13, 'silu 0\nsigmoid 1')
    write_case('near-silu-gate', Around(SqueezeExcite(nn.Sigmoid())), image, 13,
               'silu 0\nsigmoid 1\nmul 1')
    write_case('near-hard-swish-gate', Around(SqueezeExcite(nn.Hardsigmoid())), image, 13,
               'hard-swish 0\nhard-sigmoid 1')
    write_case('near-layer-norm-means', Lambda(means_apart), tokens, 13,
               'layer-norm 0\nreduce-mean 2')
    write_case('near-channel-shuffle-divided', Around(Lambda(shuffle_swapped), c_mid=8),
               randn(2, 3, 6, 7), 13, 'channel-shuffle 0\ntranspose 1')
    write_case('near-take-moved', Lambda(take_moved), image, 13, 'slice 1\nreshape 2')
    write_case('near-channel-shuffle-swapped', Around(Lambda(shuffle_swapped), c_mid=8),
               randn(1, 3, 6, 7), 13, 'channel-shuffle 0\ntranspose 1', dynamic=False)

    # Linear: ConvNeXt's MLP on channels-last values, without bias, on 2-D
    # rows (Gemm, the op's own import); near misses: a product read outside
    # its bias Add, weights of rank 3, a bias that varies by row
    torch.manual_seed(2)
    write_case('linear-channels-last', Around(ChannelsLastMlp()), image, 13,
               'linear 2\ngelu 1\ntranspose 2\nmatmul 0')
    write_case('linear-no-bias', nn.Linear(8, 6, bias=False), tokens, 13, 'linear 1\nmatmul 0')
    write_case('linear-rows', nn.Sequential(nn.Flatten(), nn.Linear(40, 6), nn.ReLU(),
                                            nn.Linear(6, 3)), tokens, 13, 'linear 2\nrelu 1')
    write_case('near-linear-shared', ProductShared(), tokens, 13, 'linear 1\nadd 1\nmul 1')
    write_case('near-linear-batched', ProductBatched((1, 8, 6), (6,)), tokens, 13,
               'linear 0\nmatmul 1\nadd 1')
    write_case('near-linear-bias-rows', ProductBatched((8, 6), (5, 6)), tokens, 13,
               'linear 0\nmatmul 1\nadd 1')

    # a ViT's parts with the batch dynamic: the class token expanded to the
    # batch, attention's heads split by reshapes to sizes read from shapes
    torch.manual_seed(3)
    for opset in (13, 17):
        write_case(f'class-token-opset{opset}', ClassToken(), tokens, opset,
                   'expand 1\nconcat 1')
        write_case(f'attention-opset{opset}', SelfAttention(), tokens, opset,
                   'softmax 1\nmatmul 2\nreshape 5')


if __name__ == '__main__':
    main()
