#!/usr/bin/env bash
# Exact k-NN search benchmark: CnnfiltIndex.search (cosine over every
# vector, AVX2 dot products on one thread per core) against numpy on the
# same float32 matrix (BLAS sgemv per query, and GEMM over batches of
# queries), for indexes of N random 1,792-d vectors. See README.md here.
#
# The indexes (and their exports for numpy) are made once into $DATA,
# outside the repository: about 8 KB per vector for the index and 7 KB for
# the export (N = 300,000: 2.5 GB + 2.2 GB). Raw lines and the report go to
# results/ here (git-ignored).
#
# Environment:
#   SIZES      numbers of vectors                 (default: 10000 100000 300000)
#   ROUNDS     rounds per size: every engine answers the round's queries in
#              turn (order rotated); one worker process per engine and size
#              loads the vectors once and stays for every round (default: 5)
#   QUERIES    queries per round (each round its own seed)      (default: 16)
#   BATCH      queries per GEMM for numpy's batched figure       (default: 16)
#   THREADS    numpy's BLAS threads; cnnfilt takes one per core  (default: 2)
#   ENGINES    subset of: cnnfilt numpy                   (default: cnnfilt numpy)
#   DATA       where the indexes live   (default: ${XDG_CACHE_HOME:-~/.cache}/cnnfilt-bench/search)
#   CNNFILT_BUILD  libcnnfilt meson build dir             (default: <repo>/build)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$SCRIPT_DIR/../openblas.sh"
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
cd "$SCRIPT_DIR"
PYTHON=/usr/bin/python3

SIZES=${SIZES:-"10000 100000 300000"}
ROUNDS=${ROUNDS:-5}
QUERIES=${QUERIES:-16}
BATCH=${BATCH:-16}
THREADS=${THREADS:-2}
ENGINES=${ENGINES:-"cnnfilt numpy"}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/cnnfilt-bench
DATA=$(realpath -m "${DATA:-$CACHE/search}")
CNNFILT_BUILD=$(realpath -m "${CNNFILT_BUILD:-$REPO_ROOT/build}")
RESULTS=$SCRIPT_DIR/results
TIME=/usr/bin/time

die() { echo "run.sh: $*" >&2; exit 1; }
for v in ROUNDS QUERIES BATCH THREADS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
for n in $SIZES; do [[ $n =~ ^[1-9][0-9]*$ ]] || die "SIZES: '$n' is not a number"; done
for e in $ENGINES; do case $e in cnnfilt|numpy) ;; *) die "unknown engine '$e'" ;; esac; done
[[ -x $TIME ]] || die "$TIME is missing (Debian package: time)"
[[ -f $CNNFILT_BUILD/libcnnfilt/Cnnfilt-1.0.typelib ]] || die "no $CNNFILT_BUILD/libcnnfilt/Cnnfilt-1.0.typelib (build libcnnfilt, or set CNNFILT_BUILD)"

