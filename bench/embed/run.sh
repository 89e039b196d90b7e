#!/usr/bin/env bash
# Embedding benchmark: `cnnfilt embed` (default model, MobileNetV2 1.4) over
# a folder of photos, against Pillow + OpenCV dnn (embed_opencv.py) and
# sharp + ONNX Runtime (embed_ort.js) on the SAME ONNX file, same
# preparation, same threads; whole processes timed, images per second.
# See README.md in this folder.
#
# Written here, in git-ignored paths: node_modules/ (onnxruntime-node and
# sharp) and results/ (raw lines, embeddings of the last round, report.md).
# The photos are made once into $PHOTOS, outside the repository.
#
# Environment:
#   ROUNDS            timed passes over the engines on the mixed folder,
#                     interleaved, order rotated each round        (default: 5)
#   BREAKDOWN_ROUNDS  passes over the other folders (small256, 1080p, 12mp,
#                     one) and cnnfilt's variants; 0 skips them     (default: 3)
#   THREADS           threads (cnnfilt: -j workers) per engine    (default: 2)
#   ENGINES           subset of: cnnfilt opencv ort               (default: all)
#   STANDARDIZE       the peers' input scaling: imagenet (what cnnfilt's
#                     pipeline does today) or none ([0, 1])    (default: imagenet)
#   GATE              the least cosine similarity to cnnfilt's embedding that
#                     a peer's may have                          (default: 0.99)
#   PHOTOS            photo folders      (default: ${XDG_CACHE_HOME:-~/.cache}/cnnfilt-bench/photos)
#   MODEL             the ONNX model     (default: <repo>/models/mobilenet_v2_140.onnx)
#   CNNFILT_BUILD     libcnnfilt meson build dir           (default: <repo>/build)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
cd "$SCRIPT_DIR"
PYTHON=/usr/bin/python3

ROUNDS=${ROUNDS:-5}
BREAKDOWN_ROUNDS=${BREAKDOWN_ROUNDS:-3}
THREADS=${THREADS:-2}
ENGINES=${ENGINES:-"cnnfilt opencv ort"}
STANDARDIZE=${STANDARDIZE:-imagenet}
GATE=${GATE:-0.99}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/cnnfilt-bench
PHOTOS=$(realpath -m "${PHOTOS:-$CACHE/photos}")
MODEL=$(realpath -m "${MODEL:-$REPO_ROOT/models/mobilenet_v2_140.onnx}")
CNNFILT_BUILD=$(realpath -m "${CNNFILT_BUILD:-$REPO_ROOT/build}")
CNNFILT=$CNNFILT_BUILD/bin/cnnfilt
RESULTS=$SCRIPT_DIR/results
TIME=/usr/bin/time

die() { echo "run.sh: $*" >&2; exit 1; }
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
[[ $BREAKDOWN_ROUNDS =~ ^[0-9]+$ ]] || die "BREAKDOWN_ROUNDS must be 0 or more"
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "THREADS must be a positive integer"
[[ $STANDARDIZE == imagenet || $STANDARDIZE == none ]] || die "STANDARDIZE must be imagenet or none"
for e in $ENGINES; do
  case $e in cnnfilt|opencv|ort) ;; *) die "unknown engine '$e'" ;; esac
done
[[ -x $TIME ]] || die "$TIME is missing (Debian package: time)"
[[ -f $MODEL ]] || die "no $MODEL (models/fetch-default-model.sh makes it)"

mkdir -p "$RESULTS"
rm -rf "$RESULTS"/runs.tsv "$RESULTS"/env.tsv "$RESULTS"/report.md "$RESULTS"/out "$RESULTS"/log
mkdir -p "$RESULTS/out" "$RESULTS/log"
ENV_TSV=$RESULTS/env.tsv
RUNS=$RESULTS/runs.tsv
note() { printf 'I\t%s\t%s\n' "$1" "$2" >>"$ENV_TSV"; printf '%-22s %s\n' "$1:" "$2"; }

