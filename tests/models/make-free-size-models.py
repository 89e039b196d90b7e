#!/usr/bin/python3
"""Two tiny ONNX classifiers whose input height and width are free, for the
command-line tests of models that fix only some dimensions of their input.

Run with Debian's interpreter (python3-torch, python3-onnx):

    /usr/bin/python3 tests/models/make-free-size-models.py tests/models/data

It writes, as tests/models/make-models.py does for its models,

  free_hw_rgb/   input [1, 3, 'h', 'w']: batch fixed at 1, three channels
  free_hw_grey/  input ['n', 1, 'h', 'w']: one channel, batch free too

each holding model.onnx (conv 3×3 to 4 channels, relu, global average
pool, flatten, linear to 5 logits; about 1 kB, opset 13), input.npy (4
images of 16×20, drawn from N(0, 1)) and expected.npy (their logits (4, 5),
computed in float64 from the float32 weights). The files in the tree are
this script's output; the run is deterministic for a given torch.
"""

import os
import sys

import numpy as np
import torch
import torch.nn as nn


class Tiny(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, 4, 3)
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 5)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.relu(self.conv(x))), 1))


# name: (channels, the input's free axes)
MODELS = {
    "free_hw_rgb": (3, {2: "h", 3: "w"}),
    "free_hw_grey": (1, {0: "n", 2: "h", 3: "w"}),
}


def main(out):
    for seed, (name, (channels, axes)) in enumerate(sorted(MODELS.items())):
        torch.manual_seed(seed)
        model = Tiny(channels).eval()
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        torch.onnx.export(model, torch.zeros(1, channels, 16, 20), os.path.join(folder, "model.onnx"),
                          input_names=["x"], output_names=["logits"],
                          dynamic_axes={"x": axes, "logits": {0: "n"} if 0 in axes else {}},
                          opset_version=13)
        x = np.random.default_rng(seed).standard_normal((4, channels, 16, 20)).astype(np.float32)
        with torch.no_grad():
            want = model.double()(torch.from_numpy(x).double()).numpy().astype(np.float32)
        np.save(os.path.join(folder, "input.npy"), x)
        np.save(os.path.join(folder, "expected.npy"), want)
        print(f"{folder}: {os.path.getsize(os.path.join(folder, 'model.onnx'))} bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "data"))
