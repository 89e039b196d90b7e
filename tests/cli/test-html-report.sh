#!/usr/bin/env bash
# search --html and dedup --html, as TAP, rendered in a real headless
# browser (Debian chromium): the page loads with no network, and its
# screenshot shows the thumbnails, not broken-image icons. The photos carry
# a magenta half, a colour no photo has, so that thumbnails are counted by
# their pixels in the screenshot.
# Usage: test-html-report.sh CNNFILT SAMPLES_DIR MODEL.onnx
# The default model when it has been made (models/), else MODEL.onnx cut
# before its classifier: with seeded weights everything looks alike, so the
# duplicates' threshold is then near 1 (the half-size copy scores 1.0000,
# the nearest other photo 0.9993).
set -u
cnnfilt=$1
samples=$2
models_dir=${CNNFILT_MODELDIR:-$(dirname "$0")/../../models}
if [ -f "$models_dir/mobilenet_v2_140.onnx" ]; then
  model=(-m "$models_dir/mobilenet_v2_140.onnx")
  threshold=0.92
else
  model=(-m "$3" --layer /features/features.12/Concat)
  threshold=0.9998
fi
python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); echo "not ok $n - $1"; shift; for line in "$@"; do echo "# $line"; done; }
check () {
  local name=$1; shift
  if "$@" >"$work/check.out" 2>&1; then ok "$name"; else not_ok "$name" "failed: $*" "$(tail -5 "$work/check.out")"; fi
}
browser=$(command -v chromium || command -v chromium-browser || true)

