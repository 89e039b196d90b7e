#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The photo folders of bench/embed, made deterministically from real photos
that Debian ships (and this repository's samples/).

    make_photos.py OUT_DIR [--sources DIR] [--count 200] [--large 20]

writes, when OUT_DIR/MANIFEST is missing or was made by another VERSION:

  OUT_DIR/mixed/     COUNT JPEGs of sizes from 640×480 to 1920×1080 (and the
                     portrait ones), then LARGE at 4000×3000 (3000×4000)
  OUT_DIR/1080p/     hard links to the 1920×1080 and 1080×1920 ones of mixed/
  OUT_DIR/12mp/      hard links to the 4000×3000 and 3000×4000 ones
  OUT_DIR/small256/  every photo of mixed/ reduced so that its shorter side
                     is 256 (what cnnfilt resizes to), JPEG quality 95
  OUT_DIR/one/       a hard link to the first photo (a 1920×1080 one): what
                     starting up costs
  OUT_DIR/MANIFEST   the generator version, the sources used, every file with
                     its size in pixels and bytes

Each photo is a crop of one source photo (a random box of the target's
aspect ratio covering 55–100 % of the largest such box), flipped left–right
half of the time, resized with Pillow's Lanczos filter to the target size,
given film-grain-like noise (Gaussian, σ 1.5–3 levels of 255: sources are at
most 1411 px wide, and without grain an enlarged crop would be smoother, and
its JPEG smaller and faster to decode, than a camera's photo of that size),
and saved as a baseline JPEG (quality 85, 90 or 95, 4:2:0 chroma, no EXIF).
Grey sources give grey JPEGs. Every choice comes from numpy's PCG64 seeded
with SEED, so the same sources give the same bytes.

Sources: the files of SOURCES below found under the --sources folder(s), the
usual install paths (python3-skimage, python3-sklearn, opencv-doc) and the
repository's samples/; run.sh extracts them from the Debian packages
(apt-get download, dpkg-deb -x; nothing installed) into the cache when the
packages are not installed.
"""
import argparse
import hashlib
import os
import shutil
import sys

import numpy as np
from PIL import Image

VERSION = "embed-photos-1"
SEED = 20261123

# Real photographs only (no drawings, charts, calibration boards); package: paths
SOURCES = {
    "python3-skimage": ("usr/lib/python3/dist-packages/skimage/data", [
        "astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png",
        "hubble_deep_field.jpg", "retina.jpg", "ihc.png", "grass.png", "gravel.png", "brick.png",
        "camera.png"]),
    "python3-sklearn": ("usr/lib/python3/dist-packages/sklearn/datasets/images", [
        "china.jpg", "flower.jpg"]),
    "opencv-doc": ("usr/share/doc/opencv-doc/examples/data", [
        "leuvenA.jpg", "leuvenB.jpg", "aloeL.jpg", "aloeR.jpg", "baboon.jpg", "fruits.jpg",
        "building.jpg", "messi5.jpg", "apple.jpg", "orange.jpg", "butterfly.jpg", "home.jpg",
        "aero1.jpg", "aero3.jpg", "graf1.png", "basketball1.png", "squirrel_cls.jpg",
        "starry_night.jpg", "rubberwhale1.png", "ela_original.jpg", "pic2.png", "smarties.png"]),
}
REPO_SAMPLES = ["chelsea.jpg", "coffee.jpg", "space/astronaut.jpg", "space/rocket.jpg"]

# (width, height, weight) of the mixed sizes; portrait ones too
SIZES = [(1920, 1080, 5), (1080, 1920, 2), (1440, 1080, 2), (1600, 900, 2), (1280, 960, 2),
         (1280, 720, 3), (960, 1280, 1), (1024, 768, 3), (768, 1024, 1), (800, 600, 2),
         (600, 800, 1), (640, 480, 2)]
LARGE = [(4000, 3000, 4), (3000, 4000, 1)]


def find_sources(roots, repo):
    found, missing = [], []
    for package, (folder, names) in SOURCES.items():
        for name in names:
            for root in roots:
                p = os.path.join(root, folder, name)
                if os.path.isfile(p):
                    found.append(p)
                    break
            else:
                missing.append(f"{package}:{name}")
    for name in REPO_SAMPLES:
        p = os.path.join(repo, "samples", name)
        (found if os.path.isfile(p) else missing).append(p)
    return found, missing


def load(path):
    im = Image.open(path)
    im.load()
    return im.convert("L") if im.mode in ("L", "LA", "I", "I;16", "1") else im.convert("RGB")


def make_one(rng, src, size, quality, out):
    w, h = size
    sw, sh = src.size
    # the largest box of the target's aspect ratio, then 55–100 % of it
    bw, bh = (sw, sw * h / w) if sw * h / w <= sh else (sh * w / h, sh)
    f = rng.uniform(0.55, 1.0)
    cw, ch = bw * f, bh * f
    x0, y0 = rng.uniform(0, sw - cw), rng.uniform(0, sh - ch)
    im = src.resize((w, h), Image.LANCZOS, box=(x0, y0, x0 + cw, y0 + ch))
    if rng.random() < 0.5:
        im = im.transpose(Image.FLIP_LEFT_RIGHT)
    a = np.asarray(im, np.float32)
    sigma = rng.uniform(1.5, 3.0)
    noise = np.random.Generator(np.random.PCG64(int(rng.integers(1 << 62)))).standard_normal(
        a.shape[:2], dtype=np.float32) * sigma
    a = a + (noise[..., None] if a.ndim == 3 else noise)
    im = Image.fromarray(np.clip(a + 0.5, 0, 255).astype(np.uint8), im.mode)
    im.save(out, "JPEG", quality=quality, subsampling="4:2:0", optimize=False)


def pick(rng, table):
    weights = np.array([t[2] for t in table], float)
    return table[int(rng.choice(len(table), p=weights / weights.sum()))][:2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--sources", action="append", default=[],
                    help="a folder holding usr/... as the Debian packages install it (repeatable)")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--large", type=int, default=20)
    ap.add_argument("--repo", default=os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
    args = ap.parse_args()

    manifest = os.path.join(args.out, "MANIFEST")
    tag = f"{VERSION} count={args.count} large={args.large}"
    if os.path.isfile(manifest):
        with open(manifest) as f:
            if f.readline().strip() == tag:
                print(f"photos: {args.out} is there ({tag})", file=sys.stderr)
                return 0
    found, missing = find_sources(args.sources + ["/"], args.repo)
    if len(found) < 10:
        sys.exit(f"make_photos.py: only {len(found)} source photos found; missing: {' '.join(missing)}")
    shutil.rmtree(args.out, ignore_errors=True)
    for d in ("mixed", "1080p", "12mp", "small256", "one"):
        os.makedirs(os.path.join(args.out, d))
    rng = np.random.Generator(np.random.PCG64(SEED))
    sources = [load(p) for p in found]
    lines = []
    jobs = [(pick(rng, SIZES), False) for _ in range(args.count)] + \
           [(pick(rng, LARGE), True) for _ in range(args.large)]
    for i, (size, large) in enumerate(jobs):
        k = i % len(sources)
        quality = int(rng.choice([85, 90, 95]))
        name = f"{'L' if large else 'p'}{i:04d}-{size[0]}x{size[1]}.jpg"
        out = os.path.join(args.out, "mixed", name)
        make_one(rng, sources[k], size, quality, out)
        if size in ((1920, 1080), (1080, 1920)):
            os.link(out, os.path.join(args.out, "1080p", name))
        if large:
            os.link(out, os.path.join(args.out, "12mp", name))
        if i == 0:
            os.link(out, os.path.join(args.out, "one", name))
        im = Image.open(out)
        s = 256 / min(im.size)
        small = im.resize((max(256, round(im.size[0] * s)), max(256, round(im.size[1] * s))), Image.LANCZOS,
                          reducing_gap=3.0)
        small.save(os.path.join(args.out, "small256", name), "JPEG", quality=95)
        lines.append(f"{name}\t{size[0]}x{size[1]}\t{os.path.getsize(out)}\tq{quality}\t"
                     f"{os.path.basename(found[k])}")
        if (i + 1) % 20 == 0:
            print(f"photos: {i + 1}/{len(jobs)}", file=sys.stderr)
    digest = hashlib.sha256()
    for name in sorted(os.listdir(os.path.join(args.out, "mixed"))):
        with open(os.path.join(args.out, "mixed", name), "rb") as f:
            digest.update(f.read())
    with open(manifest + ".tmp", "w") as f:
        f.write(tag + "\n")
        f.write(f"sha256 of mixed/: {digest.hexdigest()[:16]}\n")
        f.write(f"sources: {len(found)} found" + (f"; missing: {' '.join(missing)}" if missing else "") + "\n")
        f.write("\n".join(lines) + "\n")
    os.replace(manifest + ".tmp", manifest)
    print(f"photos: wrote {len(jobs)} photos to {args.out} (sha256 {digest.hexdigest()[:16]})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
