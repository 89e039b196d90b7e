#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Images per second of `embed` over one folder of photos, by engine:

  plain    cnnfilt embed --index X.db DIR            (one process, every core)
  dask-1   cnnfilt.dask.embed on a LocalCluster of 1 worker process (1 Dask thread)
  dask-2   the same with 2 worker processes (1 Dask thread each)
  slurm    contrib/slurm/submit-embed.sh -c 1 DIR X.db 2 on a one-node Slurm
           cluster (tests/cluster/slurm-cluster.sh), submit to merged index

    bench.py --cnnfilt build/bin/cnnfilt --photos DIR --rounds 5 --out results.jsonl

Every round runs every engine once, in an order rotated by one each round,
each into a fresh index (nothing cached but the page cache and, for
"warm", the Dask workers). A Dask cluster (cnnfilt.dask.local_cluster, in a
process of its own) is started fresh for each of its runs: "dask-N" is
the embed() call on workers that have not yet loaded the
model (what a new job pays; the cluster's own start is recorded apart as
"start"); right after it, "dask-N warm" is a second embed() into another
new index on the same workers (model loaded, graphs prepared: the steady
state). A slurm run is the time from submitting the array to the merge
job's end; the Slurm cluster itself is started once. Each run's index is
checked: as many images as the plain run, the same paths.

