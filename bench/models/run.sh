#!/usr/bin/env bash
# Whole-model benchmark: ResNet-18, VGG-16, AlexNet, MobileNetV2, ResNet-50,
# EfficientNet-B0, MobileNetV3-large, ConvNeXt-tiny and RegNetY-800MF at
# batch 1 and 8 through cnnfilt's ONNX importer, ONNX Runtime (npm
# onnxruntime-node), PyTorch eager (NCHW and channels_last) and OpenCV dnn,
# all on the SAME ONNX files, and PyTorch TorchScript (the torchvision module
# with the same weights, frozen and optimised), same threads. See README.md
# in this folder.
#
# Everything is written inside this folder, in git-ignored paths:
# models/ (the ONNX exports), node_modules/ (onnxruntime-node, unless
# bench/layers already has it), results/ (raw lines of the last run, logits,
# report.md).
#
# Environment:
#   ROUNDS         passes over all engines, interleaved; each figure is the
#                  median over rounds of each round's median; 0 skips the
#                  timing (with MEMORY=1: memory only)         (default: 3)
#   MIN_TIME       seconds of timed runs per model, batch and engine (default: 0.5)
#   MIN_REPS       timed runs at least (default 5), SLOW_REPS (default 3)
#                  where one run takes over a second
#   THREADS        threads per engine                            (default: 2)
#   MODELS         subset of: resnet18 vgg16 alexnet mobilenet_v2 resnet50
#                  efficientnet_b0 mobilenet_v3_large convnext_tiny
#                  regnet_y_800mf, and the transformers vit_b_16 swin_t,
#                  which run only when named        (default: all the CNNs)
#   BATCHES        comma-separated batch sizes                   (default: 1,8)
#   ENGINES        subset of: cnnfilt ort torch-jit torch torch-cl opencv
#                                                                (default: all)
#   MEMORY         1: after the timing, each engine's peak resident memory
#                  (/usr/bin/time -v) per model and batch, one process each,
#                  engines interleaved                           (default: 1)
#   PROBE          1: first run each engine once with its kernel reporting on
#                  (oneDNN verbose, aten profile, ORT optimised graph,
#                  TorchScript graph)                            (default: 1)
#   REMAKE         1: re-export the models even where MODEL_DIR has them
#                  (default 0: export only the missing ones)
#   MODEL_DIR      where the models are, one folder per model as
#                  tests/models/make-models.py writes them   (default: ./models)
#   CNNFILT_BUILD  libcnnfilt meson build dir               (default: <repo>/build)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
cd "$SCRIPT_DIR"
PYTHON=/usr/bin/python3

ROUNDS=${ROUNDS:-3}
MIN_TIME=${MIN_TIME:-0.5}
MIN_REPS=${MIN_REPS:-5}
SLOW_REPS=${SLOW_REPS:-3}
THREADS=${THREADS:-2}
ALL_MODELS="resnet18 vgg16 alexnet mobilenet_v2 resnet50 efficientnet_b0 mobilenet_v3_large convnext_tiny regnet_y_800mf"
KNOWN_MODELS="$ALL_MODELS vit_b_16 swin_t"
MODELS=${MODELS:-$ALL_MODELS}
BATCHES=${BATCHES:-1,8}
ENGINES=${ENGINES:-"cnnfilt ort torch-jit torch torch-cl opencv"}
PROBE=${PROBE:-1}
MEMORY=${MEMORY:-1}
REMAKE=${REMAKE:-0}
MODEL_DIR=$(realpath -m "${MODEL_DIR:-$SCRIPT_DIR/models}")
CNNFILT_BUILD=$(realpath -m "${CNNFILT_BUILD:-$REPO_ROOT/build}")
RESULTS=$SCRIPT_DIR/results

die() { echo "run.sh: $*" >&2; exit 1; }
[[ $ROUNDS =~ ^[0-9]+$ ]] || die "ROUNDS must be a number (0: no timing)"
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "THREADS must be a positive integer"
[[ $BATCHES =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "BATCHES must be like 1,8"
for e in $ENGINES; do
  case $e in cnnfilt|ort|torch-jit|torch|torch-cl|opencv) ;; *) die "unknown engine '$e'" ;; esac
done
for m in $MODELS; do
  [[ " $KNOWN_MODELS " == *" $m "* ]] || die "unknown model '$m' (known: $KNOWN_MODELS)"
done