echo "== Environment"
note "OPENBLAS_CORETYPE" "inherited: ${OPENBLAS_CORETYPE-(unset)}; unset here"
unset OPENBLAS_CORETYPE OPENBLAS_VERBOSE
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
note "threads" "$THREADS (cnnfilt: -j $THREADS, OMP_NUM_THREADS=$THREADS, on $(nproc) cores; opencv: cv2.setNumThreads($THREADS) + $THREADS decoding threads; ort: intraOpNumThreads $THREADS + $THREADS images decoding in sharp); OMP_NUM_THREADS=$THREADS"
note "CPU" "$(grep -m1 -E '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown), nproc $(nproc)"
note "memory" "$(awk '/MemTotal/{printf "%.1f GB", $2/1048576}' /proc/meminfo)"
note "kernel" "$(uname -sr)"
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }
note "packages" "libvips42 $(pkgver libvips42), libdnnl2 $(pkgver libdnnl2), python3-opencv $(pkgver python3-opencv), python3-pil $(pkgver python3-pil), python3-onnx $(pkgver python3-onnx), libjpeg62-turbo $(pkgver libjpeg62-turbo), node $(node --version 2>/dev/null || echo none)"
note "commit" "$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO_ROOT" diff --quiet HEAD -- libcnnfilt plugins bin 2>/dev/null || echo ' (libcnnfilt/, plugins/ or bin/ modified)')"
note "model" "$MODEL ($(stat -c %s "$MODEL") bytes, sha256 $(sha256sum "$MODEL" | cut -c1-16))"
note "peers' input scaling" "$STANDARDIZE"
note "date" "$(date -u '+%Y-%m-%d %H:%M UTC')"
note "load average at start" "$(cut -d' ' -f1-3 /proc/loadavg) (other load on the machine skews the figures)"
echo

