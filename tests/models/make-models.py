#!/usr/bin/python3
"""Whole models exported from PyTorch, with PyTorch's logits, for
tests/models/test-models.py.

Run with Debian's interpreter (python3-torch 1.13, python3-torchvision,
python3-onnx for torch.onnx.export):

    /usr/bin/python3 tests/models/make-models.py OUT [NAME ...]

For each NAME (default: all of MODELS) it writes OUT/NAME/ holding

  model.onnx    the model in eval mode, opset 13, batch axis dynamic
  input.npy     4 inputs (n, c, h, w) float32: 4×3×224×224, or 4×1×32×32
                for lenet5, drawn from N(0, 1) like standardised images
  expected.npy  the logits (4, classes) float32

Weights are torchvision's default initialisation drawn from a fixed seed
per model. In models with batch normalisation the running statistics are
first measured on random batches (so activations keep their scale through
fifty layers, as in a trained model) and then perturbed at random, with
the affine weight and bias, so that folding batchnorm into convolutions
is exercised with values far from the identity. The expected logits are
computed in float64 from the same float32 weights (a copy of the model
and the input cast to double) and only then rounded to float32: any
difference a test sees is the importer's and the C code's own.

The run is deterministic: same torch, same files. tests/models/data/lenet5
is this script's output for lenet5, kept in the tree for the default tests,
and tests/models/data/squeezenet1_1 its output for squeezenet1_1 with the
first two of the four images and their logits.
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
}

BATCH = 4


def randomise_batchnorm(model, shape, generator):
    """Running statistics measured on random data, then perturbed."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
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


def randomise_zero_biases(model, generator):
    """Biases that torchvision's init leaves at zero (VGG's, the classifiers
    of DenseNet and MobileNetV2) get small random values: a zero bias would
    not test the bias path, and PyTorch's exporter shares equal initializers
    through Identity nodes, which OpenCV 4.6 (a peer in bench/models) cannot
    import."""
    with torch.no_grad():
        for m in model.modules():
            bias = getattr(m, "bias", None)
            if isinstance(m, (nn.Conv2d, nn.Linear)) and bias is not None and not bias.any():
                bias.copy_(torch.empty(bias.shape).uniform_(-0.1, 0.1, generator=generator))


def make(name, out_dir, seed):
    constructor, shape = MODELS[name]
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = constructor()
    randomise_zero_biases(model, generator)
    randomise_batchnorm(model, shape, generator)
    model.eval()

    x = torch.randn((BATCH,) + shape, generator=generator, dtype=torch.float32)

    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    onnx_path = os.path.join(folder, "model.onnx")
    torch.onnx.export(model, x[:1], onnx_path, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)

    with torch.no_grad():
        want = copy.deepcopy(model).double()(x.double())
        got32 = model(x)
    want = want.reshape(BATCH, -1)
    peak = want.abs().max().item()
    # PyTorch's own float32 run, by test-models.py's measure
    scale = torch.maximum(want.abs(), 0.1 * want.abs().amax(dim=1, keepdim=True))
    float32_err = ((got32.double().reshape(BATCH, -1) - want).abs() / scale).max().item()

    np.save(os.path.join(folder, "input.npy"), x.numpy().astype("<f4"))
    np.save(os.path.join(folder, "expected.npy"), want.float().numpy().astype("<f4"))
    size = os.path.getsize(onnx_path)
    print(f"{name}: {size / 1e6:.1f} MB, logits {tuple(want.shape)}, peak {peak:.4g}, "
          f"PyTorch float32 max rel err {float32_err:.2e}", flush=True)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print("\n\n".join(__doc__.strip().split("\n\n")[1:3]), file=sys.stderr)
        print("models: " + " ".join(MODELS), file=sys.stderr)
        return 2
    out_dir = argv[1]
    names = argv[2:] or list(MODELS)
    for name in names:
        if name not in MODELS:
            print(f"make-models.py: unknown model '{name}'; known: {' '.join(MODELS)}",
                  file=sys.stderr)
            return 2
    torch.set_num_threads(os.cpu_count() or 1)
    for i, name in enumerate(MODELS):
        if name in names:
            start = time.monotonic()
            # the seed is the model's place in MODELS, so that making one
            # model alone gives the same files as making them all
            make(name, out_dir, 1000 + i)
            print(f"  {time.monotonic() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
