#!/usr/bin/env bash
# cnnfilt embed on images of every layout a photo folder holds (grey, grey +
# alpha, RGBA, palette, 16-bit PNG and TIFF, CMYK JPEG and TIFF, a single
# pixel, extreme aspect ratios) and on broken files (truncated JPEG and PNG,
# empty, text named .jpg, a PNG with damaged data), with the default model,
# as TAP. Broken files are named on stderr as `PATH: reason` and skipped, the
# exit status is 1, the run ends, and the good files of the same run are
# indexed; a converted image embeds close to the RGB photo it was made from.
# Images are made with Pillow (/usr/bin/python3, python3-pil) and vips
# (libvips-tools) from samples/coffee.jpg.
# Usage: test-embed-formats.sh CNNFILT SAMPLES_DIR MODELS_DIR
set -u
cnnfilt=$1
samples=$2
models=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
skip () { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
not_ok () { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for line in "$@"; do echo "# $line"; done; }
check () {
  local name=$1; shift
  if "$@" >"$work/check.out" 2>&1; then ok "$name"; else not_ok "$name" "failed: $*" "$(tail -3 "$work/check.out")"; fi
}

model=${CNNFILT_MODELDIR:-$models}/mobilenet_v2_140.onnx
why=
[ -f "$model" ] || why="no default model $model (models/fetch-default-model.sh)"
[ -n "$why" ] || command -v vips >/dev/null || why="vips is not installed (Debian: libvips-tools)"
[ -n "$why" ] || /usr/bin/python3 -c 'import PIL' 2>/dev/null || why="Pillow is not installed (Debian: python3-pil)"
if [ -n "$why" ]; then
  skip "cnnfilt embed on every image layout and on broken files" "$why"
  echo "1..$n"
  exit 0
fi

# in/: what one embed run is given, good and broken files together;
# refs/: the RGB and greyscale photos the converted copies are compared to.
in=$work/in
mkdir -p "$in" "$work/refs"
/usr/bin/python3 - "$samples/coffee.jpg" "$in" "$work/refs" "$work" <<'EOF' || { echo "Bail out! cannot make the images"; exit 1; }
import struct, sys
from PIL import Image
source, good, refs, work = sys.argv[1:]
rgb = Image.open(source).convert("RGB")  # 600 x 400
rgb.save(f"{refs}/rgb.png")
grey = rgb.convert("L")
grey.convert("RGB").save(f"{refs}/grey-rgb.png")
grey.save(f"{good}/grey.png")
grey.save(f"{good}/grey.jpg", quality=95)
grey.convert("LA").save(f"{good}/grey-alpha.png")
rgb.convert("RGBA").save(f"{good}/rgba.png")
half = rgb.convert("RGBA")
half.putalpha(128)
half.save(f"{good}/rgba-half-transparent.png")
rgb.quantize(256).save(f"{good}/palette.png")
rgb.quantize(16).save(f"{good}/palette-transparent.png", transparency=0)
# Pillow's CMYK: C = 255 - R, ..., K = 0, no ICC profile
rgb.convert("CMYK").save(f"{good}/cmyk-pillow.jpg", quality=95)
rgb.convert("CMYK").save(f"{good}/cmyk-pillow.tif")
Image.new("RGB", (1, 1), (200, 120, 60)).save(f"{good}/one-pixel.png")
rgb.resize((5000, 3)).save(f"{good}/wide.png")
rgb.resize((3, 5000)).save(f"{good}/tall.png")
# large enough that the JPEG decoder shrinks it on load
rgb.resize((1800, 1200)).save(f"{good}/large.jpg", quality=90)
# broken files, named as photos
rgb.save(f"{work}/whole.jpg", quality=90)
data = open(f"{work}/whole.jpg", "rb").read()
open(f"{good}/truncated.jpg", "wb").write(data[: len(data) // 2])
data = open(f"{good}/large.jpg", "rb").read()
open(f"{good}/truncated-large.jpg", "wb").write(data[: len(data) // 2])
data = open(f"{refs}/rgb.png", "rb").read()
open(f"{good}/truncated.png", "wb").write(data[: len(data) // 2])
open(f"{good}/empty.jpg", "wb").close()
open(f"{good}/text.jpg", "w").write("This is a text file, not a JPEG.\n")
# a PNG whose first IDAT chunk has 64 bytes inverted (its CRC no longer matches)
png = bytearray(data)
at = png.find(b"IDAT")
length = struct.unpack(">I", png[at - 4 : at])[0]
for i in range(at + 4 + length // 2, at + 4 + length // 2 + 64):
    png[i] ^= 0xFF
open(f"{good}/corrupt.png", "wb").write(bytes(png))
EOF
# 16-bit and ICC-converted CMYK copies, by libvips
if ! { vips colourspace "$work/refs/rgb.png" "$in/rgb16.png" rgb16 &&
       vips colourspace "$work/refs/rgb.png" "$in/rgb16.tif" rgb16 &&
       vips colourspace "$in/grey.png" "$in/grey16.png" grey16 &&
       vips colourspace "$work/refs/rgb.png" "$in/grey16.tif" grey16 &&
       vips icc_transform "$work/refs/rgb.png" "$in/cmyk-icc.jpg" cmyk --input-profile srgb &&
       vips icc_transform "$work/refs/rgb.png" "$in/cmyk-icc.tif" cmyk --input-profile srgb; }; then
  echo "Bail out! vips cannot make the 16-bit and CMYK images"
  exit 1
fi
check "the test images are what they claim (vipsheader)" sh -c "
  vipsheader -f format '$in/rgb16.png' | grep -q USHORT && vipsheader -f bands '$in/rgb16.png' | grep -qx 3 &&
  vipsheader -f format '$in/rgb16.tif' | grep -q USHORT && vipsheader -f format '$in/grey16.png' | grep -q USHORT &&
  vipsheader -f format '$in/grey16.tif' | grep -q USHORT &&
  vipsheader -f interpretation '$in/cmyk-pillow.jpg' | grep -q CMYK && vipsheader -f interpretation '$in/cmyk-pillow.tif' | grep -q CMYK &&
  vipsheader -f interpretation '$in/cmyk-icc.jpg' | grep -q CMYK && vipsheader -f interpretation '$in/cmyk-icc.tif' | grep -q CMYK &&
  vipsheader -f bands '$in/cmyk-icc.jpg' | grep -qx 4 && vipsheader -f bands '$in/grey-alpha.png' | grep -qx 2 &&
  vipsheader -f bands '$in/rgba.png' | grep -qx 4 && vipsheader -f bands '$in/palette-transparent.png' | grep -qx 4"

bad="truncated.jpg truncated-large.jpg truncated.png empty.jpg text.jpg corrupt.png"
good="grey.png grey.jpg grey-alpha.png grey16.png grey16.tif rgba.png rgba-half-transparent.png"
good="$good palette.png palette-transparent.png rgb16.png rgb16.tif cmyk-pillow.jpg cmyk-pillow.tif"
good="$good cmyk-icc.jpg cmyk-icc.tif one-pixel.png large.jpg"
# strips of more than 256:1: resized, the longer side would pass the
# resize op's limit of 65,536; it is squeezed to it instead
extreme="wide.png tall.png"

db=$work/mixed.db
timeout 120 "$cnnfilt" embed --index "$db" "$in" >"$work/embed.out" 2>"$work/embed.err"
status=$?
check "embed of good and broken files together ends (no hang)" test $status -ne 124
check "... exits 1: some files failed" test $status -eq 1
for name in $bad; do
  check "... names $name on stderr as 'PATH: reason'" grep -qE "^$in/$name: [^ ]" "$work/embed.err"
done
"$cnnfilt" index export "$db" "$work/mixed.npy" "$work/mixed.txt" >/dev/null 2>"$work/export.err" || sed "s/^/# export: /" "$work/export.err"
for name in $good; do
  check "... embeds $name" sh -c "grep -qx '$in/$name' '$work/mixed.txt' && ! grep -q '^$in/$name: ' '$work/embed.err'"
done
for name in $extreme; do
  check "... embeds $name ($(vipsheader -f width "$in/$name")x$(vipsheader -f height "$in/$name"))" \
    sh -c "! grep '^$in/$name: ' '$work/embed.err' && grep -qx '$in/$name' '$work/mixed.txt'"
done
"$cnnfilt" index info --json "$db" >"$work/info.json" 2>&1
check "index info --json counts the good files and none of the broken ones" /usr/bin/python3 -c "
import json
info = json.load(open('$work/info.json'))
paths = open('$work/mixed.txt').read().split()
good, bad, extreme = '$good'.split(), '$bad'.split(), '$extreme'.split()
names = [p.rsplit('/', 1)[1] for p in paths]
assert info['images'] == len(paths) and info['dimension'] == 1792, info
assert set(names) == set(good + extreme), sorted(names)
"
queries=()
for name in $good; do queries+=("$in/$name"); done
"$cnnfilt" search --index "$db" -k 5 --json "${queries[@]}" >"$work/self.json" 2>"$work/self.err"
# (grey.png and grey-alpha.png, say, embed alike: the query is among the ties)
check "search by each good file's path finds it first, at cosine 1" /usr/bin/python3 -c "
import json
rows = [json.loads(l) for l in open('$work/self.json')]
assert len(rows) == len('$good'.split()), rows
for row in rows:
    first = [r['path'] for r in row['results'] if r['score'] > 1 - 1e-4]
    assert row['query'] in first, row
"

# Converted copies against their source, embedded on the fly by search:
# among the RGB photo, its greyscale version and the other sample photos,
# each copy's nearest is its source, at least this close (cosine; unrelated
# photos reach 0.75 with this model). A 16-colour palette and Pillow's naive
# CMYK, JPEG-compressed, lose more than the lossless copies.
mkdir -p "$work/refs/others"
cp "$samples/chelsea.jpg" "$samples/camera.png" "$samples/space/astronaut.jpg" "$samples/space/rocket.jpg" "$work/refs/others/"
"$cnnfilt" embed -q --index "$work/refs.db" "$work/refs" >/dev/null 2>"$work/refs.err"
check "the reference photos are indexed" sh -c "'$cnnfilt' index info '$work/refs.db' | grep -q ': 6 images'"
close () { # close FILE SOURCE MIN-COSINE
  /usr/bin/python3 -c "
import json
rows = [json.loads(l) for l in open('$work/close.json')]
row = next(r for r in rows if r['query'] == '$in/$1')
top = row['results'][0]
assert top['path'] == '$work/refs/$2' and top['score'] >= $3, (top, 'want $2 at $3')
print(top['score'])"
}
"$cnnfilt" search --index "$work/refs.db" -k 1 --json "${queries[@]}" >"$work/close.json" 2>"$work/close.err"
# (opaque ones only: how a transparent image should look to the model is a choice)
for name in rgba.png rgb16.png rgb16.tif palette.png large.jpg; do
  check "$name embeds as its RGB source (cosine >= 0.99)" close "$name" rgb.png 0.99
done
for name in grey.png grey-alpha.png grey16.png grey16.tif grey.jpg; do
  check "$name embeds as its greyscale source (cosine >= 0.99)" close "$name" grey-rgb.png 0.99
done
check "palette-transparent.png (16 colours) embeds close to its RGB source (cosine >= 0.85)" close palette-transparent.png rgb.png 0.85
for name in cmyk-pillow.jpg cmyk-pillow.tif cmyk-icc.jpg cmyk-icc.tif; do
  check "$name embeds close to its RGB source (cosine >= 0.9)" close "$name" rgb.png 0.9
done

# Each broken file alone: exit 1 naming it, nothing indexed, within the timeout.
for name in $bad; do
  timeout 60 "$cnnfilt" embed --index "$work/alone.db" "$in/$name" >/dev/null 2>"$work/alone.err"
  status=$?
  check "$name alone: exit 1 naming it" sh -c "test $status -eq 1 && grep -qE '^$in/$name: [^ ]' '$work/alone.err'"
done
check "... and none was indexed" sh -c "'$cnnfilt' index info '$work/alone.db' | grep -q ': 0 images'"

echo "1..$n"
[ $failed -eq 0 ]
