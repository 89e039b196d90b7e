#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Approximate nearest-neighbour search with FAISS (Debian's python3-faiss)
on N synthetic embeddings modelled on the default model's embeddings of
real photos, against the exact search. See README.md here.

    bench.py real  DATA --cnnfilt BIN     embed the real photos (once)
    bench.py make  N DATA                 the N vectors, the queries and their
                                          exact top 10 (once per N)
    bench.py build KIND N DATA --out DIR  train and fill one index, write it
    bench.py search N DATA --indexes DIR --rounds R --results DIR
    bench.py report RESULTS               the tables (markdown)

real: the photos of tests/quality (samples/, opencv-doc, python3-sklearn,
...: photographs only, one of each near-identical pair), each as it is
("orig"), VIEWS crops of it ("view": a box of the photo's aspect ratio
covering 55-100 % of its area at a random place, mirrored half of the
time, JPEG quality 92) and its seven edits of tests/quality ("edit": half
size, 10 % crop, JPEG 30, brighter, darker, rotated 5 degrees, grey),
embedded by `cnnfilt embed` with the default model (1,792 features) and
exported with `cnnfilt index export` (unit length): DATA/real.npz.

make: see generate() for the generator, queries() for the queries; the
exact top 10 of every query by a blocked float32 matmul (numpy, OpenBLAS),
and the realism checks of the generator against the real embeddings.
"""
import argparse
import ctypes
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIM = 1792
K = 10
VIEWS = 5
SEED = 20261203
CHUNK = 50000
# vectors per add() call: IVF-PQ's encoder makes a table of 64 KB per vector
# (PQ64: 64 x 256 distances) for each call, 3.3 GB for 50,000 at once
ADD_SLICE = 10000


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def unit(x):
    x = np.asarray(x, dtype=np.float32)
    return x / np.linalg.norm(x, axis=-1, keepdims=True).astype(np.float32)


# ----------------------------------------------------------------- real photos
def quality_module():
    path = os.path.join(REPO, "tests", "quality", "test_near_duplicates.py")
    spec = importlib.util.spec_from_file_location("near_duplicates", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def cmd_real(a):
    from PIL import Image, ImageOps
    q = quality_module()
    photos, packages = q.find_photos(os.path.join(REPO, "samples"))
    log(f"real: {len(photos)} photos: " + ", ".join(f"{p} ({n})" for p, n in packages))
    rng = np.random.Generator(np.random.PCG64(SEED))
    work = tempfile.mkdtemp(prefix="cnnfilt-faiss-")
    try:
        files = []  # (kind, photo id, file)
        for pid, path in photos:
            im = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
            folder = os.path.join(work, pid)
            os.makedirs(folder)
            f = os.path.join(folder, "orig.png")
            im.save(f, compress_level=1)
            files.append(("orig", pid, f))
            w, h = im.size
            for v in range(VIEWS):
                s = np.sqrt(rng.uniform(0.55, 1.0))
                cw, ch = max(16, int(w * s)), max(16, int(h * s))
                x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
                view = im.crop((x0, y0, x0 + cw, y0 + ch))
                if rng.random() < 0.5:
                    view = view.transpose(Image.FLIP_LEFT_RIGHT)
                f = os.path.join(folder, f"view{v}.jpg")
                view.save(f, quality=92)
                files.append(("view", pid, f))
            for kind, image in q.edit(im).items():
                if isinstance(image, bytes):
                    f = os.path.join(folder, f"edit-{kind}.jpg")
                    with open(f, "wb") as out:
                        out.write(image)
                else:
                    f = os.path.join(folder, f"edit-{kind}.png")
                    image.save(f, compress_level=1)
                files.append(("edit", pid, f))
        db = os.path.join(work, "real.db")
        listing = os.path.join(work, "files.txt")
        with open(listing, "w") as out:
            out.write("".join(f + "\n" for _, _, f in files))
        t0 = time.monotonic()
        subprocess.run([a.cnnfilt, "embed", "-q", "-j", "1", "--index", db, "-T", listing], check=True)
        t1 = time.monotonic()
        npy, paths = os.path.join(work, "X.npy"), os.path.join(work, "paths.txt")
        subprocess.run([a.cnnfilt, "index", "export", db, npy, paths], check=True)
        X = np.load(npy)
        with open(paths) as f:
            row = {p.rstrip("\n"): i for i, p in enumerate(f)}
        order = [row[f] for _, _, f in files]
        os.makedirs(a.data, exist_ok=True)
        np.savez(os.path.join(a.data, "real.npz"), X=X[order].astype(np.float32),
                 kind=np.array([k for k, _, _ in files]), photo=np.array([p for _, p, _ in files]),
                 name=np.array([os.path.basename(f) for _, _, f in files]))
        log(f"real: {len(files)} images embedded in {t1 - t0:.1f} s, dimension {X.shape[1]} "
            f"-> {a.data}/real.npz")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load_real(data):
    r = np.load(os.path.join(data, "real.npz"))
    return {k: r[k] for k in r.files}


# ------------------------------------------------------------- the generator
SIGMA = 1.0      # noise, in units of each feature's standard deviation over the anchors
HELD_OUT = 100   # held-out generated queries per round
NEAR_DUP = 100   # near-duplicate queries per round


def anchors(real):
    """The generator's anchors: every original photo and its views (unit
    length), and the per-feature standard deviation over them."""
    A = real["X"][real["kind"] != "edit"]
    return A, A.std(axis=0).astype(np.float32)


def generate(A, s, n, rng):
    """n vectors: x = max(0, sum_j w_j a_{i_j} + SIGMA * s * g), unit length,
    where k = 2 or 3 (even odds) distinct anchors i_j are drawn uniformly,
    w ~ Dirichlet(1, ..., 1) over those k (uniform on the simplex), s is the
    anchors' per-feature standard deviation and g ~ N(0, I). The clamp at 0
    keeps the features non-negative, as the model's (ReLU6, then an average)
    are."""
    k = np.where(rng.random(n) < 0.5, 2, 3)
    idx = np.argpartition(rng.random((n, len(A))), 3, axis=1)[:, :3]
    w = rng.exponential(size=(n, 3))
    w[k == 2, 2] = 0
    w /= w.sum(axis=1, keepdims=True)
    x = np.einsum("nk,nkd->nd", w.astype(np.float32), A[idx])
    x += (SIGMA * s) * rng.standard_normal((n, A.shape[1]), dtype=np.float32)
    np.maximum(x, 0, out=x)
    return unit(x)


def edit_deltas(real):
    """e - o for every real (edit, its original) pair: how the model's
    embedding moves when a photo is resized, cropped, recompressed,
    brightened, darkened, rotated or turned grey."""
    X, kind, photo = real["X"], real["kind"], real["photo"]
    orig = {p: X[i] for i, p in enumerate(photo) if kind[i] == "orig"}
    e = np.flatnonzero(kind == "edit")
    return np.stack([X[i] - orig[photo[i]] for i in e]), real["name"][e]


def make_queries(A, s, deltas, X, r):
    """Round r's queries: HELD_OUT fresh generated vectors (not in the
    index), then NEAR_DUP near-duplicates of indexed vectors: row i (uniform)
    moved by the embedding change of a real edit drawn uniformly from the
    real pairs, max(0, x_i + (e - o)), unit length."""
    rng = np.random.Generator(np.random.PCG64([SEED, 1 << 20, r]))
    held = generate(A, s, HELD_OUT, rng)
    rows = np.sort(rng.choice(len(X), NEAR_DUP, replace=False))
    d = deltas[rng.integers(0, len(deltas), NEAR_DUP)]
    dup = unit(np.maximum(X[rows] + d, 0))
    return np.concatenate([held, dup]), rows


def exact_topk(X, Q, k=K, block=CHUNK):
    """Exact top k by inner product: Q @ X.T in blocks of X's rows (float32,
    BLAS sgemm), each block's k best merged into the running k best; ids
    and scores, best first."""
    nq = len(Q)
    best_s = np.full((nq, k), -np.inf, dtype=np.float32)
    best_i = np.zeros((nq, k), dtype=np.int64)
    for b0 in range(0, len(X), block):
        S = Q @ np.asarray(X[b0:b0 + block]).T                # nq x block
        top = np.argpartition(-S, k, axis=1)[:, :k] if S.shape[1] > k else np.tile(np.arange(S.shape[1]), (nq, 1))
        cand_s = np.concatenate([best_s, np.take_along_axis(S, top, axis=1)], axis=1)
        cand_i = np.concatenate([best_i, top + b0], axis=1)
        o = np.argsort(-cand_s, axis=1, kind="stable")[:, :k]
        best_s, best_i = np.take_along_axis(cand_s, o, 1), np.take_along_axis(cand_i, o, 1)
    return best_i, best_s


def nn_stats(B):
    """Leave-one-out nearest-neighbour cosine of each row, and every pair's."""
    S = B @ B.T
    np.fill_diagonal(S, -2)
    return S.max(axis=1), S[np.triu_indices(len(B), 1)]


