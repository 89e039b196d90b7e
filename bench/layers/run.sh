#!/usr/bin/env bash
# Single-layer convolution benchmark: candidate CPU engines for cnnfilt's
# conv2d (OpenBLAS im2col+sgemm, oneDNN, XNNPACK, cnnfilt itself) against
# ONNX Runtime and PyTorch, on the conv layers of ResNet-18 and VGG-16 at
# 224x224, batch 1 and 8.  See README.md in this folder.
#
# Everything is built and written inside this folder, in git-ignored paths:
# build-c/ (the C program), node_modules/ (onnxruntime-node), models/ (the
# single-Conv ONNX models), results/ (raw timings of the last run, report.md).
#
# Environment:
#   ROUNDS         full passes over all engines, interleaved; each figure is the
#                  median over rounds of each round's median   (default: 3)
#   MIN_TIME       seconds of timed runs per layer and engine    (default: 0.5)
#   THREADS        threads per engine                            (default: 2)
#   ENGINES        space-separated subset of: blas blas-split dnnl dnnl-reorder
#                  dnnl-auto xnnpack ort torch cnnfilt  (default: all but dnnl-auto,
#                  which picks the same kernels as dnnl on this machine)
#   ONLY           only layers whose name contains this string   (default: all)
#   CNNFILT_BUILD  libcnnfilt meson build dir for the cnnfilt column
#                  (default: <repo>/build); skipped when it has no cnn plugin
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
cd "$SCRIPT_DIR"
PYTHON=/usr/bin/python3

ROUNDS=${ROUNDS:-3}
MIN_TIME=${MIN_TIME:-0.5}
THREADS=${THREADS:-2}
ENGINES=${ENGINES:-"blas blas-split dnnl dnnl-reorder xnnpack ort torch cnnfilt"}
ONLY=${ONLY:-}
CNNFILT_BUILD=$(realpath -m "${CNNFILT_BUILD:-$REPO_ROOT/build}")
BUILD=$SCRIPT_DIR/build-c
MODELS=$SCRIPT_DIR/models
RESULTS=$SCRIPT_DIR/results

die() { echo "run.sh: $*" >&2; exit 1; }
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "THREADS must be a positive integer"

# An inherited OPENBLAS_CORETYPE (e.g. Haswell) makes OpenBLAS's DYNAMIC_ARCH
# pick older kernels and halves sgemm on AVX-512 machines: never pin one here.
echo "== Environment"
echo "OPENBLAS_CORETYPE was: ${OPENBLAS_CORETYPE-(unset)}  -> unset for this benchmark"
unset OPENBLAS_CORETYPE OPENBLAS_VERBOSE
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
echo "OMP_NUM_THREADS=$OMP_NUM_THREADS OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS"
echo

cpu_model=$(grep -m1 -E '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
isa=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f|avx512_bf16|avx512_vnni)$' | tr '\n' ' ' || true)
echo "== Machine"
echo "nproc:        $(nproc)"
echo "CPU:          ${cpu_model:-unknown}"
echo "ISA:          $isa"
echo "kernel:       $(uname -sr)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) at start (other load on the machine skews the figures)"
echo
echo "== Versions"
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }
echo "OpenBLAS:     $(pkgver libopenblas0-pthread) (libopenblas.so -> $(readlink -f /usr/lib/x86_64-linux-gnu/libopenblas.so.0 2>/dev/null || echo '?'))"
echo "oneDNN:       $(pkgver libdnnl2)"
echo "XNNPACK:      $(pkgver libxnnpack0)"
echo "PyTorch:      $(pkgver python3-torch) (python3-torch)"
echo "onnx:         $(pkgver python3-onnx) (python3-onnx)"
echo "node:         $(node --version 2>/dev/null || echo 'not installed')"
echo "cc:           $(cc --version | head -n1)"
echo

want() { [[ " $ENGINES " == *" $1 "* ]]; }

# ---------------------------------------------------------------- build
echo "== Build"
mkdir -p "$BUILD" "$RESULTS"
[[ -f /usr/include/cblas.h || -f /usr/include/x86_64-linux-gnu/cblas.h ]] ||
  die "OpenBLAS headers missing: apt-get install libopenblas-dev"
defs=() libs=()
if [[ -f /usr/include/dnnl.h ]]; then defs+=(-DWITH_DNNL); libs+=(-ldnnl)
else echo "oneDNN:  SKIPPED (apt-get install libdnnl-dev)"; fi
if [[ -f /usr/include/xnnpack.h && -f /usr/include/pthreadpool.h ]]; then
  defs+=(-DWITH_XNNPACK); libs+=(-lXNNPACK -lpthreadpool)
else echo "XNNPACK: SKIPPED (apt-get install libxnnpack-dev libpthreadpool-dev)"; fi
CFLAGS="-O2 -march=native -fopenmp -Wall -Wextra"
# shellcheck disable=SC2046,SC2086
cc $CFLAGS "${defs[@]}" engines.c -o "$BUILD/engines" "${libs[@]}" $(pkg-config --libs openblas) -lm -lpthread
echo "built $BUILD/engines (${defs[*]})"

