# test_dask.py: cnnfilt.dask on a real LocalCluster of two worker
# processes: embed gives the index `cnnfilt embed` gives, also when a
# worker process is killed in the middle of a shard; run and edges give
# the files `cnnfilt run` and `cnnfilt edges` give; failures are reported
# SPDX-License-Identifier: LGPL-2.1-or-later

import logging
import os
import shutil
import subprocess

import numpy as np
import pytest
from gi.repository import Cnnfilt, GLib

import cnnfilt.dask as cdask

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "..", "..", "samples")
PHOTOS = ["camera.png", "chelsea.jpg", "coffee.jpg", "space/astronaut.jpg", "space/rocket.jpg"]
SCALES = [0.3, 0.45, 0.6, 0.8]
PIPELINE = "gaussian-blur sigma=1.5 ! grayscale ! laplacian ! abs ! normalize"


def cnnfilt_program():
    """The command: $CNNFILT_EXE (meson's python_env), else on PATH, else
    beside the typelib's build folder."""
    if os.environ.get("CNNFILT_EXE"):
        return os.environ["CNNFILT_EXE"]
    found = shutil.which("cnnfilt")
    if found:
        return found
    for folder in os.environ.get("GI_TYPELIB_PATH", "").split(os.pathsep):
        candidate = os.path.join(os.path.dirname(os.path.abspath(folder)), "bin", "cnnfilt")
        if folder and os.access(candidate, os.X_OK):
            return candidate
    return None


