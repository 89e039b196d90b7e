#!/usr/bin/python3
"""Writes lenet5.onnx, next to this script: LeNet-5 (LeCun et al. 1998) on
1×32×32 inputs, seeded, for `cnnfilt model info` tests. 61,706 parameters:
conv 5×5 → 6, max-pool 2, conv 5×5 → 16, max-pool 2, conv 5×5 → 120,
fc 84, fc 10, with tanh activations. Usage: make-lenet5.py [OUT.onnx]"""
import os
import sys

import torch
from torch import nn

torch.manual_seed(5)
model = nn.Sequential(
    nn.Conv2d(1, 6, 5), nn.Tanh(), nn.MaxPool2d(2),
    nn.Conv2d(6, 16, 5), nn.Tanh(), nn.MaxPool2d(2),
    nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(),
    nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
).eval()
assert sum(p.numel() for p in model.parameters()) == 61706
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "lenet5.onnx")
torch.onnx.export(model, torch.zeros(1, 1, 32, 32), out, opset_version=13,
                  input_names=["input"], output_names=["logits"], do_constant_folding=True)
