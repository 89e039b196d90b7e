#!/usr/bin/env bash
# Makes the default embedding model, models/mobilenet_v2_140.onnx: fetches
# npm's nsfwjs 4.3.0 (MIT licence; about 25 MB, into a temporary folder),
# converts its MobileNetV2 backbone with convert-nsfwjs-mobilenet.py, and
# checks the result against the TensorFlow graph run in numpy. Nothing of it
# is committed. Needs node, npm and python3-onnx; run by .ci/setup.
# Usage: models/fetch-default-model.sh [OUT_DIR]   (default: models/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out_dir=${1:-$here}
out=$out_dir/mobilenet_v2_140.onnx
if [ -s "$out" ] && [ "$out" -nt "$here/convert-nsfwjs-mobilenet.py" ]; then
  echo "models: $out is there" >&2
  exit 0
fi
for tool in node npm; do
  command -v $tool >/dev/null || { echo "models: $tool is missing: no default model (cnnfilt embed needs -m)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack nsfwjs@4.3.0 --silent >/dev/null && tar xzf nsfwjs-4.3.0.tgz)
mkdir -p "$out_dir"
/usr/bin/python3 "$here/convert-nsfwjs-mobilenet.py" "$work/package/dist/models/mobilenet_v2_mid" "$out.tmp"
mv "$out.tmp-check-input.npy" "$out-check-input.npy"
mv "$out.tmp-check-embedding.npy" "$out-check-embedding.npy"
mv "$out.tmp" "$out"
echo "models: wrote $out" >&2
