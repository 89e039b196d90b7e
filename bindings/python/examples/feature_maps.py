#!/usr/bin/python3
"""The feature maps of one layer of an ONNX model, shown with matplotlib.

    python3 feature_maps.py MODEL.onnx LAYER PHOTO [OUT.png]

LAYER is a node name, as `cnnfilt model info MODEL.onnx` lists them. The
photo is prepared as torchvision prepares ImageNet input (shorter side 256,
centre crop 224, mean/std), the model is cut at LAYER (the `model` op's
output), and its first 16 channels are drawn in a grid; with OUT.png the
figure is written there instead of shown.
"""
import sys

import gi
gi.require_version("Cnnfilt", "1.0")
from gi.repository import Cnnfilt
import matplotlib
if len(sys.argv) > 4:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt

model, layer, photo = sys.argv[1:4]
graph = Cnnfilt.Graph.new_from_string(
    "rgb ! resize shorter=256 ! center-crop width=224 height=224 ! standardize"
    f" ! model file='{model}' output='{layer}'")
maps = graph(Cnnfilt.Tensor.from_file(photo)).to_numpy()[0]

fig, axes = plt.subplots(4, 4, figsize=(8, 8))
for channel, ax in enumerate(axes.flat):
    if channel < len(maps):
        ax.imshow(maps[channel], cmap="viridis")
        ax.set_title(f"channel {channel}", fontsize=8)
    ax.axis("off")
fig.suptitle(f"{layer}: {maps.shape[0]} maps of {maps.shape[1]}×{maps.shape[2]}")
if len(sys.argv) > 4:
    fig.savefig(sys.argv[4], dpi=60)
else:
    plt.show()
