#!/usr/bin/python3
"""PyTorch peer for bench/layers: F.conv2d (with bias) on each row of `shapes`.

    /usr/bin/python3 torch_bench.py [--batch N] [--min-time 0.5] [--min-reps 5]
                                    [--threads 2] [--only SUBSTR]

Same output lines as engines.c.  Three variants per layer, the best of which
is the `pytorch` reference column of report.py:
  torch-nchw    F.conv2d on contiguous NCHW tensors (torch's default path)
  torch-cl      the same with input and weights in channels_last (NHWC)
  torch-mkldnn  torch.utils.mkldnn: weights packed once by
                to_mkldnn(nn.Conv2d), input already an MKL-DNN (blocked)
                tensor, output left blocked (the layout kept through a graph)
Each variant's output is compared with torch-nchw's.  The aten operator that
ran is recorded once per variant with the autograd profiler.
"""
import argparse
import statistics
import sys
import time

import torch
import torch.nn.functional as F
import torch.utils.mkldnn

from shapes import read_shapes


def out(*fields):
    print("\t".join(str(f) for f in fields), flush=True)


def time_it(fn, min_time, min_reps):
    t0 = time.perf_counter()
    i = 0
    while i < 2 or time.perf_counter() - t0 < 0.1:
        fn()
        i += 1
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_time:
        a = time.perf_counter()
        fn()
        times.append(time.perf_counter() - a)
        if len(times) >= 100000:
            break
    return statistics.median(times), len(times)


def aten_ops(fn):
    with torch.autograd.profiler.profile() as prof:
        fn()
    names = [e.key for e in prof.key_averages()]
    keep = [n for n in names if "conv" in n or "mkldnn" in n or "thnn" in n]
    return ",".join(sorted(set(keep))) or ",".join(names)


def rel_err(ref, got):
    d = (ref - got).abs().max().item()
    m = ref.abs().max().item()
    return d / m if m else d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--min-reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only")
    ap.add_argument("--variants", default="torch-nchw,torch-cl,torch-mkldnn")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    out("I", "torch", "version", torch.__version__)
    out("I", "torch", "threads", "torch.get_num_threads() = %d" % torch.get_num_threads())
    out("I", "torch", "mkldnn", "available=%s, enabled=%s" % (torch.backends.mkldnn.is_available(),
                                                              torch.backends.mkldnn.enabled))
    cfg = torch.__config__.show()
    cap = [l.strip(" -") for l in cfg.splitlines() if "CPU capability" in l or "MKL-DNN" in l]
    cap += [kv.split(":")[-1].strip() for kv in cfg.replace("\n", ",").split(",")
            if kv.split(":")[-1].strip().startswith(("BLAS_INFO", "USE_MKLDNN", "USE_OPENMP"))]
    out("I", "torch", "config", "; ".join(cap))
    variants = a.variants.split(",")
    seen_ops = {}

    with torch.no_grad():
        for r in read_shapes():
            if a.batch and r["N"] != a.batch:
                continue
            if a.only and a.only not in r["name"]:
                continue
            x = torch.rand(r["N"], r["C"], r["H"], r["W"]) * 2 - 1
            w = (torch.rand(r["O"], r["C"], r["kh"], r["kw"]) * 2 - 1) / (r["C"] * r["kh"] * r["kw"]) ** 0.5
            b = (torch.rand(r["O"]) * 2 - 1) * 0.1
            s, p = r["stride"], r["pad"]
            ref = F.conv2d(x, w, b, s, p)
            for v in variants:
                if v == "torch-nchw":
                    fn = lambda: F.conv2d(x, w, b, s, p)  # noqa: E731
                    check = lambda y: y  # noqa: E731
                elif v == "torch-cl":
                    xc = x.contiguous(memory_format=torch.channels_last)
                    wc = w.contiguous(memory_format=torch.channels_last)
                    fn = lambda: F.conv2d(xc, wc, b, s, p)  # noqa: E731
                    check = lambda y: y  # noqa: E731
                elif v == "torch-mkldnn":
                    conv = torch.nn.Conv2d(r["C"], r["O"], (r["kh"], r["kw"]), s, p)
                    conv.weight.copy_(w)
                    conv.bias.copy_(b)
                    mconv = torch.utils.mkldnn.to_mkldnn(conv.eval())
                    xm = x.to_mkldnn()
                    fn = lambda: mconv(xm)  # noqa: E731
                    check = lambda y: y.to_dense()  # noqa: E731
                else:
                    sys.exit("torch_bench.py: unknown variant %s" % v)
                try:
                    err = rel_err(ref, check(fn()))
                    t, reps = time_it(fn, a.min_time, a.min_reps)
                except RuntimeError as e:
                    out("S", v, r["name"], r["N"], " ".join(str(e).split())[:200])
                    continue
                ops = aten_ops(fn)
                if seen_ops.get((v, ops)) is None:
                    seen_ops[(v, ops)] = r["name"]
                out("R", v, r["name"], r["N"], "%.4f" % (t * 1e3), "%.2f" % (r["flops"] / t * 1e-9),
                    reps, "%.2e" % err, "aten: " + ops)


if __name__ == "__main__":
    main()
