#!/usr/bin/env bash
# OpenCL benchmark: cnnfilt's cpu and opencl devices side by side with OpenCV
# dnn's OpenCL path (forced onto the same OpenCL device, PoCL here) and its
# CPU path, in one run. Three parts, see README.md in this folder:
#   1. edges   cnnfilt edges --device cpu|opencl on BENCH_IMAGES 1920x1080
#              JPEG photos, whole process, images/s
#   2. filter  Graph 'sobel' on one 4096x4096 float image through the Python
#              bindings: ms per run with the readback, and without it
#   3. models  ResNet-18 and MobileNetV2 at batch 1 and 8, ms per image:
#              cnnfilt cpu, cnnfilt opencl, OpenCV dnn OpenCL, OpenCV dnn CPU
# Every case is one process under /usr/bin/time -v (peak RSS), except
# OpenCV's OpenCL path, which keeps one process per model and batch for all
# rounds (its set-up takes 5-50 s in every process); engines are interleaved
# within each round (their order rotates from round to round); the report
# gives the median over rounds, the spread (min-max) and ratios.
#
# Nothing is written inside the repository. Work dir: BENCH_DIR.
#
# Environment (defaults in brackets):
#   BENCH_ROUNDS          rounds, each running every case once             [5]
#   BENCH_DIR             work dir: photos, outputs, logs, OpenCL program
#                         caches (XDG_CACHE_HOME), results   [/tmp/cnnfilt-bench-opencl]
#   BENCH_SECTIONS        subset of: edges filter models   [edges filter models]
#   BENCH_IMAGES          photos for the edge preset                        [50]
#   BENCH_FILTER          pipeline of the filter part                    [sobel]
#   BENCH_FILTER_SIZE     its image is SIZE x SIZE, one channel           [4096]
#   BENCH_MODELS          subset of: resnet18 mobilenet_v2  [resnet18 mobilenet_v2]
#   BENCH_BATCHES         batch sizes                                      [1 8]
#   BENCH_ENGINES         subset of: cnnfilt-cpu cnnfilt-opencl opencv-opencl opencv-cpu [all]
#   BENCH_OCV_CL_BATCHES  batches OpenCV's OpenCL path runs (about 1 s per
#                         image on PoCL: "1" shrinks a smoke run) [BENCH_BATCHES]
#   BENCH_OCV_CL_REPS     timed runs per round for OpenCV's OpenCL path      [2]
#   BENCH_MIN_TIME        seconds of timed runs per case, other engines    [0.5]
#   BENCH_MIN_REPS        timed runs at least, other engines                 [5]
#   BENCH_MODEL_DIR       models as tests/models/make-models.py writes them
#                         [<repo>/build/tests/models, else made into $BENCH_DIR/models]
#   BENCH_OPENCL_DEVICE   cnnfilt's OpenCL device spec                  [opencl]
#   BENCH_OCV_OPENCL_DEVICE  OPENCV_OPENCL_DEVICE for OpenCV          [:CPU:0]
#   CNNFILT_BUILD         libcnnfilt meson build dir                [<repo>/build]
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
PYTHON=/usr/bin/python3
TIME=/usr/bin/time

BENCH_ROUNDS=${BENCH_ROUNDS:-5}
BENCH_DIR=${BENCH_DIR:-/tmp/cnnfilt-bench-opencl}
BENCH_SECTIONS=${BENCH_SECTIONS:-"edges filter models"}
BENCH_IMAGES=${BENCH_IMAGES:-50}
BENCH_FILTER=${BENCH_FILTER:-sobel}
BENCH_FILTER_SIZE=${BENCH_FILTER_SIZE:-4096}
BENCH_MODELS=${BENCH_MODELS:-"resnet18 mobilenet_v2"}
BENCH_BATCHES=${BENCH_BATCHES:-"1 8"}
BENCH_ENGINES=${BENCH_ENGINES:-"cnnfilt-cpu cnnfilt-opencl opencv-opencl opencv-cpu"}
BENCH_OCV_CL_BATCHES=${BENCH_OCV_CL_BATCHES:-$BENCH_BATCHES}
BENCH_OCV_CL_REPS=${BENCH_OCV_CL_REPS:-2}
BENCH_MIN_TIME=${BENCH_MIN_TIME:-0.5}
BENCH_MIN_REPS=${BENCH_MIN_REPS:-5}
BENCH_OPENCL_DEVICE=${BENCH_OPENCL_DEVICE:-opencl}
BENCH_OCV_OPENCL_DEVICE=${BENCH_OCV_OPENCL_DEVICE:-:CPU:0}
CNNFILT_BUILD=$(realpath -m "${CNNFILT_BUILD:-$REPO_ROOT/build}")
CNNFILT=$CNNFILT_BUILD/bin/cnnfilt

