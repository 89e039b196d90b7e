#!/usr/bin/env bash
# Command-line tests of cnnfilt, as TAP. Usage: test-cli.sh CNNFILT SAMPLES_DIR
set -u
cnnfilt=$1
samples=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
failed=0

ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for line in "$@"; do echo "# $line"; done; }
check () { # check NAME COMMAND...: passes when the command succeeds
  local name=$1; shift
  if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}
run () { # run OUT ERR ARGS...: runs cnnfilt, returns its status
  local out=$1 err=$2; shift 2
  "$cnnfilt" "$@" >"$out" 2>"$err" </dev/null
}

# Edge detection on the bundled samples: one 8-bit grey PNG per photo, paths kept.
run "$work/o" "$work/e" edges -o "$work/edges" "$samples"; status=$?
check "edges exits 0 on the samples" test $status -eq 0
for f in camera chelsea coffee space/astronaut space/rocket; do
  check "edges wrote $f.png" test -s "$work/edges/$f.png"
done
check "edges output is 1-band uchar" sh -c "vipsheader '$work/edges/coffee.png' | grep -q 'uchar, 1 band'"
check "edges summary on stderr" grep -q '5 written, 0 failed, 0 skipped' "$work/e"
check "no progress bar when stderr is not a terminal" sh -c "! grep -q \$'\\r' '$work/e'"
check "no temporary files left" sh -c "! find '$work/edges' -name '.*' -type f | grep -q ."

# Bad inputs: every bad file named on stderr, good ones still written, exit 1.
mkdir -p "$work/mixed/sub"
cp "$samples/coffee.jpg" "$work/mixed/good.jpg"
cp "$samples/camera.png" "$work/mixed/sub/grey.png"
head -c 20000 "$samples/coffee.jpg" > "$work/mixed/truncated.jpg"
: > "$work/mixed/empty.png"
echo "not an image" > "$work/mixed/text.jpg"
head -c 3000 /dev/urandom > "$work/mixed/noise.png"
run "$work/o" "$work/e" run 'grayscale ! sobel' -q -o "$work/mixed-out" "$work/mixed" "$work/missing.jpg"; status=$?
check "bad inputs give exit status 1" test $status -eq 1
for bad in truncated.jpg empty.png text.jpg noise.png; do
  check "stderr names $bad" grep -q "^$work/mixed/$bad: " "$work/e"
done
check "stderr names the missing input" grep -q "^$work/missing.jpg: No such file" "$work/e"
check "good inputs still written" test -s "$work/mixed-out/good.jpg"
check "relative paths kept" test -s "$work/mixed-out/sub/grey.png"
check "no output for the truncated input" test ! -e "$work/mixed-out/truncated.jpg"
check "--quiet prints no summary" sh -c "! grep -q written '$work/e'"

# Usage errors exit 2 and name what is wrong, before reading any file.
run "$work/o" "$work/e" run 'grayscale ! sobl' -o "$work/x" "$samples"; status=$?
check "unknown op exits 2" test $status -eq 2
check "unknown op is named with a suggestion" grep -q "unknown op 'sobl' (did you mean 'sobel'" "$work/e"
check "nothing written for a usage error" test ! -e "$work/x"
run "$work/o" "$work/e" run 'sobel dir=x' -o "$work/x" "$samples"; status=$?
check "unknown property exits 2" test $status -eq 2
check "unknown property named with its op" grep -q "sobel: unknown property 'dir'" "$work/e"
run "$work/o" "$work/e" run 'box-blur radius=0' -o "$work/x" "$samples"; status=$?
check "out-of-range value exits 2" test $status -eq 2
check "out-of-range value names the property" grep -q "box-blur: radius: '0' is out of range" "$work/e"
run "$work/o" "$work/e" edges --method canny -o "$work/x" "$samples"; status=$?
check "unknown edges method exits 2" test $status -eq 2
run "$work/o" "$work/e" run 'sobel' -o "$work/x" --device gpu9 "$samples"; status=$?
check "unknown device exits 2 naming it" sh -c "test $status -eq 2 && grep -q \"unknown device 'gpu9'\" '$work/e'"
run "$work/o" "$work/e" frobnicate; status=$?
check "unknown command exits 2" test $status -eq 2

