#!/usr/bin/python3
"""Photos of a folder most similar to a query: python3 similar.py MODEL.onnx LAYER PHOTOS/ QUERY"""
import pathlib, sys
import gi
gi.require_version("Cnnfilt", "1.0")
from gi.repository import Cnnfilt

model, layer, folder, query = sys.argv[1:5]
prepare = Cnnfilt.imagenet_pipeline(Cnnfilt.Shape.new(1, 3, 224, 224), 0, None, None)
embed = Cnnfilt.Graph.new_from_string(f"{prepare} ! model file='{model}' output='{layer}' ! global-avg-pool")
vector = lambda path: embed(Cnnfilt.Tensor.from_file(path)).to_numpy().reshape(-1)
index = Cnnfilt.Index.open(":memory:")
index.set_model(model, len(vector(query)))
for photo in sorted(p for p in pathlib.Path(folder).rglob("*") if p.suffix.lower() in {".jpg", ".png"}):
    index.add(str(photo), 0, 0, vector(photo))
for path, score in zip(*index.search(vector(query), 3)):
    print(f"{score:.4f} {path}")