def cli(*args, cwd):
    program = cnnfilt_program()
    if program is None:
        pytest.skip("the cnnfilt command was not found ($CNNFILT_EXE, PATH)")
    return subprocess.run([program, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """photos/: the samples, 20 smaller copies of them (JPEG and PNG) and a
    truncated JPEG, which every command reports as failed."""
    root = tmp_path_factory.mktemp("dask")
    photos = root / "photos"
    for name in PHOTOS:
        (photos / os.path.dirname(name)).mkdir(parents=True, exist_ok=True)
        shutil.copy(os.path.join(SAMPLES, name), photos / name)
    (photos / "resized").mkdir()
    for i, name in enumerate(PHOTOS):
        image = Cnnfilt.Tensor.from_file(os.path.join(SAMPLES, name))
        stem = os.path.splitext(os.path.basename(name))[0]
        for j, scale in enumerate(SCALES):
            suffix = "png" if (i + j) % 3 == 0 else "jpg"
            Cnnfilt.Op.new("resize", scale=scale)(image).save(
                str(photos / "resized" / f"{stem}-{int(scale * 100)}.{suffix}"))
    data = open(os.path.join(SAMPLES, "coffee.jpg"), "rb").read()
    (photos / "broken.jpg").write_bytes(data[:len(data) // 3])
    return root


GOOD = len(PHOTOS) * (1 + len(SCALES))


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed "
                                      "(Debian: python3-distributed)")
    before = dict(os.environ)
    # LocalCluster(n_workers=2, threads_per_worker=1, processes=True), the
    # workers' malloc and OpenMP settings given before they start
    cluster = cdask.local_cluster(2, silence_logs=logging.ERROR)
    assert dict(os.environ) == before  # Dask's pre-spawn variables kept out of ours
    client = distributed.Client(cluster)
    assert sorted(w["nthreads"] for w in client.scheduler_info()["workers"].values()) == [1, 1]
    assert set(client.run(os.getenv, "OMP_WAIT_POLICY").values()) == {"passive"}
    assert set(client.run(os.getenv, "MALLOC_MMAP_THRESHOLD_").values()) == {str(32 << 20)}
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def default_model():
    try:
        return Cnnfilt.Embedder.find_default_model()
    except GLib.Error as error:
        pytest.skip(f"no default model: {error.message}")


@pytest.fixture(scope="module")
def cli_index(base, default_model):
    """`cnnfilt embed --index cli.db photos` from the folder above photos/."""
    done = cli("embed", "-q", "--index", "cli.db", "photos", cwd=base)
    assert done.returncode == 1, done.stderr  # broken.jpg
    assert "photos/broken.jpg" in done.stderr
    return Cnnfilt.Index.open(str(base / "cli.db"))


def assert_same_index(base, got, want):
    paths = list(want.list_paths())
    assert list(got.list_paths()) == paths
    assert len(paths) == GOOD and all(p.startswith("photos/") for p in paths)
    assert got.get_model() == want.get_model() and got.get_info("layer") == want.get_info("layer")
    worst = 0.0
    for path in paths:
        a, b = np.array(got.get_embedding(path)), np.array(want.get_embedding(path))
        worst = max(worst, float(np.abs(a / np.linalg.norm(a) - b / np.linalg.norm(b)).max()))
        st = os.stat(base / path)
        assert got.is_current(path, st.st_size, st.st_mtime_ns // 10**9), path
    assert worst < 1e-6, worst


def test_embed_gives_the_index_cnnfilt_embed_gives(client, base, cli_index, monkeypatch):
    monkeypatch.chdir(base)
    result = cdask.embed(client, ["photos"], "dask.db", shards=3, batch=4)
    assert result.errors == [] and result.index == "dask.db"
    assert [path for path, _ in result.failed] == ["photos/broken.jpg"]
    assert result.failed[0][1]  # a reason
    assert sorted(result.embedded) == list(cli_index.list_paths()) and result.unchanged == []
    assert {s["pid"] for s in result.shards} and all(s["threads"] == 1 for s in result.shards)
    assert sum(result.merged.values()) == GOOD
    assert not os.path.exists("dask.shards")  # merged and removed
    assert_same_index(base, Cnnfilt.Index.open(str(base / "dask.db")), cli_index)
    # again: nothing to embed, the failure reported again
    again = cdask.embed(client, ["photos"], "dask.db", shards=3, batch=4)
    assert again.embedded == [] and len(again.unchanged) == GOOD
    assert [path for path, _ in again.failed] == ["photos/broken.jpg"]


def test_embed_resumes_a_shard_whose_worker_was_killed(client, base, cli_index, monkeypatch):
    """The worker process running shard K dies (SIGKILL) after its first
    batch is committed; Dask runs the task again elsewhere, which embeds
    only the rest of the shard."""
    monkeypatch.chdir(base)
    shards, batch = 2, 4
    plan = cdask.collect(["photos"])
    members = {}
    for path, _ in plan.entries:
        members.setdefault(cdask.shard_of(path, shards), []).append(path)
    k = max(members, key=lambda s: len(members[s]))
    assert len(members[k]) > 2 * batch
    first = [p for p in members[k][:batch] if p != "photos/broken.jpg"]
    marker = base / "killed-embed"
    result = cdask.embed(client, ["photos"], "killed.db", shards=shards, batch=batch,
                         _fault={"where": "after-commit", "shard": k, "after": 1,
                                 "marker": str(marker)})
    assert marker.exists(), "the worker was not killed"
    killed_pid = int(marker.read_text())
    assert result.errors == []
    assert [path for path, _ in result.failed] == ["photos/broken.jpg"]
    shard = next(s for s in result.shards if s["shard"] == k)
    assert shard["pid"] != killed_pid
    # the retried task found the first batch committed and did not embed it again
    assert shard["unchanged"] == first
    broken = "photos/broken.jpg" in members[k]
    assert len(shard["embedded"]) == len(members[k]) - len(first) - broken
    assert len(result.embedded) == GOOD - len(first) and result.unchanged == first
    assert_same_index(base, Cnnfilt.Index.open(str(base / "killed.db")), cli_index)


def output_files(folder):
    found = []
    for root, dirs, files in os.walk(folder):
        found += [os.path.relpath(os.path.join(root, f), folder) for f in files]
    return sorted(found)


def assert_same_pixels(got_dir, want_dir):
    names = output_files(want_dir)
    assert output_files(got_dir) == names  # no temporaries either
    assert len(names) == GOOD
    for name in names:
        got = Cnnfilt.Tensor.from_file(os.path.join(got_dir, name)).to_numpy()
        want = Cnnfilt.Tensor.from_file(os.path.join(want_dir, name)).to_numpy()
        assert got.shape == want.shape and np.array_equal(got, want), name


def test_edges_and_run_give_the_files_the_command_gives(client, base, monkeypatch):
    """edges with the worker killed between writing a result and renaming
    it: the retried task removes that temporary and writes the file."""
    monkeypatch.chdir(base)
    for args in (["edges", "-q", "-o", "cli-edges", "photos"],
                 ["run", "-q", PIPELINE, "-o", "cli-run", "photos"]):
        done = cli(*args, cwd=base)
        assert done.returncode == 1 and "photos/broken.jpg" in done.stderr, done.stderr
    marker = base / "killed-edges"
    result = cdask.edges(client, ["photos"], "dask-edges", shards=4,
                         _fault={"where": "before-replace", "shard": 1, "after": 2,
                                 "marker": str(marker)})
    assert marker.exists(), "the worker was not killed"
    assert result.errors == []
    assert [path for path, _ in result.failed] == ["photos/broken.jpg"] and result.failed[0][1]
    assert len(result.written) == GOOD
    assert ("photos/space/rocket.jpg", "dask-edges/space/rocket.png") in result.written
    assert sum(s["temporaries_removed"] for s in result.shards) == 1
    assert_same_pixels(base / "dask-edges", base / "cli-edges")

    result = cdask.run(client, PIPELINE, ["photos"], "dask-run")
    assert result.errors == [] and [path for path, _ in result.failed] == ["photos/broken.jpg"]
    assert ("photos/chelsea.jpg", "dask-run/chelsea.jpg") in result.written
    assert_same_pixels(base / "dask-run", base / "cli-run")


def test_outputs_never_replace_inputs(client, base, monkeypatch):
    monkeypatch.chdir(base)
    before = output_files("photos")
    with pytest.raises(cdask.PlanError) as caught:
        cdask.run(client, "grayscale", ["photos"], "photos")
    assert len(caught.value.conflicts) == GOOD + 1
    assert "photos/camera.png: the output would overwrite this input" in str(caught.value)
    # photo.jpg and photo.png would both give photo.png
    (base / "twins").mkdir(exist_ok=True)
    shutil.copy(base / "photos" / "camera.png", base / "twins" / "a.png")
    shutil.copy(base / "photos" / "chelsea.jpg", base / "twins" / "a.jpg")
    with pytest.raises(cdask.PlanError, match="also be written"):
        cdask.edges(client, ["twins"], "twins-edges")
    assert output_files("photos") == before and not os.path.exists("twins-edges")
    with pytest.raises(ValueError, match="no-such-op"):
        cdask.run(client, "grayscale ! no-such-op", ["photos"], "out")
