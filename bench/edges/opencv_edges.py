#!/usr/bin/python3
"""OpenCV peer for the edge benchmark: Sobel edge magnitude of every JPEG in a folder.

For each input file, in one single process, one file after another:
  grey = cv2.imread(path, cv2.IMREAD_GRAYSCALE)   (default, see --read)
  gx   = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3, borderType=BORDER_REPLICATE)
  gy   = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3, borderType=BORDER_REPLICATE)
  mag  = cv2.magnitude(gx, gy)                     sqrt(gx^2 + gy^2)
  out  = cv2.convertScaleAbs(mag)                  round + saturate to uint8
  cv2.imwrite(OUTDIR/<stem>.png, out, [IMWRITE_PNG_COMPRESSION, 1])

IMREAD_GRAYSCALE lets libjpeg decode the luma (Y) plane of the JPEG directly,
which is Rec.601 luma (0.299/0.587/0.114) of the encoded RGB, and skips chroma
decoding: it is the cheapest way a user would write this with OpenCV.
--read color uses cv2.imread colour + cv2.cvtColor(COLOR_BGR2GRAY) instead.

Magnitude on 0..255 grey values equals 255 * the magnitude on [0,1] values, so
this matches "Sobel on [0,1], clamp to [0,1], scale to 8 bit". The border mode is
set to BORDER_REPLICATE to match cnnfilt (OpenCV's default is BORDER_REFLECT_101).
OpenCV's own threading is left at its default (no cv2.setNumThreads call).

Usage: opencv_edges.py [--read gray|color] -o OUTDIR INPUTDIR
"""

import argparse
import os
import sys

import cv2

JPEG_SUFFIXES = (".jpg", ".jpeg")


def edges(path, read_mode):
    if read_mode == "gray":
        grey = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    else:
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        grey = None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    if grey is None:
        raise RuntimeError("cannot read %s" % path)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REPLICATE)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REPLICATE)
    return cv2.convertScaleAbs(cv2.magnitude(gx, gy))


def main():
    parser = argparse.ArgumentParser(description="OpenCV Sobel edge batch (benchmark peer)")
    parser.add_argument("-o", "--output", required=True, help="output folder")
    parser.add_argument("--read", choices=("gray", "color"), default="gray",
                        help="gray: imread IMREAD_GRAYSCALE (default); "
                             "color: imread colour + cvtColor BGR2GRAY")
    parser.add_argument("input", help="folder of JPEG files")
    args = parser.parse_args()

    names = sorted(n for n in os.listdir(args.input) if n.lower().endswith(JPEG_SUFFIXES))
    if not names:
        sys.exit("opencv_edges: no JPEG files in %s" % args.input)
    os.makedirs(args.output, exist_ok=True)

    params = [cv2.IMWRITE_PNG_COMPRESSION, 1]
    for name in names:
        out = edges(os.path.join(args.input, name), args.read)
        out_path = os.path.join(args.output, os.path.splitext(name)[0] + ".png")
        if not cv2.imwrite(out_path, out, params):
            sys.exit("opencv_edges: cannot write %s" % out_path)


if __name__ == "__main__":
    main()
