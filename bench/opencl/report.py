#!/usr/bin/python3
"""Report of bench/opencl: reads the raw lines run.sh wrote and prints
markdown tables: the median over rounds of each round's figure, the spread
(min-max over rounds), ratios taken round by round (engines run interleaved
within a round, so a round's ratio is not skewed by the machine drifting
between rounds), peak RSS, and the issue's goals.

    report.py RAW.tsv [--images 50] [--filter sobel] [--size 4096]
              [--rounds 5] [--ocv-cl-reps 2]

RAW.tsv lines: ROUND SECTION ENGINE CASE KIND KEY VALUE, tab-separated;
round 0 holds the set-up, the warm-up and the checks.
"""
import argparse
import statistics
from collections import defaultdict

ENGINES = ["cnnfilt-cpu", "cnnfilt-opencl", "opencv-opencl", "opencv-cpu"]
TITLES = {"cnnfilt-cpu": "cnnfilt cpu", "cnnfilt-opencl": "cnnfilt opencl",
          "opencv-opencl": "OpenCV dnn OpenCL", "opencv-cpu": "OpenCV dnn CPU"}
MODEL_NAMES = {"resnet18": "ResNet-18", "mobilenet_v2": "MobileNetV2"}


class Raw:
    def __init__(self, path):
        # (section, engine, case) -> round -> key -> value
        self.r = defaultdict(lambda: defaultdict(dict))
        self.i = defaultdict(list)    # (section, engine, case) -> [(round, key, value)]
        self.w = defaultdict(list)    # warnings
        self.s = defaultdict(list)    # skipped: [(round, reason)]
        with open(path) as f:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if len(p) < 7:
                    continue
                rnd, section, engine, case, kind, key, value = p[:6] + ["\t".join(p[6:])]
                k = (section, engine, case)
                rnd = int(rnd)
                if kind == "R":
                    try:
                        self.r[k][rnd][key] = float(value)
                    except ValueError:
                        pass
                elif kind == "I":
                    self.i[k].append((rnd, key, value))
                elif kind == "W":
                    self.w[k].append((rnd, key, value))
                elif kind == "S":
                    self.s[k].append((rnd, value))

    def series(self, k, key, rounds_only=True):
        """{round: value} of one figure, timed rounds only (round >= 1)."""
        return {rnd: v[key] for rnd, v in self.r[k].items()
                if key in v and (rnd >= 1 or not rounds_only)}

    def warm(self, k, key):
        return self.r[k].get(0, {}).get(key)

    def infos(self, k, key):
        return [v for _, kk, v in self.i[k] if kk == key]


def med(values):
    return statistics.median(values) if values else None


def fmt(x, digits=None):
    if x is None:
        return "–"
    if digits is None:
        digits = 0 if x >= 1000 else 1 if x >= 100 else 2 if x >= 1 else 3
    return "%.*f" % (digits, x)


def cell(values, digits=None):
    """'median (min–max)' of a list of per-round figures."""
    if not values:
        return None
    m = med(values)
    if len(values) == 1:
        return fmt(m, digits)
    return "%s (%s–%s)" % (fmt(m, digits), fmt(min(values), digits), fmt(max(values), digits))


def paired(a, b, f=lambda x, y: x / y):
    """Round-by-round f(a, b) over the rounds both have."""
    return [f(a[r], b[r]) for r in sorted(set(a) & set(b)) if b[r] != 0]


def ratio_cell(values):
    if not values:
        return "–"
    m = med(values)
    if len(values) == 1:
        return "×%.2f" % m
    return "×%.2f (%.2f–%.2f)" % (m, min(values), max(values))


def verdict(ok):
    return "met" if ok else "NOT MET"


def short_reason(reason):
    r = reason
    if "import failed" in r and "Clip" in r and "input_size() == 1" in r:
        return "import failed (OpenCV 4.6 takes Clip min/max only as attributes)"
    return r if len(r) <= 160 else r[:157] + "…"