# Inputs are never overwritten, even with -o on the input folder.
mkdir -p "$work/inplace"
cp "$samples/coffee.jpg" "$work/inplace/a.jpg"
before=$(md5sum < "$work/inplace/a.jpg")
run "$work/o" "$work/e" run 'invert' -o "$work/inplace" "$work/inplace"; status=$?
check "overwriting an input is refused with exit 2" test $status -eq 2
check "refusal names the input" grep -q "a.jpg: the output would overwrite this input" "$work/e"
check "the input is unchanged" test "$(md5sum < "$work/inplace/a.jpg")" = "$before"
run "$work/o" "$work/e" run 'invert' -o "$work/inplace" --format png "$work/inplace"; status=$?
check "-o on the input folder works with another format" test $status -eq 0 -a -s "$work/inplace/a.png"

# --skip-existing resumes a batch.
run "$work/o" "$work/e" edges --skip-existing -o "$work/edges" "$samples"; status=$?
check "--skip-existing skips done files" sh -c "test $status -eq 0 && grep -q '0 written, 0 failed, 5 skipped' '$work/e'"

# An output folder that cannot be made: PATH: reason, exit 1.
echo x > "$work/afile"
run "$work/o" "$work/e" edges -o "$work/afile/sub" "$samples/coffee.jpg"; status=$?
check "unwritable output gives exit 1" test $status -eq 1
check "unwritable output is explained" grep -q "coffee.jpg: cannot create output folder" "$work/e"

# Float formats keep the computed values: a kernel scaled to -0.25 gives negatives.
run "$work/o" "$work/e" run "kernel matrix=1 scale=-0.25" -o "$work/float" --format tif "$samples/camera.png"; status=$?
check "float TIFF written" test $status -eq 0
check "float TIFF is float32" sh -c "vipsheader '$work/float/camera.tif' | grep -q 'float, 1 band'"
check "float TIFF keeps negative values" sh -c "test \"\$(vips min '$work/float/camera.tif')\" != 0"

# CNN layers with weights from .npy files; .npy output keeps the values and the batch dims.
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(1)
np.save(sys.argv[1] + "/w.npy", rng.standard_normal((4, 1, 3, 3)).astype(np.float32))
np.save(sys.argv[1] + "/b.npy", rng.standard_normal(4).astype(np.float32))
np.save(sys.argv[1] + "/w64.npy", rng.standard_normal((4, 1, 3, 3)))  # float64: converted
np.save(sys.argv[1] + "/wint.npy", np.ones((4, 1, 3, 3), dtype=np.int32))
PY
run "$work/o" "$work/e" run "grayscale ! conv2d weights=$work/w.npy bias=$work/b.npy padding=1 stride=2 ! relu ! global-avg-pool" -o "$work/cnn" --format npy "$samples/camera.png"; status=$?
check "conv2d with .npy weights runs" test $status -eq 0
check ".npy output holds the pooled features" /usr/bin/python3 -c "import numpy as np; a=np.load('$work/cnn/camera.npy'); assert a.shape == (1, 4, 1, 1) and a.dtype == np.float32 and (a >= 0).all(), a"
run "$work/o" "$work/e" run "grayscale ! conv2d weights=$work/w64.npy" -o "$work/cnn64" --format npy "$samples/camera.png"; status=$?
check "float64 .npy weights are accepted" test $status -eq 0
run "$work/o" "$work/e" run "grayscale ! conv2d weights=$work/wint.npy" -o "$work/cnnint" "$samples/camera.png"; status=$?
check "int .npy weights exit 2 naming op, property and dtype" sh -c "test $status -eq 2 && grep -q \"conv2d: weights: .*wint.npy: the array holds '<i4' values\" '$work/e'"
run "$work/o" "$work/e" run "conv2d weights=$work/w.npy" -o "$work/cnnrgb" "$samples/coffee.jpg"; status=$?
check "a channel mismatch fails the file naming the node" sh -c "test $status -eq 1 && grep -q 'conv2d (input 1x3x.*): conv2d: the input has 3 channels, the weights expect 1' '$work/e'"
run "$work/o" "$work/e" run "conv2d" -o "$work/cnnnone" "$samples/coffee.jpg"; status=$?
check "conv2d without weights exits 2" sh -c "test $status -eq 2 && grep -q 'property weights is not set' '$work/e'"
run "$work/o" "$work/e" inspect conv2d; status=$?
check "inspect conv2d documents tensor properties" grep -q 'weights      tensor (.npy file)' "$work/o"

