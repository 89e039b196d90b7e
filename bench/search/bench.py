#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Exact k-NN search: CnnfiltIndex.search against numpy, on the same
float32 matrix.

    bench.py make N DIR       the index DIR/index-N.db and its export
                              (DIR/X-N.npy + DIR/paths-N.txt), once
    bench.py duel N DIR --rounds 5 --queries 16 --engines "cnnfilt numpy"
                  --batch 16 --threads 2 --results RESULTS
    bench.py worker ENGINE N DIR --batch 16 --threads 2   (started by duel)

make: N vectors of DIM float32 values, standard normal from numpy's PCG64
seeded with N, L2-normalised, added with Cnnfilt.Index.add() in
transactions of 10,000 (begin/commit); the paths are v/0000000…, so their
order is the row order. Then `cnnfilt index export` writes the matrix as the
index holds it, for numpy.

duel: starts one worker process per engine, each under /usr/bin/time -v
(peak RSS in RESULTS/log/worker-ENGINE-N.time); each loads its data once
(timed); then ROUNDS rounds, in each of which every engine in turn (order
rotated from round to round, 0.3 s of rest between turns so that the other
engine's spinning threads go quiet) answers the same QUERIES queries (seeded
by the round). Both processes are alive together: memory for two matrices.

worker cnnfilt: Cnnfilt.Index.open(); load = the first search (SQLite →
one matrix in memory, then one search); each query index.search(q, 10),
timed from Python around the call (the GI call's own cost, well under
0.1 ms, is in it).
worker numpy: load = np.load of X-N.npy; each query s = X @ q (BLAS sgemv),
np.argpartition(-s, K)[:K] sorted by score; then the round's queries again
as GEMMs of --batch queries (S = X @ Qb.T, then the same per column), per
query = batch time ÷ batch. At the end, the streaming read bandwidth on X
itself: its bytes summed as int64 (a memory-bound SIMD loop in numpy),
split over 1 and --threads threads (numpy releases the GIL in reductions),
best of 5.

Lines (RESULTS/lines.tsv, each prefixed by the round, 0 outside rounds):
  L engine N seconds                 loading (cnnfilt: the first search)
  Q engine N i ms                    query i of the round, single
  B engine N i ms                    query i, from a batch (per query)
  W numpy N threads GB/s             read bandwidth
  I engine key value                 what ran
and RESULTS/topk.tsv: `round engine N i mode paths scores` per query.
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np

DIM = 1792
K = 10
CHUNK = 10000
REST = 0.3


def queries(n, seed):
    q = np.random.Generator(np.random.PCG64(seed)).standard_normal((n, DIM)).astype(np.float32)
    return q / np.linalg.norm(q, axis=1, keepdims=True).astype(np.float32)


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def cnnfilt_module():
    import gi
    gi.require_version("Cnnfilt", "1.0")
    from gi.repository import Cnnfilt
    Cnnfilt.init()
    return Cnnfilt


