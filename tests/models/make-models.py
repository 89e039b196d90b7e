#!/usr/bin/python3
"""Whole models exported from PyTorch, with PyTorch's logits, for
tests/models/test-models.py.

Run with Debian's interpreter (python3-torch 1.13, python3-torchvision,
python3-onnx for torch.onnx.export):

    /usr/bin/python3 tests/models/make-models.py OUT [NAME ...]
    /usr/bin/python3 tests/models/make-models.py --tree [NAME ...]

For each NAME (default: all of MODELS) it writes OUT/NAME/ holding

  model.onnx    the model in eval mode, opset 13, batch axis dynamic
  input.npy     4 inputs (n, c, h, w) float32 of the model's shape in
                MODELS (3×224×224 for the ImageNet networks, 3×96×96 for
                the two small ones kept in the tree, 1×32×32 for lenet5),
                drawn from N(0, 1) like standardised images
  expected.npy  the logits (4, classes) float32

With --tree it writes the models of TREE (default: all) into
tests/models/data/NAME/ instead, each with the first TREE[NAME] of the
four images and their logits.

Weights are torchvision's default initialisation drawn from a fixed seed
per model. In models with batch normalisation the running statistics are
first measured on random batches (so activations keep their scale through
fifty layers, as in a trained model) and then perturbed at random, with
the affine weight and bias, so that folding batchnorm into convolutions
is exercised with values far from the identity. They are measured in
training mode, all at once; in EfficientNet that lets each layer's
perturbation compound with the previous ones' until the logits reach 10^4
and PyTorch's own float32 run misses its float64 one by 2e-2, so
tests/models/sweep.py measures EfficientNet's layer by layer in evaluation
mode instead (layerwise_bn), each batchnorm measuring what the layers
before it, already perturbed, give it. That measure does not suit deep
residual networks: with every statistic exact the random network is
chaotic, float32 rounding grows layer after layer, and PyTorch's float32
ResNet-152 misses its float64 one by 1.8e-3. Layer normalisation's
affine parameters and ConvNeXt's layer scales are drawn likewise
(randomise_norms). The expected logits are
computed in float64 from the same float32 weights (a copy of the model
and the input cast to double) and only then rounded to float32: any
difference a test sees is the importer's and the C code's own.

The run is deterministic: same torch, same files; tests/models/data/ is
the output of --tree, kept for the default tests. tests/models/sweep.py
builds, exports and checks torchvision's classification families with
build(), export() and reference().
"""

import copy
import os
import sys
import time

import numpy as np

try:
    import torch
    import torch.nn as nn
    import torchvision
except ImportError as e:
    # Not an error: meson's models suite builds this script's output as a
    # target, and test-models.py then skips the models that are missing.
    print(f"make-models.py: skipped, needs python3-torch and python3-torchvision ({e})")
    sys.exit(0)


