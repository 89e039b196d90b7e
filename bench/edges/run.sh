#!/usr/bin/env bash
# Batch edge-detection benchmark: cnnfilt vs OpenCV vs libvips.
#
# Times whole processes (start-up included) turning a folder of 1920x1080 JPEG
# photos into grey 8-bit Sobel edge PNGs, RUNS runs per tool (default 5),
# interleaved, and reports the median and the best. See README.md in this folder.
#
# Environment:
#   CNNFILT       path of the cnnfilt binary   (default: <repo>/build/bin/cnnfilt)
#   BENCH_IMAGES  number of input photos       (default: 60)
#   BENCH_DIR     work dir for build/inputs/outputs, outside the repository
#                 (default: /tmp/cnnfilt-bench-edges)
#   RUNS          runs per tool, interleaved (default: 5; the machine is noisy)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
PYTHON=/usr/bin/python3

CNNFILT=${CNNFILT:-$REPO_ROOT/build/bin/cnnfilt}
BENCH_IMAGES=${BENCH_IMAGES:-60}
BENCH_DIR=${BENCH_DIR:-/tmp/cnnfilt-bench-edges}
RUNS=${RUNS:-5}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: RUNS must be a positive integer" >&2; exit 1; }
TOOLS=(ours opencv vips)

die() { echo "run.sh: $*" >&2; exit 1; }

[[ $BENCH_IMAGES =~ ^[0-9]+$ && $BENCH_IMAGES -ge 1 ]] ||
  die "BENCH_IMAGES must be a positive integer (got '$BENCH_IMAGES')"