# Discovery.
run "$work/o" "$work/e" ops; status=$?
check "ops lists sobel with its description" grep -q '^sobel  *Sobel edge filter' "$work/o"
run "$work/o" "$work/e" inspect kernel; status=$?
check "inspect shows kernel's border default and reason" grep -q 'Default zero: zero padding' "$work/o"
check "inspect shows ranges" grep -q 'stride       uint (1 to 64), default: 1' "$work/o"
run "$work/o" "$work/e" inspect nope; status=$?
check "inspect of an unknown op exits 2" test $status -eq 2
run "$work/o" "$work/e" ops --json; status=$?
check "ops --json is valid JSON" /usr/bin/python3 -c "import json,sys; d=json.load(open('$work/o')); assert any(o['name']=='sobel' for o in d)"
run "$work/o" "$work/e" devices; status=$?
check "devices lists the CPU" grep -q '^cpu: ' "$work/o"

# model info: one row per layer, PyTorch's parameter count, JSON for scripts.
lenet=$(cd "$(dirname "$0")/../models/data/lenet5" && pwd)/model.onnx
run "$work/o" "$work/e" model info "$lenet"; status=$?
check "model info exits 0 on LeNet-5" test $status -eq 0
check "model info takes the input size the model declares" grep -q 'model.onnx, input 1x1x32x32$' "$work/o"
check "model info totals LeNet-5's 61,706 params" grep -q '^Total: 61,706 params' "$work/o"
check "model info lists conv2d layers with shapes and params" grep -q ' conv2d  *1x6x28x28  *156 ' "$work/o"
check "model info gives receptive fields" grep -q '^/features/features.6/Conv .* 48,120  *32  *4 ' "$work/o"
run "$work/o" "$work/e" model info --json --input 1x1x32x32 "$lenet"; status=$?
check "model info --json totals 61706 params" /usr/bin/python3 -c "
import json; d = json.load(open('$work/o'))
assert d['total_params'] == 61706 and d['input'] == [1, 1, 32, 32], d
assert sum(l['params'] for l in d['layers']) == 61706
assert d['layers'][0]['receptive_field'] == {'size': 5, 'jump': 1}, d['layers'][0]
assert d['layers'][-1]['shape'] == [1, 10, 1, 1]"
run "$work/o" "$work/e" model info "$work/missing.onnx"; status=$?
check "model info of a missing file exits 1 naming it" sh -c "test $status -eq 1 && grep -q '^$work/missing.onnx: No such file' '$work/e'"
run "$work/o" "$work/e" model info --input 1x3x32x32 "$lenet"; status=$?
check "model info with an input that does not fit exits 1" sh -c "test $status -eq 1 && grep -q 'model.onnx: .*3 channels' '$work/e'"
run "$work/o" "$work/e" model info --input 1x1x32 "$lenet"; status=$?
check "model info with a bad --input exits 2" sh -c "test $status -eq 2 && grep -q 'input 1x1x32: expected NxCxHxW' '$work/e'"
# classify: top-k per image in input order, against the same preprocessing
# and model run as a pipeline with the softmax done in numpy.
run "$work/o" "$work/e" classify -m "$lenet" "$samples"; status=$?
check "classify exits 0 on the samples" test $status -eq 0
check "classify prints one line per image, in input order" sh -c "cut -d: -f1 '$work/o' | tr '\n' ' ' | grep -qx '$samples/camera.png $samples/chelsea.jpg $samples/coffee.jpg $samples/space/astronaut.jpg $samples/space/rocket.jpg '"
check "classify shows the top 5 with percentages" grep -qE '^[^:]+:( class [0-9] \([0-9.]+%\),){4} class [0-9] \([0-9.]+%\)$' "$work/o"
check "classify summary on stderr" grep -q '5 classified, 0 failed, 0 skipped' "$work/e"
run "$work/o" "$work/e" classify -m "$lenet" --full-decode --json --top 3 -b 1 -j 1 "$samples"; status=$?
check "classify --json exits 0" test $status -eq 0
cp "$work/o" "$work/one.json"
run "$work/o" "$work/e" classify -m "$lenet" --full-decode --json --top 3 -b 4 -j 2 "$samples"
check "classify gives the same results in batches and on 2 workers" cmp "$work/o" "$work/one.json"
run "$work/o2" "$work/e2" run "grayscale ! resize shorter=37 ! center-crop width=32 height=32 ! model file='$lenet'" -f npy -o "$work/logits" "$samples"
check "classify matches the pipeline's logits through softmax" /usr/bin/python3 -c "
import json, numpy as np
for line in open('$work/one.json'):
    d = json.loads(line)
    rel = d['file'][len('$samples') + 1:].rsplit('.', 1)[0]
    z = np.load('$work/logits/' + rel + '.npy').astype(np.float64).ravel()
    p = np.exp(z - z.max()); p /= p.sum()
    top = np.argsort(-p, kind='stable')[:3]
    assert [t['class'] for t in d['top']] == list(top), (d, top)
    assert np.allclose([t['probability'] for t in d['top']], p[top], rtol=1e-5), (d, p[top])"