class LeNet5(nn.Module):
    """LeCun et al. 1998 with ReLU and max pooling: 1×32×32 to 10 logits."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 120, 5), nn.ReLU())
        self.classifier = nn.Sequential(
            nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def googlenet():
    # no auxiliary heads (they are training-only); transform_input is
    # False without pretrained weights
    return torchvision.models.googlenet(weights=None, aux_logits=False,
                                        init_weights=True, transform_input=False)


# name: (constructor, input shape of one image)
MODELS = {
    "lenet5": (LeNet5, (1, 32, 32)),
    "squeezenet1_1": (lambda: torchvision.models.squeezenet1_1(weights=None), (3, 224, 224)),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(weights=None), (3, 224, 224)),
    "resnet18": (lambda: torchvision.models.resnet18(weights=None), (3, 224, 224)),
    "googlenet": (googlenet, (3, 224, 224)),
    "densenet121": (lambda: torchvision.models.densenet121(weights=None), (3, 224, 224)),
    "resnet50": (lambda: torchvision.models.resnet50(weights=None), (3, 224, 224)),
    "alexnet": (lambda: torchvision.models.alexnet(weights=None), (3, 224, 224)),
    "vgg16": (lambda: torchvision.models.vgg16(weights=None), (3, 224, 224)),
    # hard-sigmoid, hard-swish (HardSigmoid · x before opset 14) and
    # squeeze-and-excitation; MNASNet ends with ReduceMean without keepdims
    "mobilenet_v3_small": (lambda: torchvision.models.mobilenet_v3_small(weights=None), (3, 224, 224)),
    "mnasnet0_5": (lambda: torchvision.models.mnasnet0_5(weights=None), (3, 224, 224)),
    # kept in the tree, small: MobileNetV3-small with torchvision's reduced
    # tail (the last stage's channels halved) and ShuffleNetV2 x0.5
    # (channel split and shuffle), both with 100 classes, at 96×96
    "mobilenet_v3_small_96": (lambda: torchvision.models.mobilenet_v3_small(
        weights=None, reduced_tail=True, num_classes=100), (3, 96, 96)),
    "shufflenet_v2_x0_5_96": (lambda: torchvision.models.shufflenet_v2_x0_5(
        weights=None, num_classes=100), (3, 96, 96)),
    # bench/models: SiLU (x · Sigmoid before opset 14) and squeeze-and-
    # excitation (EfficientNet-B0), hard-swish and SE at full width
    # (MobileNetV3-large), LayerNorm over channels, GELU and layer scale
    # (ConvNeXt-tiny), grouped 3×3 convolutions and SE (RegNetY-800MF)
    "efficientnet_b0": (lambda: torchvision.models.efficientnet_b0(weights=None), (3, 224, 224)),
    "mobilenet_v3_large": (lambda: torchvision.models.mobilenet_v3_large(weights=None), (3, 224, 224)),
    "convnext_tiny": (lambda: torchvision.models.convnext_tiny(weights=None), (3, 224, 224)),
    "regnet_y_800mf": (lambda: torchvision.models.regnet_y_800mf(weights=None), (3, 224, 224)),
    # bench/models, when named: the vision transformers
    "vit_b_16": (lambda: torchvision.models.vit_b_16(weights=None), (3, 224, 224)),
    "swin_t": (lambda: torchvision.models.swin_t(weights=None), (3, 224, 224)),
}

BATCH = 4

# the models kept in tests/models/data/ (made with --tree), and how many of
# the BATCH images each keeps
TREE = {"lenet5": 4, "squeezenet1_1": 2, "mobilenet_v3_small_96": 2, "shufflenet_v2_x0_5_96": 2}


def randomise_batchnorm(model, shape, generator, layerwise=False):
    """Running statistics measured on random data, then perturbed. By
    default measured in training mode, every batchnorm at once, on two
    batches of BATCH images; with LAYERWISE, in evaluation mode, layer by
    layer, each batchnorm measuring the input it gets from the layers
    before it, already perturbed, in one pass over 2 × BATCH images."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    if layerwise:
        randomise_batchnorm_layerwise(model, bns, shape, generator)
        return
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn((BATCH,) + shape, generator=generator))
        for m in bns:
            c = m.num_features
            std = m.running_var.sqrt()
            m.running_mean += 0.2 * std * torch.randn(c, generator=generator)
            m.running_var *= torch.empty(c).uniform_(0.5, 2.0, generator=generator)
            m.weight.copy_(torch.empty(c).uniform_(0.5, 1.5, generator=generator))
            m.bias.copy_(torch.empty(c).uniform_(-0.2, 0.2, generator=generator))
    model.eval()


def randomise_batchnorm_layerwise(model, bns, shape, generator):
    def measure(m, inputs):
        x = inputs[0].double()
        axes = [0] + list(range(2, x.dim()))
        c = m.num_features
        mean, var = x.mean(axes), x.var(axes, unbiased=False)
        m.running_mean.copy_(mean + 0.2 * var.sqrt() * torch.randn(c, generator=generator,
                                                                  dtype=torch.float64))
        m.running_var.copy_(var * torch.empty(c, dtype=torch.float64).uniform_(
            0.5, 2.0, generator=generator))
        m.weight.copy_(torch.empty(c).uniform_(0.5, 1.5, generator=generator))
        m.bias.copy_(torch.empty(c).uniform_(-0.2, 0.2, generator=generator))

    model.eval()
    hooks = [m.register_forward_pre_hook(measure) for m in bns]
    with torch.no_grad():
        model(torch.randn((2 * BATCH,) + shape, generator=generator))
    for hook in hooks:
        hook.remove()