mkdir -p "$RESULTS"
rm -rf "$RESULTS"/*.tsv "$RESULTS"/log "$RESULTS"/report.md "$RESULTS"/topk-*
mkdir -p "$RESULTS/log"
ENV_TSV=$RESULTS/env.tsv
note() { printf 'I\t%s\t%s\n' "$1" "$2" >>"$ENV_TSV"; printf '%-22s %s\n' "$1:" "$2"; }
cnnfilt_env=(GI_TYPELIB_PATH="$CNNFILT_BUILD/libcnnfilt" LD_LIBRARY_PATH="$CNNFILT_BUILD/libcnnfilt${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
             CNNFILT_PLUGIN_PATH="$CNNFILT_BUILD/plugins" PYTHONPATH="$REPO_ROOT/bindings/python")

echo "== Environment"
note "OPENBLAS_CORETYPE" "inherited: ${OPENBLAS_CORETYPE-(unset)}; unset here (OpenBLAS picks its kernels by CPUID)"
unset OPENBLAS_CORETYPE OPENBLAS_VERBOSE
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
note "CPU" "$(grep -m1 -E '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown), nproc $(nproc)"
note "memory" "$(awk '/MemTotal/{printf "%.1f GB total", $2/1048576} /MemAvailable/{printf ", %.1f GB available", $2/1048576}' /proc/meminfo)"
note "kernel" "$(uname -sr)"
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }
note "packages" "python3-numpy $(pkgver python3-numpy), libblas3 $(pkgver libblas3), libopenblas0-pthread $(pkgver libopenblas0-pthread), libsqlite3-0 $(pkgver libsqlite3-0), python3-gi $(pkgver python3-gi)"
note "commit" "$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO_ROOT" diff --quiet HEAD -- libcnnfilt 2>/dev/null || echo ' (libcnnfilt/ modified)')"
note "batch" "$BATCH"
build_stamp() { stat -c '%y' "$CNNFILT_BUILD"/libcnnfilt/libcnnfilt-1.0.so.0.0.0 2>/dev/null | cut -c1-19; }
stamp0=$(build_stamp)
note "cnnfilt build" "library of $stamp0"
note "date" "$(date -u '+%Y-%m-%d %H:%M UTC')"
note "load average at start" "$(cut -d' ' -f1-3 /proc/loadavg) (other load on the machine skews the figures)"

# numpy's BLAS: Debian's numpy calls whatever libblas.so.3 the alternatives
# point at; the reference BLAS (libblas3) is one thread and no kernels of
# its own, which is not what numpy users run (pip's numpy bundles OpenBLAS).
# So the numpy process gets OpenBLAS: the system's when libblas.so.3 is
# OpenBLAS, else libopenblas0-pthread's folder (../openblas.sh), by
# LD_LIBRARY_PATH for that process only.
numpy_env=()
system_blas=$(system_blas)
if [[ $system_blas == *openblas* ]]; then
  note "numpy's BLAS" "$system_blas (the system's libblas.so.3)"
elif ob=$(openblas_dir "$CACHE") && [[ -n $ob ]]; then
  numpy_env=(LD_LIBRARY_PATH="$ob")
  note "numpy's BLAS" "OpenBLAS from $ob (the system's libblas.so.3 is $system_blas)"
else
  note "numpy's BLAS" "$system_blas: no OpenBLAS found, numpy runs the reference BLAS"
fi
echo

# ---------------------------------------------------------------- indexes
echo "== Indexes in $DATA"
mkdir -p "$DATA"
avail_kb=$(awk '/MemAvailable/{print $2}' /proc/meminfo)
sizes=()
for n in $SIZES; do
  need_kb=$((n * 1792 * 4 * 3 / 1024))   # two processes' matrices, and some
  if ((need_kb > avail_kb)); then
    echo "  N=$n SKIPPED: about $((need_kb / 1024)) MB needed, $((avail_kb / 1024)) MB available"
    note "skipped N=$n" "memory: about $((need_kb / 1024)) MB needed, $((avail_kb / 1024)) MB available"
    continue
  fi
  if [[ ! -f $DATA/index-$n.db || ! -f $DATA/X-$n.npy || ! -f $DATA/paths-$n.txt ]]; then
    echo "  making N=$n (one transaction per 10,000 vectors; about a minute per 100,000 here)"
    t0=$(date +%s.%N)
    env "${cnnfilt_env[@]}" $PYTHON bench.py make "$n" "$DATA" --cnnfilt "$CNNFILT_BUILD/bin/cnnfilt" \
      2>"$RESULTS/log/make-$n.err" || { tail -n 5 "$RESULTS/log/make-$n.err"; die "making N=$n failed"; }
    note "made N=$n" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f s", b-a}')"
  fi
  sizes+=("$n")
  printf '  N=%-7s index %6.0f MB, matrix %6.0f MB\n' "$n" "$(($(stat -c %s "$DATA/index-$n.db") / 1000000))" \
    "$(($(stat -c %s "$DATA/X-$n.npy") / 1000000))"
  cat "$DATA/index-$n.db" "$DATA/X-$n.npy" >/dev/null   # into the page cache: no disk in the timings
done
((${#sizes[@]})) || die "no size to run"
echo

# ---------------------------------------------------------------- timing
echo "== Timing: per size, one worker process per engine (${ENGINES}) loads once, then $ROUNDS round(s)"
echo "   of $QUERIES queries each, engines taking turns (order rotated each round)"
export CNNFILT_BUILD
[[ ${#numpy_env[@]} -gt 0 ]] && export NUMPY_BLAS_DIR=${numpy_env[0]#LD_LIBRARY_PATH=}
for n in "${sizes[@]}"; do
  $PYTHON bench.py duel "$n" "$DATA" --rounds "$ROUNDS" --queries "$QUERIES" --engines "$ENGINES" \
    --batch "$BATCH" --threads "$THREADS" --results "$RESULTS" || echo "  N=$n FAILED (see $RESULTS/log/)"
done
note "load average at end" "$(cut -d' ' -f1-3 /proc/loadavg)"
[[ $(build_stamp) == "$stamp0" ]] || note "WARNING" "libcnnfilt was rebuilt during the run (now $(build_stamp))"
echo

$PYTHON report.py "$RESULTS" | tee "$RESULTS/report.md"
echo
echo "(report in $RESULTS/report.md; raw lines in $RESULTS/lines.tsv, procs.tsv, topk.tsv, logs in $RESULTS/log/)"
