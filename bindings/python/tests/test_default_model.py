# test_default_model.py: the default embedding model (models/README.md):
# cnnfilt's run of it against the TensorFlow graph run in numpy, and
# near-duplicate retrieval on edited photos. Skipped where the model has
# not been made (models/fetch-default-model.sh needs npm and python3-onnx).
# SPDX-License-Identifier: LGPL-2.1-or-later

import io
import os

import numpy as np
import pytest
from gi.repository import Cnnfilt

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
MODEL = os.path.join(os.environ.get("CNNFILT_MODELDIR", os.path.join(ROOT, "models")),
                     "mobilenet_v2_140.onnx")
SAMPLES = os.path.join(ROOT, "samples")
PHOTOS = ["camera.png", "chelsea.jpg", "coffee.jpg", "space/astronaut.jpg", "space/rocket.jpg"]

pytestmark = pytest.mark.skipif(not os.path.exists(MODEL),
                                reason="no default model (models/fetch-default-model.sh)")


def test_matches_the_tensorflow_graph():
    graph = Cnnfilt.Graph.new_from_onnx_file(MODEL)
    image = np.load(MODEL + "-check-input.npy")
    want = np.load(MODEL + "-check-embedding.npy").astype(np.float64)
    got = graph(image).reshape(want.shape)
    # 1e-4 of each value, or of a tenth of the largest for small ones
    floor = 0.1 * np.abs(want).max()
    worst = (np.abs(got - want) / np.maximum(np.abs(want), floor)).max()
    assert worst < 1e-4, worst


def edits(path):
    """The photo edited six ways, as PIL images."""
    from PIL import Image, ImageEnhance
    im = Image.open(path).convert("RGB")
    w, h = im.size
    jpeg = io.BytesIO()
    im.save(jpeg, "JPEG", quality=30)
    return {
        "half": im.resize((w // 2, h // 2), Image.BILINEAR),
        "crop": im.crop((w // 20, h // 20, w - w // 20, h - h // 20)),
        "jpeg30": Image.open(io.BytesIO(jpeg.getvalue())),
        "brighter": ImageEnhance.Brightness(im).enhance(1.2),
        "darker": ImageEnhance.Brightness(im).enhance(0.8),
        "rotated": im.rotate(5, resample=Image.BILINEAR),
        "grey": im.convert("L").convert("RGB"),
    }


def test_near_duplicates_found(tmp_path):
    pytest.importorskip("PIL", reason="python3-pil is not installed")
    embedder = Cnnfilt.Embedder.new(None, None)  # the default model
    assert embedder.get_model_path() == os.path.realpath(MODEL) and embedder.get_dimension() == 1792
    index = Cnnfilt.Index.open(":memory:")
    embedder.attach(index)
    for name in PHOTOS:
        index.add(name, 0, 0, embedder.embed_file(os.path.join(SAMPLES, name)))
    hits = queries = 0
    for name in PHOTOS:
        for edit, image in edits(os.path.join(SAMPLES, name)).items():
            file = tmp_path / f"{edit}.png"
            image.save(file)
            paths, scores = index.search(embedder.embed_file(str(file)), 1)
            queries += 1
            hits += paths[0] == name
    assert hits >= 0.95 * queries, f"recall@1 {hits}/{queries}"
