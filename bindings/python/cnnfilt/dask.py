# cnnfilt/dask.py: `cnnfilt run`, `edges` and `embed` over the worker
# processes of a dask.distributed cluster, through the library (GI), not
# through the command
# SPDX-License-Identifier: LGPL-2.1-or-later
"""libcnnfilt's batch commands on a ``dask.distributed`` cluster.

    from distributed import Client
    import cnnfilt.dask

    client = Client("tcp://scheduler:8786")        # or Client(LocalCluster(...))
    result = cnnfilt.dask.embed(client, ["photos/"], "photos.db")
    print(len(result.embedded), "embedded;", result.failed)

    result = cnnfilt.dask.edges(client, ["photos/"], "edges/")
    result = cnnfilt.dask.run(client, "grayscale ! sobel direction=x ! normalize",
                              ["photos/"], "out/", format="png")

Inputs are walked on the client as ``cnnfilt`` walks them (files and
folders, folders recursively in name order, hidden entries skipped,
symbolic links followed with loops skipped), and the work is cut into
shards, one Dask task each. A task calls libcnnfilt through GObject
Introspection in the worker process, which keeps one graph (per thread)
or one embedder (per process) from task to task; it returns what became
of each file, and a file that fails (corrupt, not an image, too large) is
reported as ``(path, reason)``, never raised.

run / edges
    Each result is written under a temporary name in its folder
    (``.NAME.XXXXXX.suffix``, the library's own pattern, which ``cnnfilt
    run`` also cleans up) and renamed into place with ``os.replace``, so an
    output is whole or absent. Outputs are planned on the client before
    anything runs, as ``cnnfilt run`` plans them: one that would replace an
    input (however spelled) or that two inputs would both write raises
    :class:`PlanError` and nothing is written. A task removes the
    temporaries that an earlier, killed attempt left for its outputs.
    Paths and names are those of ``cnnfilt run``: the same files come out.

embed
    Shard K of N holds the files whose FNV-1a hash of the path is K mod N,
    as ``cnnfilt embed --shard K/N`` picks them; its task writes the shard
    index ``WORK/shard-K-of-N.db`` (WORK: INDEX without ``.db``, plus
    ``.shards``, unless given; contrib/slurm's names, so either can resume
    the other's shards) in one transaction per batch of images, and first
    skips the files the shard index already holds with their current size
    and time. A retried task (an exception, ``retries=``) or a rescheduled
    one (its worker process died; Dask's
    ``distributed.scheduler.allowed-failures``, 3 by default) therefore
    resumes after the last committed batch. When every task is done, the
    client merges the shard indexes into INDEX (``Index.merge``: a path in
    both keeps the newer file's row) and removes them. Shard indexes left
    by an interrupted call are merged first; files INDEX already holds as
    they are now are not sent to the workers. Paths, sizes and times are
    stored as ``cnnfilt embed`` stores them (paths as given, relative ones
    too), so the index is the one ``cnnfilt embed`` would make.

Threads: the workers' ops run on one ``Cnnfilt.Device`` per process whose
``n-threads`` is, with ``threads="auto"``, the host's cores divided by the
Dask threads of all worker processes on that host (2 processes of 1
thread on 4 cores: 2 each), so the model's oneDNN kernels do not
oversubscribe the machine; give ``threads=N`` to choose.
``OMP_NUM_THREADS`` (1 in Dask's nanny by default) does not limit them:
the library sets OpenMP's count from the device before each op (an
``OMP_THREAD_LIMIT`` in the workers' environment does cap it).
:func:`local_cluster` starts workers with :data:`WORKER_ENVIRON`
(glibc's malloc thresholds, ``OMP_WAIT_POLICY=passive``), which halved
the CPU time of embed in Dask's workers; give the same variables to
``dask worker`` elsewhere.

Workers need what the client has: ``gi`` with the Cnnfilt typelib, the
plugins (``CNNFILT_PLUGIN_PATH`` where not installed), this package on
``sys.path``, the model file and the photos at the same paths.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import secrets
import signal
import stat
import string
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import gi

gi.require_version("Cnnfilt", "1.0")
gi.require_version("GLib", "2.0")
from gi.repository import Cnnfilt, GLib  # noqa: E402

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "EmbedResult",
    "Plan",
    "PlanError",
    "RunResult",
    "WORKER_ENVIRON",
    "collect",
    "edges",
    "edges_pipeline",
    "embed",
    "local_cluster",
    "plan_outputs",
    "run",
    "shard_of",
    "shard_paths",
]

DEFAULT_MAX_PIXELS = 100_000_000  # as cnnfilt's --max-pixels


# --------------------------------------------------------------------------
# Planning, on the client: which files, where their results go


class PlanError(ValueError):
    """Outputs that would replace an input or another output: nothing was
    written. ``conflicts`` holds one message per such output."""

    def __init__(self, conflicts):
        self.conflicts = list(conflicts)
        n = len(self.conflicts)
        super().__init__(
            f"{n} output{'' if n == 1 else 's'} would overwrite an input or another output; "
            "nothing was written:\n  " + "\n  ".join(self.conflicts))


@dataclasses.dataclass
class Plan:
    """The image files of some inputs, as ``cnnfilt`` walks them.

    entries: (path, relative) in walk order; path spelled as ``cnnfilt``
    spells it (an input folder joined with the names below it), relative its
    path under the folder named (its name for a file named).
    failures: (path, reason) for inputs that cannot be read.
    notes: what was skipped and why (link loops, folders met twice).
    """
    entries: list
    failures: list
    notes: list
    files: dict  # (st_dev, st_ino) -> path: every regular file met
    canonical: dict  # canonical path -> input path, each input once


def _build(*parts):
    """g_build_filename, as the command joins paths."""
    return GLib.build_filenamev(list(parts))


def _canonical(path):
    """The path @path has once written: links and '..' of what exists resolved."""
    return os.path.realpath(path)


def collect(inputs, *, follow=True, output_dir=None):
    """Walks @inputs (image files and folders) as ``cnnfilt`` does; returns a :class:`Plan`.

    Folders are walked recursively in name order, hidden entries skipped,
    images picked by suffix (``Cnnfilt.image_format_is_known``); symbolic
    links are followed (inside folders only with @follow), a folder already
    on the path or already walked is skipped with a note. A file met twice
    is taken once. @output_dir, when it lies inside an input folder, is not
    walked (earlier results)."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    plan = Plan([], [], [], {}, {})
    on_path = []
    walked = {}
    out_id = None
    if output_dir is not None:
        try:
            st = os.stat(output_dir)
            out_id = (st.st_dev, st.st_ino)
        except OSError:
            pass

    def add(path, relative, st):
        plan.files[(st.st_dev, st.st_ino)] = path
        resolved = _canonical(path)
        if resolved in plan.canonical:
            return  # named twice, or reached again through a link
        plan.canonical[resolved] = path
        plan.entries.append((path, relative))

    def walk_dir(path, relative, st):
        key = (st.st_dev, st.st_ino)
        if key in on_path:
            plan.notes.append(f"{path}: symbolic link loop (the same folder as {walked[key]}); "
                              "skipped")
            return
        if key in walked:
            plan.notes.append(f"{path}: the same folder as {walked[key]}, walked already; skipped")
            return
        if on_path and key == out_id:
            return
        try:
            names = [n for n in os.listdir(path) if not n.startswith(".")]
        except OSError as error:
            plan.failures.append((path, error.strerror or str(error)))
            return
        walked[key] = path
        on_path.append(key)
        for name in sorted(names, key=os.fsencode):
            walk_entry(_build(path, name), _build(relative, name) if relative else name, name)
        on_path.pop()

    def walk_entry(path, relative, name):
        try:
            lst = os.lstat(path)
        except OSError as error:
            plan.failures.append((path, error.strerror))
            return
        link = stat.S_ISLNK(lst.st_mode)
        if link and not follow:
            return
        st = lst
        if link:
            try:
                st = os.stat(path)
            except OSError as error:
                if Cnnfilt.image_format_is_known(name):
                    plan.failures.append((path, f"broken symbolic link ({error.strerror})"))
                elif error.errno == 40:  # ELOOP
                    plan.notes.append(f"{path}: symbolic link to itself; skipped")
                return
        if stat.S_ISDIR(st.st_mode):
            walk_dir(path, relative, st)
        elif stat.S_ISREG(st.st_mode):
            if Cnnfilt.image_format_is_known(name):
                add(path, relative, st)
            else:
                plan.files[(st.st_dev, st.st_ino)] = path
        elif Cnnfilt.image_format_is_known(name):
            plan.failures.append((path, "not a regular file"))

    for item in inputs:
        item = os.fspath(item)
        try:
            st = os.stat(item)
        except OSError as error:
            plan.failures.append((item, error.strerror))
            continue
        if stat.S_ISDIR(st.st_mode):
            walk_dir(item, None, st)
        elif stat.S_ISREG(st.st_mode):
            add(item, os.path.basename(item), st)
        else:
            plan.failures.append((item, "not a regular file"))
    return plan