printf '%s\n' zero one two three four five six seven eight nine > "$work/labels.txt"
run "$work/o" "$work/e" classify -m "$lenet" --labels "$work/labels.txt" -k 1 "$samples/coffee.jpg"; status=$?
check "classify --labels names the class" sh -c "test $status -eq 0 && grep -qE '^$samples/coffee.jpg: (zero|one|two|three|four|five|six|seven|eight|nine) \([0-9.]+%\)$' '$work/o'"
head -n 9 "$work/labels.txt" > "$work/labels9.txt"
run "$work/o" "$work/e" classify -m "$lenet" --labels "$work/labels9.txt" "$samples/coffee.jpg"; status=$?
check "classify with too few labels exits 2 naming the counts" sh -c "test $status -eq 2 && grep -q 'labels9.txt has 9 labels, but the model gives 10 classes' '$work/e'"
run "$work/o" "$work/e" classify -m "$lenet" "$work/mixed"; status=$?
check "classify reports bad images and classifies the rest, exit 1" sh -c "test $status -eq 1 && grep -q 'truncated.jpg' '$work/e' && grep -q '^$work/mixed/good.jpg: ' '$work/o' && grep -q '^$work/mixed/sub/grey.png: ' '$work/o'"
run "$work/o" "$work/e" classify -m "$lenet" -p 'grayscale ! resize width=30 height=30' "$samples/coffee.jpg"; status=$?
check "classify names a preprocessing that misses the model's input" sh -c "test $status -eq 1 && grep -q 'preprocessing gives 1x1x30x30; the model takes 1x1x32x32' '$work/e'"
fmap=$(cd "$(dirname "$0")/../fuzz/corpus-onnx" && pwd)/chain-conv-bn-relu-pool.onnx
run "$work/o" "$work/e" classify -m "$fmap" "$samples/coffee.jpg"; status=$?
check "classify refuses a model whose output is not class scores" sh -c "test $status -eq 2 && grep -q 'its output is 1x4x4x4, not one score per class' '$work/e'"
run "$work/o" "$work/e" classify "$samples"; status=$?
check "classify without a model exits 2" sh -c "test $status -eq 2 && grep -q 'give the model with -m' '$work/e'"
run "$work/o" "$work/e" classify -m "$work/missing.onnx" "$samples"; status=$?
check "classify with a missing model exits 2 naming it" sh -c "test $status -eq 2 && grep -q '^$work/missing.onnx: No such file' '$work/e'"
# features: a layer's maps as a labelled picture, its raw values as .npy,
# a conv layer's filters; the pixels are the maps through the colour map.
conv1=/features/features.0/Conv
run "$work/o" "$work/e" features -m "$lenet" -l $conv1 --full-decode "$samples/coffee.jpg" -o "$work/maps.png"; status=$?
check "features writes a colour picture of the maps" sh -c "test $status -eq 0 && vipsheader '$work/maps.png' | grep -q 'uchar, 3 bands'"
run "$work/o" "$work/e" features -m "$lenet" -l $conv1 --full-decode "$samples/coffee.jpg" -o "$work/maps.npy"; status=$?
run "$work/o2" "$work/e2" run "grayscale ! resize shorter=37 ! center-crop width=32 height=32 ! model file='$lenet' output=$conv1" -f npy -o "$work/cut" "$samples/coffee.jpg"
check "features .npy holds the layer's values, as the model op's cut" /usr/bin/python3 -c "
import numpy as np
a = np.load('$work/maps.npy'); b = np.load('$work/cut/coffee.npy')
assert a.shape == (1, 6, 28, 28), a.shape
assert np.array_equal(a, b)"
run "$work/o" "$work/e" features -m "$lenet" -l $conv1 --full-decode --no-labels --colormap gray --tile 28 --columns 6 "$samples/coffee.jpg" -o "$work/grey.png"; status=$?
check "features tiles each map stretched to its own range, through the colour map" /usr/bin/python3 -c "
import numpy as np, subprocess
a = np.load('$work/maps.npy')[0]
subprocess.run(['vips', 'extract_band', '$work/grey.png', '$work/g.pgm', '0'], check=True)
img = open('$work/g.pgm', 'rb').read()
head = [l for l in img.split(b'\n', 4)]  # P5, a comment, size, maxval, pixels
w, h = map(int, head[2].split()); pix = np.frombuffer(head[4], dtype=np.uint8).reshape(h, w)
assert (w, h) == (204, 44), (w, h)
for c in range(6):
    m = a[c]; want = np.round(255 * (m - m.min()) / (m.max() - m.min()))
    got = pix[8:36, 8 + 32 * c:36 + 32 * c].astype(float)
    assert np.abs(got - want).max() <= 1, (c, np.abs(got - want).max())"
