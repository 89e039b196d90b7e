#!/usr/bin/python3
"""The families sweep: every classification family of torchvision 0.14
through the ONNX importer, against PyTorch.

    /usr/bin/python3 tests/models/sweep.py [OPTION ...] [FILTER ...]

For each family (FAMILIES below; a FILTER is a model name, a group name or
a shell pattern such as 'vgg*', run in the order given; none: every
family but the transformers, which run only when named) and each opset,
the model is built with make-models.py's build() (torchvision's
initialisation from a seed of its own, zero biases and batchnorm
statistics randomised; EfficientNet's statistics measured layer by layer,
see make-models.py), exported with
make-models.py's export() (torch.onnx.export, batch axis dynamic), and
imported and run by cnnfilt through GObject introspection with
test-models.py's functions, on its first image (batch 1) and on all four
(batch 4), against float64 logits from make-models.py's reference(). A
logit passes as in test-models.py: max rel err 1e-4 with a floor of a
tenth of the image's peak, or twice PyTorch's own float32 error against
the same float64 logits where that is larger (RegNetX-3.2GF and -8GF and
RegNetY-1.6GF: PyTorch float32 is 1.2e-4 to 1.4e-4 off; a float32 engine
cannot be held closer than float32 gets). Prints TAP, one line per (model, opset, batch):
ok with the max rel err and the ms per image of the second of two runs,
or not ok with cnnfilt's error (its first line; the rest follows as
comments).

Options:
  --cache DIR       where exports, references and results.json go
                    (default $XDG_CACHE_HOME/cnnfilt/sweep)
  --build DIR       the meson build to test (default: the one that
                    GI_TYPELIB_PATH, LD_LIBRARY_PATH and
                    CNNFILT_PLUGIN_PATH already name, as under meson)
  --opsets LIST     comma-separated, default 11,13,17
  --batches LIST    default 1,4
  --device LIST     cnnfilt devices, default cpu
  --resolution N    run every family whose architecture allows it at N×N
                    instead of its own resolution (see FAMILIES)
  --jobs N          families at a time, default 1
  --timeout S       seconds allowed to cnnfilt per (model, opset), 3600
  --keep            keep the exported .onnx files (default: each is
                    deleted once tested; VGG-19's is 550 MB)
  --fresh           ignore earlier results
  --list            print the families and their resolutions, and exit
  --table           print results.json as a Markdown table, and exit

Resumable: each result goes into DIR/results.json as soon as it is known,
keyed by model, resolution, opset, batch and device, with a fingerprint of
the build (libcnnfilt, the plugins) and of test-models.py, and a digest of
the model's weights and inputs; a later run prints the results of the same
fingerprint and weights again instead of redoing them, so an interrupted
sweep continues where it stopped. The float64 references (DIR/ref/, 2.4 MB
a model at 224×224) are kept and reused while the recipe (seed,
resolution, torch, the code of make-models.py's build()) is the same, or
the model built by a new recipe has the same weights.

Resolutions: 224×224, Inception-v3 299×299. AlexNet and VGG end in an
adaptive average pool to 6×6 and 7×7 that torch.onnx.export turns into a
fixed pool only when the feature map is a multiple of it, so they stay at
224 whatever --resolution says; ViT-B/16 is built for 224. Every other
family is fully convolutional up to a global pool and runs at any
resolution from 64 (Inception-v3: 75): EfficientNet B1-B7 and V2-S, built
for 240 to 600 and 384, run at 224 like the others by default.
"""

import contextlib
import fnmatch
import hashlib
import importlib.util
import inspect
import json
import os
import re
import signal
import subprocess
import sys
import time
import traceback
import zlib
from collections import namedtuple

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))