def _output_path(output_dir, relative, fmt, keep_suffix):
    """As cnnfilt's plan: the input's folders under @output_dir, its name
    with the output suffix."""
    dot, slash = relative.rfind("."), relative.rfind("/")
    has_suffix = dot > 0 and (slash < 0 or dot > slash + 1)
    suffix = fmt if fmt else relative[dot + 1:] if has_suffix else "png"
    if not has_suffix:
        name = f"{relative}.{suffix}"
    elif keep_suffix and relative[dot + 1:].lower() != suffix.lower():
        name = f"{relative}.{suffix}"  # photo.jpg.png beside photo.png
    else:
        name = f"{relative[:dot]}.{suffix}"
    return _build(output_dir, name)


def plan_outputs(plan, output_dir, *, format=None, keep_suffix=False):
    """The (input, output) pairs of @plan's entries, as ``cnnfilt run -o
    OUTPUT_DIR [--format] [--keep-suffix]`` names them; raises
    :class:`PlanError` when an output would replace an input, any other
    file of the walked folders, or another output."""
    jobs, conflicts, outputs = [], [], {}
    for path, relative in plan.entries:
        output = _output_path(output_dir, relative, format, keep_suffix)
        resolved = _canonical(output)
        victim = None
        try:
            st = os.stat(output)
            victim = plan.files.get((st.st_dev, st.st_ino))
        except OSError:
            pass
        if victim is None:
            victim = plan.canonical.get(resolved)
        other = outputs.get(resolved)
        if victim is not None and victim == path:
            conflicts.append(f"{path}: the output would overwrite this input; choose another "
                             "output folder or format")
        elif victim is not None:
            conflicts.append(f"{path}: its output {output} would overwrite the input {victim}; "
                             "choose another output folder or format")
        elif other is not None:
            conflicts.append(f"{path}: its output {output} would also be written from {other}; "
                             "give keep_suffix=True or separate the inputs")
        outputs.setdefault(resolved, path)
        jobs.append((path, output))
    if conflicts:
        raise PlanError(conflicts)
    return jobs


