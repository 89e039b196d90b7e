#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A folder of COUNT JPEG photos made from the repository's samples/, for
bench/scale when bench/embed's photo folder is not there:

    make_photos.py OUT_DIR [--count 220]

Each photo is a random crop (55-100 % of the largest box of the target's
aspect ratio) of one of the five sample photos, flipped left-right half of
the time, resized with Lanczos to one of 640x480 ... 1920x1080 (or the
portrait size), saved as a baseline JPEG of quality 85, 90 or 95. numpy's
PCG64 with a fixed seed makes every choice, so the same samples give the
same bytes. Nothing is done when OUT_DIR/MANIFEST says VERSION and COUNT.
"""
import argparse
import os

import numpy as np
from PIL import Image

VERSION = "scale-photos-1"
SEED = 20261202
SIZES = [(640, 480), (800, 600), (1024, 768), (1280, 720), (1280, 960), (1920, 1080)]
HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "..", "samples")
SOURCES = ["camera.png", "chelsea.jpg", "coffee.jpg", "space/astronaut.jpg", "space/rocket.jpg"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=220)
    args = parser.parse_args()
    manifest = os.path.join(args.out, "MANIFEST")
    stamp = f"{VERSION} count={args.count}\n"
    if os.path.exists(manifest) and open(manifest).readline() == stamp:
        return
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.Generator(np.random.PCG64(SEED))
    sources = [Image.open(os.path.join(SAMPLES, s)).convert("RGB") for s in SOURCES]
    lines = [stamp]
    for i in range(args.count):
        source = sources[i % len(sources)]
        w, h = SIZES[rng.integers(len(SIZES))]
        if rng.random() < 0.25:
            w, h = h, w
        sw, sh = source.size
        scale = min(sw / w, sh / h) * rng.uniform(np.sqrt(0.55), 1.0)
        cw, ch = int(w * scale), int(h * scale)
        x, y = int(rng.integers(0, sw - cw + 1)), int(rng.integers(0, sh - ch + 1))
        photo = source.crop((x, y, x + cw, y + ch))
        if rng.random() < 0.5:
            photo = photo.transpose(Image.FLIP_LEFT_RIGHT)
        photo = photo.resize((w, h), Image.LANCZOS)
        quality = int(rng.choice([85, 90, 95]))
        name = f"s{i:04d}-{w}x{h}.jpg"
        photo.save(os.path.join(args.out, name), quality=quality)
        lines.append(f"{name}\t{w}x{h}\tq{quality}\t{SOURCES[i % len(SOURCES)]}\n")
    with open(manifest + ".tmp", "w") as f:
        f.writelines(lines)
    os.replace(manifest + ".tmp", manifest)


if __name__ == "__main__":
    main()