# ---------------------------------------------------------------- photos
echo "== Photos in $PHOTOS"
# Real photos that Debian ships: from the installed packages, else from the
# packages downloaded and unpacked (not installed) into the cache.
sources=()
if [[ ! -f $PHOTOS/MANIFEST ]]; then
  need=()
  [[ -d /usr/lib/python3/dist-packages/skimage/data ]] || need+=(python3-skimage)
  [[ -d /usr/lib/python3/dist-packages/sklearn/datasets/images ]] || need+=(python3-sklearn)
  [[ -d /usr/share/doc/opencv-doc/examples/data ]] || need+=(opencv-doc)
  if ((${#need[@]})); then
    mkdir -p "$CACHE/debian/root"
    for p in "${need[@]}"; do
      if ! ls "$CACHE/debian/${p}"_*.deb >/dev/null 2>&1; then
        echo "fetching $p (apt-get download; unpacked into the cache, not installed)"
        (cd "$CACHE/debian" && apt-get download "$p" >/dev/null) || echo "  could not download $p: fewer source photos"
      fi
      for d in "$CACHE/debian/${p}"_*.deb; do [[ -f $d ]] && dpkg-deb -x "$d" "$CACHE/debian/root"; done
    done
  fi
fi
[[ -d $CACHE/debian/root ]] && sources=(--sources "$CACHE/debian/root")
$PYTHON make_photos.py "$PHOTOS" "${sources[@]}" || die "make_photos.py failed"
for d in mixed small256 1080p 12mp one; do
  [[ -d $PHOTOS/$d ]] || die "no $PHOTOS/$d: remove $PHOTOS/MANIFEST to remake the photos"
  printf '  %-9s %4d files %8s\n' "$d" "$(find "$PHOTOS/$d" -type f | wc -l)" "$(du -sh "$PHOTOS/$d" | cut -f1)"
done
note "photos" "$(sed -n 2p "$PHOTOS/MANIFEST"), $(sed -n 3p "$PHOTOS/MANIFEST")"
echo

# ---------------------------------------------------------------- engines
echo "== Engines"
active=()
versions=()
for e in $ENGINES; do
  case $e in
    cnnfilt)
      if [[ -x $CNNFILT ]]; then active+=(cnnfilt); echo "cnnfilt:  $CNNFILT"; versions+=("cnnfilt at $CNNFILT")
      else echo "cnnfilt:  SKIPPED - no $CNNFILT (build with meson, or set CNNFILT_BUILD)"; fi ;;
    opencv)
      if $PYTHON -c "import cv2, onnx, PIL; cv2.dnn" 2>"$RESULTS/log/opencv-load.err"; then
        active+=(opencv)
        versions+=("OpenCV $($PYTHON -c 'import cv2; print(cv2.__version__)'), Pillow $($PYTHON -c 'import PIL; print(PIL.__version__)'), onnx $($PYTHON -c 'import onnx; print(onnx.__version__)')")
        echo "opencv:   ${versions[-1]}"
      else echo "opencv:   SKIPPED - needs python3-opencv, python3-onnx, python3-pil"; fi ;;
    ort)
      if ! command -v node >/dev/null; then echo "ort:      SKIPPED - node not installed"; continue; fi
      if [[ ! -d node_modules/onnxruntime-node || ! -d node_modules/sharp ]]; then
        echo "installing onnxruntime-node and sharp (npm install --ignore-scripts: both ship prebuilt libraries)"
        npm install --ignore-scripts --no-audit --no-fund >"$RESULTS/log/npm.log" 2>&1 ||
          { tail -n 5 "$RESULTS/log/npm.log"; die "npm install failed"; }
      fi
      if node -e "require('onnxruntime-node'); require('sharp')" 2>"$RESULTS/log/ort-load.err"; then
        active+=(ort)
        versions+=("onnxruntime-node $(node -p "JSON.parse(require('fs').readFileSync('node_modules/onnxruntime-node/package.json')).version"), sharp $(node -p "JSON.parse(require('fs').readFileSync('node_modules/sharp/package.json')).version") (libvips $(node -p "require('sharp').versions.vips"))")
        echo "ort:      ${versions[-1]}"
      else
        echo "ort:      SKIPPED - onnxruntime-node or sharp does not load:"; head -n 5 "$RESULTS/log/ort-load.err" | sed 's/^/    /'
      fi ;;
  esac
done
((${#active[@]})) || die "no engine to run"
note "engines" "$(IFS=';'; echo "${versions[*]}" | sed 's/;/; /g')"
# the build folder may be rebuilt by someone else during the run: say so
build_stamp() { stat -c '%y' "$CNNFILT" "$CNNFILT_BUILD"/libcnnfilt/libcnnfilt-1.0.so.0.0.0 "$MODEL" 2>/dev/null | cut -c1-19 | tr '\n' ' '; }
stamp0=$(build_stamp)
note "cnnfilt build" "binary, library and model of $stamp0"
echo

# One timed process: run_one TAG ENGINE SET [variant]; a line in runs.tsv:
# R tag engine set variant images wall_s maxrss_kb user_s sys_s status
run_one() {
  local tag=$1 e=$2 set=$3 variant=${4:-default}
  local dir=$PHOTOS/$set out=$RESULTS/out/$e-$set-$variant log=$RESULTS/log/$tag-$e-$set-$variant
  local cmd
  rm -f "$out".db "$out".db-* "$out".npy "$out".txt
  case $e in
    cnnfilt)
      local j=$THREADS extra=()
      [[ $variant == j1 ]] && j=1
      [[ $variant == profile ]] && extra=(env CNNFILT_PROFILE=1)
      cmd=("${extra[@]}" "$CNNFILT" embed -q -j "$j" -m "$MODEL" --index "$out.db" "$dir") ;;
    opencv)
      cmd=($PYTHON embed_opencv.py "$MODEL" "$dir" "$out.npy" "$out.txt" --threads "$THREADS" --prefetch "$THREADS"
           --standardize "$STANDARDIZE") ;;
    ort)
      local extra=()
      [[ $variant == fast-shrink ]] && extra=(--fast-shrink)
      [[ $variant == area ]] && extra=(--resize area)
      cmd=(node embed_ort.js "$MODEL" "$dir" "$out.npy" "$out.txt" --threads "$THREADS" --prefetch "$THREADS"
           --standardize "$STANDARDIZE" "${extra[@]}") ;;
  esac
  local t0 t1 status=0
  t0=$(date +%s.%N)
  "$TIME" -v -o "$log.time" "${cmd[@]}" >"$log.out" 2>"$log.err" || status=$?
  t1=$(date +%s.%N)
  local n rss user sys
  n=$(find -L "$dir" -type f | wc -l)
  rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$log.time")
  user=$(awk -F': ' '/User time/{print $2}' "$log.time")
  sys=$(awk -F': ' '/System time/{print $2}' "$log.time")
  printf 'R\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tag" "$e" "$set" "$variant" "$n" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')" "${rss:-0}" "${user:-0}" "${sys:-0}" "$status" >>"$RUNS"
  if ((status)); then
    echo "  $tag $e $set $variant FAILED (exit $status; see $log.err):"; tail -n 3 "$log.err" | sed 's/^/    /'
  fi
  # cnnfilt's embeddings for the comparison: exported after the timing
  if [[ $e == cnnfilt && $status == 0 ]]; then
    "$CNNFILT" index export "$out.db" "$out.npy" "$out.txt" || echo "  cnnfilt index export failed"
    rm -f "$out".db "$out".db-*
  fi
  printf '  %-6s %-8s %-9s %-11s %3d images %7.2f s  load %s\n' "$tag" "$e" "$set" "$variant" "$n" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" "$(cut -d' ' -f1 /proc/loadavg)"
}