def shard_of(path, shards):
    """The shard of @path among @shards, as ``cnnfilt embed --shard``
    computes it: FNV-1a of the path's bytes."""
    h = 2166136261
    for byte in os.fsencode(path):
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h % shards


def shard_paths(work_dir, shards):
    """The shard index files of an embedding cut in @shards."""
    return [os.path.join(work_dir, f"shard-{k}-of-{shards}.db") for k in range(shards)]


def edges_pipeline(method="sobel", normalize=False, invert=False):
    """The pipeline of ``cnnfilt edges --method M [--normalize] [--invert]``."""
    if method not in ("sobel", "scharr", "prewitt", "laplacian"):
        raise ValueError(f"edges: method {method!r}: expected sobel, scharr, prewitt or laplacian")
    return (f"grayscale ! {method}" + (" ! abs" if method == "laplacian" else "")
            + (" ! normalize" if normalize else "") + (" ! invert" if invert else ""))


# --------------------------------------------------------------------------
# Results


@dataclasses.dataclass
class RunResult:
    """What ``run``/``edges`` did. written: (input, output) pairs; failed:
    (path, reason), as ``cnnfilt`` prints ``PATH: reason``; skipped: inputs
    left alone (skip_existing); notes: what the walk skipped; shards: one
    dict per task (files, seconds, pid, worker, threads); errors: (shard,
    exception text) for tasks that failed after their retries."""
    written: list
    failed: list
    skipped: list
    notes: list
    seconds: float
    shards: list
    errors: list

    @property
    def ok(self):
        return not self.failed and not self.errors


@dataclasses.dataclass
class EmbedResult:
    """What ``embed`` did. index: the merged index's path; embedded: paths
    embedded by this call; unchanged: paths already indexed with their size
    and time (in INDEX, or in a shard index from an earlier attempt);
    failed: (path, reason); merged: images taken from each shard index, by
    file; the rest as :class:`RunResult`."""
    index: str
    embedded: list
    unchanged: list
    failed: list
    notes: list
    seconds: float
    shards: list
    errors: list
    merged: dict

    @property
    def ok(self):
        return not self.failed and not self.errors


# --------------------------------------------------------------------------
# In the worker processes: one device and embedder per process, one graph
# and batch tensors per thread, kept from task to task

_lock = threading.Lock()
_process = {"devices": {}, "embedders": {}, "pools": {}}
_thread = threading.local()


def _device(spec):
    """The process's device for @spec (None: $CNNFILT_DEVICE, else the CPU)."""
    with _lock:
        device = _process["devices"].get(spec)
        if device is None:
            device = (Cnnfilt.Device.get_default() if spec is None
                      else Cnnfilt.Device.new_from_string(spec))
            _process["devices"][spec] = device
        return device