run "$work/o" "$work/e" features -m "$lenet" -l /classifier/classifier.2/Gemm --no-labels --colormap gray --tile 1 --columns 10 "$samples/coffee.jpg" -o "$work/fc.png"; status=$?
check "features scales maps of one value over the whole layer" sh -c "test $status -eq 0 && test \"\$(vips min '$work/fc.png')\" = 0.000000 && test \"\$(vips max '$work/fc.png')\" = 255.000000"
run "$work/o" "$work/e" features -m "$lenet" -l $conv1 --filters -o "$work/filters.npy"; status=$?
run "$work/o2" "$work/e2" run "grayscale ! resize shorter=37 ! center-crop width=32 height=32" -f npy -o "$work/pre" "$samples/coffee.jpg"
check "features --filters .npy holds the weights that made the maps" /usr/bin/python3 -c "
import numpy as np
w = np.load('$work/filters.npy'); x = np.load('$work/pre/coffee.npy')[0, 0].astype(np.float64)
maps = np.load('$work/maps.npy')[0]
assert w.shape == (6, 1, 5, 5), w.shape
conv = np.array([[[np.sum(x[i:i + 5, j:j + 5] * w[o, 0]) for j in range(28)] for i in range(28)] for o in range(6)])
bias = maps - conv  # the same value across each map
assert np.abs(bias - bias.mean(axis=(1, 2), keepdims=True)).max() < 1e-4, np.abs(bias - bias.mean(axis=(1, 2), keepdims=True)).max()"
run "$work/o" "$work/e" features -m "$lenet" -l $conv1 --filters -o "$work/filters.png"; status=$?
check "features --filters draws the kernels" sh -c "test $status -eq 0 && vipsheader '$work/filters.png' | grep -q 'uchar, 3 bands'"
run "$work/o" "$work/e" features -m "$lenet" -l /features/features.1/Relu --filters -o "$work/f2.png"; status=$?
check "features --filters on a relu exits 1 saying why" sh -c "test $status -eq 1 && grep -q 'is a relu, not a convolution' '$work/e' && test ! -e '$work/f2.png'"
run "$work/o" "$work/e" features -m "$lenet" -l nope "$samples/coffee.jpg" -o "$work/n.png"; status=$?
check "features with an unknown layer exits 1 pointing at model info" sh -c "test $status -eq 1 && grep -q \"no layer 'nope' ('cnnfilt model info\" '$work/e'"
run "$work/o" "$work/e" features -m "$lenet" -l $conv1 "$work/mixed/truncated.jpg" -o "$work/t.png"; status=$?
check "features on a broken image exits 1 naming it" sh -c "test $status -eq 1 && grep -q '^$work/mixed/truncated.jpg' '$work/e' && test ! -e '$work/t.png'"
run "$work/o" "$work/e" features -m "$lenet" -l $conv1 -o "$work/t.png"; status=$?
check "features without an image exits 2" test $status -eq 2
run "$work/o" "$work/e" model frobnicate; status=$?
check "unknown model subcommand exits 2" test $status -eq 2