def load_module(name, filename):
    """One of the hyphenated scripts beside this one, as a module."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# name, group, torchvision builder and its arguments, resolution, whether
# the resolution is the architecture's only one, and whether batchnorm's
# statistics are measured layer by layer (make-models.py's build())
Family = namedtuple("Family", "name group builder kwargs resolution fixed layerwise_bn")


def families():
    def f(name, group, kwargs=None, resolution=224, fixed=False, builder=None,
          layerwise_bn=False):
        return Family(name, group, builder or name, kwargs or {}, resolution, fixed,
                      layerwise_bn)

    table = [f("alexnet", "alexnet", fixed=True)]
    for depth in (11, 13, 16, 19):
        table += [f(f"vgg{depth}", "vgg", fixed=True), f(f"vgg{depth}_bn", "vgg", fixed=True)]
    table += [f(f"resnet{depth}", "resnet") for depth in (18, 34, 50, 101, 152)]
    table += [f("resnext50_32x4d", "resnet"), f("wide_resnet50_2", "resnet")]
    table += [f("squeezenet1_0", "squeezenet"), f("squeezenet1_1", "squeezenet")]
    table += [f(f"densenet{depth}", "densenet") for depth in (121, 161, 169, 201)]
    # no auxiliary heads: they are training-only
    table += [f("googlenet", "inception", builder="make-models:googlenet"),
              f("inception_v3", "inception", resolution=299,
                kwargs=dict(aux_logits=False, transform_input=True, init_weights=True))]
    table += [f("mobilenet_v2", "mobilenet"), f("mobilenet_v3_small", "mobilenet"),
              f("mobilenet_v3_large", "mobilenet")]
    table += [f(f"shufflenet_v2_{w}", "shufflenet") for w in ("x0_5", "x1_0", "x1_5", "x2_0")]
    table += [f(f"mnasnet{w}", "mnasnet") for w in ("0_5", "0_75", "1_0", "1_3")]
    # measured in training mode, EfficientNet's statistics let its logits
    # explode (make-models.py)
    table += [f(f"efficientnet_b{i}", "efficientnet", layerwise_bn=True) for i in range(8)]
    table += [f("efficientnet_v2_s", "efficientnet", layerwise_bn=True)]
    for kind in ("x", "y"):
        table += [f(f"regnet_{kind}_{size}", "regnet")
                  for size in ("400mf", "800mf", "1_6gf", "3_2gf", "8gf")]
    table += [f("convnext_tiny", "convnext"), f("convnext_small", "convnext")]
    # analysis only (docs/models.md): run when named
    table += [f("vit_b_16", "transformers", fixed=True), f("swin_t", "transformers")]
    return table


FAMILIES = families()
NAMED_ONLY = {"transformers"}


def select(filters):
    """The families FILTERS name, in the order of the filters."""
    if not filters:
        return [fam for fam in FAMILIES if fam.group not in NAMED_ONLY]
    chosen = []
    for p in filters:
        found = [fam for fam in FAMILIES
                 if fam.name == p or fam.group == p or fnmatch.fnmatchcase(fam.name, p)]
        if not found:
            raise SystemExit(f"sweep.py: no family matches '{p}'; --list shows them")
        chosen += [fam for fam in found if fam not in chosen]
    return chosen


def resolution(fam, wanted):
    return fam.resolution if wanted is None or fam.fixed else wanted


def seed(fam):
    """Fixed per family, whatever the families around it."""
    return 2000 + zlib.crc32(fam.name.encode()) % 100000


# ---------------------------------------------------------------- cnnfilt side

def check_main(onnx_path, data_dir, batches, device_names, float32_err):
    """The child: imports ONNX_PATH and runs it on DATA_DIR's images, one
    JSON line a (device, batch). A separate process, without torch, so
    that a crash or a hang in cnnfilt costs one model, not the sweep."""
    import numpy as np
    tm = load_module("test_models", "test-models.py")
    # test-models.py's tolerance, or twice PyTorch's own float32 error
    rtol = max(tm.RTOL, 2 * (float32_err or 0.0))
    images = np.load(os.path.join(data_dir, "input.npy"))
    want = np.load(os.path.join(data_dir, "expected.npy"))
    # logits the same for every class (a head of zeros) would pass whatever
    # the network computed: a test that cannot fail is refused
    flat = want.reshape(len(want), -1)
    degenerate = bool((flat.max(axis=1) - flat.min(axis=1) <= 0).any())
    graph, error = tm.import_model(onnx_path)
    for name in device_names:
        try:
            device = tm.Cnnfilt.Device.new_from_string(name)
        except tm.GLib.Error as e:
            device, problem = None, f"no device {name}: {e.message}"
        if graph is not None and device is not None:
            graph.set_device(device)
        for batch in batches:
            err, ms = None, 0
            if degenerate:
                problem = "PyTorch's logits are the same for every class: nothing to check"
            elif graph is None:
                problem = error
            elif device is not None:
                err, ms, problem = tm.check_batch(graph, images[:batch], want[:batch], rtol)
            print(json.dumps({"device": name, "batch": batch, "err": err, "ms": ms,
                              "error": problem}), flush=True)
    return 0


# ---------------------------------------------------------------- the sweep

def build_env(build_dir):
    env = dict(os.environ)
    if build_dir:
        build_dir = os.path.abspath(build_dir)
        lib = os.path.join(build_dir, "libcnnfilt")
        for var in ("GI_TYPELIB_PATH", "LD_LIBRARY_PATH"):
            env[var] = lib + (os.pathsep + env[var] if env.get(var) else "")
        env["CNNFILT_PLUGIN_PATH"] = os.path.join(build_dir, "plugins")
        env["CNNFILT_DEVICE"] = "cpu"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    if not env.get("GI_TYPELIB_PATH") or not env.get("CNNFILT_PLUGIN_PATH"):
        raise SystemExit("sweep.py: --build DIR, or GI_TYPELIB_PATH, LD_LIBRARY_PATH and "
                         "CNNFILT_PLUGIN_PATH naming a build (as meson test sets them)")
    return env


def fingerprint(env):
    """Of the library, the plugins and test-models.py: a result is reused
    only under the same."""
    digest = hashlib.sha1()
    files = []
    for folder in env.get("LD_LIBRARY_PATH", "").split(os.pathsep):
        if os.path.isdir(folder):
            files += sorted(os.path.join(folder, f) for f in os.listdir(folder)
                            if f.startswith("libcnnfilt") and ".so" in f)
    for folder in env.get("CNNFILT_PLUGIN_PATH", "").split(os.pathsep):
        for root, _, names in sorted(os.walk(folder)):
            files += sorted(os.path.join(root, f) for f in names if f.endswith(".so"))
    # the measure
    files.append(os.path.join(HERE, "test-models.py"))
    for path in files:
        if os.path.isfile(path):
            with open(path, "rb") as f:
                digest.update(hashlib.sha1(f.read()).digest())
    return digest.hexdigest()[:12]


class Results:
    """DIR/results.json, written whole after each result."""

    def __init__(self, path, fresh):
        self.path = path
        self.data = {"results": {}, "references": {}}
        if not fresh and os.path.exists(path):
            with open(path) as f:
                self.data = json.load(f)

    def save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.data, f, indent=1, sort_keys=True)
        os.replace(tmp, self.path)


def key(fam, res, opset, batch, device):
    return f"{fam.name}@{res}/opset{opset}/batch{batch}/{device}"


@contextlib.contextmanager
def stdout_to_stderr():
    """PyTorch's exporter and torchvision write to stdout, which is TAP's."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