def rss_mib(raw, k):
    """Median peak RSS over the rounds' processes; for a case that ran in one
    process for the whole benchmark (OpenCV's OpenCL path), that process's."""
    v = list(raw.series(k, "rss_kib").values())
    if not v and raw.warm(k, "rss_kib") is not None and raw.warm(k, "ms_per_image") is None:
        v = [raw.warm(k, "rss_kib")]
    return med(v) / 1024 if v else None


# ------------------------------------------------------------ sections

def report_info(raw):
    print("## Machine and devices")
    print()
    for _, key, value in raw.i[("info", "run", "-")]:
        print("- %s: %s" % (key, value))
    for _, _, value in raw.i[("info", "cnnfilt devices", "-")]:
        print("- `cnnfilt devices`: %s" % value)
    for _, key, value in raw.i[("info", "bench.py", "-")]:
        print("- %s: %s" % (key, value))
    for _, key, value in raw.w[("info", "bench.py", "-")]:
        print("- ⚠ %s: %s" % (key, value))
    print()


def report_edges(raw, a, goals):
    ks = {d: ("edges", d, "photos") for d in ("cpu", "opencl")}
    if not any(raw.r[k] or raw.s[k] for k in ks.values()):
        return
    print("## 1. Edge preset: `cnnfilt edges --device D --quiet`, %d photos 1920×1080 JPEG → PNG, whole process"
          % a.images)
    print()
    print("| device | seconds | images/s | images/s ÷ cpu | peak RSS MiB |")
    print("|---|--:|--:|--:|--:|")
    secs = {d: raw.series(k, "seconds") for d, k in ks.items()}
    ips = {d: {r: a.images / s for r, s in secs[d].items()} for d in ks}
    for d, k in ks.items():
        if not secs[d]:
            reasons = "; ".join(sorted({short_reason(r) for _, r in raw.s[k]})) or "not run"
            print("| %s | %s | | | |" % (d, reasons))
            continue
        rel = paired(ips[d], ips["cpu"]) if d != "cpu" else []
        print("| %s | %s | %s | %s | %s |" % (d, cell(list(secs[d].values())), cell(list(ips[d].values()), 1),
                                             ratio_cell(rel) if d != "cpu" else "", fmt(rss_mib(raw, k), 0)))
    print()
    rel = paired(ips["opencl"], ips["cpu"])
    if rel:
        m = med(rel)
        goals.append("Edge preset, OpenCL ≥ 80 %% of CPU images/s: %.0f %% (per round %.0f–%.0f %%): %s"
                     % (100 * m, 100 * min(rel), 100 * max(rel), verdict(m >= 0.8)))
    for t in raw.infos(("edges", "opencl", "edges"), "trace"):
        print("- where the ops ran (`--trace`, warm-up run): %s" % t)
    wk = ("edges", "opencl", "warm")
    if raw.warm(wk, "wall_s") is not None:
        print("- warm-up, 1 photo on opencl (programs built or loaded into the cache): %.2f s"
              % raw.warm(wk, "wall_s"))
    ck = ("check", "opencl", "edges")
    if raw.warm(ck, "mean_abs_diff") is not None:
        print("- photo-0000.png, opencl vs cpu: mean abs diff %.4f levels, max %d, %.3f %% of pixels differ by > 2"
              % (raw.warm(ck, "mean_abs_diff"), raw.warm(ck, "max_abs_diff"), raw.warm(ck, "pct_over_2")))
    print()


