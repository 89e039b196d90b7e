#!/usr/bin/python3
"""Edge maps of every photo in a folder: python3 edges.py PHOTOS/ OUT/"""
import pathlib, sys
import gi
gi.require_version("Cnnfilt", "1.0")
from gi.repository import Cnnfilt

edges = Cnnfilt.Graph.new_from_string("grayscale ! sobel direction=magnitude ! normalize")
source, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for photo in sorted(p for p in source.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"}):
    out = target / photo.relative_to(source).with_suffix(".png")
    out.parent.mkdir(parents=True, exist_ok=True)
    edges(Cnnfilt.Tensor.from_file(photo)).save(out)
    print(out)
