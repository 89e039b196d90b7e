#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Python peer of `cnnfilt embed`: Pillow decodes, OpenCV's dnn module
runs the same ONNX file.

    embed_opencv.py MODEL.onnx DIR OUT.npy PATHS.txt [--threads 2] [--batch 1]
                    [--prefetch 2] [--standardize imagenet|none]

Every image under DIR (walked recursively, sorted, hidden entries skipped,
by suffix) is prepared as `cnnfilt embed` prepares it (bin/embed.c,
libcnnfilt/cnnfilt-preprocess.c, cnnfilt-image.c), then run through the
model; OUT.npy gets the L2-normalised embeddings (N × D float32, as `cnnfilt
index export` writes them) and PATHS.txt their paths, DIR joined with the
path under it.

Preparation, step by step as cnnfilt does it:
  1. decode reduced: Pillow's JPEG draft mode, Image.draft("RGB", (512, 512)),
     lets libjpeg decode at 1/2, 1/4 or 1/8 size, the largest factor that
     keeps both sides >= 512, i.e. the shorter side >= 2 × 256: exactly
     cnnfilt's rule (shrink_factor() in cnnfilt-image.c: shorter side //
     512, then 8, 4 or 2). This is Pillow's best configuration for this job
     (without draft it decodes every pixel). What the decoder did not
     reduce (other formats, factors over 8) is box-reduced by the whole factor
     left (Image.reduce), as cnnfilt's vips_shrink does;
  2. turned upright by the EXIF orientation (cnnfilt's default), made RGB
     (grey repeated in R, G, B, alpha dropped, as cnnfilt's rgb op);
  3. the shorter side resized to 256, the longer one to floor(side · 256 /
     shorter) (torchvision's rule, cnnfilt's `resize shorter=256`), by area
     averaging (cv2.INTER_AREA, the filter of cnnfilt's `resize` when
     shrinking; bilinear when enlarging, as both do), on 8-bit pixels;
  4. the centre 224 × 224 (offsets rounded half to even, as cnnfilt's
     center-crop and torchvision's CenterCrop), ÷ 255;
  5. --standardize imagenet (default): (x − mean) / std with ImageNet's
     statistics, which cnnfilt's pipeline applies to every colour model
     (cnnfilt_imagenet_pipeline()), and the input the default model takes;
     `none` leaves [0, 1], for models that take that.

OpenCV 4.6 cannot import the file as it is: its ONNX importer takes Clip
(ReLU6) only with min/max as attributes (opset < 11), and the file has them
as inputs. The graph is rewritten in memory (python3-onnx): each Clip gets
its two constant inputs as attributes; nothing else changes. The model's
input is fixed at batch 1, but OpenCV's dnn runs any batch: --batch N stacks
N images into one blob. --prefetch P decodes on P threads ahead of the
network (Pillow and OpenCV release the GIL); 0 decodes in the main thread.

A line on stderr says where the time went: model load, preparation (summed
over threads), forward passes, writing, total.
"""
import argparse
import collections
import concurrent.futures
import math
import os
import sys
import time

import numpy as np

t_start = time.perf_counter()
import cv2  # noqa: E402
import onnx  # noqa: E402
from onnx import helper, numpy_helper  # noqa: E402
from PIL import Image  # noqa: E402

SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif"}
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
RESIZE = 256   # cnnfilt_imagenet_resize(): 224 · 256 / 224
CROP = 224


def list_images(root):
    found = []
    for d, dirs, files in os.walk(root, followlinks=True):
        dirs[:] = sorted(x for x in dirs if not x.startswith("."))
        for f in sorted(files):
            if not f.startswith(".") and os.path.splitext(f)[1].lower() in SUFFIXES:
                found.append(os.path.join(d, f))
    return found


def load_net(path):
    """The ONNX file with each Clip's constant min/max inputs as attributes,
    which OpenCV 4.6's importer requires."""
    model = onnx.load(path)
    consts = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Clip" and len(node.input) > 1:
            bounds = [float(consts[n]) if n else None for n in list(node.input[1:3])]
            del node.input[1:]
            for key, value in zip(("min", "max"), bounds):
                if value is not None:
                    node.attribute.append(helper.make_attribute(key, value))
    net = cv2.dnn.readNetFromONNX(np.frombuffer(model.SerializeToString(), np.uint8))
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    return net, model.graph.input[0].name


def shrink_factor(side, shrink_to):
    """cnnfilt-image.c's shrink_factor()."""
    return 1 if side <= 2 * shrink_to else side // (2 * shrink_to)


def prepare(path, standardize):
    t0 = time.perf_counter()
    im = Image.open(path)
    if im.format == "JPEG":
        im.draft("RGB", (2 * RESIZE, 2 * RESIZE))
    orientation = im.getexif().get(0x0112, 1)
    im.load()
    rest = shrink_factor(min(im.size), RESIZE)
    if rest > 1:
        im = im.reduce(rest)
    if orientation != 1:
        from PIL import ImageOps
        im = ImageOps.exif_transpose(im)
    if im.mode != "RGB":
        im = im.convert("RGB")
    a = np.asarray(im)
    h, w = a.shape[:2]
    if h <= w:
        oh, ow = RESIZE, math.floor(w * RESIZE / h)
    else:
        ow, oh = RESIZE, math.floor(h * RESIZE / w)
    a = cv2.resize(a, (ow, oh), interpolation=cv2.INTER_AREA if ow < w else cv2.INTER_LINEAR)
    top, left = round((oh - CROP) / 2), round((ow - CROP) / 2)   # round(): half to even
    x = a[top:top + CROP, left:left + CROP].astype(np.float32) * np.float32(1 / 255)
    if standardize:
        x = (x - MEAN) / STD
    return x.transpose(2, 0, 1), time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("dir")
    ap.add_argument("out_npy")
    ap.add_argument("out_paths")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--prefetch", type=int, default=2)
    ap.add_argument("--standardize", choices=("imagenet", "none"), default="imagenet")
    args = ap.parse_args()
    cv2.setNumThreads(args.threads)
    standardize = args.standardize == "imagenet"

    paths = list_images(args.dir)
    t0 = time.perf_counter()
    net, _ = load_net(args.model)
    t_load = time.perf_counter() - t0

    out = []
    t_prep = t_fwd = 0.0
    failed = 0
    pool = concurrent.futures.ThreadPoolExecutor(args.prefetch) if args.prefetch > 0 else None
    queue = collections.deque()
    ahead = max(args.prefetch, 1) + args.batch
    submitted = 0
    batch, done_paths = [], []

    def forward(batch):
        nonlocal t_fwd
        t = time.perf_counter()
        net.setInput(np.stack(batch))
        y = net.forward().reshape(len(batch), -1)
        t_fwd += time.perf_counter() - t
        out.append(y)

    for i, p in enumerate(paths):
        if pool is None:
            try:
                x, dt = prepare(p, standardize)
            except Exception as e:  # noqa: BLE001
                print(f"{p}: {e}", file=sys.stderr)
                failed += 1
                continue
        else:
            while submitted < len(paths) and submitted < i + ahead:
                queue.append(pool.submit(prepare, paths[submitted], standardize))
                submitted += 1
            try:
                x, dt = queue.popleft().result()
            except Exception as e:  # noqa: BLE001
                print(f"{p}: {e}", file=sys.stderr)
                failed += 1
                continue
        t_prep += dt
        batch.append(x)
        done_paths.append(p)
        if len(batch) == args.batch:
            forward(batch)
            batch = []
    if batch:
        forward(batch)
    if pool is not None:
        pool.shutdown()

    t = time.perf_counter()
    x = np.concatenate(out).astype(np.float32) if out else np.zeros((0, 0), np.float32)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    np.save(args.out_npy, x)
    with open(args.out_paths, "w") as f:
        f.write("".join(p + "\n" for p in done_paths))
    t_write = time.perf_counter() - t
    total = time.perf_counter() - t_start
    print(f"opencv: {len(done_paths)} images ({failed} failed), model load {t_load:.2f} s, "
          f"preparation {t_prep:.2f} s (summed over {max(args.prefetch, 1)} thread(s)), "
          f"forward {t_fwd:.2f} s (batch {args.batch}, {args.threads} threads), "
          f"writing {t_write:.2f} s, total {total:.2f} s (after imports)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