mkdir -p "$RESULTS"
rm -rf "$RESULTS"/round*-*.tsv "$RESULTS"/round*-*.err "$RESULTS"/probe-* "$RESULTS"/logits \
       "$RESULTS"/ort-opt "$RESULTS"/report.md "$RESULTS"/env.tsv
mkdir -p "$RESULTS/logits"
ENV_TSV=$RESULTS/env.tsv
note() { printf 'I\trun\t%s\t%s\n' "$1" "$2" >>"$ENV_TSV"; printf '%-22s %s\n' "$1:" "$2"; }

# An inherited OPENBLAS_CORETYPE (this project's environment sets Haswell)
# makes OpenBLAS's DYNAMIC_ARCH use AVX2 kernels on an AVX-512 machine;
# PyTorch's addmm and OpenCV's Lapack go through OpenBLAS: never pin one here.
echo "== Environment"
note "OPENBLAS_CORETYPE" "inherited: ${OPENBLAS_CORETYPE-(unset)}; unset for this benchmark (OpenBLAS picks its kernels by CPUID)"
unset OPENBLAS_CORETYPE OPENBLAS_VERBOSE
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
note "threads" "$THREADS"
note "thread variables" "OMP_NUM_THREADS=$OMP_NUM_THREADS OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS (each engine also sets its own, see below)"
[[ -n ${OPENBLAS_L2_SIZE-} ]] && note "OPENBLAS_L2_SIZE" "$OPENBLAS_L2_SIZE (inherited, left as is)"
note "CPU" "$(grep -m1 -E '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown), nproc $(nproc)"
note "CPU flags" "$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|avx2|fma|avx512f|avx512bw|avx512_vnni|avx512_bf16|amx_tile)$' | tr '\n' ' ' || true)"
note "kernel" "$(uname -sr)"
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }
note "packages" "python3-torch $(pkgver python3-torch), python3-opencv $(pkgver python3-opencv), libdnnl2 $(pkgver libdnnl2), libopenblas0-pthread $(pkgver libopenblas0-pthread), node $(node --version 2>/dev/null || echo none)"
note "commit" "$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO_ROOT" diff --quiet HEAD -- libcnnfilt plugins 2>/dev/null || echo ' (libcnnfilt/ or plugins/ modified)')"
note "date" "$(date -u '+%Y-%m-%d %H:%M UTC')"
note "load average at start" "$(cut -d' ' -f1-3 /proc/loadavg) (other load on the machine skews the figures)"
echo

want() { [[ " $ENGINES " == *" $1 "* ]]; }

# ---------------------------------------------------------------- models
echo "== Models in $MODEL_DIR"
make_script=$REPO_ROOT/tests/models/make-models.py
to_make=()
stale=()
for m in $MODELS; do
  d=$MODEL_DIR/$m
  if [[ $REMAKE == 1 || ! -f $d/model.onnx || ! -f $d/input.npy || ! -f $d/expected.npy ]]; then
    to_make+=("$m")
  elif [[ $d/expected.npy -ot $make_script ]]; then
    stale+=("$m")
  fi