def spectrum(B):
    """Participation ratio of the PCA spectrum ((sum l)^2 / sum l^2) and the
    components that hold 90 % of the variance."""
    ev = np.linalg.svd(B - B.mean(axis=0), compute_uv=False) ** 2
    ev /= ev.sum()
    return float(1 / (ev ** 2).sum()), int(np.searchsorted(np.cumsum(ev), 0.9)) + 1


def pct(v, p=(10, 25, 50, 75, 90)):
    return [round(float(x), 3) for x in np.percentile(v, p)]


def cmd_make(a):
    n, data = a.n, a.data
    real = load_real(data)
    A, s = anchors(real)
    deltas, delta_kind = edit_deltas(real)
    xpath = os.path.join(data, f"X-{n}.npy")
    if not os.path.exists(xpath):
        t0 = time.monotonic()
        X = np.lib.format.open_memmap(xpath + ".tmp.npy", mode="w+", dtype=np.float32, shape=(n, DIM))
        for c, c0 in enumerate(range(0, n, CHUNK)):
            rng = np.random.Generator(np.random.PCG64([SEED, c]))
            X[c0:c0 + CHUNK] = generate(A, s, min(CHUNK, n - c0), rng)
        X.flush()
        del X
        os.replace(xpath + ".tmp.npy", xpath)
        log(f"make: {xpath} ({os.path.getsize(xpath) / 1e9:.2f} GB) in {time.monotonic() - t0:.0f} s")
    X = np.load(xpath, mmap_mode="r")
    qpath = os.path.join(data, f"Q-{n}-{a.rounds}.npz")
    t0 = time.monotonic()
    Qs, rows = zip(*(make_queries(A, s, deltas, X, r) for r in range(a.rounds)))
    Q = np.concatenate(Qs)
    gt_i, gt_s = exact_topk(X, Q)
    t_gt = time.monotonic() - t0
    kind = np.array((["held-out"] * HELD_OUT + ["near-dup"] * NEAR_DUP) * a.rounds)
    src = np.concatenate([np.concatenate([np.full(HELD_OUT, -1), r]) for r in rows])
    np.savez(qpath, Q=Q, kind=kind, src=src, gt_i=gt_i, gt_s=gt_s, rounds=a.rounds)
    log(f"make: {len(Q)} queries and their exact top {K} in {t_gt:.0f} s -> {qpath}")

    # realism: the generator against the real embeddings
    rng = np.random.Generator(np.random.PCG64([SEED, 1 << 21]))
    O = real["X"][real["kind"] == "orig"]
    rn, rp = nn_stats(O)
    gn, gp = zip(*(nn_stats(generate(A, s, len(O), rng)) for _ in range(40)))
    gen294 = generate(A, s, len(A), rng)
    sample = np.asarray(X[np.sort(rng.choice(n, min(n, 20000), replace=False))])
    orig = {p: real["X"][i] for i, p in enumerate(real["photo"]) if real["kind"][i] == "orig"}
    e = np.flatnonzero(real["kind"] == "edit")
    real_dup = np.array([real["X"][i] @ orig[real["photo"][i]] for i in e])
    held, dup = kind == "held-out", kind == "near-dup"
    syn_dup = np.einsum("nd,nd->n", Q[dup], X[src[dup]])
    realism = {
        "n_real_photos": int(len(O)), "n_anchors": int(len(A)), "n_edits": int(len(e)),
        "real_nn": pct(rn), "gen_nn_same_size": pct(np.concatenate(gn)),
        "real_pairs": pct(rp), "gen_pairs_same_size": pct(np.concatenate(gp)),
        "real_zero_fraction": round(float((O == 0).mean()), 3),
        "gen_zero_fraction": round(float((sample == 0).mean()), 3),
        "real_spectrum_anchors": spectrum(A), "gen_spectrum_same_size": spectrum(gen294),
        "gen_spectrum_20000": spectrum(sample),
        "gen_top1_heldout": pct(gt_s[held, 0]), "gen_top10_heldout": pct(gt_s[held, 9]),
        "gen_top1_neardup": pct(gt_s[dup, 0]),
        "real_edit_cos": pct(real_dup), "gen_neardup_cos_to_source": pct(syn_dup),
        "neardup_source_is_top1": round(float((gt_i[dup, 0] == src[dup]).mean()), 4),
        "seconds_exact_topk": round(t_gt, 1), "n_queries": int(len(Q)),
    }
    with open(os.path.join(data, f"realism-{n}.json"), "w") as f:
        json.dump(realism, f, indent=1)
    print(json.dumps(realism))


