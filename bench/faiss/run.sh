#!/usr/bin/env bash
# Approximate search at scale: FAISS (Debian's python3-faiss, 1.7.3, the
# library of libfaiss-dev) IVF-PQ, OPQ + IVF-PQ (each alone, with the top
# 100 or 1,000 rescored in float32, and with an HNSW coarse quantizer) and
# HNSW, against the exact search
# (IndexFlatIP), on N synthetic 1,792-d embeddings modelled on the default
# model's embeddings of real photos. Recall@1 and @10 against the exact top
# 10, latency of one query on one thread, throughput of batches, build time
# and memory. See README.md here.
#
# Made once into $DATA, outside the repository: the real photos'
# embeddings (real.npz), the vectors (X-N.npy: 7.2 GB for 1,000,000), the
# queries with their exact top 10 (Q-N-ROUNDS.npz) and the indexes
# (indexes/KIND-N.faiss: 1.5 GB for HNSW over 200,000). Delete a file to
# make it again. Raw lines and the report go to results/ here (git-ignored).
#
# Environment:
#   N           vectors for IVF-PQ, OPQ and the exact index  (default: 1000000)
#   HNSW_N      vectors for HNSW (and its exact index)      (default: 200000)
#   KINDS       indexes built at N                 (default: ivfpq opq-ivfpq)
#   HNSW_KINDS  indexes built at HNSW_N                     (default: hnsw)
#   ROUNDS      rounds; each has its own 100 held-out and 100 near-duplicate
#               queries, and every configuration answers them in turn
#               (order rotated from round to round)            (default: 5)
#   NLIST, PQ_M, TRAIN, OPQ_ITER   IVF lists, PQ bytes per vector, training
#               vectors, OPQ alternations    (default: 4096, 64, 160000, 10)
#   HNSW_M, EFC HNSW's links per node and efConstruction  (default: 32, 80)
#   THREADS     threads for building and for batches of queries (default: 2);
#               single queries always run on one
#   DATA        (default: ${XDG_CACHE_HOME:-~/.cache}/cnnfilt-bench/faiss)
#   CNNFILT_BUILD  libcnnfilt meson build dir, for embedding the real photos
#               (default: <repo>/build)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$SCRIPT_DIR/../openblas.sh"
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
cd "$SCRIPT_DIR"
PYTHON=/usr/bin/python3
TIME=/usr/bin/time

N=${N:-1000000}
HNSW_N=${HNSW_N:-200000}
KINDS=${KINDS-"ivfpq opq-ivfpq"}
HNSW_KINDS=${HNSW_KINDS-"hnsw"}
ROUNDS=${ROUNDS:-5}
NLIST=${NLIST:-4096}
PQ_M=${PQ_M:-64}
TRAIN=${TRAIN:-160000}
OPQ_ITER=${OPQ_ITER:-10}
HNSW_M=${HNSW_M:-32}
EFC=${EFC:-80}
THREADS=${THREADS:-2}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/cnnfilt-bench
DATA=$(realpath -m "${DATA:-$CACHE/faiss}")
CNNFILT_BUILD=$(realpath -m "${CNNFILT_BUILD:-$REPO_ROOT/build}")
RESULTS=$SCRIPT_DIR/results

die() { echo "run.sh: $*" >&2; exit 1; }
for v in N HNSW_N ROUNDS NLIST PQ_M TRAIN OPQ_ITER HNSW_M EFC THREADS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
(( N % 50000 == 0 && HNSW_N % 50000 == 0 )) || die "N and HNSW_N must be multiples of 50000"
for k in $KINDS $HNSW_KINDS; do case $k in ivfpq|opq-ivfpq|hnsw) ;; *) die "unknown index kind '$k'" ;; esac; done
[[ -x $TIME ]] || die "$TIME is missing (Debian package: time)"
$PYTHON -c 'import faiss' 2>/dev/null || die "FAISS is missing (Debian: apt-get install python3-faiss)"