BENCH_DIR=$(realpath -m "$BENCH_DIR")
case "$BENCH_DIR/" in
  "$REPO_ROOT"/*) die "BENCH_DIR must be outside the repository ($BENCH_DIR)" ;;
esac

PHOTOS=$BENCH_DIR/photos
BUILD=$BENCH_DIR/build
OUT=$BENCH_DIR/out
LOGS=$BENCH_DIR/logs
VIPS_EDGES=$BUILD/vips_edges
mkdir -p "$BUILD" "$OUT" "$LOGS"

# ---------------------------------------------------------------- machine info
cpu_model=$(grep -m1 -E '^(model name|Model|Hardware)' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
echo "== Machine"
echo "nproc:        $(nproc)"
echo "CPU:          ${cpu_model:-unknown}"
echo "kernel:       $(uname -sr)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other load on the machine skews the figures)"
echo
echo "== Versions"
echo "libvips:      $(vips --version)"
echo "OpenCV:       $("$PYTHON" -c 'import cv2; print(cv2.__version__, "(cv2.getNumThreads() =", cv2.getNumThreads(), end=")")')"
echo "numpy:        $("$PYTHON" -c 'import numpy; print(numpy.__version__)')"
echo "python:       $("$PYTHON" -c 'import sys; print(sys.version.split()[0])')"
echo "cc:           $(cc --version | head -n1)"

have_ours=1
if [[ -x $CNNFILT && ! -d $CNNFILT ]]; then
  echo "cnnfilt:      $CNNFILT ($(timeout 10 "$CNNFILT" --version 2>/dev/null | head -n1 || true))"
else
  have_ours=0
  echo "cnnfilt:      SKIPPED - '$CNNFILT' not found or not executable"
  echo "              (build it first, e.g. 'meson setup build && meson compile -C build',"
  echo "               or point CNNFILT at the binary)"
fi
echo

# ---------------------------------------------------------------- preparation
echo "== Preparation"
echo "building libvips peer -> $VIPS_EDGES"
# shellcheck disable=SC2046  # pkg-config output must be word-split
cc -O2 "$SCRIPT_DIR/vips_edges.c" $(pkg-config --cflags --libs vips) -o "$VIPS_EDGES"

"$PYTHON" "$SCRIPT_DIR/make-images.py" --count "$BENCH_IMAGES" "$PHOTOS"
n_inputs=$(find "$PHOTOS" -maxdepth 1 -type f \( -iname '*.jpg' -o -iname '*.jpeg' \) | wc -l)
[[ $n_inputs -eq $BENCH_IMAGES ]] ||
  die "$PHOTOS holds $n_inputs JPEG files, expected $BENCH_IMAGES"
if [[ $BENCH_IMAGES -lt 50 ]]; then
  echo "warning: only $BENCH_IMAGES images; use BENCH_IMAGES>=50 for meaningful figures"
fi
# Warm the page cache so that no tool pays for the first disk read.
cat "$PHOTOS"/*.jpg >/dev/null
echo "inputs:       $n_inputs photos, 1920x1080 JPEG q90, in $PHOTOS"
echo

# ---------------------------------------------------------------- tools
run_tool() {   # run_tool TOOL OUTDIR
  local tool=$1 outdir=$2
  case $tool in
    ours)   "$CNNFILT" edges -o "$outdir" --jobs 2 --quiet --compression 1 "$PHOTOS" ;;
    opencv) "$PYTHON" "$SCRIPT_DIR/opencv_edges.py" -o "$outdir" "$PHOTOS" ;;
    vips)   "$VIPS_EDGES" -o "$outdir" "$PHOTOS" ;;
  esac
}

describe_tool() {
  case $1 in
    ours)   echo "cnnfilt edges --jobs 2 --quiet --compression 1" ;;
    opencv) echo "python3 opencv_edges.py (IMREAD_GRAYSCALE, Sobel CV_32F k3, magnitude, PNG level 1)" ;;
    vips)   echo "vips_edges (C: colourspace B_W, sobel, cast uchar, pngsave compression 1)" ;;
  esac
}

declare -A TIMES=() FAILED=()
ACTIVE=()
for tool in "${TOOLS[@]}"; do
  if [[ $tool == ours && $have_ours -eq 0 ]]; then continue; fi
  ACTIVE+=("$tool")
  TIMES[$tool]=""
done

echo "== Timing: $RUNS runs per tool, interleaved, fresh empty output folder per run"
for tool in "${ACTIVE[@]}"; do
  printf '  %-7s %s\n' "$tool" "$(describe_tool "$tool")"
done
for run in $(seq 1 "$RUNS"); do
  for tool in "${ACTIVE[@]}"; do
    [[ -n ${FAILED[$tool]:-} ]] && continue
    outdir=$OUT/$tool
    log=$LOGS/$tool-run$run.log
    rm -rf "$outdir"
    mkdir -p "$outdir"

    t0=$(date +%s.%N)
    if run_tool "$tool" "$outdir" >"$log" 2>&1; then status=0; else status=$?; fi
    t1=$(date +%s.%N)

    if [[ $status -ne 0 ]]; then
      FAILED[$tool]="exit status $status (see $log)"
    else
      n_png=$(find "$outdir" -type f -name '*.png' | wc -l)
      if [[ $n_png -ne $BENCH_IMAGES ]]; then
        FAILED[$tool]="wrote $n_png PNG files for $BENCH_IMAGES inputs"
      fi
    fi
    if [[ -n ${FAILED[$tool]:-} ]]; then
      printf '  run %d %-7s FAILED: %s\n' "$run" "$tool" "${FAILED[$tool]}"
      tail -n 5 "$log" | sed 's/^/      | /'
      continue
    fi
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    TIMES[$tool]+="$secs "
    printf '  run %d %-7s %7.3f s\n' "$run" "$tool" "$secs"
  done
done
echo

# ---------------------------------------------------------------- results
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
best()   { tr ' ' '\n' | sed '/^$/d' | sort -g | head -n1; }

declare -A MEDIAN=()
for tool in "${ACTIVE[@]}"; do
  [[ -n ${FAILED[$tool]:-} ]] && continue
  MEDIAN[$tool]=$(echo "${TIMES[$tool]}" | median)
done
ours_median=${MEDIAN[ours]:-}

echo "== Results ($BENCH_IMAGES images 1920x1080; seconds = median of $RUNS whole-process runs)"
printf '%-8s %9s %9s %10s %12s %12s\n' tool "median s" "best s" "images/s" "KiB/png" "time/ours"
for tool in "${TOOLS[@]}"; do
  if [[ $tool == ours && $have_ours -eq 0 ]]; then
    printf '%-8s %9s\n' "$tool" "skipped (no binary)"
    continue
  fi
  if [[ -n ${FAILED[$tool]:-} ]]; then
    printf '%-8s %9s\n' "$tool" "FAILED: ${FAILED[$tool]}"
    continue
  fi
  kib=$(du -sk "$OUT/$tool" | cut -f1)
  awk -v t="$tool" -v m="${MEDIAN[$tool]}" -v b="$(echo "${TIMES[$tool]}" | best)" \
      -v n="$BENCH_IMAGES" -v k="$kib" -v o="$ours_median" 'BEGIN {
        ratio = (o == "") ? "n/a" : sprintf("%.2fx", m / o)
        printf "%-8s %9.3f %9.3f %10.1f %12.0f %12s\n", t, m, b, n / m, k / n, ratio
      }'
done
echo "(time/ours > 1: the tool is slower than cnnfilt)"

best_peer=""
for tool in opencv vips; do
  [[ -z ${MEDIAN[$tool]:-} ]] && continue
  if [[ -z $best_peer ]] || awk -v a="${MEDIAN[$tool]}" -v b="${MEDIAN[$best_peer]}" 'BEGIN { exit !(a < b) }'; then
    best_peer=$tool
  fi
done
if [[ -n $ours_median && -n $best_peer ]]; then
  awk -v o="$ours_median" -v p="${MEDIAN[$best_peer]}" -v name="$best_peer" 'BEGIN {
    r = p / o
    printf "ours vs best peer (%s): %.2fx the throughput (%s)\n", name, r, (r >= 1) ? "ours faster" : "ours slower"
  }'
elif [[ -n $best_peer ]]; then
  echo "ours vs best peer: n/a (cnnfilt skipped or failed); fastest peer: $best_peer"
fi
echo

# ---------------------------------------------------------------- sanity check
# Compare one output image of each tool with OpenCV's (informational only).
first_stem=$(find "$PHOTOS" -maxdepth 1 -type f -iname '*.jpg' -printf '%f\n' | sort | head -n1)
first_stem=${first_stem%.*}
find_output() {   # find_output TOOL -> path of the PNG made from the first photo
  local dir=$OUT/$1
  if [[ -f $dir/$first_stem.png ]]; then echo "$dir/$first_stem.png"; return; fi
  find "$dir" -type f -name "$first_stem*.png" | sort | head -n1
}
check_args=()
for tool in "${ACTIVE[@]}"; do
  [[ -n ${FAILED[$tool]:-} ]] && continue
  check_args+=("$tool" "$(find_output "$tool")")
done

echo "== Sanity check on $first_stem (not a pass/fail test)"
if [[ ${#check_args[@]} -gt 0 ]]; then
  "$PYTHON" - "${check_args[@]}" <<'EOF' || echo "sanity check could not run"
import sys
import cv2
import numpy as np

args = sys.argv[1:]
images = {}
for tool, path in zip(args[0::2], args[1::2]):
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED) if path else None
    if img is None:
        print("%-7s no output image found" % tool)
        continue
    kind = "grey 8-bit" if img.ndim == 2 and img.dtype == np.uint8 else \
        "NOT grey 8-bit (shape %s, %s)" % (img.shape, img.dtype)
    print("%-7s %dx%d %s, mean level %.2f" % (tool, img.shape[1], img.shape[0], kind, img.mean()))
    images[tool] = img

def compare(a, b, note=""):
    if a not in images or b not in images:
        return
    x, y = images[a], images[b]
    if x.shape != y.shape:
        print("%s vs %s: shapes differ %s / %s" % (a, b, x.shape, y.shape))
        return
    d = np.abs(x.astype(np.int16) - y.astype(np.int16))
    print("%s vs %s: mean abs diff %.3f levels, max %d, %.2f%% of pixels differ by > 2%s"
          % (a, b, d.mean(), d.max(), 100.0 * (d > 2).mean(), note))

if "ours" in images:
    compare("ours", "opencv")
else:
    print("ours vs opencv: n/a (cnnfilt skipped or failed)")
compare("vips", "opencv", "\n        (informational only: vips_sobel's uchar path gives |Gx|+|Gy|, and libvips' B_W\n"
        "         is linear-light luminance re-encoded to sRGB, so its edges differ by design)")
EOF
fi

if [[ ${#FAILED[@]} -gt 0 ]]; then
  exit 1
fi