def report_filter(raw, a, goals):
    ks = {d: ("filter", d, "filter") for d in ("cpu", "opencl")}
    if not any(raw.r[k] or raw.s[k] for k in ks.values()):
        return
    print("## 2. 3×3 filter: `Graph.new_from_string(%r)` on one 1×1×%d×%d float32 tensor, Python bindings, warm"
          % (a.filter, a.size, a.size))
    print()
    print("| device | run + readback ms | run only ms (10 back to back, 1 readback) | first run ms (cache warm) | peak RSS MiB |")
    print("|---|--:|--:|--:|--:|")
    rb = {d: raw.series(k, "readback_ms") for d, k in ks.items()}
    dv = {d: raw.series(k, "device_ms") for d, k in ks.items()}
    for d, k in ks.items():
        if not rb[d] and not dv[d]:
            reasons = "; ".join(sorted({short_reason(r) for _, r in raw.s[k]})) or "not run"
            print("| %s | %s | | | |" % (d, reasons))
            continue
        print("| %s | %s | %s | %s | %s |" % (d, cell(list(rb[d].values())), cell(list(dv[d].values())),
                                             cell(list(raw.series(k, "first_ms").values())),
                                             fmt(rss_mib(raw, k), 0)))
    print("| opencl ÷ cpu | %s | %s | | |" % (ratio_cell(paired(rb["opencl"], rb["cpu"])),
                                          ratio_cell(paired(dv["opencl"], dv["cpu"]))))
    print()
    if dv["opencl"]:
        m = med(list(dv["opencl"].values()))
        errs = raw.series(ks["opencl"], "max_abs_err", rounds_only=False)
        wrong = "; ⚠ its values were wrong in some runs" if errs and max(errs.values()) > 1e-4 else ""
        goals.append("3×3 filter on %d×%d, ≤ 5 ms per run on the OpenCL device: %.1f ms without readback, "
                     "%.1f ms with it: %s%s" % (a.size, a.size, m, med(list(rb["opencl"].values())) or 0,
                                                verdict(m <= 5), wrong))
    wk = ("filter", "opencl", "warm")
    if raw.warm(wk, "first_ms") is not None:
        print("- first run on opencl in the warm-up (preparing the graph, programs built or loaded): %.0f ms"
              % raw.warm(wk, "first_ms"))
    for t in raw.infos(("filter", "opencl", "filter"), "trace"):
        print("- where the ops ran (CNNFILT_TRACE, warm-up run): %s" % t)
    tr = raw.infos(ks["opencl"], "transfers")
    if tr:
        print("- opencl transfer counters in the run-only loop: %s" % tr[-1])
    for d, k in ks.items():
        errs = raw.series(k, "max_abs_err", rounds_only=False)
        if errs:
            print("- %s values vs a float64 numpy Sobel: max abs error %.2g over %d process(es)%s"
                  % (d, max(errs.values()), len(errs), " ⚠ WRONG VALUES" if max(errs.values()) > 1e-4 else ""))
    for d in ks:
        for k in (ks[d], ("filter", d, "warm")):
            for rnd, key, text in raw.w[k]:
                print("- ⚠ round %d, %s: %s" % (rnd, d, text))
    print("- readback = `out.get_bytes().get_data()`: the download plus two copies of the %d MiB output "
          "(into a GBytes, then into a Python bytes object)" % (a.size * a.size * 4 >> 20))
    print()