class Builder:
    """PyTorch's side, one family at a time; torch is imported only here."""

    def __init__(self, cache, threads):
        import warnings
        warnings.filterwarnings("ignore")
        with stdout_to_stderr():
            self.mm = load_module("make_models", "make-models.py")
        import torch
        import torchvision
        self.torch, self.torchvision = torch, torchvision
        torch.set_num_threads(threads)
        self.cache = cache
        code = "".join(inspect.getsource(getattr(self.mm, f)) for f in
                       ("build", "randomise_zero_biases", "randomise_norms",
                        "randomise_batchnorm", "randomise_batchnorm_layerwise",
                        "reference", "googlenet"))
        self.code = hashlib.sha1(code.encode()).hexdigest()[:8]
        self.model = self.x = None

    def recipe(self, fam, res):
        return (f"seed {seed(fam)} {res}x{res}{' layerwise' if fam.layerwise_bn else ''} "
                f"torch {self.torch.__version__} "
                f"torchvision {self.torchvision.__version__} code {self.code}")

    def constructor(self, fam):
        if fam.builder.startswith("make-models:"):
            return getattr(self.mm, fam.builder.split(":", 1)[1])
        build = getattr(self.torchvision.models, fam.builder)
        return lambda: build(weights=None, **fam.kwargs)

    def build(self, fam, res):
        if self.model is None:
            with stdout_to_stderr():
                self.model, self.x = self.mm.build(self.constructor(fam), (3, res, res),
                                                   seed(fam), fam.layerwise_bn)
        return self.model, self.x

    def weights(self, fam, res):
        """A digest of the built model's parameters and buffers and of its
        inputs: what its reference depends on."""
        model, x = self.build(fam, res)
        digest = hashlib.sha1()
        for name, value in model.state_dict().items():
            digest.update(name.encode())
            digest.update(value.detach().contiguous().numpy().tobytes())
        digest.update(x.numpy().tobytes())
        return digest.hexdigest()[:12]

    def reference(self, fam, res, results):
        """DIR/ref/NAME@RES/{input,expected}.npy, made when missing or of
        other weights; (folder, info), info["weights"] naming the weights."""
        import numpy as np
        folder = os.path.join(self.cache, "ref", f"{fam.name}@{res}")
        recipe = self.recipe(fam, res)
        info = results.data["references"].get(f"{fam.name}@{res}")
        if not (info and os.path.exists(os.path.join(folder, "expected.npy"))):
            info = None
        if info and info.get("recipe") == recipe:
            return folder, info
        weights = self.weights(fam, res)
        if info and info.get("weights") == weights:
            # another recipe, same model (code that leaves it as it was)
            info["recipe"] = recipe
            results.save()
            return folder, info
        start = time.monotonic()
        model, x = self.build(fam, res)
        with stdout_to_stderr():
            want, float32_err = self.mm.reference(model, x)
        os.makedirs(folder, exist_ok=True)
        np.save(os.path.join(folder, "input.npy"), x.numpy().astype("<f4"))
        np.save(os.path.join(folder, "expected.npy"), want.float().numpy().astype("<f4"))
        info = {"recipe": recipe, "weights": weights, "float32_err": float32_err,
                "peak": want.abs().max().item(),
                "params": sum(p.numel() for p in model.parameters()),
                "seconds": round(time.monotonic() - start, 1)}
        results.data["references"][f"{fam.name}@{res}"] = info
        results.save()
        return folder, info

    def export(self, fam, res, opset):
        """(path, None) or (None, why)."""
        folder = os.path.join(self.cache, "onnx")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{fam.name}@{res}-opset{opset}-"
                            f"{hashlib.sha1(self.recipe(fam, res).encode()).hexdigest()[:8]}.onnx")
        if os.path.exists(path):
            return path, None
        model, x = self.build(fam, res)
        try:
            with stdout_to_stderr():
                self.mm.export(model, x, path + ".part", opset)
            os.replace(path + ".part", path)
            return path, None
        except Exception as e:  # noqa: BLE001 - reported as failed tests
            if os.path.exists(path + ".part"):
                os.unlink(path + ".part")
            first = (str(e).strip().splitlines() or [""])[0]
            return None, f"export failed: {type(e).__name__}: {first}"

    def done(self):
        self.model = self.x = None


