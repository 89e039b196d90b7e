#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the Dask workers' environment costs embed: cnnfilt.dask.embed over
PHOTOS on a cnnfilt.dask.local_cluster of WORKERS processes started with

  dask     Dask's own pre-spawn environment (MALLOC_TRIM_THRESHOLD_=65536,
           OMP_NUM_THREADS=1, ...)
  malloc   and glibc's malloc thresholds near their adaptive values:
           MALLOC_TRIM_THRESHOLD_=128 MiB, MALLOC_MMAP_THRESHOLD_=32 MiB
  passive  and OMP_WAIT_POLICY=passive instead
  both     and both: cnnfilt.dask.WORKER_ENVIRON, local_cluster's default

Each cluster lives in its own process and is warmed by one run; then
ROUNDS runs of each, interleaved. Prints the median wall time of a run and
the CPU time its tasks used (user + system of the worker processes).

    worker_env.py PHOTOS [--workers 1] [--rounds 3]
"""
import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time

KINDS = ["dask", "malloc", "passive", "both"]
MALLOC = {"MALLOC_TRIM_THRESHOLD_": str(128 << 20), "MALLOC_MMAP_THRESHOLD_": str(32 << 20)}


def child(kind, photos, workers):
    import distributed
    import cnnfilt.dask as cd

    environ = {"dask": {}, "malloc": MALLOC, "passive": {"OMP_WAIT_POLICY": "passive"},
               "both": cd.WORKER_ENVIRON}[kind]
    cluster = cd.local_cluster(workers, environ=environ, silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    with tempfile.TemporaryDirectory() as work:
        cd.embed(client, [photos], os.path.join(work, "warm.db"))
        for _ in sys.stdin:  # one run per line
            start = time.monotonic()
            result = cd.embed(client, [photos], os.path.join(work, f"{time.monotonic_ns()}.db"))
            print(json.dumps({"seconds": time.monotonic() - start,
                              "cpu": sum(s["cpu_s"] for s in result.shards)}), flush=True)
    client.close()
    cluster.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("photos")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, os.path.abspath(args.photos), args.workers)
    procs = {k: subprocess.Popen([sys.executable, os.path.abspath(__file__), args.photos,
                                  "--workers", str(args.workers), "--child", k],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for k in KINDS}
    runs = {k: [] for k in KINDS}
    for r in range(args.rounds):
        for k in KINDS[r % len(KINDS):] + KINDS[:r % len(KINDS)]:
            procs[k].stdin.write("run\n")
            procs[k].stdin.flush()
            runs[k].append(json.loads(procs[k].stdout.readline()))
    for k in KINDS:
        procs[k].stdin.close()
        procs[k].wait()
    print(f"{args.workers} worker process(es), {args.rounds} rounds")
    for k in KINDS:
        walls = [x["seconds"] for x in runs[k]]
        print(f"{k:8} wall {statistics.median(walls):6.2f} s  "
              f"CPU {statistics.median(x['cpu'] for x in runs[k]):6.2f} s  "
              f"(walls {', '.join(f'{w:.1f}' for w in walls)})")


if __name__ == "__main__":
    main()