have_cnnfilt=0
if want cnnfilt; then
  cf_lib=$CNNFILT_BUILD/libcnnfilt/libcnnfilt-1.0.so
  cf_plugin=$(find "$CNNFILT_BUILD/plugins/cnn" -maxdepth 1 -name '*.so' 2>/dev/null | head -n1 || true)
  if [[ ! -f $cf_lib ]]; then
    echo "cnnfilt: SKIPPED - no $cf_lib (build libcnnfilt with meson, or set CNNFILT_BUILD)"
  elif [[ -z $cf_plugin ]]; then
    echo "cnnfilt: SKIPPED - $CNNFILT_BUILD/plugins/cnn has no plugin yet (the conv2d op is not built)"
  # shellcheck disable=SC2046,SC2086
  elif cc $CFLAGS -DWITH_CNNFILT engines.c -o "$BUILD/engines-cnnfilt" \
        -I"$REPO_ROOT/libcnnfilt" -I"$CNNFILT_BUILD/libcnnfilt" -I"$CNNFILT_BUILD" \
        $(pkg-config --cflags --libs gobject-2.0) "$cf_lib" -Wl,-rpath,"$CNNFILT_BUILD/libcnnfilt" \
        $(pkg-config --libs openblas) -lm -lpthread 2>"$BUILD/cnnfilt-build.log"; then
    have_cnnfilt=1
    echo "built $BUILD/engines-cnnfilt against $cf_lib (plugin $cf_plugin)"
  else
    echo "cnnfilt: SKIPPED - building against $CNNFILT_BUILD failed (see $BUILD/cnnfilt-build.log):"
    head -n 5 "$BUILD/cnnfilt-build.log" | sed 's/^/    /'
  fi
fi

have_ort=0
if want ort; then
  if ! command -v node >/dev/null; then
    echo "ort:     SKIPPED - node not installed"
  else
    if [[ ! -d node_modules/onnxruntime-node ]]; then
      echo "installing onnxruntime-node (npm install --ignore-scripts: the package ships the CPU library)"
      npm install --ignore-scripts --no-audit --no-fund >"$BUILD/npm.log" 2>&1 ||
        { tail -n 5 "$BUILD/npm.log"; die "npm install failed"; }
    fi
    if node -e "require('onnxruntime-node')" 2>"$BUILD/ort-load.log"; then
      have_ort=1
      $PYTHON make_models.py "$MODELS"
    else
      echo "ort:     SKIPPED - onnxruntime-node does not load:"; head -n 5 "$BUILD/ort-load.log" | sed 's/^/    /'
    fi
  fi
fi
echo

# ---------------------------------------------------------------- timing
rm -f "$RESULTS"/round*-*.tsv "$RESULTS"/report.md
rm -rf "$RESULTS/ort-opt"
common=(--threads "$THREADS" --min-time "$MIN_TIME")
[[ -n $ONLY ]] && common+=(--only "$ONLY")

run_engine() {   # run_engine ENGINE OUTFILE
  case $1 in
    blas|blas-split|dnnl|dnnl-reorder|dnnl-auto|xnnpack)
      "$BUILD/engines" --engines "$1" "${common[@]}" shapes ;;
    cnnfilt)
      "$BUILD/engines-cnnfilt" --engines cnnfilt "${common[@]}" shapes ;;
    ort)
      node ort.js shapes "$MODELS" "${common[@]}" --optimized-dir "$RESULTS/ort-opt" ;;
    torch)
      $PYTHON torch_bench.py "${common[@]}" ;;
  esac
}

active=()
for e in $ENGINES; do
  case $e in
    cnnfilt) [[ $have_cnnfilt -eq 1 ]] && active+=("$e") ;;
    ort)     [[ $have_ort -eq 1 ]] && active+=("$e") ;;
    dnnl|dnnl-reorder|dnnl-auto) [[ " ${defs[*]} " == *" -DWITH_DNNL "* ]] && active+=("$e") ;;
    xnnpack) [[ " ${defs[*]} " == *" -DWITH_XNNPACK "* ]] && active+=("$e") ;;
    blas|blas-split|torch) active+=("$e") ;;
    *) die "unknown engine '$e'" ;;
  esac
done

echo "== Timing: $ROUNDS round(s) x engines (${active[*]}), one process per engine and round,"
echo "   $THREADS threads, >= $MIN_TIME s and >= 5 runs per layer after warm-up, median"
for round in $(seq 1 "$ROUNDS"); do
  for e in "${active[@]}"; do
    out=$RESULTS/round$round-$e.tsv
    t0=$(date +%s.%N)
    if ! run_engine "$e" >"$out" 2>"$RESULTS/round$round-$e.err"; then
      echo "  round $round $e FAILED (see $RESULTS/round$round-$e.err):"
      tail -n 5 "$RESULTS/round$round-$e.err" | sed 's/^/    /'
    fi
    printf '  round %d %-13s %3d layer rows  %6.1f s  load %s\n' "$round" "$e" \
      "$(grep -c '^R' "$out" || true)" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" \
      "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) at end"
echo

# ---------------------------------------------------------------- report
$PYTHON report.py "$RESULTS" --models-opt "$RESULTS/ort-opt" | tee "$RESULTS/report.md"
echo
echo "(tables also in $RESULTS/report.md; raw lines in $RESULTS/round*-*.tsv)"
[[ $have_cnnfilt -eq 1 ]] || echo "note: no cnnfilt column (see Build above)"