# Photos: coffee and chelsea with a magenta left half, a half-size copy of
# the coffee (its near-duplicate), the camera man as it is.
mkdir -p "$work/photos"
$python - "$samples" "$work/photos" <<'EOF'
import sys
from PIL import Image
samples, out = sys.argv[1:]
for name in ("coffee.jpg", "chelsea.jpg"):
    im = Image.open(f"{samples}/{name}").convert("RGB")
    im.paste((255, 0, 255), (0, 0, im.width // 2, im.height))
    im.save(f"{out}/{name[:-4]}.png")
coffee = Image.open(f"{out}/coffee.png")
coffee.resize((coffee.width // 2, coffee.height // 2), Image.BILINEAR).save(f"{out}/coffee-half.png")
Image.open(f"{samples}/camera.png").convert("L").save(f"{out}/camera.png")
EOF
sum_before=$(md5sum <"$work/photos/camera.png")
db=$work/photos.db
"$cnnfilt" embed -q "${model[@]}" --index "$db" "$work/photos" 2>"$work/embed.err"
check "embed the photos" test -s "$db"

# The pages. A name not ending in .html is refused: a slip never replaces a photo.
"$cnnfilt" search --index "$db" -k 3 --html "$work/photos/camera.png" "$work/photos/coffee.png" \
  >/dev/null 2>"$work/refused.err"
check "--html refuses a name not ending in .html" grep -q "must end in .html" "$work/refused.err"
check "... and the photo is untouched" test "$(md5sum <"$work/photos/camera.png")" = "$sum_before"
"$cnnfilt" search --index "$db" -k 2 --html "$work/search.html" "$work/photos/coffee.png" \
  "$work/photos/camera.png" >"$work/search.out" 2>"$work/search.err"
check "search --html writes the page" test -s "$work/search.html"
"$cnnfilt" dedup --index "$db" --threshold $threshold --json --html "$work/dedup.html" >"$work/dedup.json" \
  2>"$work/dedup.err"
check "dedup --html writes the page" test -s "$work/dedup.html"
check "dedup finds the coffee and its half-size copy" $python -c "
import json; d = json.load(open('$work/dedup.json'))
assert len(d) == 1 and sorted([*d, *sum(d.values(), [])])[0].endswith('coffee-half.png'), d"

# Self-contained: every image is a data URI, nothing points outside.
check "the pages load nothing from elsewhere" $python - "$work/search.html" "$work/dedup.html" <<'EOF'
import re, sys
for page in sys.argv[1:]:
    html = open(page).read()
    sources = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert sources and all(s.startswith("data:image/jpeg;base64,") for s in sources), page
    assert "<script" not in html and "url(" not in html, page
EOF
check "search page: 2 queries with 2 matches each, scores shown" $python -c "
html = open('$work/search.html').read()
assert html.count('<figure') == 6 and html.count('class=\"query\"') == 2, html.count('<figure')
assert '1.0000' in html"
check "dedup page: one group of two, the second's similarity shown" $python -c "
import re; html = open('$work/dedup.html').read()
assert html.count('<section') == 1 and html.count('<figure') == 2
scores = [float(s) for s in re.findall(r'class=\"score\">([0-9.]+)<', html)]
assert scores[0] == 1 and $threshold <= scores[1] <= 1, scores"

# A file gone from disk is shown as such, and the page still renders.
cp "$work/photos/chelsea.png" "$work/gone.png"
"$cnnfilt" embed -q "${model[@]}" --index "$db" "$work/gone.png" 2>/dev/null
rm "$work/gone.png"
"$cnnfilt" search --index "$db" -k 5 --html "$work/gone.html" "$work/photos/chelsea.png" >/dev/null 2>&1
check "a file gone from disk is named on the page" grep -q 'class="missing"' "$work/gone.html"

# Rendered in the browser: the thumbnails' magenta halves are on screen.
screenshot () { # PAGE PNG
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$work/chromium" --window-size=1200,1400 --hide-scrollbars \
    --screenshot="$2" "file://$1" >"$work/chromium.log" 2>&1
}
# Counts the thumbnails with a magenta half on screen: blobs of magenta
# pixels of at least 2,000 (a half is 100 × 66 or more); broken-image
# icons and text have no magenta at all.
magenta_thumbnails () { # PNG
  $python - "$1" <<'EOF'
import sys
import numpy as np
from PIL import Image
rgb = np.asarray(Image.open(sys.argv[1]).convert("RGB")).astype(int)
mask = (rgb[..., 0] > 220) & (rgb[..., 1] < 40) & (rgb[..., 2] > 220)
seen = np.zeros_like(mask)
blobs = 0
for y0, x0 in zip(*np.nonzero(mask)):
    if seen[y0, x0]:
        continue
    stack, size = [(y0, x0)], 0
    seen[y0, x0] = True
    while stack:
        y, x = stack.pop()
        size += 1
        for v, u in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
            if 0 <= v < mask.shape[0] and 0 <= u < mask.shape[1] and mask[v, u] and not seen[v, u]:
                seen[v, u] = True
                stack.append((v, u))
    blobs += size >= 2000
print(blobs)
EOF
}
if [ -z "$browser" ]; then
  for what in "search page renders with its thumbnails" "dedup page renders with its thumbnails" \
              "page with a missing file renders the others"; do
    n=$((n + 1)); echo "ok $n # SKIP $what: no chromium (apt-get install chromium)"
  done
else
  # search: the coffee query, itself and its copy; the camera man, itself
  # and his nearest other, a magenta photo
  screenshot "$work/search.html" "$work/search.png"
  seen=$(magenta_thumbnails "$work/search.png" 2>&1)
  check "search page renders with its thumbnails (4 magenta expected, $seen seen)" test "$seen" = 4
  screenshot "$work/dedup.html" "$work/dedup.png"
  seen=$(magenta_thumbnails "$work/dedup.png" 2>&1)
  check "dedup page renders with its thumbnails (2 magenta expected, $seen seen)" test "$seen" = 2
  # chelsea (query), itself, the coffee and its copy; the gone file a box
  screenshot "$work/gone.html" "$work/gone.png"
  seen=$(magenta_thumbnails "$work/gone.png" 2>&1)
  check "page with a missing file renders the others (4 magenta expected, $seen seen)" test "$seen" = 4
fi
echo "1..$n"