# Models that fix some dimensions of their input and leave others free
# (tests/models/make-free-size-models.py): the fixed ones are the model's,
# the free ones come from --input or --size, else batch 1 and 224×224, said.
free_rgb=$(cd "$(dirname "$0")/../models/data/free_hw_rgb" && pwd)/model.onnx   # [1, 3, h, w]
free_grey=$(cd "$(dirname "$0")/../models/data/free_hw_grey" && pwd)/model.onnx # [n, 1, h, w]
run "$work/o" "$work/e" model info "$free_grey"; status=$?
check "model info of a model of free size keeps its channels, assumes 224×224" sh -c "test $status -eq 0 && grep -q 'model.onnx, input 1x1x224x224$' '$work/o' && grep -q ' conv2d  *1x4x222x222  *40 ' '$work/o'"
check "model info says which dimensions it assumed" grep -qx "$free_grey: input height and width are free; assumed 224×224 (give --input)" "$work/e"
run "$work/o" "$work/e" model info --json "$free_rgb"; status=$?
check "model info --json lists the assumed dimensions" /usr/bin/python3 -c "
import json; d = json.load(open('$work/o'))
assert $status == 0 and d['input'] == [1, 3, 224, 224] and d['assumed'] == ['height', 'width'], d
assert d['layers'][0]['shape'] == [1, 4, 222, 222] and d['total_params'] == 137, d"
run "$work/o" "$work/e" model info --json --input 40x48 "$free_grey"; status=$?
check "model info --input HxW fills the free height and width" /usr/bin/python3 -c "
import json; d = json.load(open('$work/o'))
assert $status == 0 and d['input'] == [1, 1, 40, 48] and d['assumed'] == [], d
assert d['layers'][0]['shape'] == [1, 4, 38, 46], d"
check "model info assumes nothing when --input gives it" test ! -s "$work/e"
run "$work/o" "$work/e" model info --json "$lenet"; status=$?
check "model info --json of a model of fixed size assumes nothing" /usr/bin/python3 -c "
import json; d = json.load(open('$work/o')); assert d['assumed'] == [] and d['input'] == [1, 1, 32, 32], d"
run "$work/o" "$work/e" classify -m "$free_grey" --full-decode --size 32 --json -k 5 "$samples"; status=$?
run "$work/o2" "$work/e2" run "grayscale ! resize shorter=37 ! center-crop width=32 height=32 ! model file='$free_grey'" -f npy -o "$work/free-logits" "$samples"
check "classify --size sets the free height and width of a one-channel model" /usr/bin/python3 -c "
import json, numpy as np
lines = open('$work/o').read().splitlines()
assert $status == 0 and len(lines) == 5, lines
for line in lines:
    d = json.loads(line)
    z = np.load('$work/free-logits/' + d['file'][len('$samples') + 1:].rsplit('.', 1)[0] + '.npy').ravel()
    p = np.exp(z - z.max()); p /= p.sum()
    assert np.allclose([t['probability'] for t in d['top']], np.sort(p)[::-1], rtol=1e-5), (d, p)"
check "classify with --size assumes nothing" sh -c "! grep -q 'free' '$work/e'"
run "$work/o" "$work/e" classify -m "$free_rgb" -k 1 "$samples/coffee.jpg"; status=$?
check "classify of a model of free size assumes 224×224 and says so" sh -c "test $status -eq 0 && grep -q '^$samples/coffee.jpg: class' '$work/o' && grep -qx '$free_rgb: input height and width are free; assumed 224×224 (give --size)' '$work/e'"
run "$work/o" "$work/e" classify -m "$free_rgb" -k 1 -p 'rgb ! resize width=40 height=30' "$samples"; status=$?
check "classify --preprocess sets the free size the model runs at" sh -c "test $status -eq 0 && test \$(wc -l < '$work/o') -eq 5"
run "$work/o" "$work/e" classify -m "$free_rgb" -p 'rgb' "$samples/coffee.jpg"; status=$?
check "classify refuses a --preprocess that keeps the image's size for a model of free size" sh -c "test $status -eq 2 && grep -q \"preprocess 'rgb' keeps each image's size\" '$work/e'"
run "$work/o" "$work/e" classify -m "$free_rgb" -b 4 "$samples/coffee.jpg"; status=$?
check "classify --batch against a model's fixed batch size exits 2 naming both" sh -c "test $status -eq 2 && grep -q 'batch 4: the model.s batch size is fixed at 1' '$work/e'"
run "$work/o" "$work/e" features -m "$free_grey" -l /conv/Conv --size 40 "$samples/coffee.jpg" -o "$work/free-maps.npy"; status=$?
check "features --size sets the free height and width" /usr/bin/python3 -c "
import numpy as np; assert $status == 0 and np.load('$work/free-maps.npy').shape == (1, 4, 38, 38)"