def report_models(raw, a, goals):
    cases = []
    for (section, engine, case) in list(raw.r) + list(raw.s):
        if section == "model" and "/" in case and case not in cases:
            cases.append(case)
    if not cases:
        return
    cases.sort(key=lambda c: (list(MODEL_NAMES).index(c.split("/")[0]) if c.split("/")[0] in MODEL_NAMES else 99,
                              int(c.split("/b")[1])))
    engines = [e for e in ENGINES if any(raw.r[("model", e, c)] or raw.s[("model", e, c)] for c in cases)]
    print("## 3. Models, ms per image (median over rounds, min–max)")
    print()
    print("| model | batch | %s | OpenCV OpenCL ÷ cnnfilt opencl | cnnfilt opencl ÷ cpu |"
          % " | ".join(TITLES[e] for e in engines))
    print("|---|--:|%s--:|--:|" % ("--:|" * len(engines)))
    footnotes = []
    ms = {}
    fell_back = defaultdict(list)
    for e in engines:
        for c in cases:
            for rnd, key, text in raw.w[("model", e, c)]:
                if key == "fallback":
                    fell_back[(e, c)].append((rnd, text))
    for c in cases:
        model, n = c.split("/b")
        row = []
        for e in engines:
            k = ("model", e, c)
            s = raw.series(k, "ms_per_image")
            if (e, c) in fell_back:
                s = {}
                row.append("fell back to CPU ⚠")
            elif s:
                row.append(cell(list(s.values())))
            else:
                reasons = sorted({short_reason(r) for _, r in raw.s[k]})
                if e == "opencv-opencl" and not raw.r[k] and not raw.s[k]:
                    row.append("not run (BENCH_OCV_CL_BATCHES)")
                elif reasons:
                    if len(reasons[0]) < 40:
                        row.append(reasons[0])
                    else:
                        if reasons[0] not in footnotes:
                            footnotes.append(reasons[0])
                        row.append("failed [%d]" % (footnotes.index(reasons[0]) + 1))
                else:
                    row.append("–")
            ms[(e, c)] = s
        r1 = paired(ms.get(("opencv-opencl", c), {}), ms.get(("cnnfilt-opencl", c), {}))
        r2 = paired(ms.get(("cnnfilt-opencl", c), {}), ms.get(("cnnfilt-cpu", c), {}))
        print("| %s | %s | %s | %s | %s |" % (MODEL_NAMES.get(model, model), n, " | ".join(row),
                                             ratio_cell(r1), ratio_cell(r2)))
    print()
    for i, f in enumerate(footnotes):
        print("[%d] %s" % (i + 1, f))
    if footnotes:
        print()
    print("Ratios are taken round by round (÷ > 1: the first is slower). OpenCV's OpenCL path runs "
          "%d timed forward passes per round (in one process kept from its warm-up on), the others at least %s."
          % (a.ocv_cl_reps, "5 and 0.5 s (BENCH_MIN_REPS, BENCH_MIN_TIME)"))
    print()

    c = "resnet18/b8"
    cl = ms.get(("cnnfilt-opencl", c))
    if cl:
        m = med(list(cl.values()))
        errs = raw.series(("model", "cnnfilt-opencl", c), "logits_err", rounds_only=False)
        wrong = "; ⚠ its logits were wrong in some runs" if errs and max(errs.values()) > 1e-3 else ""
        goals.append("ResNet-18 batch 8 on cnnfilt OpenCL ≤ 40 ms/image: %.1f ms: %s%s" % (m, verdict(m <= 40), wrong))
        r = paired(ms.get(("opencv-opencl", c), {}), cl)
        if r:
            goals.append("ResNet-18 batch 8, cnnfilt OpenCL ≥ 15× OpenCV's OpenCL path: ×%.1f (per round %.1f–%.1f): %s"
                         % (med(r), min(r), max(r), verdict(med(r) >= 15)))
        elif ("opencv-opencl", c) in fell_back:
            goals.append("ResNet-18 batch 8 vs OpenCV's OpenCL path: n/a (OpenCV fell back to its CPU path)")
        else:
            goals.append("ResNet-18 batch 8 vs OpenCV's OpenCL path: n/a (not measured)")

    # peak RSS and first runs
    print("Peak RSS in MiB (whole process, median over rounds) / first run in s with the program caches warm "
          "(median over rounds) and, for OpenCL, in the warm-up (cold caches on a first run of the benchmark). "
          "OpenCV's OpenCL path runs in one process per model and batch for the whole benchmark: its peak RSS "
          "and its one first run:")
    print()
    print("| model | batch | %s |" % " | ".join(TITLES[e] for e in engines))
    print("|---|--:|%s" % ("--:|" * len(engines)))
    for c in cases:
        model, n = c.split("/b")
        row = []
        for e in engines:
            k = ("model", e, c)
            if not raw.series(k, "ms_per_image"):
                row.append("–")
                continue
            first = med(list(raw.series(k, "first_ms").values()))
            w = raw.warm(k, "first_ms")
            if first is not None:
                txt = "%s / %.2f s" % (fmt(rss_mib(raw, k), 0), first / 1e3)
                if w is not None:
                    txt += " (warm-up %.1f s)" % (w / 1e3)
            else:
                txt = "%s / one process: %s s" % (fmt(rss_mib(raw, k), 0), fmt(w / 1e3 if w else None, 1))
            row.append(txt)
        print("| %s | %s | %s |" % (MODEL_NAMES.get(model, model), n, " | ".join(row)))
    print()

    # checks
    print("Checks:")
    print()
    for e in engines:
        errs = [v for c in cases for v in raw.series(("model", e, c), "logits_err", rounds_only=False).values()]
        if errs:
            worst = max(errs)
            print("- %s logits vs PyTorch's float64 `expected.npy`: worst relative error %.2g%s"
                  % (TITLES[e], worst, " ⚠ WRONG LOGITS" if worst > 1e-3 else ""))
    for c in cases:
        for t in raw.infos(("model", "cnnfilt-opencl", c), "trace"):
            print("- cnnfilt opencl %s batch %s, where the ops ran (CNNFILT_TRACE, warm-up run): %s"
                  % (MODEL_NAMES.get(c.split("/b")[0], c), c.split("/b")[1], t))
    if "opencv-opencl" in engines:
        ocl = sorted({v for c in cases for v in raw.infos(("model", "opencv-opencl", c), "ocl")})
        dev = sorted({v for c in cases for v in raw.infos(("model", "opencv-opencl", c), "device")})
        after = sorted({v for c in cases for v in raw.infos(("model", "opencv-opencl", c), "ocl_after")})
        cache = raw.infos(("model", "opencv-opencl", "-"), "opencv_cache")
        print("- OpenCV OpenCL path: %s; device %s; after the runs %s" % (
            ", ".join(ocl) or "?", "; ".join(dev) or "?", ", ".join(after) or "?"))
        if cache:
            print("- OpenCV's OpenCL program cache after the warm-up: %s" % cache[-1])
        if fell_back:
            for (e, c), lines in sorted(fell_back.items()):
                print("- ⚠ OpenCV %s %s FELL BACK to its CPU path in %d run(s): %s"
                      % (e, c, len(lines), lines[0][1]))
        else:
            nruns = sum(1 for c in cases for v in raw.r[("model", "opencv-opencl", c)].values()
                        if "first_ms" in v)
            slower = []
            for c in cases:
                r = paired(ms.get(("opencv-opencl", c), {}), ms.get(("opencv-cpu", c), {}))
                if r:
                    slower.append("%s ×%.1f" % (c, med(r)))
            print("- OpenCV OpenCL really ran on OpenCL: no 'switching to CPU' warning in its %d processes%s"
                  % (nruns, "; its time ÷ OpenCV CPU target's: " + ", ".join(slower) if slower else ""))
    tr = [v for c in cases for v in raw.infos(("model", "cnnfilt-opencl", c), "transfers")]
    if tr:
        print("- cnnfilt opencl transfer counters (one process, warm-up and timed runs): %s" % tr[-1])
    print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("--images", type=int, default=50)
    ap.add_argument("--filter", default="sobel")
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--ocv-cl-reps", type=int, default=2)
    a = ap.parse_args()
    raw = Raw(a.raw)
    goals = []
    print("# bench/opencl report: %d round(s), median over rounds (min–max)" % a.rounds)
    print()
    report_info(raw)
    report_edges(raw, a, goals)
    report_filter(raw, a, goals)
    report_models(raw, a, goals)
    if goals:
        print("## Goals of the issue")
        print()
        for g in goals:
            print("- " + g)
        print()
    skipped = [(k, r) for k, v in raw.s.items() for r in v if k[0] in ("edges", "filter") and r[0] >= 0]
    if skipped:
        print("Failures:")
        for k, (rnd, reason) in skipped:
            print("- round %d %s %s: %s" % (rnd, k[0], k[1], reason))


if __name__ == "__main__":
    main()