# ------------------------------------------------------------------ indexes
FACTORY = {                      # KIND: faiss.index_factory string (inner product)
    "flat": "Flat",
    "ivfpq": "IVF{nlist},PQ{m}",
    "opq-ivfpq": "OPQ{m},IVF{nlist},PQ{m}",
    "hnsw": "HNSW{M},Flat",
}


def npy_rows(path):
    """(rows, offset of the data) of a 2-D float32 .npy."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        shape, _, dtype = np.lib.format._read_array_header(f, version)
        assert dtype == np.float32 and shape[1] == DIM, (shape, dtype)
        return shape[0], f.tell()


def read_rows(path, rows):
    """X[rows] by pread, into fresh memory (no memory map: a mapped file's
    pages would count in the process's resident size)."""
    _, off = npy_rows(path)
    out = np.empty((len(rows), DIM), dtype=np.float32)
    row_bytes = DIM * 4
    fd = os.open(path, os.O_RDONLY)
    try:
        rows = np.asarray(rows)
        if len(rows) and np.all(np.diff(rows) == 1):
            os.preadv(fd, [memoryview(out).cast("B")], off + int(rows[0]) * row_bytes)
        else:
            for j, r in enumerate(rows):
                os.preadv(fd, [memoryview(out[j]).cast("B")], off + int(r) * row_bytes)
    finally:
        os.close(fd)
    return out


def rss_now_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cmd_build(a):
    # FAISS's C++ progress lines go to C stdio's stdout: point fd 1 at
    # stderr so that stdout carries the JSON record alone
    record = os.fdopen(os.dup(1), "w")
    sys.stdout.flush()
    os.dup2(2, 1)
    import faiss
    faiss.omp_set_num_threads(a.threads)
    xpath = os.path.join(a.data, f"X-{a.source}.npy")
    total, _ = npy_rows(xpath)
    n = a.n
    assert n <= total, f"{xpath} holds {total} rows, fewer than {n}"
    spec = FACTORY[a.kind].format(nlist=a.nlist, m=a.m, M=a.M)
    index = faiss.index_factory(DIM, spec, faiss.METRIC_INNER_PRODUCT)
    info = {"t": "build", "kind": a.kind, "n": n, "factory": spec, "threads": a.threads}
    if a.kind == "hnsw":
        faiss.downcast_index(index).hnsw.efConstruction = a.efc
        info["efConstruction"] = a.efc
    else:
        ivf = faiss.extract_index_ivf(index) if "IVF" in spec else None
        if a.kind == "opq-ivfpq":
            opq = faiss.downcast_VectorTransform(faiss.downcast_index(index).chain.at(0))
            # each alternation of OPQ's training is an SVD of DIM x DIM
            # (LAPACK sgesvd) and a PQ training: FAISS's 50 took over 17
            # minutes for 50,000 vectors on this shared 2-core machine
            opq.niter = a.opq_iter
            opq.verbose = True
            info["opq_iterations"] = a.opq_iter
        if ivf is not None:
            # the factory's IVF-PQ also trains for polysemous codes (a
            # simulated annealing of minutes), which only the Hamming
            # filter (polysemous_ht) uses, never set here
            faiss.downcast_index(ivf).do_polysemous_training = False
    t_train = 0.0
    if not index.is_trained:
        rng = np.random.Generator(np.random.PCG64([SEED, 1 << 22]))
        rows = np.sort(rng.choice(n, min(n, a.train), replace=False))
        sample = read_rows(xpath, rows)
        t0 = time.perf_counter()
        index.train(sample)
        t_train = time.perf_counter() - t0
        info["train_points"] = len(rows)
        del sample
    log(f"build {a.kind}: {spec}, trained in {t_train:.1f} s; adding {n} vectors")
    t_add = 0.0
    for c0 in range(0, n, CHUNK):
        chunk = read_rows(xpath, np.arange(c0, min(n, c0 + CHUNK)))
        t0 = time.perf_counter()
        for s0 in range(0, len(chunk), ADD_SLICE):
            index.add(chunk[s0:s0 + ADD_SLICE])
        t_add += time.perf_counter() - t0
        if (c0 // CHUNK) % 4 == 3:
            log(f"  {c0 + len(chunk)} added, {t_add:.0f} s")
    out = os.path.join(a.out, f"{a.kind}-{n}.faiss")
    faiss.write_index(index, out + ".tmp")
    os.replace(out + ".tmp", out)
    info.update(train_s=round(t_train, 2), add_s=round(t_add, 2), bytes=os.path.getsize(out),
                rss_mb=round(rss_now_mb()), peak_rss_mb=round(peak_rss_mb()),
                faiss=faiss.__version__, compile=faiss.get_compile_options())
    ctypes.CDLL(None).fflush(None)      # FAISS's own progress lines (C stdio) first
    print(json.dumps(info), file=record, flush=True)


# ------------------------------------------------------------------- search
NPROBES = (8, 16, 32, 64, 128)
EF_SEARCH = (32, 64, 128, 256)
REFINE = 10          # IndexRefine's k_factor: the top K * REFINE rescored in float32
REFINE_MORE = 100    # and the top K * REFINE_MORE, at these nprobes:
REFINE_MORE_NPROBES = (32, 128)
QUANTIZER_M = 32     # HNSW links a node of the coarse quantizer's graph (efSearch: max(64, 2 nprobe))
FLAT_SINGLE = 10     # queries per round timed one by one on the exact index
REST = 0.2           # seconds between configurations: threads left spinning go quiet


def load_indexes(a, n, faiss):
    """{kind: index} of what --indexes holds for n, and the lines saying
    what loading each cost (seconds, resident memory it added)."""
    out, lines = {}, []
    for kind in ("hnsw", "ivfpq", "opq-ivfpq"):
        path = os.path.join(a.indexes, f"{kind}-{n}.faiss")
        if os.path.exists(path):
            r0, t0 = rss_now_mb(), time.perf_counter()
            out[kind] = faiss.read_index(path)
            lines.append({"t": "load", "kind": kind, "seconds": round(time.perf_counter() - t0, 2),
                          "rss_added_mb": round(rss_now_mb() - r0), "bytes": os.path.getsize(path)})
    if "hnsw" in out:
        # the HNSW index holds every vector in an IndexFlat (inner product):
        # that is the exact index, without a second copy
        out["flat"] = faiss.downcast_index(faiss.downcast_index(out["hnsw"]).storage)
        lines.append({"t": "load", "kind": "flat", "seconds": 0, "rss_added_mb": 0,
                      "note": "the HNSW index's own storage"})
    else:
        # IndexFlatIP's storage sized once and read into in place: add()
        # grows a std::vector, which holds the old and the new copy at once
        # (12 GB for 7.2 GB of vectors)
        xpath = os.path.join(a.data, f"X-{n}.npy")
        r0, t0 = rss_now_mb(), time.perf_counter()
        flat = faiss.IndexFlatIP(DIM)
        nbytes = n * DIM * 4
        flat.codes.resize(nbytes)
        store = faiss.rev_swig_ptr(flat.codes.data(), nbytes).view(np.float32).reshape(n, DIM)
        _, off = npy_rows(xpath)
        fd = os.open(xpath, os.O_RDONLY)
        try:
            for c0 in range(0, n, CHUNK):
                view = memoryview(store[c0:c0 + CHUNK]).cast("B")
                assert os.preadv(fd, [view], off + c0 * DIM * 4) == len(view)
        finally:
            os.close(fd)
        flat.ntotal = n
        out["flat"] = flat
        lines.append({"t": "load", "kind": "flat", "seconds": round(time.perf_counter() - t0, 2),
                      "note": "IndexFlatIP, the vectors read into it",
                      "rss_added_mb": round(rss_now_mb() - r0), "bytes": nbytes})
    return out, lines


def hnsw_quantized(base, faiss):
    """A copy of an IVF index (alone or behind OPQ) whose coarse quantizer is
    an HNSW graph over its centroids instead of a scan of all of them: the
    same lists and codes, the nearest lists found approximately."""
    copy = faiss.clone_index(base)
    ivf = faiss.extract_index_ivf(copy)
    hq = faiss.IndexHNSWFlat(DIM, QUANTIZER_M, faiss.METRIC_INNER_PRODUCT)
    hq.hnsw.efConstruction = 80
    hq.add(faiss.extract_index_ivf(base).quantizer.reconstruct_n(0, ivf.nlist))
    ivf.quantizer = hq
    ivf.own_fields = False              # hq is Python's; the old quantizer leaks
    return copy, ivf, hq


def configurations(idx, faiss):
    """[(name, index, setter)]: every index and search setting timed, and
    the lines saying what making the derived indexes cost."""
    confs, lines = [("flat", idx["flat"], lambda: None)], []
    keep = idx.setdefault("keep", [])    # derived indexes, alive with their parts
    for kind in ("ivfpq", "opq-ivfpq"):
        if kind not in idx:
            continue
        base = idx[kind]
        ivf = faiss.extract_index_ivf(base)
        refined = {}
        for factor in (REFINE, REFINE_MORE):
            refined[factor] = faiss.IndexRefine(base, idx["flat"])
            refined[factor].k_factor = factor
        t0 = time.perf_counter()
        hbase, hivf, hq = hnsw_quantized(base, faiss)
        lines.append({"t": "load", "kind": f"{kind}, HNSW quantizer", "seconds": round(time.perf_counter() - t0, 2),
                      "rss_added_mb": 0, "note": f"a copy with an HNSW{QUANTIZER_M} graph over the {ivf.nlist} centroids"})
        hrefined = faiss.IndexRefine(hbase, idx["flat"])
        hrefined.k_factor = REFINE
        keep += [refined, hbase, hivf, hq, hrefined]
        for p in NPROBES:
            setter = (lambda ivf=ivf, p=p: setattr(ivf, "nprobe", p))
            confs.append((f"{kind} nprobe={p}", base, setter))
            confs.append((f"{kind}+refine{K * REFINE} nprobe={p}", refined[REFINE], setter))
            if p in REFINE_MORE_NPROBES:
                confs.append((f"{kind}+refine{K * REFINE_MORE} nprobe={p}", refined[REFINE_MORE], setter))

            def hsetter(ivf=hivf, hq=hq, p=p):
                ivf.nprobe = p
                hq.hnsw.efSearch = max(64, 2 * p)
            confs.append((f"{kind}+refine{K * REFINE}, HNSW quantizer, nprobe={p}", hrefined, hsetter))
    if "hnsw" in idx:
        h = faiss.downcast_index(idx["hnsw"]).hnsw
        for ef in EF_SEARCH:
            confs.append((f"hnsw ef={ef}", idx["hnsw"], (lambda h=h, ef=ef: setattr(h, "efSearch", ef))))
    return confs, lines


def blas_threads(n):
    """OpenBLAS's threads (FAISS calls BLAS for OPQ's rotation, for batches
    of queries and for training): omp_set_num_threads() does not set them."""
    try:
        ctypes.CDLL("libblas.so.3").openblas_set_num_threads(n)
    except (OSError, AttributeError):
        pass                    # not OpenBLAS: one thread anyway


def cmd_search(a):
    import faiss
    n = a.n
    qz = np.load(os.path.join(a.data, f"Q-{n}-{a.rounds}.npz"))
    Q, kind, gt_i = qz["Q"], qz["kind"], qz["gt_i"]
    per = len(Q) // a.rounds
    if a.limit:                 # a quick check: the first LIMIT queries of each half of a round
        keep = np.concatenate([np.r_[r * per:r * per + a.limit // 2, r * per + per // 2:r * per + per // 2 + a.limit // 2]
                               for r in range(a.rounds)])
        Q, kind, gt_i, per = Q[keep], kind[keep], gt_i[keep], 2 * (a.limit // 2)
    os.makedirs(a.results, exist_ok=True)
    lines = open(os.path.join(a.results, f"lines-{n}.jsonl"), "w")

    def emit(d):
        d.setdefault("n", n)
        lines.write(json.dumps(d) + "\n")
        lines.flush()

    faiss.omp_set_num_threads(a.threads)
    idx, loaded = load_indexes(a, n, faiss)
    for d in loaded:
        emit(d)
        log(f"search N={n}: loaded {d}")
    confs, made = configurations(idx, faiss)
    for d in made:
        emit(d)
    names = [c[0] for c in confs]
    got = {name: np.full((len(Q), K), -2, dtype=np.int64) for name in names}
    flat_sel = np.r_[0:FLAT_SINGLE // 2, per // 2:per // 2 + FLAT_SINGLE - FLAT_SINGLE // 2]
    for r in range(a.rounds):
        q0 = r * per
        Qr = Q[q0:q0 + per]
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            _, index, setter = confs[names.index(name)]
            setter()
            sel = flat_sel if name == "flat" else np.arange(per)
            faiss.omp_set_num_threads(1)
            blas_threads(1)
            ms = []
            for j in sel:
                qj = Qr[j:j + 1]
                t0 = time.perf_counter()
                _, I = index.search(qj, K)
                ms.append((time.perf_counter() - t0) * 1e3)
                got[name][q0 + j] = I[0]
            emit({"t": "single", "round": r, "config": name, "ms": [round(x, 4) for x in ms],
                  "kind": [str(kind[q0 + j]) for j in sel]})
            faiss.omp_set_num_threads(a.threads)
            blas_threads(a.threads)
            t0 = time.perf_counter()
            _, I = index.search(Qr, K)
            t = time.perf_counter() - t0
            same = float((I == got[name][q0:q0 + per]).all(axis=1)[sel].mean())
            emit({"t": "batch", "round": r, "config": name, "nq": per, "seconds": round(t, 4),
                  "threads": a.threads, "same_as_single": same})
            time.sleep(REST)
        log(f"search N={n}: round {r + 1}/{a.rounds} done")
    for name in names:
        done = got[name][:, 0] != -2
        for kk in ("all", "held-out", "near-dup"):
            m = done & ((kind == kk) if kk != "all" else True)
            r1 = float((got[name][m, 0] == gt_i[m, 0]).mean())
            r10 = float(np.mean([len(set(got[name][i]) & set(gt_i[i])) / K for i in np.flatnonzero(m)]))
            in10 = float((got[name][m] == gt_i[m, :1]).any(axis=1).mean())
            emit({"t": "recall", "config": name, "queries": kk, "count": int(m.sum()),
                  "recall1": round(r1, 4), "recall10": round(r10, 4), "top1_in_10": round(in10, 4)})
    emit({"t": "proc", "peak_rss_mb": round(peak_rss_mb()), "rss_mb": round(rss_now_mb()),
          "faiss": faiss.__version__, "compile": faiss.get_compile_options(),
          "omp_max_threads": faiss.omp_get_max_threads()})
    lines.close()


# ------------------------------------------------------------------- report
def spread(v, fmt):
    v = np.asarray(v, dtype=float)
    return f"{fmt.format(np.median(v))} ({fmt.format(v.min())}–{fmt.format(v.max())})"


def read_jsonl(path):
    """The JSON lines of a file (a build's stdout also holds FAISS's own
    progress lines)."""
    out = []
    with open(path) as f:
        for line in f:
            at = line.find('{"t": ')
            if at >= 0:
                out.append(json.loads(line[at:]))
    return out


def cmd_report(a):
    res = a.results
    out = []
    builds = read_jsonl(os.path.join(res, "builds.jsonl")) if os.path.exists(os.path.join(res, "builds.jsonl")) else []
    if builds:
        out += ["### Building (one build each, 2 threads)", "",
                "| index | N | `index_factory` | train s | add s | file MB | bytes/vector | peak RSS MB |",
                "|---|--:|---|--:|--:|--:|--:|--:|"]
        for b in builds:
            extra = f", efConstruction {b['efConstruction']}" if "efConstruction" in b else ""
            extra += f", {b['train_points']:,} training vectors" if "train_points" in b else ""
            out.append(f"| {b['kind']} | {b['n']:,} | `{b['factory']}`{extra} | {b['train_s']:.0f} | "
                       f"{b['add_s']:.0f} | {b['bytes'] / 1e6:,.0f} | {b['bytes'] / b['n']:,.0f} | {b['peak_rss_mb']:,} |")
        out.append("")
    for name in sorted(os.listdir(res)):
        if not (name.startswith("lines-") and name.endswith(".jsonl")):
            continue
        L = read_jsonl(os.path.join(res, name))
        n = L[0]["n"]
        single, batch, rec = {}, {}, {}
        for d in L:
            if d["t"] == "single":
                single.setdefault(d["config"], []).append(d["ms"])
            elif d["t"] == "batch":
                batch.setdefault(d["config"], []).append(d["nq"] / d["seconds"])
            elif d["t"] == "recall":
                rec[(d["config"], d["queries"])] = d
        proc = [d for d in L if d["t"] == "proc"]
        loads = [d for d in L if d["t"] == "load"]
        rounds = len(next(iter(single.values())))
        out += [f"### Searching N = {n:,} ({rounds} rounds)", ""]
        for d in loads:
            out.append(f"- loaded {d['kind']}: {d['seconds']} s, +{d['rss_added_mb']:,} MB resident"
                       + (f" ({d['note']})" if d.get("note") else ""))
        if proc:
            out.append(f"- search process: peak RSS {proc[0]['peak_rss_mb']:,} MB; FAISS {proc[0]['faiss']} "
                       f"({proc[0]['compile']})")
        out += ["", "| configuration | R@1 | R@10 | exact 1st in 10 | near-dup R@1 | held-out R@1 | held-out R@10 | "
                "ms median, 1 query | ms p90 | ms p99 | queries/s, batches of 200 |",
                "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
        for conf, ms in single.items():
            med = [np.median(m) for m in ms]
            p90 = [np.percentile(m, 90) for m in ms]
            p99 = np.percentile(np.concatenate(ms), 99)
            r = {q: rec[(conf, q)] for q in ("all", "near-dup", "held-out")}
            cnt = f" ({r['all']['count']} queries)" if conf == "flat" else ""
            out.append(f"| {conf}{cnt} | {r['all']['recall1']:.3f} | {r['all']['recall10']:.3f} | "
                       f"{r['all'].get('top1_in_10', float('nan')):.3f} | {r['near-dup']['recall1']:.3f} | "
                       f"{r['held-out']['recall1']:.3f} | {r['held-out']['recall10']:.3f} | "
                       f"{spread(med, '{:.2f}')} | {spread(p90, '{:.2f}')} | {p99:.2f} | {spread(batch[conf], '{:,.0f}')} |")
        out.append("")
    for name in sorted(os.listdir(res)):
        if name.startswith("realism-"):
            r = json.load(open(os.path.join(res, name)))
            f = lambda v: " ".join(f"{x:.3f}" for x in v)  # noqa: E731
            out += [f"### The generator against the real embeddings ({name}; percentiles 10 25 50 75 90)", "",
                    "| | real | generated |", "|---|---|---|",
                    f"| nearest-neighbour cosine within {r['n_real_photos']} | {f(r['real_nn'])} | {f(r['gen_nn_same_size'])} |",
                    f"| cosine of every pair, same sets | {f(r['real_pairs'])} | {f(r['gen_pairs_same_size'])} |",
                    f"| features that are 0 | {r['real_zero_fraction']:.3f} | {r['gen_zero_fraction']:.3f} |",
                    f"| PCA participation ratio, components for 90 %, {r['n_anchors']} vectors | "
                    f"{r['real_spectrum_anchors'][0]:.1f}, {r['real_spectrum_anchors'][1]} | "
                    f"{r['gen_spectrum_same_size'][0]:.1f}, {r['gen_spectrum_same_size'][1]} |",
                    f"| the same, 20,000 generated | | {r['gen_spectrum_20000'][0]:.1f}, {r['gen_spectrum_20000'][1]} |",
                    f"| cosine of a near-duplicate to its source | {f(r['real_edit_cos'])} ({r['n_edits']} real edits) | "
                    f"{f(r['gen_neardup_cos_to_source'])} |",
                    f"| exact 1st / 10th neighbour's cosine, held-out queries | | {f(r['gen_top1_heldout'])} / "
                    f"{f(r['gen_top10_heldout'])} |",
                    f"| near-duplicates whose source is the exact 1st | | {r['neardup_source_is_top1']:.3f} |", ""]
    print("\n".join(out))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("real")
    p.add_argument("data")
    p.add_argument("--cnnfilt", required=True)
    p = sub.add_parser("make")
    p.add_argument("n", type=int)
    p.add_argument("data")
    p.add_argument("--rounds", type=int, default=5)
    p = sub.add_parser("build")
    p.add_argument("kind", choices=sorted(FACTORY))
    p.add_argument("n", type=int)
    p.add_argument("data")
    p.add_argument("--source", type=int, help="the X-SOURCE.npy to take the first N rows of (default: N)")
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--nlist", type=int, default=4096)
    p.add_argument("--m", type=int, default=64)
    p.add_argument("--M", type=int, default=32)
    p.add_argument("--efc", type=int, default=80)
    p.add_argument("--train", type=int, default=160000)
    p.add_argument("--opq-iter", type=int, default=10)
    p = sub.add_parser("search")
    p.add_argument("n", type=int)
    p.add_argument("data")
    p.add_argument("--indexes", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, default=0, help="queries per round (a quick check; default: all)")
    p = sub.add_parser("report")
    p.add_argument("results")
    a = ap.parse_args()
    if a.cmd == "build" and a.source is None:
        a.source = a.n
    {"real": cmd_real, "make": cmd_make, "build": cmd_build, "search": cmd_search, "report": cmd_report}[a.cmd](a)


if __name__ == "__main__":
    main()