# --json is valid JSON whatever the bytes of file names and labels: a byte
# that is not UTF-8 is \udcXX, which Python's os.fsencode() and
# str.encode('utf-8', 'surrogateescape') turn back into the byte.
mkdir -p "$work/bytes"
cp "$samples/coffee.jpg" "$work/bytes/"$'\xff'".jpg"
cp "$samples/camera.png" "$work/bytes/"$'caf\xe9 "q"\t'".png"
printf 'zero\n\xff\xfe\ntwo\tthree "3" \\\nca\xe9\n\xe2\x82\xac4\n\xe2\x82\nsix\n\xed\xa0\x80\neight\nnine\n' > "$work/bytes-labels.txt"
run "$work/o" "$work/e" classify -m "$lenet" --json -k 10 --labels "$work/bytes-labels.txt" "$work/bytes"; status=$?
check "classify --json of file names and labels that are not UTF-8 is valid JSON, losslessly" /usr/bin/python3 -c "
import json, os
labels = open('$work/bytes-labels.txt', 'rb').read().split(b'\n')[:-1]
lines = open('$work/o', 'rb').read().splitlines()
assert $status == 0 and len(lines) == 2, lines
files = set()
for line in lines:
    d = json.loads(line.decode('utf-8'))
    files.add(os.fsencode(d['file']))
    for t in d['top']:
        assert t['label'].encode('utf-8', 'surrogateescape') == labels[t['class']], (t, labels[t['class']])
assert files == {b'$work/bytes/\xff.jpg', b'$work/bytes/caf\xe9 \"q\"\t.png'}, files"
cp "$lenet" "$work/bytes/"$'\xfe'".onnx"
run "$work/o" "$work/e" model info --json "$work/bytes/"$'\xfe'".onnx"; status=$?
check "model info --json of a model path that is not UTF-8 is valid JSON" /usr/bin/python3 -c "
import json, os
d = json.loads(open('$work/o', 'rb').read().decode('utf-8'))
assert $status == 0 and os.fsencode(d['model']) == b'$work/bytes/\xfe.onnx', d['model']"
# Models with bytes ff fe in names and strings (tests/onnx/invalid-utf8/make.py).
bad_utf8=$(cd "$(dirname "$0")/../onnx/invalid-utf8" && pwd)
run "$work/o" "$work/e" model info --json "$bad_utf8/names.onnx"; status=$?
check "model info --json names layers whose names are not UTF-8 with \\xNN" /usr/bin/python3 -c "
import json
d = json.loads(open('$work/o', 'rb').read().decode('utf-8'))
assert $status == 0 and [l['name'] for l in d['layers']] == ['relu\\\\xff\\\\xfe'], d"
run "$work/o" "$work/e" model info "$bad_utf8/pad-mode.onnx"; status=$?
check "model info quotes a model's string that is not UTF-8 with \\xNN" sh -c "test $status -eq 1 && grep -q \"pad-mode.onnx: node 'pad' (Pad, opset 13): .*'\\\\\\\\xff\\\\\\\\xfe'\" '$work/e' && iconv -f UTF-8 -t UTF-8 '$work/e' >/dev/null"