die() { echo "run.sh: $*" >&2; exit 1; }
posint() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer (got '$2')"; }
posint BENCH_ROUNDS "$BENCH_ROUNDS"
posint BENCH_IMAGES "$BENCH_IMAGES"
posint BENCH_FILTER_SIZE "$BENCH_FILTER_SIZE"
posint BENCH_OCV_CL_REPS "$BENCH_OCV_CL_REPS"
posint BENCH_MIN_REPS "$BENCH_MIN_REPS"
[[ $BENCH_MIN_TIME =~ ^[0-9]*\.?[0-9]+$ ]] || die "BENCH_MIN_TIME must be a number of seconds"
for b in $BENCH_BATCHES $BENCH_OCV_CL_BATCHES; do posint "a batch size" "$b"; done
for s in $BENCH_SECTIONS; do
  case $s in edges|filter|models) ;; *) die "unknown section '$s' in BENCH_SECTIONS" ;; esac
done
for m in $BENCH_MODELS; do
  case $m in resnet18|mobilenet_v2) ;; *) die "unknown model '$m' in BENCH_MODELS" ;; esac
done
for e in $BENCH_ENGINES; do
  case $e in cnnfilt-cpu|cnnfilt-opencl|opencv-opencl|opencv-cpu) ;;
    *) die "unknown engine '$e' in BENCH_ENGINES" ;; esac