done
# make-models.py changes for reasons that leave most models as they were
# (new models, the tree's): an older export is kept, and the torch-jit
# column, which rebuilds each module from the script as it is now, shows
# "wrong logits" if the script's weights no longer match the file's.
((${#stale[@]})) && echo "make-models.py is newer than the export of ${stale[*]}: kept (REMAKE=1 re-exports)"
if ((${#to_make[@]})); then
  echo "exporting ${to_make[*]} with tests/models/make-models.py (seeded random weights, opset 13, dynamic batch)"
  $PYTHON "$make_script" "$MODEL_DIR" "${to_make[@]}" || die "make-models.py failed"
fi
for m in $MODELS; do
  [[ -f $MODEL_DIR/$m/model.onnx ]] || die "no $MODEL_DIR/$m/model.onnx (make-models.py needs python3-torch, python3-torchvision, python3-onnx)"
  printf '  %-19s %6.1f MB\n' "$m" "$(awk -v s="$(stat -c %s "$MODEL_DIR/$m/model.onnx")" 'BEGIN{print s/1e6}')"
done
echo

# ---------------------------------------------------------------- engines
echo "== Engines"
active=()
cnnfilt_env=(CNNFILT_PLUGIN_PATH="$CNNFILT_BUILD/plugins" GI_TYPELIB_PATH="$CNNFILT_BUILD/libcnnfilt"
             LD_LIBRARY_PATH="$CNNFILT_BUILD/libcnnfilt${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
for e in $ENGINES; do
  case $e in
    cnnfilt)
      if [[ ! -f $CNNFILT_BUILD/libcnnfilt/Cnnfilt-1.0.typelib ]]; then
        echo "cnnfilt:  SKIPPED - no $CNNFILT_BUILD/libcnnfilt/Cnnfilt-1.0.typelib (build libcnnfilt with meson, or set CNNFILT_BUILD)"
      elif ! env "${cnnfilt_env[@]}" $PYTHON -c "import gi; gi.require_version('Cnnfilt', '1.0'); from gi.repository import Cnnfilt; Cnnfilt.init()" 2>"$RESULTS/cnnfilt-load.err"; then
        echo "cnnfilt:  SKIPPED - the typelib does not load:"; tail -n 3 "$RESULTS/cnnfilt-load.err" | sed 's/^/    /'
      else
        active+=(cnnfilt); echo "cnnfilt:  $CNNFILT_BUILD"
      fi ;;
    ort)
      if ! command -v node >/dev/null; then
        echo "ort:      SKIPPED - node not installed"; continue
      fi
      export NODE_PATH=
      if [[ -d node_modules/onnxruntime-node ]]; then
        :
      elif [[ -d ../layers/node_modules/onnxruntime-node ]]; then
        NODE_PATH=$(cd ../layers/node_modules && pwd)   # bench/layers installed the same package
      elif [[ -d ../embed/node_modules/onnxruntime-node ]]; then
        NODE_PATH=$(cd ../embed/node_modules && pwd)    # so did bench/embed
      else
        echo "installing onnxruntime-node (npm install --ignore-scripts: the package ships the CPU library)"
        npm install --ignore-scripts --no-audit --no-fund >"$RESULTS/npm.log" 2>&1 ||
          { tail -n 5 "$RESULTS/npm.log"; die "npm install failed"; }
      fi
      if node -e "require('onnxruntime-node')" 2>"$RESULTS/ort-load.err"; then
        active+=(ort); echo "ort:      $(node -p "require.resolve('onnxruntime-node')" | sed 's,/dist/.*,,')"
      else
        echo "ort:      SKIPPED - onnxruntime-node does not load:"; head -n 5 "$RESULTS/ort-load.err" | sed 's/^/    /'
      fi ;;
    torch|torch-cl)
      if $PYTHON -c "import torch, onnx" 2>/dev/null; then active+=("$e"); echo "$e: $(printf '%*s' $((9 - ${#e})) '')python3-torch, python3-onnx"
      else echo "$e: $(printf '%*s' $((9 - ${#e})) '')SKIPPED - needs python3-torch and python3-onnx"; fi ;;
    torch-jit)
      if $PYTHON -c "import torch, torchvision" 2>/dev/null; then active+=("$e"); echo "torch-jit: python3-torch, python3-torchvision (modules rebuilt by tests/models/make-models.py)"
      else echo "torch-jit: SKIPPED - needs python3-torch and python3-torchvision"; fi ;;
    opencv)
      if $PYTHON -c "import cv2; cv2.dnn" 2>/dev/null; then active+=(opencv); echo "opencv:   python3-opencv"
      else echo "opencv:   SKIPPED - needs python3-opencv"; fi ;;
  esac
done
((${#active[@]})) || die "no engine to run"
echo

common=(--models "$MODELS" --batches "$BATCHES" --threads "$THREADS")
wrap=()         # a command the engines run under (/usr/bin/time for the memory)
run_engine() {   # run_engine ENGINE [options]
  local e=$1; shift
  case $e in
    cnnfilt) "${wrap[@]}" env "${cnnfilt_env[@]}" $PYTHON bench.py cnnfilt "$MODEL_DIR" "${common[@]}" "$@" ;;
    ort)     "${wrap[@]}" node ort.js "$MODEL_DIR" "${common[@]}" "$@" ;;
    *)       "${wrap[@]}" $PYTHON bench.py "$e" "$MODEL_DIR" "${common[@]}" "$@" ;;
  esac
}

# ---------------------------------------------------------------- probe
if [[ $PROBE == 1 ]]; then
  echo "== Which kernels run: each engine once, batch 1, kernel reporting on (not timed)"
  for e in "${active[@]}"; do
    t0=$(date +%s.%N)
    if [[ $e == ort ]]; then
      run_engine ort --probe "$RESULTS/ort-opt" >"$RESULTS/probe-ort.tsv" 2>"$RESULTS/probe-ort.err" &&
        $PYTHON report.py --ort-graphs "$RESULTS/ort-opt" >>"$RESULTS/probe-ort.tsv" 2>>"$RESULTS/probe-ort.err" ||
        echo "  ort probe FAILED (see $RESULTS/probe-ort.err)"
      rm -rf "$RESULTS/ort-opt"   # VGG-16's optimised copy alone is 0.5 GB
    else
      run_engine "$e" --probe >"$RESULTS/probe-$e.tsv" 2>"$RESULTS/probe-$e.err" ||
        echo "  $e probe FAILED (see $RESULTS/probe-$e.err)"
    fi
    printf '  %-9s %6.1f s\n' "$e" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')"
  done
  echo
fi

# ---------------------------------------------------------------- timing
if (( ROUNDS > 0 )); then
  echo "== Timing: $ROUNDS round(s) x engines (${active[*]}), one process per engine and round,"
  echo "   $THREADS threads, warm-up >= 2 runs and >= 0.2 s, then >= $MIN_TIME s and >= $MIN_REPS runs"
  echo "   ($SLOW_REPS where a run takes over 1 s), median; models: $MODELS; batches $BATCHES"
  loads=
  for round in $(seq 1 "$ROUNDS"); do
    for e in "${active[@]}"; do
      out=$RESULTS/round$round-$e.tsv
      t0=$(date +%s.%N)
      if ! run_engine "$e" --min-time "$MIN_TIME" --min-reps "$MIN_REPS" --slow-reps "$SLOW_REPS" \
           --logits "$RESULTS/logits/round$round-$e" >"$out" 2>"$RESULTS/round$round-$e.err"; then
        echo "  round $round $e FAILED (see $RESULTS/round$round-$e.err):"
        tail -n 5 "$RESULTS/round$round-$e.err" | sed 's/^/    /'
      fi
      load=$(cut -d' ' -f1 /proc/loadavg)
      loads+="round$round $e $load, "
      printf '  round %d %-9s %2d timed, %2d not  %6.1f s  load %s\n' "$round" "$e" \
        "$(grep -c '^R' "$out" || true)" "$(grep -c '^S' "$out" || true)" \
        "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" "$load"
    done
  done
  note "1-min load after each engine" "${loads%, } (above 2 on 2 cores, OpenMP engines can slow down many times over)"
  note "load average at end" "$(cut -d' ' -f1-3 /proc/loadavg)"
  echo
fi

# ---------------------------------------------------------------- memory
rm -f "$RESULTS/memory.tsv"
if [[ $MEMORY == 1 && ! -x /usr/bin/time ]]; then
  echo "== Peak memory: SKIPPED - needs /usr/bin/time (Debian package time)"; echo
elif [[ $MEMORY == 1 ]]; then
  echo "== Peak memory: /usr/bin/time -v around one process per engine, model and batch"
  echo "   (import, warm-up, one timed run), engines interleaved"
  saved=("${common[@]}")
  for m in $MODELS; do
    for n in ${BATCHES//,/ }; do
      line="  $m batch $n:"
      for e in "${active[@]}"; do
        common=(--models "$m" --batches "$n" --threads "$THREADS")
        wrap=(/usr/bin/time -v -o "$RESULTS/memory-$e.time")
        if run_engine "$e" --min-time 0 --min-reps 1 --slow-reps 1 >"$RESULTS/memory-$e.tsv" \
             2>"$RESULTS/memory-$e.err" && grep -q '^R' "$RESULTS/memory-$e.tsv"; then
          kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$RESULTS/memory-$e.time")
          printf 'M\t%s\t%s\t%s\t%s\n' "$e" "$m" "$n" "$kb" >>"$RESULTS/memory.tsv"
          line+=" $e $((kb / 1024)) MB"
        else
          line+=" $e not run"
        fi
        wrap=()
      done
      echo "$line"
    done
  done
  common=("${saved[@]}")
  rm -f "$RESULTS"/memory-*
  echo
fi

# ---------------------------------------------------------------- report
$PYTHON report.py "$RESULTS" "$MODEL_DIR" | tee "$RESULTS/report.md"
echo
echo "(report in $RESULTS/report.md; raw lines in $RESULTS/round*-*.tsv and probe-*.tsv, logits in $RESULTS/logits/)"