def op_types(path):
    import onnx
    model = onnx.load(path, load_external_data=False)
    return sorted({n.op_type for n in model.graph.node})


def run_check(path, ref_folder, batches, devices, env, timeout, float32_err):
    """The child's results, {(device, batch): result}; a crash or a
    timeout becomes every result's error."""
    command = [sys.executable, os.path.abspath(__file__), "--check", path, ref_folder,
               "--batches", ",".join(map(str, batches)), "--device", ",".join(devices),
               "--float32-err", repr(float32_err or 0.0)]
    out = {}
    try:
        proc = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=timeout)
        for line in proc.stdout.splitlines():
            if line.startswith("{"):
                r = json.loads(line)
                out[(r["device"], r["batch"])] = r
        if proc.returncode != 0:
            tail = [l for l in proc.stderr.splitlines() if l.strip()][-3:]
            why = (f"cnnfilt crashed: signal {-proc.returncode}" if proc.returncode < 0
                   else f"check exited with status {proc.returncode}")
            problem = "\n".join([why] + tail)
        else:
            problem = None
    except subprocess.TimeoutExpired:
        problem = f"timed out after {timeout} s"
    for device in devices:
        for batch in batches:
            if (device, batch) not in out:
                out[(device, batch)] = {"device": device, "batch": batch, "err": None, "ms": 0,
                                        "error": problem or "no result"}
    return out


