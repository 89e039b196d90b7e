# test_embedder.py: photos to embeddings (CnnfiltEmbedder) from Python:
# the same vectors as the pipeline written out by hand, batches, threads,
# an index attached and reopened for queries, and the errors
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import shutil
import threading

import numpy as np
import pytest
from gi.repository import Cnnfilt, GLib

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "..", "..", "samples")
MODEL = os.path.join(HERE, "..", "..", "..", "tests", "models", "data", "squeezenet1_1", "model.onnx")
LENET = os.path.join(os.path.dirname(MODEL), "..", "lenet5", "model.onnx")
LAYER = "/features/features.12/Concat"
PHOTOS = ["camera.png", "chelsea.jpg", "coffee.jpg", "space/astronaut.jpg", "space/rocket.jpg"]


def photo(name):
    return os.path.join(SAMPLES, name)


@pytest.fixture(scope="module")
def embedder():
    """SqueezeNet 1.1 (seeded weights) cut before its classifier: 512 values."""
    return Cnnfilt.Embedder.new(MODEL, LAYER)


def by_hand(path):
    """The embedding as a pipeline written out: preparation, model, pool."""
    graph = Cnnfilt.Graph.new_from_string(
        Cnnfilt.imagenet_pipeline(Cnnfilt.Shape.new(1, 3, 224, 224), 0, None, None)
        + f" ! model file='{MODEL}' output={LAYER} ! global-avg-pool")
    return graph(Cnnfilt.Tensor.from_file(path)).to_numpy(copy=True).reshape(-1)


def close(got, want, tolerance=1e-4):
    """Within @tolerance of each value, or of a tenth of the largest."""
    floor = 0.1 * np.abs(want).max()
    return (np.abs(np.asarray(got) - want) / np.maximum(np.abs(want), floor)).max() < tolerance


def test_describes_itself(embedder):
    assert embedder.get_model_path() == os.path.realpath(MODEL)
    assert embedder.get_layer() == LAYER
    assert embedder.get_dimension() == 512
    identity = embedder.get_identity()
    assert identity.startswith("model.onnx ") and "sha256:" in identity and identity.endswith(LAYER)
    shape = embedder.get_input_shape()
    assert (shape.n, shape.c, shape.h, shape.w) == (1, 3, 224, 224)
    # the model's output, not cut: SqueezeNet's 1,000 logits (already one per channel)
    assert Cnnfilt.Embedder.new(MODEL, None).get_dimension() == 1000
    assert Cnnfilt.Embedder.new(MODEL, None).get_layer() is None


def test_embeds_as_the_pipeline_written_out(embedder):
    # a PNG is decoded whole, as Tensor.from_file does: the same numbers
    want = by_hand(photo("camera.png"))
    assert close(embedder.embed_file(photo("camera.png")), want)
    assert close(embedder.embed_image(Cnnfilt.Tensor.from_file(photo("camera.png"))), want)