def _op_threads(config):
    """Threads one op may use in this worker: config["threads"], or with
    "auto" the host's cores shared among the Dask threads on the host."""
    if config["threads"] != "auto":
        return int(config["threads"])
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        from distributed import get_worker
        from distributed.comm import get_address_host
        worker = get_worker()
        total = config["host_threads"].get(get_address_host(worker.address)) or worker.nthreads
    except (ImportError, ValueError):
        total = 1  # not in a worker: the whole machine
    return max(1, cpus // max(1, total))


def _thread_cache():
    if not hasattr(_thread, "graphs"):
        _thread.graphs = {}
        _thread.batches = {}
    return _thread


def _graph(pipeline, device):
    """This thread's graph for @pipeline, with its input tensor: ops keep
    scratch buffers and are not shared between threads."""
    cache = _thread_cache().graphs
    key = (pipeline, id(device))
    if key not in cache:
        graph = Cnnfilt.Graph.new_from_string(pipeline)
        graph.set_device(device)
        cache[key] = (graph, Cnnfilt.Tensor())
    return cache[key]


def _embedder(config, device):
    """The process's embedder for the model and loading options (thread-safe)."""
    key = (config["model"], config["layer"], config["device"], config["max_pixels"],
           config["autorotate"])
    with _lock:
        embedder = _process["embedders"].get(key)
        if embedder is None:
            embedder = Cnnfilt.Embedder.new(config["model"], config["layer"])
            embedder.set_device(device)
            embedder.props.max_pixels = config["max_pixels"]
            embedder.props.load_flags = (Cnnfilt.LoadFlags.DEFAULT if config["autorotate"]
                                         else Cnnfilt.LoadFlags.NO_AUTOROTATE)
            _process["embedders"][key] = embedder
        return embedder


def _pool(n):
    with _lock:
        pool = _process["pools"].get(n)
        if pool is None:
            pool = ThreadPoolExecutor(n, thread_name_prefix="cnnfilt-prepare")
            _process["pools"][n] = pool
        return pool


def _fault(config, where, shard, count):
    """For tests: kills this worker process, once (a marker file says it
    happened), at a given point of a given shard."""
    fault = config.get("fault")
    if not fault or fault.get("where") != where or fault.get("shard") != shard \
            or fault.get("after", 1) != count:
        return
    try:
        fd = os.open(fault["marker"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return
    os.write(fd, f"{os.getpid()}\n".encode())
    os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)


def _message(error, path, spelled, temp=None, output=None):
    """A library message for the caller: the path as the caller spelled it,
    the output's name for the temporary's, no leading 'PATH: '."""
    text = error.message if isinstance(error, GLib.Error) else str(error)
    if temp is not None and output is not None:
        text = text.replace(temp, output)
    if path != spelled:
        text = text.replace(path, spelled)
    prefix = spelled + ": "
    return text[len(prefix):] if text.startswith(prefix) else text


_ALNUM = string.ascii_letters + string.digits


def _temporary(path):
    """Creates an empty temporary beside @path, named as the library names
    its own (.NAME.XXXXXX.suffix), and returns its path."""
    folder, base = os.path.split(path)
    suffix = base.rsplit(".", 1)[1] if "." in base else "tmp"
    for _ in range(100):
        name = f".{base}.{''.join(secrets.choice(_ALNUM) for _ in range(6))}.{suffix}"
        temp = os.path.join(folder, name)
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            return temp
        except FileExistsError:
            continue
    raise FileExistsError(f"{path}: no free temporary name")


def _temporary_targets(name):
    """The outputs whose temporary @name may be: ours and the library's
    (.NAME.XXXXXX.suffix; ..NAME.XXXXXX.suffix.YYYYYY.suffix, the library's
    temporary of ours; .NAME.XXXXXX.npy.YYYYYY and NAME.XXXXXX for .npy)."""
    stripped = name.lstrip(".")
    dots = len(name) - len(stripped)
    if dots in (1, 2):
        # NAME may hold dots itself: every place of a .XXXXXX part is a candidate
        return [stripped[:m.start()] for m in re.finditer(r"\.[A-Za-z0-9]{6}(?=\.|$)", stripped)]
    m = re.match(r"^(.+\.npy)\.[A-Za-z0-9]{6}$", name) if dots == 0 else None
    return [m.group(1)] if m else []


def _remove_temporaries(outputs, before):
    """Removes the temporaries of @outputs that an earlier attempt left
    (regular files last changed before @before); returns how many."""
    by_folder = {}
    for output in outputs:
        folder, base = os.path.split(output)
        by_folder.setdefault(folder, set()).add(base)
    removed = 0
    for folder, bases in by_folder.items():
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if not any(target in bases for target in _temporary_targets(name)):
                continue
            path = os.path.join(folder, name)
            try:
                st = os.lstat(path)
                if stat.S_ISREG(st.st_mode) and st.st_mtime < before:
                    os.unlink(path)
                    removed += 1
            except OSError:
                pass
    return removed


def _run_shard(shard, shards, items, config):
    """One task of run/edges: items are (input, output, input to open,
    output to write) of this shard."""
    started = time.time()
    clock, cpu = time.monotonic(), _cpu()
    device = _device(config["device"])
    threads = _op_threads(config)
    device.set_n_threads(threads)
    graph, tensor = _graph(config["pipeline"], device)
    removed = _remove_temporaries([item[3] for item in items], started)
    flags = Cnnfilt.LoadFlags.DEFAULT if config["autorotate"] else Cnnfilt.LoadFlags.NO_AUTOROTATE
    written, failed, skipped = [], [], []
    for count, (spelled, output, path, target) in enumerate(items, 1):
        if config["skip_existing"] and os.path.exists(target):
            skipped.append(spelled)
            continue
        temp = None
        try:
            folder = os.path.dirname(target)
            try:
                os.makedirs(folder or ".", exist_ok=True)
            except OSError as error:
                raise OSError(f"cannot create output folder {os.path.dirname(output)}: "
                              f"{error.strerror}") from None
            Cnnfilt.image_load_full(path, tensor, flags, config["max_pixels"], 0)
            graph.run([tensor])
            result = graph.get_output(0)
            temp = _temporary(target)
            Cnnfilt.image_save_with_options(result, temp, config["compression"], config["quality"])
            _fault(config, "before-replace", shard, count)
            if os.path.exists(target) and os.path.samefile(target, path):
                raise OSError(f"its output {output} is the input itself; nothing written")
            os.replace(temp, target)
            temp = None
            written.append((spelled, output))
        except (GLib.Error, OSError) as error:
            failed.append((spelled, _message(error, path, spelled, temp, target)))
        finally:
            if temp is not None:
                try:
                    os.unlink(temp)
                except OSError:
                    pass
    return {"shard": shard, "shards": shards, "written": written, "failed": failed,
            "skipped": skipped, "temporaries_removed": removed,
            "seconds": time.monotonic() - clock, "cpu_s": _cpu() - cpu, "pid": os.getpid(),
            "threads": threads, "worker": _worker_address()}


def _worker_address():
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return None


def _cpu():
    """User + system seconds of this process so far."""
    times = os.times()
    return times.user + times.system


def _prepare(embedder, path, tensor, slot):
    try:
        embedder.prepare_file(path, tensor, slot)
        return None
    except GLib.Error as error:
        return error


def _embed_shard(shard, shards, index_path, items, config):
    """One task of embed: items are (path as stored, path to open) of this
    shard; the embeddings go into the shard index @index_path, a
    transaction per batch, files it holds as they are skipped."""
    clock, cpu = time.monotonic(), _cpu()
    timing = {"load_s": 0.0, "wait_s": 0.0, "model_s": 0.0, "commit_s": 0.0}
    device = _device(config["device"])
    threads = _op_threads(config)
    device.set_n_threads(threads)
    embedder = _embedder(config, device)
    timing["load_s"] = time.monotonic() - clock
    if config["expect_model"] and embedder.get_identity() != config["expect_model"]:
        raise ValueError(f"the index holds embeddings of {config['expect_model']}, "
                         f"not of {embedder.get_identity()}")
    shape = embedder.get_input_shape()
    size = config["batch"]
    key = (size, shape.c, shape.h, shape.w)
    batches = _thread_cache().batches
    if key not in batches:
        batches[key] = [Cnnfilt.Tensor.new(size, shape.c, shape.h, shape.w) for _ in range(2)]
    tensors = batches[key]
    dimension = embedder.get_dimension()
    prepare_threads = config["prepare_threads"] or threads
    pool = _pool(prepare_threads)

    index = Cnnfilt.Index.open(index_path)
    try:
        embedder.attach(index)
        embedded, unchanged, failed, todo = [], [], [], []
        for spelled, path in items:
            try:
                st = os.stat(path)
            except OSError as error:
                failed.append((spelled, error.strerror))
                continue
            # st_mtime as the C library's stat gives it: whole seconds, floored
            entry = (spelled, path, st.st_size, st.st_mtime_ns // 1_000_000_000)
            if index.is_current(spelled, entry[2], entry[3]):
                unchanged.append(spelled)
            else:
                todo.append(entry)
        groups = [todo[i:i + size] for i in range(0, len(todo), size)]

        def start(g):
            tensor = tensors[g % 2]
            return [pool.submit(_prepare, embedder, entry[1], tensor, slot)
                    for slot, entry in enumerate(groups[g])]

        pending = start(0) if groups else []
        try:
            for g, group in enumerate(groups):
                mark = time.monotonic()
                prepared = [future.result() for future in pending]
                timing["wait_s"] += time.monotonic() - mark
                # the next batch is decoded while the model runs on this one
                pending = start(g + 1) if g + 1 < len(groups) else []
                ready = []
                for slot, (entry, error) in enumerate(zip(group, prepared)):
                    if error is None:
                        ready.append(slot)
                    else:
                        failed.append((entry[0], _message(error, entry[1], entry[0])))
                if not ready:
                    continue
                mark = time.monotonic()
                values = embedder.run(tensors[g % 2])
                timing["model_s"] += time.monotonic() - mark
                mark = time.monotonic()
                index.begin()
                added = []
                for slot in ready:
                    spelled, path, st_size, st_mtime = group[slot]
                    try:
                        index.add(spelled, st_size, st_mtime,
                                  values[slot * dimension:(slot + 1) * dimension])
                        added.append(spelled)
                    except GLib.Error as error:
                        failed.append((spelled, _message(error, path, spelled)))
                index.commit()
                timing["commit_s"] += time.monotonic() - mark
                embedded.extend(added)
                _fault(config, "after-commit", shard, g + 1)
        finally:
            for future in pending:
                future.result()
    finally:
        del index  # closes the SQLite file (and checkpoints its log)
    return {"shard": shard, "shards": shards, "embedded": embedded, "unchanged": unchanged,
            "failed": failed, "seconds": time.monotonic() - clock, "cpu_s": _cpu() - cpu,
            **{k: round(v, 3) for k, v in timing.items()}, "pid": os.getpid(),
            "threads": threads, "prepare_threads": prepare_threads, "worker": _worker_address()}


# --------------------------------------------------------------------------
# On the client


def _client(client):
    try:
        import distributed
    except ImportError as error:
        raise ImportError("cnnfilt.dask needs dask.distributed (Debian: python3-distributed, "
                          "pip: distributed)") from error
    return client if client is not None else distributed.get_client()


# The workers' environment, set before they start (measured in
# bench/scale/README.md with worker_env.py):
# - Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536
#   (distributed.nanny.pre-spawn-environ), which also pins glibc's mmap
#   threshold at 128 KiB (setting any threshold turns the adaptive one
#   off): every image and batch buffer is then a fresh mmap, zeroed page
#   by page. These keep buffers of up to 32 MiB on the heap, and its free
#   top up to 128 MiB, as glibc's adaptive threshold would; embed then took
#   35-45 % less CPU time in the workers.
# - OpenMP threads that wait sleep at once instead of spinning: in a worker
#   whose ops use two threads or more, spinning oneDNN threads otherwise
#   took a third of embed's CPU time (single-threaded workers: no change).
WORKER_ENVIRON = {
    "MALLOC_TRIM_THRESHOLD_": str(128 << 20),
    "MALLOC_MMAP_THRESHOLD_": str(32 << 20),
    "OMP_WAIT_POLICY": "passive",
}


def local_cluster(n_workers=None, threads_per_worker=1, environ=None, **kwargs):
    """A ``distributed.LocalCluster`` of worker processes for cnnfilt;
    use as ``Client(local_cluster(2))``.

    @threads_per_worker Dask threads each (1: one task per process, whose
    ops use the process's share of the cores); no dashboard unless asked.
    @environ (default :data:`WORKER_ENVIRON`; ``{}`` for Dask's own) is
    added to Dask's ``distributed.nanny.pre-spawn-environ``, so that the
    workers start with it, also those the nanny restarts. The client's own
    environment is left as it was (Dask's nanny otherwise copies the
    pre-spawn variables into it, and so into every program the client
    starts later, ``cnnfilt`` included)."""
    import dask
    import distributed

    wanted = dict(WORKER_ENVIRON if environ is None else environ)
    spawn = {**dask.config.get("distributed.nanny.pre-spawn-environ"), **wanted}
    saved = dict(os.environ)
    os.environ.update(wanted)  # the nanny prefers the environment's values to the config's
    kwargs.setdefault("dashboard_address", None)
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ": spawn}):
            return distributed.LocalCluster(n_workers=n_workers,
                                            threads_per_worker=threads_per_worker,
                                            processes=True, **kwargs)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _host_threads(client):
    """Dask threads per host, over all worker processes."""
    per_host = {}
    for info in client.scheduler_info()["workers"].values():
        per_host[info["host"]] = per_host.get(info["host"], 0) + info["nthreads"]
    return per_host


def _shard_count(n, shards, shard_size, host_threads):
    if shards is not None:
        if shards < 1:
            raise ValueError(f"shards={shards}: expected 1 or more")
        return shards
    threads = max(1, sum(host_threads.values()))
    return max(1, min(n, max(math.ceil(n / shard_size), 2 * threads)))


def _where(path, cwd):
    """Where the workers open @path: relative paths from the client's folder."""
    return path if os.path.isabs(path) else os.path.join(cwd, path)


def _gather(client, futures):
    """Results of @futures by shard, and (shard, text) for the failed ones."""
    from distributed import as_completed
    results, errors = {}, []
    shard_of_future = {future.key: shard for shard, future in futures.items()}
    for future in as_completed(list(futures.values())):
        shard = shard_of_future[future.key]
        try:
            results[shard] = future.result()
        except Exception as error:  # the task's own error, or KilledWorker
            errors.append((shard, f"{type(error).__name__}: {error}"))
    return results, sorted(errors)


def run(client, pipeline, inputs, output_dir, *, format=None, compression=6, quality=90,
        keep_suffix=False, skip_existing=False, follow=True, max_pixels=DEFAULT_MAX_PIXELS,
        autorotate=True, device=None, threads="auto", shards=None, shard_size=16, retries=2,
        _fault=None):
    """``cnnfilt run PIPELINE -o OUTPUT_DIR INPUTS…`` on the workers of
    @client (None: the current client); returns a :class:`RunResult`.

    The options are the command's (format: output suffix, default the
    input's own; compression: PNG zlib level; quality: JPEG/WebP). The
    files are cut into @shards tasks of consecutive files (default: about
    @shard_size each, and at least two per Dask thread), each retried
    @retries times if it raises. Raises :class:`PlanError` (nothing
    written) when an output would replace an input or another output, and
    ValueError for a wrong pipeline or option."""
    started = time.monotonic()
    client = _client(client)
    if not 0 <= compression <= 9:
        raise ValueError(f"compression={compression}: expected 0 (fastest) to 9 (smallest)")
    if not 1 <= quality <= 100:
        raise ValueError(f"quality={quality}: expected 1 to 100")
    if format is not None:
        format = format.lstrip(".")
        if not Cnnfilt.image_format_is_known(f"x.{format}"):
            raise ValueError(f"format={format!r}: not an image format cnnfilt writes")
    try:
        Cnnfilt.Graph.new_from_string(pipeline)
    except GLib.Error as error:
        raise ValueError(f"pipeline '{pipeline}': {error.message}") from None
    output_dir = os.fspath(output_dir)
    plan = collect(inputs, follow=follow, output_dir=output_dir)
    jobs = plan_outputs(plan, output_dir, format=format, keep_suffix=keep_suffix)
    cwd = os.getcwd()
    host_threads = _host_threads(client)
    config = {"pipeline": pipeline, "compression": compression, "quality": quality,
              "skip_existing": skip_existing, "max_pixels": max_pixels, "autorotate": autorotate,
              "device": device, "threads": threads, "host_threads": host_threads,
              "fault": _fault}
    n = _shard_count(len(jobs), shards, shard_size, host_threads) if jobs else 0
    token = uuid.uuid4().hex[:8]
    futures, members = {}, {}
    for k in range(n):
        part = jobs[k * len(jobs) // n:(k + 1) * len(jobs) // n]
        if not part:
            continue
        items = [(path, output, _where(path, cwd), _where(output, cwd)) for path, output in part]
        members[k] = part
        futures[k] = client.submit(_run_shard, k, n, items, config, retries=retries,
                                   key=f"cnnfilt-run-{token}-{k}-of-{n}")
    results, errors = _gather(client, futures)
    written, failed, skipped = [], list(plan.failures), []
    for k in sorted(members):
        if k in results:
            written += results[k]["written"]
            failed += results[k]["failed"]
            skipped += results[k]["skipped"]
        else:
            reason = dict(errors)[k]
            failed += [(path, f"task {k} of {n} failed: {reason}") for path, _ in members[k]]
    return RunResult(written, failed, skipped, list(plan.notes), time.monotonic() - started,
                     [results[k] for k in sorted(results)], errors)


def edges(client, inputs, output_dir, *, method="sobel", normalize=False, invert=False,
          format="png", compression=1, **options):
    """``cnnfilt edges -o OUTPUT_DIR INPUTS…`` on the workers: grey 8-bit
    PNG edge maps (zlib level 1), the same files; see :func:`run` for the
    other options."""
    return run(client, edges_pipeline(method, normalize, invert), inputs, output_dir,
               format=format, compression=compression, **options)


def _remove_index(path):
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(path + suffix)
        except FileNotFoundError:
            pass


_SHARD_NAME = re.compile(r"^shard-(\d+)-of-(\d+)\.db$")


def embed(client, inputs, index, *, model=None, layer=None, work_dir=None, follow=True,
          max_pixels=DEFAULT_MAX_PIXELS, autorotate=True, device=None, threads="auto",
          prepare_threads=None, batch=8, shards=None, shard_size=32, retries=2, keep_work=False,
          _fault=None):
    """``cnnfilt embed [-m MODEL] [--layer LAYER] --index INDEX INPUTS…``
    on the workers of @client (None: the current client); returns an
    :class:`EmbedResult`.

    @model None is the default model (found on each worker), @layer None
    the model's output. Shard indexes go to @work_dir (default: @index
    without ``.db``, plus ``.shards``), named ``shard-K-of-N.db``; they are
    merged into @index by the client and removed (kept with @keep_work),
    and so is @work_dir when this call made it. @batch images
    are prepared into one tensor and run together (8, as ``cnnfilt embed``),
    the next batch decoded by @prepare_threads threads (default: as many as
    the op threads) while the model runs; each batch is one transaction.
    Each task is retried @retries times if it raises."""
    started = time.monotonic()
    client = _client(client)
    if batch < 1:
        raise ValueError(f"batch={batch}: expected 1 or more")
    cwd = os.getcwd()
    index_spelled = os.fspath(index)
    index_path = _where(index_spelled, cwd)
    default_work = work_dir is None
    if default_work:
        stem = index_spelled[:-3] if index_spelled.endswith(".db") else index_spelled
        work_dir = stem + ".shards"
    work = _where(os.fspath(work_dir), cwd)
    own_work = default_work or not os.path.exists(work)
    os.makedirs(work, exist_ok=True)
    final = Cnnfilt.Index.open(index_path)
    notes, merged = [], {}
    # what an interrupted call left (a path keeps the newer file's row)
    for name in sorted(os.listdir(work)):
        if _SHARD_NAME.match(name):
            path = os.path.join(work, name)
            ok, added = final.merge(path)
            merged[path] = added
            notes.append(f"{path}: {added} images left by an earlier call, merged")
            if not keep_work:
                _remove_index(path)

    plan = collect(inputs, follow=follow)
    failed = list(plan.failures)
    notes += plan.notes
    unchanged, todo = [], []
    known = final.get_model() is not None
    for path, _ in plan.entries:
        where = _where(path, cwd)
        if known:
            try:
                st = os.stat(where)
                if final.is_current(path, st.st_size, st.st_mtime_ns // 1_000_000_000):
                    unchanged.append(path)
                    continue
            except OSError:
                pass  # the worker says why
        todo.append((path, where))

    host_threads = _host_threads(client)
    config = {"model": model, "layer": layer, "device": device, "threads": threads,
              "host_threads": host_threads, "prepare_threads": prepare_threads, "batch": batch,
              "max_pixels": max_pixels, "autorotate": autorotate,
              "expect_model": final.get_model(), "fault": _fault}
    n = _shard_count(len(todo), shards, shard_size, host_threads) if todo else 0
    parts = {}
    for item in todo:
        parts.setdefault(shard_of(item[0], n), []).append(item)
    files = shard_paths(work, n) if n else []
    token = uuid.uuid4().hex[:8]
    futures = {k: client.submit(_embed_shard, k, n, files[k], parts[k], config, retries=retries,
                                key=f"cnnfilt-embed-{token}-{k}-of-{n}")
               for k in sorted(parts)}
    results, errors = _gather(client, futures)

    embedded = []
    for k in sorted(parts):
        if k in results:
            embedded += results[k]["embedded"]
            unchanged += results[k]["unchanged"]
            failed += results[k]["failed"]
        if os.path.exists(files[k]):
            ok, added = final.merge(files[k])
            merged[files[k]] = added
            if not keep_work:
                _remove_index(files[k])
        if k not in results:
            # what the failed task committed before failing is merged; the rest failed
            reason = dict(errors)[k]
            for path, where in parts[k]:
                try:
                    st = os.stat(where)
                    if final.is_current(path, st.st_size, st.st_mtime_ns // 1_000_000_000):
                        embedded.append(path)
                        continue
                except OSError:
                    pass
                failed.append((path, f"task {k} of {n} failed: {reason}"))
    del final
    if own_work and not keep_work:
        try:
            os.rmdir(work)
        except OSError:
            pass
    return EmbedResult(index_spelled, embedded, unchanged, failed, notes,
                       time.monotonic() - started, [results[k] for k in sorted(results)], errors,
                       merged)