class Sweep:
    def __init__(self, args, env, builder, results):
        self.args, self.env, self.builder, self.results = args, env, builder, results
        self.fp = fingerprint(env)
        self.number = 0
        self.failed = 0

    def emit(self, fam, res, opset, batch, device, r, cached):
        self.number += 1
        what = f"{fam.name} {res}x{res} opset {opset} batch {batch}"
        if len(self.args.device) > 1 or device != "cpu":
            what += f" on {device}"
        if r["error"] is None:
            print(f"ok {self.number} - {what} (max rel err {r['err']:.2e}, "
                  f"{r['ms']:.3g} ms/image{', from results.json' if cached else ''})", flush=True)
        else:
            self.failed += 1
            lines = r["error"].rstrip().splitlines() or ["?"]
            print(f"not ok {self.number} - {what}: {lines[0]}", flush=True)
            for line in lines[1:20]:
                print(f"# {line}", flush=True)

    def family(self, fam):
        args = self.args
        res = resolution(fam, args.resolution)
        start = time.monotonic()
        for opset in args.opsets:
            opset_start = time.monotonic()
            keys = {(d, b): key(fam, res, opset, b, d) for d in args.device for b in args.batches}
            stored = self.results.data["results"]
            try:
                ref_folder, info = self.builder.reference(fam, res, self.results)
                if all(k in stored and stored[k].get("build") == self.fp and
                       stored[k].get("weights") == info["weights"] for k in keys.values()):
                    for (d, b), k in keys.items():
                        self.emit(fam, res, opset, b, d, stored[k], True)
                    continue
                path, error = self.builder.export(fam, res, opset)
            except Exception as e:  # noqa: BLE001 - reported as failed tests
                traceback.print_exc()
                first = (str(e).strip().splitlines() or [""])[0]
                info, path, error = {}, None, f"build failed: {type(e).__name__}: {first}"
            extra = {"build": self.fp, "weights": info.get("weights"),
                     "when": time.strftime("%Y-%m-%d %H:%M:%S"),
                     "float32_err": info.get("float32_err")}
            if path is None:
                found = {(d, b): {"device": d, "batch": b, "err": None, "ms": 0, "error": error}
                         for d in args.device for b in args.batches}
            else:
                extra["onnx_mb"] = round(os.path.getsize(path) / 1e6, 1)
                extra["ops"] = op_types(path)
                found = run_check(path, ref_folder, args.batches, args.device, self.env,
                                  args.timeout, info.get("float32_err"))
                if not args.keep:
                    os.unlink(path)
            # export and check, and the reference where it was made now
            extra["seconds"] = round(time.monotonic() - opset_start, 1)
            for (d, b), k in keys.items():
                r = dict(found[(d, b)], **extra)
                stored[k] = r
                self.emit(fam, res, opset, b, d, r, False)
            self.results.save()
        self.builder.done()
        return time.monotonic() - start


def print_table(results, opsets):
    """family × opset: pass (worst err) or fail (error), from results.json."""
    stored = results.data["results"]
    by = {}
    for k, r in stored.items():
        model, opset, batch, device = k.split("/")
        name, res = model.split("@")
        by.setdefault((name, int(opset[5:])), []).append((int(res), batch, device, r))
    seen = sorted({o for _, o in by}) if opsets is None else opsets
    print("| model | resolution | " + " | ".join(f"opset {o}" for o in seen) + " | ms/image |")
    print("|---|---|" + "---|" * len(seen) + "---|")
    for fam in FAMILIES:
        cells, resolutions, ms = [], set(), ""
        for opset in seen:
            rs = by.get((fam.name, opset))
            if not rs:
                cells.append("–")
                continue
            resolutions |= {res for res, _, _, _ in rs}
            bad = [r for _, _, _, r in rs if r["error"] is not None]
            if bad:
                # the path of the exported file says nothing
                first = re.sub(r" /\S+\.onnx: ", " ", bad[0]["error"].splitlines()[0])
                n_bad = len(bad)
                cells.append(f"fail: {first}" + (f" ({n_bad}/{len(rs)})" if n_bad < len(rs) else ""))
            else:
                cells.append(f"pass ({max(r['err'] for _, _, _, r in rs):.1e})")
                if not ms:
                    ms = " / ".join(f"{r['ms']:.0f}" for _, batch, _, r in sorted(
                        rs, key=lambda t: t[1]))
        if any(c != "–" for c in cells):
            print(f"| {fam.name} | {'/'.join(map(str, sorted(resolutions)))} | "
                  + " | ".join(cells) + f" | {ms} |")