mkdir -p "$RESULTS/log" "$DATA/indexes"
rm -f "$RESULTS"/*.jsonl "$RESULTS"/*.json "$RESULTS"/env.txt "$RESULTS"/report.md
ENV_TXT=$RESULTS/env.txt
note() { printf -- '- %s: %s\n' "$1" "$2" | tee -a "$ENV_TXT"; }
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }

echo "== Environment"
unset OPENBLAS_CORETYPE OPENBLAS_VERBOSE
# OpenMP threads that wait sleep instead of spinning: on a machine shared
# with other jobs, spinning made FAISS's PQ training 40 times slower
export OMP_WAIT_POLICY=passive OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
note "CPU" "$(grep -m1 -E '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), nproc $(nproc)"
note "memory" "$(awk '/MemTotal/{printf "%.1f GB total", $2/1048576} /MemAvailable/{printf ", %.1f GB available", $2/1048576}' /proc/meminfo)"
note "packages" "python3-faiss $(pkgver python3-faiss), python3-numpy $(pkgver python3-numpy), libopenblas0-pthread $(pkgver libopenblas0-pthread), libblas3 $(pkgver libblas3)"
note "FAISS" "$($PYTHON -c 'import faiss; print(faiss.__version__, faiss.get_compile_options())')"
note "commit" "$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
note "date" "$(date -u '+%Y-%m-%d %H:%M UTC')"
note "load average at start" "$(cut -d' ' -f1-3 /proc/loadavg) (other jobs on the machine slow everything down)"
note "settings" "N=$N HNSW_N=$HNSW_N ROUNDS=$ROUNDS NLIST=$NLIST PQ_M=$PQ_M TRAIN=$TRAIN OPQ_ITER=$OPQ_ITER HNSW_M=$HNSW_M EFC=$EFC THREADS=$THREADS"

# FAISS and numpy call whatever libblas.so.3 / liblapack.so.3 the
# alternatives point at; Debian's default is the reference BLAS (one
# thread, no tuned kernels: k-means and the exact top 10 would take hours).
# As in bench/search, OpenBLAS is put first on LD_LIBRARY_PATH for these
# processes only: the system's, else libopenblas0-pthread unpacked into the
# cache (apt-get download; nothing installed).
system_blas=$(system_blas)
if [[ $system_blas == *openblas* ]]; then
  note "BLAS" "$system_blas (the system's libblas.so.3)"
else
  ob=$(openblas_dir "$CACHE")
  [[ -n $ob ]] || die "no OpenBLAS (libopenblas0-pthread) found"
  export LD_LIBRARY_PATH=$ob${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  note "BLAS" "OpenBLAS from $ob (the system's libblas.so.3 is $system_blas)"
fi
echo

echo "== Data in $DATA"
if [[ ! -f $DATA/real.npz ]]; then
  [[ -x $CNNFILT_BUILD/bin/cnnfilt ]] || die "no $CNNFILT_BUILD/bin/cnnfilt to embed the real photos (build, or set CNNFILT_BUILD)"
  CNNFILT_PLUGIN_PATH=$CNNFILT_BUILD/plugins OMP_THREAD_LIMIT=$THREADS \
    $PYTHON bench.py real "$DATA" --cnnfilt "$CNNFILT_BUILD/bin/cnnfilt"
fi
sizes=$N
[[ -n $HNSW_KINDS && $HNSW_N != "$N" ]] && sizes="$N $HNSW_N"
for n in $sizes; do
  need_kb=$((n * 1792 * 4 / 1024 + 2 * 1048576))
  avail_kb=$(awk '/MemAvailable/{print $2}' /proc/meminfo)
  ((need_kb < avail_kb)) || die "N=$n needs about $((need_kb / 1024)) MB, $((avail_kb / 1024)) MB available"
  if [[ ! -f $DATA/X-$n.npy || ! -f $DATA/Q-$n-$ROUNDS.npz || ! -f $DATA/realism-$n.json ]]; then
    echo "  making N=$n: vectors, $((ROUNDS * 200)) queries, their exact top 10"
    $TIME -v -o "$RESULTS/log/make-$n.time" $PYTHON bench.py make "$n" "$DATA" --rounds "$ROUNDS" \
      >"$RESULTS/log/make-$n.out" 2>"$RESULTS/log/make-$n.err" || { tail -n 5 "$RESULTS/log/make-$n.err"; die "make N=$n failed"; }
  fi
  cp "$DATA/realism-$n.json" "$RESULTS/"
done
echo

echo "== Indexes in $DATA/indexes (built when missing; one build each)"
build() {  # KIND N
  local idx=$DATA/indexes/$1-$2.faiss
  if [[ -f $idx && -f $idx.json ]]; then
    echo "  $1 N=$2: kept ($(du -h "$idx" | cut -f1))"
  else
    echo "  $1 N=$2: building ($(date -u +%H:%M))"
    $TIME -v -o "$RESULTS/log/build-$1-$2.time" $PYTHON bench.py build "$1" "$2" "$DATA" --out "$DATA/indexes" \
      --threads "$THREADS" --nlist "$NLIST" --m "$PQ_M" --train "$TRAIN" --opq-iter "$OPQ_ITER" \
      --M "$HNSW_M" --efc "$EFC" >"$idx.json.tmp" 2>"$RESULTS/log/build-$1-$2.err" ||
      { tail -n 5 "$RESULTS/log/build-$1-$2.err"; die "building $1 N=$2 failed"; }
    mv "$idx.json.tmp" "$idx.json"
  fi
  cat "$idx.json" >>"$RESULTS/builds.jsonl"
}
for k in $KINDS; do build "$k" "$N"; done
for k in $HNSW_KINDS; do build "$k" "$HNSW_N"; done
echo

echo "== Searching: $ROUNDS rounds, every configuration in turn"
search() {  # N KIND...
  local n=$1 dir=$RESULTS/indexes-$1
  shift
  rm -rf "$dir" && mkdir -p "$dir"
  for k in "$@"; do ln -s "$DATA/indexes/$k-$n.faiss" "$dir/"; done
  $TIME -v -o "$RESULTS/log/search-$n.time" $PYTHON bench.py search "$n" "$DATA" --indexes "$dir" \
    --results "$RESULTS" --rounds "$ROUNDS" --threads "$THREADS" 2> >(tee "$RESULTS/log/search-$n.err" >&2) ||
    die "search N=$n failed"
  rm -rf "$dir"
}
# shellcheck disable=SC2086
if [[ $HNSW_N == "$N" ]]; then
  search "$N" $KINDS $HNSW_KINDS
else
  search "$N" $KINDS
  [[ -n $HNSW_KINDS ]] && search "$HNSW_N" $HNSW_KINDS
fi
note "load average at end" "$(cut -d' ' -f1-3 /proc/loadavg)"
echo

$PYTHON bench.py report "$RESULTS" | tee "$RESULTS/report.md"
echo
echo "(report in $RESULTS/report.md; raw lines in $RESULTS/*.jsonl, logs and /usr/bin/time -v output in $RESULTS/log/)"
