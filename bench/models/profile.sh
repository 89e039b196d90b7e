#!/usr/bin/env bash
# Where the time goes: cnnfilt's per-node profile (CNNFILT_PROFILE=1)
# against ONNX Runtime's profiler (sessionOptions.enableProfiling), for the
# models of run.sh, then a summary by kind of work, op and node in
# results/profile-Nt.md for N threads (profile_nodes.py; raw tables and traces
# in results/profile-Nt/). Nothing here is a benchmark figure: a
# profiled run is slower than a plain one (ORT writes an event per node,
# cnnfilt reads the clock twice per node).
#
# Environment (as run.sh):
#   MODELS         models to profile (default: resnet50 efficientnet_b0
#                  mobilenet_v3_large convnext_tiny regnet_y_800mf)
#   BATCHES        comma-separated batch sizes              (default: 1)
#   RUNS           profiled runs after the warm-up          (default: 20)
#   THREADS        threads for both engines                 (default: 2)
#   MODEL_DIR      model folders (default: ./models; run.sh exports them)
#   CNNFILT_BUILD  libcnnfilt meson build dir               (default: <repo>/build)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
cd "$SCRIPT_DIR"
PYTHON=/usr/bin/python3

MODELS=${MODELS:-"resnet50 efficientnet_b0 mobilenet_v3_large convnext_tiny regnet_y_800mf"}
BATCHES=${BATCHES:-1}
RUNS=${RUNS:-20}
THREADS=${THREADS:-2}
MODEL_DIR=$(realpath -m "${MODEL_DIR:-$SCRIPT_DIR/models}")
CNNFILT_BUILD=$(realpath -m "${CNNFILT_BUILD:-$REPO_ROOT/build}")
OUT=$SCRIPT_DIR/results/profile-${THREADS}t

die() { echo "profile.sh: $*" >&2; exit 1; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ $BATCHES =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "BATCHES must be like 1,8"
for m in $MODELS; do
  [[ -f $MODEL_DIR/$m/model.onnx ]] || die "no $MODEL_DIR/$m/model.onnx (run.sh exports the models)"
done
[[ -f $CNNFILT_BUILD/libcnnfilt/Cnnfilt-1.0.typelib ]] || die "no libcnnfilt build in $CNNFILT_BUILD (set CNNFILT_BUILD)"

unset OPENBLAS_CORETYPE CNNFILT_PROFILE
export OMP_NUM_THREADS=$THREADS
rm -rf "$OUT"
mkdir -p "$OUT/ort"

echo "== cnnfilt, CNNFILT_PROFILE=1 ($RUNS runs after the first, $THREADS threads)"
for m in $MODELS; do
  for n in ${BATCHES//,/ }; do
    t0=$(date +%s.%N)
    env CNNFILT_PLUGIN_PATH="$CNNFILT_BUILD/plugins" GI_TYPELIB_PATH="$CNNFILT_BUILD/libcnnfilt" \
        LD_LIBRARY_PATH="$CNNFILT_BUILD/libcnnfilt${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        $PYTHON profile_nodes.py cnnfilt "$MODEL_DIR" "$m" "$n" "$RUNS" "$THREADS" 2>"$OUT/cnnfilt-$m-b$n.err" ||
      echo "  $m batch $n FAILED: $(grep -v '^ ' "$OUT/cnnfilt-$m-b$n.err" | tail -n 1)"
    printf '  %-19s batch %-2d %6.1f s\n' "$m" "$n" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')"
  done
done

echo "== ONNX Runtime, enableProfiling ($RUNS runs after 3 warm-up runs, $THREADS threads)"
export NODE_PATH=
if [[ -d node_modules/onnxruntime-node ]]; then :
elif [[ -d ../layers/node_modules/onnxruntime-node ]]; then NODE_PATH=$(cd ../layers/node_modules && pwd)
elif [[ -d ../embed/node_modules/onnxruntime-node ]]; then NODE_PATH=$(cd ../embed/node_modules && pwd)
else die "no onnxruntime-node (run.sh installs it)"
fi
node ort.js "$MODEL_DIR" --models "$MODELS" --batches "$BATCHES" --threads "$THREADS" \
     --profile "$OUT/ort" --profile-runs "$RUNS" >"$OUT/ort.tsv" 2>"$OUT/ort.err" ||
  echo "  FAILED (see $OUT/ort.err)"
grep -P '^S\t' "$OUT/ort.tsv" | sed 's/^/  /' || true
echo

$PYTHON profile_nodes.py report "$OUT" "$MODEL_DIR" "$MODELS" "$BATCHES" "$THREADS" | tee "$OUT.md"
echo
echo "(summary in $OUT.md; cnnfilt's tables in $OUT/cnnfilt-*.err, ORT's traces in $OUT/ort/)"