done
BENCH_DIR=$(realpath -m "$BENCH_DIR")
case "$BENCH_DIR/" in
  "$REPO_ROOT"/*) die "BENCH_DIR must be outside the repository ($BENCH_DIR)" ;;
esac
want_section() { [[ " $BENCH_SECTIONS " == *" $1 "* ]]; }
want_engine() { [[ " $BENCH_ENGINES " == *" $1 "* ]]; }

PHOTOS=$BENCH_DIR/photos
OUT=$BENCH_DIR/out
LOGS=$BENCH_DIR/logs
RESULTS=$BENCH_DIR/results
RAW=$RESULTS/raw.tsv
mkdir -p "$OUT" "$LOGS" "$RESULTS" "$BENCH_DIR/cache"
rm -rf "${LOGS:?}"/* "$RAW" "$RESULTS/report.txt"

# One place for every OpenCL program cache: cnnfilt's
# ($XDG_CACHE_HOME/cnnfilt/opencl), PoCL's kcache and OpenCV's opencl_cache.
export XDG_CACHE_HOME=$BENCH_DIR/cache
export OPENCV_OPENCL_DEVICE=$BENCH_OCV_OPENCL_DEVICE OPENCV_DNN_OPENCL_ALLOW_ALL_DEVICES=1
export BENCH_OPENCL_DEVICE
export CNNFILT_PLUGIN_PATH=$CNNFILT_BUILD/plugins GI_TYPELIB_PATH=$CNNFILT_BUILD/libcnnfilt
export LD_LIBRARY_PATH=$CNNFILT_BUILD/libcnnfilt${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# An inherited OPENBLAS_CORETYPE (this project's environment sets Haswell)
# pins OpenBLAS's kernels; let it pick by CPUID, as bench/models does.
inherited_coretype=${OPENBLAS_CORETYPE-(unset)}
unset OPENBLAS_CORETYPE CNNFILT_DEVICE CNNFILT_TRACE

# raw.tsv: ROUND SECTION ENGINE CASE KIND KEY VALUE (round 0: setup and warm-up)
record() { local IFS=$'\t'; printf '%s\n' "$*" >>"$RAW"; }

start_s=$(date +%s)

# ---------------------------------------------------------------- machine
echo "== Machine and devices"
cpu_model=$(grep -m1 -E '^(model name|Model|Hardware)' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }
info() { record 0 info run - I "$1" "$2"; printf '%-22s %s\n' "$1:" "$2"; }
info "CPU" "${cpu_model:-unknown}, nproc $(nproc)"
info "kernel" "$(uname -sr)"
info "memory" "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
info "load at start" "$(cut -d' ' -f1-3 /proc/loadavg) (other load on the machine skews the figures)"
info "commit" "$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO_ROOT" diff --quiet HEAD -- libcnnfilt plugins 2>/dev/null || echo ' (libcnnfilt/ or plugins/ modified)')"
info "date" "$(date -u '+%Y-%m-%d %H:%M UTC')"
info "packages" "python3-opencv $(pkgver python3-opencv), pocl-opencl-icd $(pkgver pocl-opencl-icd), ocl-icd-libopencl1 $(pkgver ocl-icd-libopencl1)"
info "OPENBLAS_CORETYPE" "inherited: $inherited_coretype; unset for this benchmark"
info "XDG_CACHE_HOME" "$XDG_CACHE_HOME (OpenCL program caches of cnnfilt, PoCL and OpenCV)"
info "OpenCV OpenCL env" "OPENCV_OPENCL_DEVICE=$OPENCV_OPENCL_DEVICE OPENCV_DNN_OPENCL_ALLOW_ALL_DEVICES=1"

[[ -x $CNNFILT ]] || die "no cnnfilt binary at $CNNFILT (build it first, or set CNNFILT_BUILD)"
[[ -f $CNNFILT_BUILD/libcnnfilt/Cnnfilt-1.0.typelib ]] ||
  die "no $CNNFILT_BUILD/libcnnfilt/Cnnfilt-1.0.typelib (build libcnnfilt with introspection)"
info "cnnfilt" "$CNNFILT ($("$CNNFILT" --version 2>/dev/null | head -n1 || true))"
echo "cnnfilt devices:"
"$CNNFILT" devices | tee "$LOGS/devices.txt" | sed 's/^/  /'
while IFS= read -r line; do record 0 info "cnnfilt devices" - I device "$line"; done <"$LOGS/devices.txt"
grep -q '^opencl' "$LOGS/devices.txt" || die "'cnnfilt devices' lists no OpenCL device"
"$PYTHON" "$SCRIPT_DIR/bench.py" info >"$LOGS/info.out" 2>"$LOGS/info.err" || true
grep -P '^[IW]\t' "$LOGS/info.out" | sed 's/^[IW]\t//; s/\t/: /' | sed 's/^/  /' || true
grep -P '^[IW]\t' "$LOGS/info.out" | while IFS=$'\t' read -r kind key value; do
  record 0 info bench.py - "$kind" "$key" "$value"; done || true
echo

# ---------------------------------------------------------------- cases
# run_case ROUND SECTION ENGINE CASE -- COMMAND...: runs COMMAND under
# /usr/bin/time -v, keeps its R/I/W/S lines and records its wall time, exit
# status and peak RSS. Returns COMMAND's exit status.
run_case() {
  local round=$1 section=$2 engine=$3 case=$4; shift 5
  local log=$LOGS/r$round-$section-$engine-${case//\//-}
  local t0 t1 status=0
  t0=$(date +%s.%N)
  "$TIME" -v -o "$log.time" "$@" >"$log.out" 2>"$log.err" || status=$?
  t1=$(date +%s.%N)
  { grep -P '^[RIWS]\t' "$log.out" || true; } | while IFS=$'\t' read -r kind key value; do
    if [[ $kind == S ]]; then record "$round" "$section" "$engine" "$case" S reason "$key"
    else record "$round" "$section" "$engine" "$case" "$kind" "$key" "$value"; fi
  done
  local rss
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$log.time" 2>/dev/null || true)
  [[ -n $rss ]] && record "$round" "$section" "$engine" "$case" R rss_kib "$rss"
  record "$round" "$section" "$engine" "$case" R wall_s "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
  if [[ $status -ne 0 ]]; then
    local why
    why=$(grep -v -e '^\s*$' -e 'Command exited with non-zero status' "$log.err" 2>/dev/null | tail -n 1 | cut -c1-300)
    record "$round" "$section" "$engine" "$case" S reason "exit status $status: ${why:-see $log.err}"
  fi
  return $status
}

# cnnfilt's trace ("cnnfilt trace: NODE (OP) on DEVICE ..." or "... on cpu
# instead of DEVICE ...") summarised: where the ops of the case ran.
record_trace() {   # record_trace SECTION ENGINE CASE ERRLOG
  local on dev fallback
  on=$(grep -c '^cnnfilt trace: .* on opencl' "$4" || true)
  fallback=$(grep '^cnnfilt trace: .* on cpu instead of' "$4" | sed -E 's/^cnnfilt trace: [^ ]+ \(([^)]*)\).*/\1/' |
             sort | uniq -c | awk '{ printf "%s%s x%d", (NR > 1 ? ", " : ""), $2, $1 }' || true)
  dev=$(grep -m1 -oE ' on opencl:[0-9]+:[0-9]+' "$4" | sed 's/^ on //' || true)
  record 0 "$1" "$2" "$3" I trace "$on op(s) on ${dev:-the OpenCL device}; on the CPU instead: ${fallback:-none}"
}