def make(n, folder, cnnfilt_bin):
    Cnnfilt = cnnfilt_module()
    os.makedirs(folder, exist_ok=True)
    db = os.path.join(folder, f"index-{n}.db")
    tmp = db + ".tmp"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(tmp + suffix):
            os.remove(tmp + suffix)
    index = Cnnfilt.Index.open(tmp)
    index.set_model(f"random-normal-{DIM}-seed{n}", DIM)
    rng = np.random.Generator(np.random.PCG64(n))
    t0 = time.perf_counter()
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        x = rng.standard_normal((m, DIM), dtype=np.float32).astype(np.float64)
        x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
        index.begin()
        for i in range(m):
            index.add(f"v/{start + i:07d}", 0, 0, x[i])
        index.commit()
        print(f"make: {start + m}/{n} vectors, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    del index
    for suffix in ("-wal", "-shm"):
        if os.path.exists(tmp + suffix):
            os.remove(tmp + suffix)   # a clean close checkpoints the log; what is left is empty
    os.replace(tmp, db)
    npy, paths = os.path.join(folder, f"X-{n}.npy"), os.path.join(folder, f"paths-{n}.txt")
    t1 = time.perf_counter()
    subprocess.run([cnnfilt_bin, "index", "export", db, npy + ".tmp.npy", paths + ".tmp"], check=True)
    os.replace(npy + ".tmp.npy", npy)
    os.replace(paths + ".tmp", paths)
    print(f"make: {db} ({os.path.getsize(db) / 1e9:.2f} GB) in {t1 - t0:.0f} s, exported in "
          f"{time.perf_counter() - t1:.0f} s", file=sys.stderr)


# ---------------------------------------------------------------- worker
def emit(*fields):
    sys.stdout.write("\t".join(str(f) for f in fields) + "\n")


def topk(engine, n, i, mode, paths, scores):
    emit("T", engine, n, i, mode, ",".join(paths), ",".join(f"{s:.7f}" for s in scores))


def top(scores, paths):
    idx = np.argpartition(-scores, K)[:K]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return [paths[j] for j in idx], scores[idx]


class CnnfiltEngine:
    name = "cnnfilt"

    def __init__(self, args):
        Cnnfilt = cnnfilt_module()
        self.n = args.n
        self.index = Cnnfilt.Index.open(os.path.join(args.dir, f"index-{args.n}.db"))
        assert self.index.get_count() == args.n, (self.index.get_count(), args.n)
        emit("I", "cnnfilt", "rss-after-open-MB", f"{rss_mb():.0f}")
        t = time.perf_counter()
        self.index.search(queries(1, 0)[0], K)
        emit("L", "cnnfilt", args.n, f"{time.perf_counter() - t:.4f}")
        emit("I", "cnnfilt", "rss-after-load-MB", f"{rss_mb():.0f}")

    def round(self, qs):
        for i, q in enumerate(qs):
            t = time.perf_counter()
            paths, scores = self.index.search(q, K)
            ms = 1e3 * (time.perf_counter() - t)
            emit("Q", "cnnfilt", self.n, i, f"{ms:.4f}")
            topk("cnnfilt", self.n, i, "single", paths, scores)

    def bandwidth(self):
        pass


class NumpyEngine:
    name = "numpy"

    def __init__(self, args):
        import ctypes
        self.n, self.batch, self.threads = args.n, args.batch, args.threads
        with open(os.path.join(args.dir, f"paths-{args.n}.txt")) as f:
            self.paths = [line.rstrip("\n") for line in f]
        t = time.perf_counter()
        self.X = np.load(os.path.join(args.dir, f"X-{args.n}.npy"))
        emit("L", "numpy", args.n, f"{time.perf_counter() - t:.4f}")
        X = self.X
        assert X.shape == (args.n, DIM) and X.dtype == np.float32 and X.flags.c_contiguous
        emit("I", "numpy", "rss-after-load-MB", f"{rss_mb():.0f}")
        with open("/proc/self/maps") as f:
            blas = sorted({line.split()[-1] for line in f if "blas" in os.path.basename(line.split()[-1])})
        emit("I", "numpy", "blas", " ".join(blas) or "?")
        for b in blas:
            if "openblas" in os.path.basename(b):
                try:
                    lib = ctypes.CDLL(b)
                    lib.openblas_get_config.restype = ctypes.c_char_p
                    lib.openblas_get_corename.restype = ctypes.c_char_p
                    emit("I", "numpy", "openblas", f"{lib.openblas_get_config().decode()}; core "
                         f"{lib.openblas_get_corename().decode()}; threads {lib.openblas_get_num_threads()}")
                    break
                except (OSError, AttributeError):
                    pass
        q = queries(self.batch, 0)
        X @ q[0]      # BLAS's threads started, its buffers allocated: sgemv,
        X @ q.T       # then sgemm

    def round(self, qs):
        X, paths = self.X, self.paths
        for i, q in enumerate(qs):
            t = time.perf_counter()
            s = X @ q
            p, sc = top(s, paths)
            ms = 1e3 * (time.perf_counter() - t)
            emit("Q", "numpy", self.n, i, f"{ms:.4f}")
            topk("numpy", self.n, i, "single", p, sc)
        for b0 in range(0, len(qs), self.batch):
            qb = qs[b0:b0 + self.batch]
            t = time.perf_counter()
            S = X @ qb.T
            res = [top(np.ascontiguousarray(S[:, j]), paths) for j in range(len(qb))]
            ms = 1e3 * (time.perf_counter() - t) / len(qb)
            for j, (p, sc) in enumerate(res):
                emit("B", "numpy", self.n, b0 + j, f"{ms:.4f}")
                topk("numpy", self.n, b0 + j, f"batch{self.batch}", p, sc)

    def bandwidth(self):
        import concurrent.futures
        X = self.X
        # the bytes summed as int64: numpy's integer add.reduce is a plain
        # SIMD loop, bound by memory (a float32 sum is pairwise, and slower
        # than memory on one core)
        words = X.reshape(-1).view(np.int64)
        for threads in sorted({1, self.threads}):
            best = 0.0
            parts = np.array_split(words, threads)
            with concurrent.futures.ThreadPoolExecutor(threads) as pool:
                for _ in range(5):
                    t = time.perf_counter()
                    list(pool.map(np.sum, parts))
                    best = max(best, X.nbytes / (time.perf_counter() - t) / 1e9)
            emit("W", "numpy", self.n, threads, f"{best:.2f}")


def worker(args):
    engine = (CnnfiltEngine if args.engine == "cnnfilt" else NumpyEngine)(args)
    emit("READY")
    sys.stdout.flush()
    for line in sys.stdin:
        cmd = line.split()
        if cmd[0] == "round":
            engine.round(queries(int(cmd[2]), int(cmd[1])))
        elif cmd[0] == "bandwidth":
            engine.bandwidth()
        elif cmd[0] == "quit":
            break
        emit("DONE")
        sys.stdout.flush()
    return 0


# ---------------------------------------------------------------- duel
def worker_env(engine):
    env = dict(os.environ)
    if engine == "cnnfilt":
        build = env.get("CNNFILT_BUILD", "build")
        src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["GI_TYPELIB_PATH"] = os.path.join(build, "libcnnfilt")
        env["LD_LIBRARY_PATH"] = os.path.join(build, "libcnnfilt") + (
            ":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        env["CNNFILT_PLUGIN_PATH"] = os.path.join(build, "plugins")
        env["PYTHONPATH"] = os.path.join(src, "bindings", "python")
    elif env.get("NUMPY_BLAS_DIR"):
        env["LD_LIBRARY_PATH"] = env["NUMPY_BLAS_DIR"]
    return env


def duel(args):
    os.makedirs(os.path.join(args.results, "log"), exist_ok=True)
    lines = open(os.path.join(args.results, "lines.tsv"), "a")
    tops = open(os.path.join(args.results, "topk.tsv"), "a")
    procs = open(os.path.join(args.results, "procs.tsv"), "a")
    engines = args.engines.split()
    workers = {}

    def read_until(e, rnd, end):
        w = workers[e]
        while True:
            line = w.stdout.readline()
            if not line:
                raise SystemExit(f"duel: the {e} worker stopped (see {args.results}/log/worker-{e}-{args.n}.err)")
            line = line.rstrip("\n")
            if line == end:
                return
            if line.startswith("T\t"):
                tops.write(f"{rnd}\t{line[2:]}\n")
            else:
                lines.write(f"{rnd}\t{line}\n")

    for e in engines:   # one at a time: loading is timed alone
        log = os.path.join(args.results, "log", f"worker-{e}-{args.n}")
        cmd = ["/usr/bin/time", "-v", "-o", log + ".time", sys.executable, os.path.abspath(__file__), "worker",
               e, str(args.n), args.dir, "--batch", str(args.batch), "--threads", str(args.threads)]
        t = time.perf_counter()
        workers[e] = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                      stderr=open(log + ".err", "w"), env=worker_env(e))
        read_until(e, 0, "READY")
        print(f"  N={args.n:<7} {e:<8} loaded in {time.perf_counter() - t:6.1f} s (process start included)",
              file=sys.stderr, flush=True)
        time.sleep(REST)
    for rnd in range(1, args.rounds + 1):
        t0 = time.perf_counter()
        for k in range(len(engines)):
            e = engines[(k + rnd - 1) % len(engines)]
            workers[e].stdin.write(f"round {rnd} {args.queries}\n")
            workers[e].stdin.flush()
            read_until(e, rnd, "DONE")
            time.sleep(REST)
        print(f"  N={args.n:<7} round {rnd}: {time.perf_counter() - t0:5.1f} s, load "
              f"{open('/proc/loadavg').read().split()[0]}", file=sys.stderr, flush=True)
    for e in engines:
        workers[e].stdin.write("bandwidth\n")
        workers[e].stdin.flush()
        read_until(e, 0, "DONE")
        workers[e].stdin.write("quit\n")
        workers[e].stdin.close()
    for e in engines:
        status = workers[e].wait()
        rss = 0
        with open(os.path.join(args.results, "log", f"worker-{e}-{args.n}.time")) as f:
            for line in f:
                if "Maximum resident set size" in line:
                    rss = int(line.split(":")[1])
        procs.write(f"P\t{e}\t{args.n}\t{rss}\t{status}\n")
    for f in (lines, tops, procs):
        f.close()
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("make", "duel", "worker"))
    ap.add_argument("rest", nargs="+", help="make: N DIR; duel: N DIR; worker: ENGINE N DIR")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--queries", type=int, default=16)
    ap.add_argument("--engines", default="cnnfilt numpy")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--results", default="results")
    ap.add_argument("--cnnfilt", default="cnnfilt", help="the cnnfilt program (make: index export)")
    args = ap.parse_args()
    if args.what == "worker":
        args.engine, args.n, args.dir = args.rest[0], int(args.rest[1]), args.rest[2]
        return worker(args)
    args.n, args.dir = int(args.rest[0]), args.rest[1]
    if args.what == "make":
        make(args.n, args.dir, args.cnnfilt)
        return 0
    return duel(args)


if __name__ == "__main__":
    sys.exit(main())