def test_batches_and_threads_give_each_photo_its_embedding(embedder):
    one = {name: np.array(embedder.embed_file(photo(name))) for name in PHOTOS}
    batch = Cnnfilt.Tensor.new(len(PHOTOS), 3, 224, 224)
    # several threads prepare their slots at once, as `cnnfilt embed` does
    errors = []

    def prepare(slot, name):
        try:
            embedder.prepare_file(photo(name), batch, slot)
        except GLib.Error as error:
            errors.append(error)
    threads = [threading.Thread(target=prepare, args=item) for item in enumerate(PHOTOS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    values = np.array(embedder.run(batch)).reshape(len(PHOTOS), 512)
    for slot, name in enumerate(PHOTOS):
        assert close(values[slot], one[name]), name
    # an image already in memory goes into a slot the same way
    embedder.prepare_image(Cnnfilt.Tensor.from_file(photo("coffee.jpg")), batch, 0)
    assert close(np.array(embedder.run(batch)).reshape(-1, 512)[0],
                 embedder.embed_image(Cnnfilt.Tensor.from_file(photo("coffee.jpg"))))


def test_large_jpeg_is_reduced_on_loading(embedder, tmp_path):
    """A 4000-pixel JPEG is decoded at an eighth and embeds close to its
    small copy; max-pixels, which applies to the reduced size, refuses it
    when set lower."""
    big = tmp_path / "big.jpg"
    small = tmp_path / "small.jpg"
    scaled = Cnnfilt.Op.new("resize", width=4096, height=2720)(Cnnfilt.Tensor.from_file(photo("chelsea.jpg")))
    scaled.save(str(big))
    Cnnfilt.Op.new("resize", width=300, height=200)(scaled).save(str(small))
    a, b = np.array(embedder.embed_file(str(big))), np.array(embedder.embed_file(str(small)))
    assert a @ b / np.linalg.norm(a) / np.linalg.norm(b) > 0.98
    limited = Cnnfilt.Embedder.new(MODEL, LAYER)
    limited.props.max_pixels = 100000  # the large one is 512 × 340 once reduced
    with pytest.raises(GLib.Error, match="max-pixels"):
        limited.embed_file(str(big))
    limited.props.load_flags = Cnnfilt.LoadFlags.NO_AUTOROTATE
    assert limited.props.load_flags == Cnnfilt.LoadFlags.NO_AUTOROTATE
    assert len(limited.embed_file(str(small))) == 512


def test_attached_index_embeds_queries_as_it_was_made(embedder, tmp_path):
    path = str(tmp_path / "photos.db")
    index = Cnnfilt.Index.open(path)
    embedder.attach(index)
    assert index.get_model() == embedder.get_identity() and index.get_dimension() == 512
    index.begin()
    for name in PHOTOS:
        index.add(name, 0, 0, embedder.embed_file(photo(name)))
    index.commit()
    del index
    index = Cnnfilt.Index.open(path)
    again = Cnnfilt.Embedder.new_for_index(index)
    assert again.get_identity() == embedder.get_identity()
    paths, scores = index.search(again.embed_file(photo("chelsea.jpg")), 1)
    assert paths == ["chelsea.jpg"] and scores[0] > 0.9999
    # another model cannot add to it
    with pytest.raises(GLib.Error, match="model"):
        Cnnfilt.Embedder.new(MODEL, None).attach(index)


def test_errors(embedder, tmp_path):
    with pytest.raises(GLib.Error, match="nothing.onnx"):
        Cnnfilt.Embedder.new(str(tmp_path / "nothing.onnx"), None)
    with pytest.raises(GLib.Error, match="no-such-layer"):
        Cnnfilt.Embedder.new(MODEL, "no-such-layer")
    with pytest.raises(GLib.Error):
        embedder.embed_file(str(tmp_path / "missing.jpg"))
    text = tmp_path / "text.jpg"
    text.write_text("not a photo")
    with pytest.raises(GLib.Error, match="text.jpg"):
        embedder.embed_file(str(text))
    with pytest.raises(GLib.Error, match="no place 2"):
        embedder.prepare_file(photo("camera.png"), Cnnfilt.Tensor.new(2, 3, 224, 224), 2)
    with pytest.raises(GLib.Error, match="no place"):
        embedder.run(Cnnfilt.Tensor.new(1, 3, 100, 100))
    # an index that names no model, and one whose model file has changed
    bare = Cnnfilt.Index.open(":memory:")
    with pytest.raises(GLib.Error, match="does not say which model"):
        Cnnfilt.Embedder.new_for_index(bare)
    copy = tmp_path / "copy.onnx"
    shutil.copy(MODEL, copy)
    index = Cnnfilt.Index.open(str(tmp_path / "changed.db"))
    Cnnfilt.Embedder.new(str(copy), None).attach(index)
    shutil.copy(LENET, copy)
    with pytest.raises(GLib.Error, match="now"):
        Cnnfilt.Embedder.new_for_index(index)


def test_default_model_is_found_or_explained(monkeypatch, tmp_path):
    try:
        path = Cnnfilt.Embedder.find_default_model()
    except GLib.Error as error:
        assert "fetch-default-model.sh" in error.message
        return
    assert os.path.basename(path) == "mobilenet_v2_140.onnx" and os.path.isfile(path)
    # $CNNFILT_MODELDIR comes first
    os.symlink(path, tmp_path / "mobilenet_v2_140.onnx")
    monkeypatch.setenv("CNNFILT_MODELDIR", str(tmp_path))
    assert Cnnfilt.Embedder.find_default_model() == str(tmp_path / "mobilenet_v2_140.onnx")


def test_device(embedder):
    embedder.set_device(Cnnfilt.Device.get_default())
    assert len(embedder.embed_file(photo("camera.png"))) == 512