One JSON object per run goes to --out; report.py makes the table.
"""
import argparse
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import gi

gi.require_version("Cnnfilt", "1.0")
from gi.repository import Cnnfilt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def count_images(index_path):
    index = Cnnfilt.Index.open(index_path)
    return index.get_count(), list(index.list_paths())


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu():
    """User + system seconds of this process (in a Dask worker: the worker's)."""
    times = os.times()
    return times.user + times.system


def run_plain(args, work):
    index = os.path.join(work, "plain.db")
    cpu = children_cpu()
    start = time.monotonic()
    done = subprocess.run([args.cnnfilt, "embed", "-q", "--index", index, args.photos],
                          capture_output=True, text=True, env=args.environ)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        raise RuntimeError(f"cnnfilt embed exited {done.returncode}: {done.stderr}")
    return [{"engine": "plain", "seconds": seconds, "cpu": children_cpu() - cpu, "index": index}]


def run_dask(args, work, workers):
    """The Dask runs, in a process of their own: Dask's nanny copies its
    pre-spawn variables (MALLOC_TRIM_THRESHOLD_, OMP_NUM_THREADS) into the
    client's environment, which must not reach the plain and slurm runs."""
    command = [sys.executable, os.path.abspath(__file__), "--dask-child", str(workers),
               "--photos", args.photos, "--out", work, "--cnnfilt", args.cnnfilt]
    if not args.warm:
        command.append("--no-warm")
    done = subprocess.run(command, capture_output=True, text=True, env=args.environ)
    if done.returncode != 0:
        raise RuntimeError(f"dask-{workers} exited {done.returncode}: {done.stderr[-2000:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def dask_child(args, workers):
    import distributed
    import cnnfilt.dask

    work = args.out
    start = time.monotonic()
    cluster = cnnfilt.dask.local_cluster(workers, silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    client.wait_for_workers(workers)
    started = time.monotonic() - start
    try:
        for label in ("", " warm") if args.warm else ("",):
            index = os.path.join(work, f"dask{workers}{label.strip()}.db")
            # CPU: the workers' processes and this one (scheduler, nannies, client)
            before = client.run(process_cpu)
            cpu = process_cpu()
            start = time.monotonic()
            result = cnnfilt.dask.embed(client, [args.photos], index)
            seconds = time.monotonic() - start
            cpu = process_cpu() - cpu
            after = client.run(process_cpu)
            cpu += sum(after[w] - before[w] for w in after if w in before)
            if not result.ok:
                raise RuntimeError(f"dask-{workers}: {result.failed[:3]} {result.errors[:3]}")
            print(json.dumps({
                "engine": f"dask-{workers}{label}", "seconds": seconds, "cpu": cpu,
                "index": index, "start": started if not label else 0.0,
                "shards": len(result.shards),
                "threads": sorted({s["threads"] for s in result.shards}),
                "task_seconds": sorted(round(s["seconds"], 2) for s in result.shards),
                "task_cpu": round(sum(s["cpu_s"] for s in result.shards), 2),
                "model_s": round(sum(s["model_s"] for s in result.shards), 2)}), flush=True)
    finally:
        client.close()
        cluster.close()


def slurm_start(args):
    script = os.path.join(ROOT, "tests", "cluster", "slurm-cluster.sh")
    submit = os.path.join(ROOT, "contrib", "slurm", "submit-embed.sh")
    if not (os.access(script, os.X_OK) and os.access(submit, os.X_OK)):
        return None, "tests/cluster/slurm-cluster.sh or contrib/slurm/submit-embed.sh is missing"
    done = subprocess.run([script, "start", args.slurm_dir], capture_output=True, text=True)
    if done.returncode != 0:
        return None, f"slurm-cluster.sh start exited {done.returncode}: " + \
            (done.stderr.strip().splitlines() or [""])[-1]
    env = dict(os.environ)
    for part in done.stdout.split(";"):
        part = part.strip()
        if part.startswith("SLURM_CONF="):
            env["SLURM_CONF"] = part.split("=", 1)[1]
    env["PATH"] = env.get("PATH", "") + ":/usr/sbin:/sbin"
    return env, None


def slurm_stop(args):
    script = os.path.join(ROOT, "tests", "cluster", "slurm-cluster.sh")
    subprocess.run([script, "stop", args.slurm_dir], capture_output=True)


def run_slurm(args, work, env):
    index = os.path.join(work, "slurm.db")
    submit = os.path.join(ROOT, "contrib", "slurm", "submit-embed.sh")
    start = time.monotonic()
    done = subprocess.run([submit, "-c", "1", args.photos, index, "2"], capture_output=True,
                          text=True, env=dict(env, CNNFILT=os.path.abspath(args.cnnfilt)))
    if done.returncode != 0:
        raise RuntimeError(f"submit-embed.sh exited {done.returncode}: {done.stderr}")
    jobs = done.stdout.split()
    while True:
        queued = subprocess.run(["squeue", "-h", "-j", ",".join(jobs), "-o", "%i %T"],
                                capture_output=True, text=True, env=env)
        if queued.returncode == 0 and not queued.stdout.strip():
            break
        time.sleep(0.1)
    seconds = time.monotonic() - start
    return [{"engine": "slurm", "seconds": seconds, "index": index}]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cnnfilt", required=True)
    parser.add_argument("--photos", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--engines", default="plain,dask-1,dask-2,slurm")
    parser.add_argument("--no-warm", dest="warm", action="store_false")
    parser.add_argument("--slurm-dir", default=os.path.join(tempfile.gettempdir(),
                                                            "cnnfilt-bench-scale-slurm"))
    parser.add_argument("--out", required=True)
    parser.add_argument("--dask-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dask_child:
        return dask_child(args, args.dask_child)
    args.environ = dict(os.environ)
    args.photos = os.path.abspath(args.photos)
    engines = args.engines.split(",")

    out = open(args.out, "a")

    def record(entry):
        out.write(json.dumps(entry) + "\n")
        out.flush()
        print(f"round {entry.get('round')}: {entry['engine']:<12} "
              + (f"{entry['seconds']:7.2f} s  {entry['images'] / entry['seconds']:6.1f} images/s"
                 if "seconds" in entry else f"skipped: {entry['skipped']}"),
              file=sys.stderr, flush=True)

    env = None
    if "slurm" in engines:
        env, why = slurm_start(args)
        if env is None:
            engines.remove("slurm")
            record({"engine": "slurm", "skipped": why})
    try:
        reference = None
        for r in range(args.rounds):
            order = engines[r % len(engines):] + engines[:r % len(engines)]
            for engine in order:
                work = tempfile.mkdtemp(prefix=f"cnnfilt-scale-{engine}-")
                try:
                    load = os.getloadavg()[0]
                    if engine == "plain":
                        runs = run_plain(args, work)
                    elif engine.startswith("dask-"):
                        runs = run_dask(args, work, int(engine.split("-")[1]))
                    else:
                        runs = run_slurm(args, work, env)
                    for entry in runs:
                        images, paths = count_images(entry.pop("index"))
                        if reference is None:
                            reference = paths
                        if paths != reference:
                            raise RuntimeError(f"{entry['engine']}: {images} images, "
                                               f"not the {len(reference)} expected")
                        entry.update(round=r, images=images, load=round(load, 2),
                                     order=order.index(engine))
                        record(entry)
                finally:
                    shutil.rmtree(work, ignore_errors=True)
    finally:
        if env is not None:
            slurm_stop(args)


if __name__ == "__main__":
    main()