# The photos in the page cache: every engine reads them from memory.
cat "$PHOTOS"/mixed/* "$PHOTOS"/small256/* >/dev/null

# ---------------------------------------------------------------- timing
echo "== Timing: $ROUNDS round(s) over the mixed folder, engines interleaved (order rotated each round)"
n=${#active[@]}
for round in $(seq 1 "$ROUNDS"); do
  for k in $(seq 0 $((n - 1))); do
    run_one "round$round" "${active[$(((k + round - 1) % n))]}" mixed
  done
done
echo

if ((BREAKDOWN_ROUNDS > 0)); then
  echo "== Where the time goes: $BREAKDOWN_ROUNDS round(s) over small256, 1080p, 12mp, one; then once cnnfilt -j 1,"
  echo "   cnnfilt with CNNFILT_PROFILE=1, ort --fast-shrink on 12mp, ort --resize area on mixed"
  for round in $(seq 1 "$BREAKDOWN_ROUNDS"); do
    for set in small256 1080p 12mp one; do
      for k in $(seq 0 $((n - 1))); do
        run_one "split$round" "${active[$(((k + round - 1) % n))]}" "$set"
      done
    done
  done
  # once each: cnnfilt with one worker, sharp with its own shrink-on-load rule,
  # cnnfilt with CNNFILT_PROFILE=1
  if [[ " ${active[*]} " == *" cnnfilt "* ]]; then
    run_one variant cnnfilt mixed j1
    run_one profile cnnfilt mixed profile
  fi
  if [[ " ${active[*]} " == *" ort "* ]]; then
    run_one variant ort 12mp fast-shrink
    run_one variant ort mixed area
  fi
  echo
fi
note "load average at end" "$(cut -d' ' -f1-3 /proc/loadavg)"
[[ $(build_stamp) == "$stamp0" ]] || note "WARNING" "cnnfilt or the model changed during the run (now $(build_stamp)): the figures mix two versions"
echo

# ---------------------------------------------------------------- report
$PYTHON report.py "$RESULTS" --gate "$GATE" | tee "$RESULTS/report.md"
echo
echo "(report in $RESULTS/report.md; raw lines in $RESULTS/runs.tsv, logs in $RESULTS/log/, embeddings of the last runs in $RESULTS/out/)"