models_active=()
model_dir=""
if want_section models; then
  echo "== Models"
  make_script=$REPO_ROOT/tests/models/make-models.py
  model_dir=$(realpath -m "${BENCH_MODEL_DIR:-$REPO_ROOT/build/tests/models}")
  missing=()
  for m in $BENCH_MODELS; do
    for f in model.onnx input.npy expected.npy; do
      [[ -f $model_dir/$m/$f ]] || { missing+=("$m"); break; }
    done
  done
  if ((${#missing[@]})) && [[ -z ${BENCH_MODEL_DIR:-} ]]; then
    model_dir=$BENCH_DIR/models
    to_make=()
    for m in "${missing[@]}"; do
      [[ -f $model_dir/$m/model.onnx && -f $model_dir/$m/input.npy && -f $model_dir/$m/expected.npy ]] || to_make+=("$m")
    done
    if ((${#to_make[@]})); then
      echo "not in build/tests/models: ${missing[*]}; exporting ${to_make[*]} into $model_dir with tests/models/make-models.py"
      "$PYTHON" "$make_script" "$model_dir" "${to_make[@]}" >"$LOGS/make-models.log" 2>&1 ||
        { echo "make-models.py failed (needs python3-torch, python3-torchvision, python3-onnx):"; tail -n 3 "$LOGS/make-models.log" | sed 's/^/  /'; }
    fi
    # the models that were there stay where they are: link them in
    for m in $BENCH_MODELS; do
      src=$REPO_ROOT/build/tests/models/$m
      [[ ! -e $model_dir/$m && -f $src/model.onnx ]] && { mkdir -p "$model_dir"; ln -s "$src" "$model_dir/$m"; }
    done
  fi
  for m in $BENCH_MODELS; do
    if [[ -f $model_dir/$m/model.onnx && -f $model_dir/$m/input.npy && -f $model_dir/$m/expected.npy ]]; then
      models_active+=("$m")
      printf '  %-13s %s\n' "$m" "$model_dir/$m/model.onnx"
    else
      printf '  %-13s SKIPPED - no model.onnx/input.npy/expected.npy in %s\n' "$m" "$model_dir/$m"
      record 0 models - "$m" W skipped "no model.onnx/input.npy/expected.npy in $model_dir/$m"
    fi
  done
  echo
fi

if want_section edges; then
  echo "== Photos"
  "$PYTHON" "$REPO_ROOT/bench/edges/make-images.py" --count "$BENCH_IMAGES" "$PHOTOS"
  n_inputs=$(find "$PHOTOS" -maxdepth 1 -type f -name 'photo-*.jpg' | wc -l)
  [[ $n_inputs -eq $BENCH_IMAGES ]] || die "$PHOTOS holds $n_inputs photos, expected $BENCH_IMAGES"
  [[ $BENCH_IMAGES -lt 50 ]] && echo "warning: only $BENCH_IMAGES photos; the issue asks for 50"
  cat "$PHOTOS"/*.jpg >/dev/null   # page cache
  echo
fi

ocv_cl_runs() { [[ " $BENCH_OCV_CL_BATCHES " == *" $1 "* ]]; }

run_model() {   # run_model ROUND ENGINE MODEL BATCH [--warm-only]
  local round=$1 e=$2 m=$3 n=$4; shift 4
  run_case "$round" model "$e" "$m/b$n" -- "$PYTHON" "$SCRIPT_DIR/bench.py" model "$e" "$model_dir" "$m" "$n" \
    --min-time "$BENCH_MIN_TIME" --min-reps "$BENCH_MIN_REPS" --ocv-cl-reps "$BENCH_OCV_CL_REPS" "$@"
}

# OpenCV's OpenCL path sets itself up for 5 s (batch 1) to 50 s (batch 8) on
# its first forward pass in every process, program cache or not: it runs in
# one process per model and batch for the whole benchmark ("bench.py model
# --serve"), asked for one round at a time through a FIFO.
declare -A SRV_W=() SRV_R=() SRV_PID=() SRV_DIR=()
server_read() {   # server_read KEY ROUND ENGINE CASE: records lines up to "D"; 1 at end of output
  local key=$1 round=$2 e=$3 c=$4 line kind k v
  while IFS= read -r -u "${SRV_R[$key]}" line; do
    printf '%s\n' "$line" >>"${SRV_DIR[$key]}/out.log"
    [[ $line =~ ^[RIWSD]$'\t' ]] || continue
    IFS=$'\t' read -r kind k v <<<"$line"
    case $kind in
      D) return 0 ;;
      S) record "$round" model "$e" "$c" S reason "$k" ;;
      *) record "$round" model "$e" "$c" "$kind" "$k" "$v" ;;
    esac
  done
  return 1
}
server_stop() {   # server_stop KEY ENGINE CASE: ends it, records its last lines and its peak RSS
  local key=$1 e=$2 c=$3 status=0 rss
  local w=${SRV_W[$key]} r=${SRV_R[$key]}
  # other processes inherited this FIFO's write end: say quit rather than
  # wait for an end of file (in a subshell: a SIGPIPE if it ended ends that only)
  (printf 'quit\n' >&"$w") 2>/dev/null || true
  exec {w}>&-
  while server_read "$key" 0 "$e" "$c"; do :; done
  exec {r}<&-
  wait "${SRV_PID[$key]}" || status=$?
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "${SRV_DIR[$key]}/time" 2>/dev/null || true)
  [[ -n $rss ]] && record 0 model "$e" "$c" R rss_kib "$rss"
  [[ $status -ne 0 ]] && record 0 model "$e" "$c" W exit "exit status $status (see ${SRV_DIR[$key]}/err)"
  unset "SRV_PID[$key]"
  return 0
}
server_start() {   # server_start ENGINE MODEL BATCH: starts it and waits for its warm-up
  local e=$1 m=$2 n=$3 key="$1 $2 $3" dir=$LOGS/server-$1-$2-b$3 w r
  mkdir -p "$dir"
  rm -f "$dir/in" "$dir/out"
  mkfifo "$dir/in" "$dir/out"
  "$TIME" -v -o "$dir/time" "$PYTHON" "$SCRIPT_DIR/bench.py" model "$e" "$model_dir" "$m" "$n" \
    --min-time "$BENCH_MIN_TIME" --min-reps "$BENCH_MIN_REPS" --ocv-cl-reps "$BENCH_OCV_CL_REPS" --serve \
    <"$dir/in" >"$dir/out" 2>"$dir/err" &
  SRV_PID[$key]=$!
  SRV_DIR[$key]=$dir
  exec {w}>"$dir/in"
  exec {r}<"$dir/out"
  SRV_W[$key]=$w
  SRV_R[$key]=$r
  if ! server_read "$key" 0 "$e" "$m/b$n"; then
    server_stop "$key" "$e" "$m/b$n"
    return 1
  fi
}
server_round() {   # server_round ROUND ENGINE MODEL BATCH
  local round=$1 e=$2 m=$3 n=$4 key="$2 $3 $4"
  [[ -n ${SRV_PID[$key]:-} ]] || return 1
  if ! (printf 'run %s\n' "$round" >&"${SRV_W[$key]}") 2>/dev/null || ! server_read "$key" "$round" "$e" "$m/b$n"; then
    record "$round" model "$e" "$m/b$n" S reason "its process ended (see ${SRV_DIR[$key]}/err)"
    server_stop "$key" "$e" "$m/b$n"
    return 1
  fi
}

# ---------------------------------------------------------------- warm-up
echo "== Warm-up: fill the OpenCL program caches in $XDG_CACHE_HOME (not timed)"
if want_section edges; then
  mkdir -p "$OUT/warm"
  for d in cpu opencl; do
    dev=$d; [[ $d == opencl ]] && dev=$BENCH_OPENCL_DEVICE
    t0=$(date +%s.%N)
    CNNFILT_TRACE=1 run_case 0 edges "$d" warm -- "$CNNFILT" edges --device "$dev" -o "$OUT/warm" --quiet \
      "$PHOTOS/photo-0000.jpg" || echo "  edges $d FAILED (see $LOGS/r0-edges-$d-warm.err)"
    [[ $d == opencl ]] && record_trace edges opencl edges "$LOGS/r0-edges-$d-warm.err"
    printf '  %-32s %6.1f s\n' "edges --device $dev, 1 photo" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')"
  done
fi
if want_section filter; then
  t0=$(date +%s.%N)
  CNNFILT_TRACE=1 run_case 0 filter opencl warm -- "$PYTHON" "$SCRIPT_DIR/bench.py" filter "$BENCH_OPENCL_DEVICE" \
    --pipeline "$BENCH_FILTER" --size "$BENCH_FILTER_SIZE" --warm-only ||
    echo "  filter opencl FAILED (see $LOGS/r0-filter-opencl-warm.err)"
  record_trace filter opencl filter "$LOGS/r0-filter-opencl-warm.err"
  printf '  %-32s %6.1f s\n' "filter '$BENCH_FILTER' on opencl" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')"
fi
for m in "${models_active[@]}"; do
  for n in $BENCH_BATCHES; do
    for e in cnnfilt-opencl opencv-opencl; do
      want_engine "$e" || continue
      [[ $e == opencv-opencl ]] && ! ocv_cl_runs "$n" && continue
      t0=$(date +%s.%N)
      if [[ $e == opencv-opencl ]]; then
        if server_start "$e" "$m" "$n"; then note=" (its process stays, for the rounds)"
        else note=" FAILED: $(grep -m1 -oP '^S\t\K.{0,60}' "$LOGS/server-$e-$m-b$n/out.log" || echo "see $LOGS/server-$e-$m-b$n/err")"; fi
      else
        CNNFILT_TRACE=1 run_model 0 "$e" "$m" "$n" --warm-only ||
          echo "  $e $m b$n FAILED (see $LOGS/r0-model-$e-$m-b$n.err)"
        record_trace model "$e" "$m/b$n" "$LOGS/r0-model-$e-$m-b$n.err"
        note=""
      fi
      printf '  %-32s %6.1f s%s\n' "$e $m batch $n" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" "$note"
    done
  done
done
if [[ -d $XDG_CACHE_HOME/opencv ]]; then
  record 0 model opencv-opencl - I opencv_cache "$(find "$XDG_CACHE_HOME/opencv" -name 'dnn--*.bin' | wc -l) dnn and $(find "$XDG_CACHE_HOME/opencv" -name '*.bin' ! -name 'dnn--*' | wc -l) other OpenCL programs in OpenCV's cache ($(find "$XDG_CACHE_HOME/opencv" -mindepth 3 -maxdepth 3 -type d -printf '%f' | head -c 200))"
fi
echo

# ---------------------------------------------------------------- rounds
rotate() {   # rotate K WORDS...: the words, starting at the K-th (mod count)
  local k=$1; shift
  local n=$# i
  for ((i = 0; i < n; i++)); do
    local j=$(( (i + k) % n + 1 ))
    printf '%s ' "${!j}"
  done
}

engines_active=()
for e in cnnfilt-cpu cnnfilt-opencl opencv-opencl opencv-cpu; do want_engine "$e" && engines_active+=("$e"); done

echo "== Timing: $BENCH_ROUNDS round(s); engines interleaved, their order rotating each round"
for round in $(seq 1 "$BENCH_ROUNDS"); do
  r0=$(date +%s)
  line="  round $round:"
  if want_section edges; then
    for d in $(rotate $((round - 1)) cpu opencl); do
      dev=$d; [[ $d == opencl ]] && dev=$BENCH_OPENCL_DEVICE
      outdir=$OUT/$d
      rm -rf "$outdir"; mkdir -p "$outdir"
      if run_case "$round" edges "$d" photos -- "$CNNFILT" edges --device "$dev" -o "$outdir" --quiet "$PHOTOS"; then
        n_png=$(find "$outdir" -type f -name '*.png' | wc -l)
        if [[ $n_png -eq $BENCH_IMAGES ]]; then
          secs=$(awk -F'\t' -v r="$round" -v d="$d" '$1 == r && $2 == "edges" && $3 == d && $6 == "wall_s" { v = $7 } END { print v }' "$RAW")
          record "$round" edges "$d" photos R seconds "$secs"
          line+=" edges-$d ${secs}s"
        else
          record "$round" edges "$d" photos S reason "wrote $n_png PNG files for $BENCH_IMAGES photos"
          line+=" edges-$d FAILED"
        fi
      else
        line+=" edges-$d FAILED"
      fi
    done
  fi
  if want_section filter; then
    for d in $(rotate $((round - 1)) cpu opencl); do
      dev=$d; [[ $d == opencl ]] && dev=$BENCH_OPENCL_DEVICE
      run_case "$round" filter "$d" filter -- "$PYTHON" "$SCRIPT_DIR/bench.py" filter "$dev" \
        --pipeline "$BENCH_FILTER" --size "$BENCH_FILTER_SIZE" || line+=" filter-$d FAILED"
    done
    line+=" filter done"
  fi
  for m in "${models_active[@]}"; do
    for n in $BENCH_BATCHES; do
      for e in $(rotate $((round - 1)) "${engines_active[@]}"); do
        if [[ $e == opencv-opencl ]]; then
          ocv_cl_runs "$n" && { server_round "$round" "$e" "$m" "$n" || true; }
          continue
        fi
        run_model "$round" "$e" "$m" "$n" || true
      done
    done
  done
  ((${#models_active[@]})) && line+=" models done"
  echo "$line ($(($(date +%s) - r0)) s, load $(cut -d' ' -f1 /proc/loadavg))"
done
record 0 info run - I "load at end" "$(cut -d' ' -f1-3 /proc/loadavg)"
for key in "${!SRV_PID[@]}"; do
  read -r e m n <<<"$key"
  server_stop "$key" "$e" "$m/b$n"
done
echo

# ---------------------------------------------------------------- checks
if want_section edges && [[ -f $OUT/cpu/photo-0000.png && -f $OUT/opencl/photo-0000.png ]]; then
  run_case 0 check opencl edges -- "$PYTHON" "$SCRIPT_DIR/bench.py" pngdiff "$OUT/cpu/photo-0000.png" "$OUT/opencl/photo-0000.png" || true
fi
record 0 info run - I "total time" "$(($(date +%s) - start_s)) s"

# ---------------------------------------------------------------- report
"$PYTHON" "$SCRIPT_DIR/report.py" "$RAW" \
  --images "$BENCH_IMAGES" --filter "$BENCH_FILTER" --size "$BENCH_FILTER_SIZE" \
  --rounds "$BENCH_ROUNDS" --ocv-cl-reps "$BENCH_OCV_CL_REPS" | tee "$RESULTS/report.txt"
echo
echo "(report in $RESULTS/report.txt; raw lines in $RAW; per-process logs in $LOGS)"