# Command-line conventions: typos get a suggestion, a bad number names its
# option and value and says what is expected, all before any file is read.
run "$work/o" "$work/e" edgs -o "$work/typo" "$samples"; status=$?
check "an unknown command close to one gets a suggestion" sh -c "test $status -eq 2 && grep -q \"unknown command 'edgs' (did you mean 'edges'?\" '$work/e' && test ! -e '$work/typo'"
run "$work/o" "$work/e" clasify -m "$lenet" "$samples"; status=$?
check "classify misspelt gets a suggestion" sh -c "test $status -eq 2 && grep -q \"did you mean 'classify'\" '$work/e'"
run "$work/o" "$work/e" frobnicate; status=$?
check "an unknown command far from all gets none" sh -c "test $status -eq 2 && ! grep -q 'did you mean' '$work/e'"
run "$work/o" "$work/e" sobel; status=$?
check "an op given as a command points at cnnfilt run" sh -c "test $status -eq 2 && grep -q \"sobel is an op; run it with 'cnnfilt run sobel\" '$work/e'"
run "$work/o" "$work/e" model inf "$lenet"; status=$?
check "an unknown model subcommand names the one there is" sh -c "test $status -eq 2 && grep -q \"unknown subcommand 'inf' (there is one: info\" '$work/e'"
run "$work/o" "$work/e" features -m "$lenet" -l $conv1 --tile 5000 "$samples/coffee.jpg" -o "$work/big.png"; status=$?
check "features --tile 5000 exits 2 naming the option, the value and the limit" sh -c "test $status -eq 2 && grep -q 'features: --tile 5000: expected 1 to 4096 pixels' '$work/e' && test ! -e '$work/big.png'"
run "$work/o" "$work/e" features -m "$lenet" -l $conv1 --filters --tile 4096 --max 1 --no-labels -o "$work/big.png"; status=$?
check "features --tile 4096 draws a 5×5 filter 820 times enlarged" sh -c "test $status -eq 0 && vipsheader '$work/big.png' | grep -q '4116x4116 uchar, 3 bands'"
for bad in "--columns -1" "--max 0" "--size -2"; do
  run "$work/o" "$work/e" features -m "$lenet" -l $conv1 $bad "$samples/coffee.jpg" -o "$work/n.png"; status=$?
  check "features $bad exits 2 naming it" sh -c "test $status -eq 2 && grep -q -- 'features: $bad: expected ' '$work/e'"
done
for bad in "--top 0" "--batch 0" "--size -1" "--resize -5"; do
  run "$work/o" "$work/e" classify -m "$lenet" $bad "$samples"; status=$?
  check "classify $bad exits 2 naming it" sh -c "test $status -eq 2 && grep -q -- 'classify: $bad: expected ' '$work/e'"
done
run "$work/o" "$work/e" classify -m "$lenet" --jobs -1 "$samples"; status=$?
check "classify --jobs -1 exits 2 naming it" sh -c "test $status -eq 2 && grep -q -- '--jobs -1: expected ' '$work/e'"
run "$work/o" "$work/e" classify -m "$lenet" --top 3x "$samples"; status=$?
check "classify --top 3x exits 2 naming it" sh -c "test $status -eq 2 && grep -q 'for --top' '$work/e' && grep -q '3x' '$work/e'"

# --trace and CNNFILT_TRACE=1: where each node runs, and with how many threads.
run "$work/o" "$work/e" run -q -j 2 --trace 'grayscale ! sobel' -o "$work/trace" "$samples"; status=$?
check "--trace names each node, its device and threads" sh -c "test $status -eq 0 && grep -q '^cnnfilt trace: sobel (sobel) on cpu, 1 thread' '$work/e'"
CNNFILT_TRACE=1 "$cnnfilt" run -q -j 1 'grayscale' -o "$work/trace1" "$samples/camera.png" >"$work/o" 2>"$work/e" </dev/null; status=$?
check "CNNFILT_TRACE=1 traces too; one worker gives the ops every core" sh -c "test $status -eq 0 && grep -q '^cnnfilt trace: grayscale (grayscale) on cpu, [0-9]* thread' '$work/e'"

# CNNFILT_PROFILE=1: each node's time per run, the first run after a prepare (kernels made) apart.
mkdir -p "$work/three"
for f in a b c; do cp "$samples/camera.png" "$work/three/$f.png"; done
CNNFILT_PROFILE=1 "$cnnfilt" run -q -j 1 'grayscale ! sobel' -o "$work/profiled" "$work/three" >"$work/o" 2>"$work/e" </dev/null; status=$?
check "CNNFILT_PROFILE=1 times the runs after the first, the first apart" sh -c "test $status -eq 0 && grep -q '^cnnfilt profile: [0-9.]* ms per run over 2 runs (the first run after each prepare, which makes the kernels and packs the weights, left out: [0-9.]* ms)' '$work/e' && grep -q ' sobel  *sobel  *1x1x512x512' '$work/e'"

# Shrink-on-load: the default decodes large photos reduced; the classes stay those of a full decode.
run "$work/o" "$work/e" classify -q -k 1 -m "$lenet" "$samples/space/astronaut.jpg"
run "$work/o2" "$work/e2" classify -q -k 1 --full-decode -m "$lenet" "$samples/space/astronaut.jpg"
check "classify with shrink-on-load gives the class of a full decode" test "$(cut -d'(' -f1 "$work/o")" = "$(cut -d'(' -f1 "$work/o2")"

echo "1..$n"
[ $failed -eq 0 ]
