#!/usr/bin/python3
"""Photos of a folder most similar to a query: python3 similar.py MODEL.onnx LAYER PHOTOS/ QUERY
(MODEL.onnx and LAYER may be "-": the default model, its output)"""
import pathlib, sys
import gi
gi.require_version("Cnnfilt", "1.0")
from gi.repository import Cnnfilt

model, layer, folder, query = sys.argv[1:5]
embedder = Cnnfilt.Embedder.new(None if model == "-" else model, None if layer == "-" else layer)
index = Cnnfilt.Index.open(":memory:")
embedder.attach(index)
for photo in sorted(p for p in pathlib.Path(folder).rglob("*") if p.suffix.lower() in {".jpg", ".png"}):
    index.add(str(photo), 0, 0, embedder.embed_file(str(photo)))
for path, score in zip(*index.search(embedder.embed_file(str(query)), 3)):
    print(f"{score:.4f} {path}")