def randomise_zero_biases(model, generator):
    """Biases that torchvision's init leaves at zero (VGG's, the classifiers
    of DenseNet and MobileNetV2) get small random values: a zero bias would
    not test the bias path, and PyTorch's exporter shares equal initializers
    through Identity nodes, which OpenCV 4.6 (a peer in bench/models) cannot
    import. A Linear whose weights are all zero (ViT's head) gets N(0, 0.05)
    weights: otherwise every logit is its bias, whatever the network
    computes."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear) and not m.weight.any():
                m.weight.copy_(torch.randn(m.weight.shape, generator=generator) * 0.05)
            bias = getattr(m, "bias", None)
            if isinstance(m, (nn.Conv2d, nn.Linear)) and bias is not None and not bias.any():
                bias.copy_(torch.empty(bias.shape).uniform_(-0.1, 0.1, generator=generator))


def randomise_norms(model, generator):
    """Layer normalisation's affine weight and bias (torchvision's init:
    one and zero) drawn like batchnorm's, and ConvNeXt's layer scales
    (init 1e-6, which leaves a block's output a millionth of the residual
    and so untested) drawn from [0.05, 0.5]."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.LayerNorm) and m.elementwise_affine:
                m.weight.copy_(torch.empty(m.weight.shape).uniform_(0.5, 1.5, generator=generator))
                m.bias.copy_(torch.empty(m.bias.shape).uniform_(-0.2, 0.2, generator=generator))
            scale = getattr(m, "layer_scale", None)
            if isinstance(scale, nn.Parameter):
                scale.copy_(torch.empty(scale.shape).uniform_(0.05, 0.5, generator=generator))


def build(constructor, shape, seed, layerwise_bn=False):
    """The model in eval mode with its weights drawn from SEED, and BATCH
    inputs of SHAPE drawn after them; LAYERWISE_BN: see randomise_batchnorm."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = constructor()
    randomise_zero_biases(model, generator)
    randomise_norms(model, generator)
    randomise_batchnorm(model, shape, generator, layerwise_bn)
    model.eval()
    x = torch.randn((BATCH,) + shape, generator=generator, dtype=torch.float32)
    return model, x


def export(model, x, path, opset=13):
    """MODEL traced on the first image of X, batch axis dynamic."""
    torch.onnx.export(model, x[:1], path, opset_version=opset,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)


def reference(model, x):
    """The logits (batch, classes) in float64 from a float64 copy of MODEL,
    and PyTorch float32's max rel err against them by test-models.py's
    measure."""
    with torch.no_grad():
        want = copy.deepcopy(model).double()(x.double())
        got32 = model(x)
    want = want.reshape(len(x), -1)
    scale = torch.maximum(want.abs(), 0.1 * want.abs().amax(dim=1, keepdim=True))
    float32_err = ((got32.double().reshape(len(x), -1) - want).abs() / scale).max().item()
    return want, float32_err


def make(name, out_dir, seed, images=BATCH):
    constructor, shape = MODELS[name]
    model, x = build(constructor, shape, seed)

    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    onnx_path = os.path.join(folder, "model.onnx")
    export(model, x, onnx_path)

    want, float32_err = reference(model, x)
    peak = want.abs().max().item()

    np.save(os.path.join(folder, "input.npy"), x[:images].numpy().astype("<f4"))
    np.save(os.path.join(folder, "expected.npy"), want[:images].float().numpy().astype("<f4"))
    size = os.path.getsize(onnx_path)
    print(f"{name}: {size / 1e6:.1f} MB, logits {tuple(want.shape)}, peak {peak:.4g}, "
          f"PyTorch float32 max rel err {float32_err:.2e}", flush=True)


def main(argv):
    args = argv[1:]
    tree = bool(args) and args[0] == "--tree"
    if tree:
        out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
        names = args[1:] or list(TREE)
    elif not args or args[0] in ("-h", "--help"):
        print("\n\n".join(__doc__.strip().split("\n\n")[1:3]), file=sys.stderr)
        print("models: " + " ".join(MODELS), file=sys.stderr)
        return 2
    else:
        out_dir = args[0]
        names = args[1:] or list(MODELS)
    for name in names:
        if name not in (TREE if tree else MODELS):
            print(f"make-models.py: unknown model '{name}'; known: "
                  f"{' '.join(TREE if tree else MODELS)}", file=sys.stderr)
            return 2
    torch.set_num_threads(os.cpu_count() or 1)
    for i, name in enumerate(MODELS):
        if name in names:
            start = time.monotonic()
            # the seed is the model's place in MODELS, so that making one
            # model alone gives the same files as making them all
            make(name, out_dir, 1000 + i, TREE[name] if tree else BATCH)
            print(f"  {time.monotonic() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
