#!/usr/bin/env bash
# Scale-out benchmark: images/s of `embed` over one folder of >= 200 photos,
# plain `cnnfilt embed` against cnnfilt.dask on 1 and 2 worker processes
# (LocalCluster) and the Slurm job array of contrib/slurm on a one-node
# cluster (tests/cluster/slurm-cluster.sh; skipped, with the reason, where
# it cannot start). Engines interleaved, order rotated each round; medians,
# spread and overhead against the plain run. See README.md here.
#
# Environment:
#   ROUNDS         rounds over the engines                     (default: 5)
#   ENGINES        subset of plain,dask-1,dask-2,slurm         (default: all)
#   PHOTOS         the photo folder (default: bench/embed's mixed/ folder in
#                  ${XDG_CACHE_HOME:-~/.cache}/cnnfilt-bench/photos when it
#                  is there, else 220 JPEGs made from samples/ by
#                  make_photos.py into .../cnnfilt-bench/scale-photos)
#   CNNFILT_BUILD  libcnnfilt meson build dir                  (default: <repo>/build)
#
# Writes results/runs.jsonl (one line per run) and results/report.md (git-ignored).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
PYTHON=/usr/bin/python3
ROUNDS=${ROUNDS:-5}
ENGINES=${ENGINES:-plain,dask-1,dask-2,slurm}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/cnnfilt-bench
CNNFILT_BUILD=$(realpath -m "${CNNFILT_BUILD:-$REPO_ROOT/build}")
RESULTS=$SCRIPT_DIR/results

die() { echo "run.sh: $*" >&2; exit 1; }
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
[[ -x $CNNFILT_BUILD/bin/cnnfilt ]] || die "no $CNNFILT_BUILD/bin/cnnfilt (build first)"
$PYTHON -c 'import distributed' 2>/dev/null ||
  die "dask.distributed is missing (Debian: apt-get install python3-distributed)"

if [[ -z ${PHOTOS:-} ]]; then
  if [[ -d $CACHE/photos/mixed ]] && (( $(ls "$CACHE/photos/mixed" | wc -l) >= 200 )); then
    PHOTOS=$CACHE/photos/mixed
  else
    PHOTOS=$CACHE/scale-photos
    $PYTHON "$SCRIPT_DIR/make_photos.py" "$PHOTOS"
  fi
fi
PHOTOS=$(realpath -e "$PHOTOS")
count=$(find "$PHOTOS" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \) | wc -l)
(( count >= 200 )) || die "$PHOTOS holds $count photos; the benchmark wants 200 or more"

export GI_TYPELIB_PATH=$CNNFILT_BUILD/libcnnfilt${GI_TYPELIB_PATH:+:$GI_TYPELIB_PATH}
export LD_LIBRARY_PATH=$CNNFILT_BUILD/libcnnfilt${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export CNNFILT_PLUGIN_PATH=$CNNFILT_BUILD/plugins CNNFILT_DEVICE=cpu
export PYTHONPATH=$REPO_ROOT/bindings/python${PYTHONPATH:+:$PYTHONPATH}
export PYTHONDONTWRITEBYTECODE=1
unset OMP_NUM_THREADS OMP_THREAD_LIMIT

mkdir -p "$RESULTS"
rm -f "$RESULTS/runs.jsonl"
{
  echo "- photos: $PHOTOS ($count files, $(du -sh "$PHOTOS" | cut -f1))"
  echo "- CPU: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), nproc $(nproc)"
  echo "- memory: $(awk '/MemTotal/{printf "%.1f GB", $2/1048576}' /proc/meminfo)"
  echo "- python3-distributed $(dpkg-query -W -f='${Version}' python3-distributed 2>/dev/null || echo '?'), slurmd $(dpkg-query -W -f='${Version}' slurmd 2>/dev/null || echo 'not installed')"
  echo "- commit: $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
} >"$RESULTS/report.md"
$PYTHON "$SCRIPT_DIR/bench.py" --cnnfilt "$CNNFILT_BUILD/bin/cnnfilt" --photos "$PHOTOS" \
  --rounds "$ROUNDS" --engines "$ENGINES" --out "$RESULTS/runs.jsonl"
$PYTHON "$SCRIPT_DIR/report.py" "$RESULTS/runs.jsonl" >>"$RESULTS/report.md"
cat "$RESULTS/report.md"