def parse(argv):
    import argparse
    p = argparse.ArgumentParser(add_help=True, usage=__doc__.split("\n\n")[1].strip())
    p.add_argument("filters", nargs="*")
    p.add_argument("--cache")
    p.add_argument("--build")
    p.add_argument("--opsets", default="11,13,17")
    p.add_argument("--batches", default="1,4")
    p.add_argument("--device", default="cpu")
    p.add_argument("--resolution", type=int)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--timeout", type=int, default=3600)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--fresh", action="store_true")
    p.add_argument("--list", action="store_true")
    p.add_argument("--table", action="store_true")
    p.add_argument("--check", nargs=2, metavar=("ONNX", "REF"))
    p.add_argument("--float32-err", type=float, default=0.0)
    args = p.parse_args(argv[1:])
    args.opsets = [int(o) for o in args.opsets.split(",")]
    args.batches = [int(b) for b in args.batches.split(",")]
    args.device = args.device.split(",")
    if args.cache is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
        args.cache = os.path.join(base, "cnnfilt", "sweep")
    return args


def worker(argv, name):
    """One family in a process of its own (--jobs): its TAP lines, its
    results, its seconds."""
    args = parse(argv)
    env = build_env(args.build)
    # each job its own results file, merged by the parent
    results = Results(os.path.join(args.cache, "results.json"), args.fresh)
    results.path = os.path.join(args.cache, f"results.{name}.json")
    sweep = Sweep(args, env, Builder(args.cache, args.threads), results)
    lines = []
    with contextlib.redirect_stdout(Collect(lines)):
        seconds = sweep.family(next(f for f in FAMILIES if f.name == name))
    os.unlink(results.path)
    return lines, results.data, seconds


class Collect:
    def __init__(self, lines):
        self.lines = lines

    def write(self, text):
        self.lines.append(text)

    def flush(self):
        pass


def main(argv):
    args = parse(argv)
    if args.check:
        return check_main(args.check[0], args.check[1], args.batches, args.device,
                          args.float32_err)
    if args.list:
        for fam in FAMILIES:
            res = resolution(fam, args.resolution)
            note = " (fixed)" if fam.fixed else ""
            named = " (when named)" if fam.group in NAMED_ONLY else ""
            print(f"{fam.name:22} {fam.group:13} {res}x{res}{note}{named}")
        return 0
    os.makedirs(args.cache, exist_ok=True)
    results = Results(os.path.join(args.cache, "results.json"), args.fresh)
    if args.table:
        print_table(results, None if args.opsets == [11, 13, 17] else args.opsets)
        return 0
    chosen = select(args.filters)
    # a kill ends the model in progress too (subprocess.run kills its child)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    env = build_env(args.build)
    print(f"1..{len(chosen) * len(args.opsets) * len(args.batches) * len(args.device)}",
          flush=True)
    start = time.monotonic()
    if args.jobs <= 1:
        sweep = Sweep(args, env, Builder(args.cache, args.threads), results)
        for fam in chosen:
            try:
                seconds = sweep.family(fam)
            except Exception:  # noqa: BLE001 - a sweep goes on past one model
                traceback.print_exc()
                raise
            print(f"# {fam.name}: {seconds:.0f} s", flush=True)
        number, failed = sweep.number, sweep.failed
    else:
        import concurrent.futures
        import multiprocessing
        number = failed = 0
        pool = concurrent.futures.ProcessPoolExecutor(
            args.jobs, mp_context=multiprocessing.get_context("spawn"))
        with pool:
            jobs = {pool.submit(worker, argv, fam.name): fam for fam in chosen}
            for job in concurrent.futures.as_completed(jobs):
                lines, data, seconds = job.result()
                results.data["results"].update(data["results"])
                results.data["references"].update(data["references"])
                results.save()
                for line in "".join(lines).splitlines():
                    # renumbered in the order they arrive
                    for prefix in ("ok ", "not ok "):
                        if line.startswith(prefix):
                            number += 1
                            failed += prefix == "not ok "
                            rest = line[len(prefix):].split(" ", 1)[1]
                            line = f"{prefix}{number} {rest}"
                    print(line, flush=True)
                print(f"# {jobs[job].name}: {seconds:.0f} s", flush=True)
    print(f"# {number - failed} ok, {failed} not ok, {time.monotonic() - start:.0f} s",
          flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
