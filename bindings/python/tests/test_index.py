# test_index.py: the embedding index (CnnfiltIndex) from Python: embed a
# few photos with a model, search, incremental updates, errors
# SPDX-License-Identifier: LGPL-2.1-or-later

import os

import numpy as np
import pytest
from gi.repository import Cnnfilt, GLib

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "..", "..", "samples")
MODEL = os.path.join(HERE, "..", "..", "..", "tests", "models", "data", "squeezenet1_1", "model.onnx")
PHOTOS = ["camera.png", "chelsea.jpg", "coffee.jpg", "space/astronaut.jpg", "space/rocket.jpg"]


@pytest.fixture(scope="module")
def embed():
    """SqueezeNet 1.1 (seeded weights) cut before its classifier, pooled: 512 values."""
    graph = Cnnfilt.Graph.new_from_string(
        Cnnfilt.imagenet_pipeline(Cnnfilt.Shape.new(1, 3, 224, 224), 0, None, None)
        + f" ! model file='{MODEL}' output=/features/features.12/Concat ! global-avg-pool")
    return lambda tensor: graph(tensor).to_numpy(copy=True).reshape(-1)


def test_embed_search_and_reopen(tmp_path, embed):
    path = str(tmp_path / "photos.db")
    index = Cnnfilt.Index.open(path)
    assert index.get_model() is None and index.get_count() == 0 and index.get_path() == path
    index.set_model("squeezenet1_1-seeded", 512)
    index.set_info("layer", "/features/features.12/Concat")
    assert index.get_info("layer") == "/features/features.12/Concat"
    assert index.get_info("nothing") is None
    index.begin()
    vectors = {}
    for name in PHOTOS:
        file = os.path.join(SAMPLES, name)
        vectors[name] = embed(Cnnfilt.Tensor.from_file(file))
        st = os.stat(file)
        index.add(name, st.st_size, int(st.st_mtime), vectors[name])
    index.commit()
    assert index.get_count() == 5 and list(index.list_paths()) == sorted(PHOTOS)
    # each photo finds itself first, with cosine 1
    for name in PHOTOS:
        paths, scores = index.search(vectors[name], 3)
        assert paths[0] == name and abs(scores[0] - 1.0) < 1e-5
        assert len(paths) == 3 and scores[0] >= scores[1] >= scores[2]
    # a half-size copy of a photo finds it
    coffee = Cnnfilt.Tensor.from_file(os.path.join(SAMPLES, "coffee.jpg"))
    half = Cnnfilt.Op.new("resize", scale=0.5)(coffee)
    paths, scores = index.search(embed(half), 1)
    assert paths == ["coffee.jpg"] and scores[0] > 0.9
    # stored vectors are normalised
    stored = np.array(index.get_embedding("coffee.jpg"))
    assert abs(np.linalg.norm(stored) - 1.0) < 1e-5
    # near-duplicates: each photo is a group of its own at a threshold of 1
    groups = index.group_duplicates(1.0)
    assert list(groups) == list(range(5))
    assert len(set(index.group_duplicates(-1.0))) == 1  # everything similar enough
    del index
    # committed work survives the process; the model is checked
    again = Cnnfilt.Index.open(path)
    assert again.get_count() == 5 and again.get_dimension() == 512
    st = os.stat(os.path.join(SAMPLES, "coffee.jpg"))
    assert again.is_current("coffee.jpg", st.st_size, int(st.st_mtime))
    assert not again.is_current("coffee.jpg", st.st_size + 1, int(st.st_mtime))
    with pytest.raises(GLib.Error) as caught:
        again.set_model("resnet50", 2048)
    assert "squeezenet1_1-seeded" in caught.value.message
    again.remove("coffee.jpg")
    assert again.get_count() == 4 and len(again.get_embedding("coffee.jpg") or []) == 0


def test_merge_and_export(tmp_path, embed):
    parts = []
    for k, names in enumerate((PHOTOS[:2], PHOTOS[2:])):
        part = Cnnfilt.Index.open(str(tmp_path / f"part{k}.db"))
        part.set_model("squeezenet1_1-seeded", 512)
        for name in names:
            part.add(name, 0, 0, embed(Cnnfilt.Tensor.from_file(os.path.join(SAMPLES, name))))
        parts.append(str(tmp_path / f"part{k}.db"))
    whole = Cnnfilt.Index.open(str(tmp_path / "whole.db"))
    for part, want in zip(parts + parts[:1], (2, 3, 0)):  # the first again: nothing new
        ok, added = whole.merge(part)
        assert ok and added == want
    assert whole.get_count() == 5 and whole.get_model() == "squeezenet1_1-seeded"
    whole.export(str(tmp_path / "v.npy"), str(tmp_path / "p.txt"))
    vectors = np.load(tmp_path / "v.npy")
    paths = (tmp_path / "p.txt").read_text().split()
    assert vectors.shape == (5, 512) and paths == sorted(PHOTOS)
    np.testing.assert_allclose(vectors[paths.index("coffee.jpg")], whole.get_embedding("coffee.jpg"))
    other = Cnnfilt.Index.open(str(tmp_path / "other.db"))
    other.set_model("another", 512)
    with pytest.raises(GLib.Error):
        other.merge(parts[0])


