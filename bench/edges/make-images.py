#!/usr/bin/python3
"""Generate the benchmark input set: N distinct 1920x1080 JPEG photos.

The photos are derived from the sample images in <repo>/samples/ (all of them
smaller than 1920x1080): each output picks one source photo, upscales it
(bicubic) so that it covers 1920x1080 with some margin, crops a 1920x1080
window at a per-image offset, optionally flips / rotates it and applies a small
brightness and contrast change. The result is real photographic content (not
noise, not flat colour) and every file is different.

Everything is deterministic (seeded per image index), so re-running gives the
same set. If OUTDIR already holds exactly the N expected files, nothing is
regenerated.

Usage: make-images.py [--count N] [OUTDIR]
  OUTDIR defaults to /tmp/cnnfilt-bench-edges/photos (outside the repository).
"""

import argparse
import glob
import os
import sys

import cv2
import numpy as np

WIDTH, HEIGHT = 1920, 1080
JPEG_QUALITY = 90
DEFAULT_OUTDIR = "/tmp/cnnfilt-bench-edges/photos"

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SOURCES = [
    "samples/camera.png",
    "samples/coffee.jpg",
    "samples/chelsea.jpg",
    "samples/space/astronaut.jpg",
    "samples/space/rocket.jpg",
]


def output_name(index):
    return "photo-%04d.jpg" % index


def load_sources():
    images = []
    for rel in SOURCES:
        path = os.path.join(REPO_ROOT, rel)
        img = cv2.imread(path, cv2.IMREAD_COLOR)  # grey camera.png -> 3 equal channels
        if img is None:
            sys.exit("make-images: cannot read sample photo %s" % path)
        images.append(img)
    return images


def make_variant(src, index):
    """Build photo number `index` from the source photo `src` (BGR uint8)."""
    rng = np.random.default_rng(1000 + index)

    # Orientation: a quarter of the images are rotated by 90 degrees before
    # upscaling (so the crop shows a different part of the scene), and
    # horizontal / vertical flips vary independently.
    if rng.random() < 0.25:
        src = cv2.rotate(src, cv2.ROTATE_90_CLOCKWISE)
    if rng.random() < 0.5:
        src = cv2.flip(src, 1)
    if rng.random() < 0.15:
        src = cv2.flip(src, 0)

    # Upscale so that the image covers 1920x1080, plus a random zoom of up to
    # +60% so that crops at different offsets show different content.
    h, w = src.shape[:2]
    cover = max(WIDTH / w, HEIGHT / h)
    scale = cover * rng.uniform(1.05, 1.6)
    new_w = max(WIDTH, int(round(w * scale)))
    new_h = max(HEIGHT, int(round(h * scale)))
    big = cv2.resize(src, (new_w, new_h), interpolation=cv2.INTER_CUBIC)

    # Crop a 1920x1080 window at a random offset.
    x0 = int(rng.integers(0, new_w - WIDTH + 1))
    y0 = int(rng.integers(0, new_h - HEIGHT + 1))
    crop = big[y0:y0 + HEIGHT, x0:x0 + WIDTH]

    # Small brightness / contrast change: out = in * gain + offset.
    gain = rng.uniform(0.9, 1.1)
    offset = rng.uniform(-12.0, 12.0)
    return cv2.convertScaleAbs(crop, alpha=gain, beta=offset)


def existing_set(outdir, count):
    """True when outdir holds exactly the expected photo-*.jpg files."""
    found = sorted(os.path.basename(p) for p in glob.glob(os.path.join(outdir, "photo-*.jpg")))
    return found == [output_name(i) for i in range(count)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", nargs="?", default=DEFAULT_OUTDIR)
    parser.add_argument("--count", "-n", type=int, default=60,
                        help="number of photos to generate (default 60)")
    args = parser.parse_args()
    if args.count < 1:
        sys.exit("make-images: --count must be >= 1")

    outdir = os.path.abspath(args.outdir)
    if os.path.commonpath([outdir, REPO_ROOT]) == REPO_ROOT:
        sys.exit("make-images: refusing to write inside the repository (%s)" % outdir)
    os.makedirs(outdir, exist_ok=True)

    if existing_set(outdir, args.count):
        print("make-images: %s already holds %d photos, keeping them" % (outdir, args.count))
        return

    # Stale or partial set: remove only our own files, then regenerate.
    for old in glob.glob(os.path.join(outdir, "photo-*.jpg")):
        os.remove(old)

    sources = load_sources()
    params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    for i in range(args.count):
        img = make_variant(sources[i % len(sources)], i)
        assert img.shape == (HEIGHT, WIDTH, 3)
        path = os.path.join(outdir, output_name(i))
        if not cv2.imwrite(path, img, params):
            sys.exit("make-images: cannot write %s" % path)
    print("make-images: wrote %d photos (%dx%d, JPEG q%d) to %s"
          % (args.count, WIDTH, HEIGHT, JPEG_QUALITY, outdir))


if __name__ == "__main__":
    main()
