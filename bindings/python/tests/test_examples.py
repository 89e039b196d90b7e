# test_examples.py: the examples of bindings/python/examples run as a user
# would run them, and their results checked
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import subprocess
import sys

import numpy as np
import pytest
from gi.repository import Cnnfilt

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "examples")
ROOT = os.path.join(HERE, "..", "..", "..")
SAMPLES = os.path.join(ROOT, "samples")


def run_example(name, *args):
    return subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *map(str, args)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=300)


def test_edges_of_a_folder(tmp_path):
    done = run_example("edges.py", SAMPLES, tmp_path)
    assert done.returncode == 0, done.stderr
    written = sorted(p for p in tmp_path.rglob("*.png"))
    assert len(written) == len(done.stdout.split()) >= 5
    assert (tmp_path / "space" / "rocket.png").exists()  # sub-folders kept
    # the same edges as the library computes them, to 8-bit rounding
    edges = Cnnfilt.Graph.new_from_string("grayscale ! sobel direction=magnitude ! normalize")
    want = edges(Cnnfilt.Tensor.from_file(os.path.join(SAMPLES, "camera.png"))).to_numpy()
    got = Cnnfilt.Tensor.from_file(tmp_path / "camera.png").to_numpy()
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1 / 255 + 1e-6


def test_feature_maps(tmp_path):
    pytest.importorskip("matplotlib", reason="python3-matplotlib is not installed")
    model = os.path.join(ROOT, "tests", "models", "data", "squeezenet1_1", "model.onnx")
    out = tmp_path / "maps.png"
    done = run_example("feature_maps.py", model, "/features/features.3/expand3x3/Conv",
                       os.path.join(SAMPLES, "chelsea.jpg"), out)
    assert done.returncode == 0, done.stderr
    figure = Cnnfilt.Tensor.from_file(out).to_numpy()
    assert figure.shape[2] >= 400 and figure.shape[3] >= 400
    # a grid of maps, not a blank page: many distinct levels
    assert len(np.unique(np.round(figure[0, :3] * 255))) > 100


def test_similarity_search(tmp_path):
    model = os.path.join(ROOT, "tests", "models", "data", "squeezenet1_1", "model.onnx")
    query = tmp_path / "coffee-half.png"
    half = Cnnfilt.Op.new("resize", scale=0.5)(Cnnfilt.Tensor.from_file(os.path.join(SAMPLES, "coffee.jpg")))
    half.save(query)
    done = run_example("similar.py", model, "/features/features.12/Concat", SAMPLES, query)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("\n")
    assert lines[0].endswith("coffee.jpg") and float(lines[0].split()[0]) > 0.99
    assert len([l for l in lines if l]) == 3