def test_errors(tmp_path):
    index = Cnnfilt.Index.open(str(tmp_path / "x.db"))
    index.set_model("m", 4)
    with pytest.raises(GLib.Error) as caught:
        index.add("a.jpg", 1, 1, [1.0, 2.0])
    assert caught.value.code == Cnnfilt.Error.SHAPE and "a.jpg" in caught.value.message
    with pytest.raises(GLib.Error) as caught:
        index.add("zero.jpg", 1, 1, [0.0, 0.0, 0.0, 0.0])
    assert "all zeros" in caught.value.message
    with pytest.raises(GLib.Error):
        index.search([1.0, 0.0], 5)
    assert index.search([1.0, 0.0, 0.0, 0.0], 5) == ([], [])
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(GLib.Error) as caught:
        Cnnfilt.Index.open(str(bad))
    assert "not-a-db.db" in caught.value.message


def test_exact_results_although_vectors_are_held_as_half_floats():
    """The index scans half floats and scores the likely best again in
    float32: ranks and scores are those of float32, even among vectors
    closer than a half float can tell apart (cosines 1e-5 apart)."""
    rng = np.random.default_rng(7)
    d = 1792
    base = rng.standard_normal((40, d)).astype(np.float32)
    rows, names = [], []
    for c, centre in enumerate(base):
        for m in range(30):  # 30 near-copies of each centre, ever closer
            rows.append(centre + (m + 1) * 2e-3 * rng.standard_normal(d).astype(np.float32))
            names.append(f"c{c:02d}/m{m:02d}.jpg")
    vectors = np.array(rows, dtype=np.float32)
    index = Cnnfilt.Index.open(":memory:")
    index.set_model("random", d)
    index.begin()
    for name, vector in zip(names, vectors):
        index.add(name, 0, 0, vector)
    index.commit()
    stored = np.array([index.get_embedding(name) for name in names], dtype=np.float32)
    assert np.abs(np.linalg.norm(stored, axis=1) - 1).max() < 1e-5
    for c in (0, 17, 39):
        query = (base[c] + 1e-3 * rng.standard_normal(d)).astype(np.float32)
        want = stored @ (query / np.linalg.norm(query))
        order = np.argsort(-want, kind="stable")[:25]
        paths, scores = index.search(query, 25)
        gaps = np.diff(want[order])
        assert np.abs(gaps).min() > 5e-6  # no near-ties that float32 order could flip
        assert list(paths) == [names[i] for i in order]
        assert np.abs(np.array(scores) - want[order]).max() < 3e-6  # float32 sums of 1,792
    # grouping at a threshold among the near-copies' cosines (in the widest
    # gap between them): the same groups as all pairs compared in float64
    cosines = stored.astype(np.float64) @ stored.T.astype(np.float64)
    close = np.sort(cosines[np.triu_indices(len(names), 1)])
    close = close[close > 0.9999]  # the near-copies' pairs, 1e-5 or so apart
    widest = np.argmax(np.diff(close))
    threshold = float(close[widest] + close[widest + 1]) / 2
    assert np.abs(close - threshold).min() > 2e-6 and (close >= threshold).sum() > 10
    parent = list(range(len(names)))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i
    for i, j in zip(*np.nonzero(np.triu(cosines >= threshold, 1))):
        ri, rj = root(i), root(j)
        parent[max(ri, rj)] = min(ri, rj)
    assert list(index.group_duplicates(threshold)) == [root(i) for i in range(len(names))]


def test_merge_keeps_the_newer_file_whatever_the_order(tmp_path):
    """Two shards that both embedded photo.jpg, before and after it changed:
    the merged index keeps the later one, merged in either order, and a
    merge that brings nothing new counts nothing."""
    old, new = np.eye(4, dtype=np.float32)[0], np.eye(4, dtype=np.float32)[1]
    for name, vector, mtime in (("old.db", old, 100), ("new.db", new, 200)):
        index = Cnnfilt.Index.open(str(tmp_path / name))
        index.set_model("m", 4)
        index.add("photo.jpg", 10, mtime, vector)
        index.add(f"only-{name}.jpg", 10, mtime, vector)
        del index
    for order in (("old.db", "new.db"), ("new.db", "old.db")):
        merged = Cnnfilt.Index.open(str(tmp_path / f"{order[0]}+{order[1]}"))
        counts = [merged.merge(str(tmp_path / name)).n_added for name in order]
        assert np.array_equal(merged.get_embedding("photo.jpg"), new), order
        assert merged.is_current("photo.jpg", 10, 200) and merged.get_count() == 3
        assert counts == ([2, 2] if order[0] == "old.db" else [2, 1]), counts
        assert merged.merge(str(tmp_path / order[1])).n_added == 0  # again: nothing new
    with pytest.raises(GLib.Error, match="no such index"):
        merged.merge(str(tmp_path / "missing.db"))
    assert not (tmp_path / "missing.db").exists()
