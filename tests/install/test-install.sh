#!/usr/bin/env bash
# meson install into a temporary DESTDIR, then the installed program,
# library, plugins, typelib, Python overrides, GJS example, vapi and
# pkg-config file used from there, with nothing of the build tree on any
# path; and the example plugin of docs/examples/plugin built against the
# installed headers and loaded. TAP.
# Usage: test-install.sh BUILD_DIR SOURCE_DIR
set -u
build=$(realpath "$1")
source=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for line in "$@"; do echo "# $line"; done; }
check () { # check NAME COMMAND...
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then ok "$name"; else not_ok "$name" "failed: $*" "$(tail -5 "$work/out")"; fi
}

root=$work/root
if ! meson install -C "$build" --destdir "$root" --no-rebuild --quiet >"$work/install.log" 2>&1; then
  not_ok "meson install --destdir" "$(tail -5 "$work/install.log")"
  echo "1..$n"; exit 1
fi
ok "meson install --destdir"
find_one () { find "$root" -path "$1" -print -quit; }
bin=$(find_one '*/bin/cnnfilt')
lib=$(dirname "$(find_one '*/libcnnfilt-1.0.so.0')")
plugins=$(find_one '*/cnnfilt-1.0/plugins')
typelibs=$(dirname "$(find_one '*/Cnnfilt-1.0.typelib')")
overrides=$(find_one '*/gi/overrides/Cnnfilt.py')
pc=$(dirname "$(find_one '*/pkgconfig/cnnfilt-1.0.pc')")
for what in bin lib plugins typelibs overrides pc; do
  check "installed: $what" test -n "${!what}"
done
check "installed: vapi" test -n "$(find_one '*/vapi/cnnfilt-1.0.vapi')"
check "installed: cnnfilt.dask" test -n "$(find_one '*/cnnfilt/dask.py')"
check "installed: man pages" test -n "$(find_one '*/man1/cnnfilt-run.1')"
check "installed: bash completion" test -n "$(find_one '*/bash-completion/completions/cnnfilt')"
check "installed: the API reference" test -n "$(find_one '*/doc/Cnnfilt-1.0/index.html')"
check "installed: headers, the kernel and area-op ones too" test -n "$(find_one '*/cnnfilt-1.0/cnnfilt-area-op.h')" -a -n "$(find_one '*/cnnfilt-1.0/cnnfilt-kernel.h')"
examples=$(dirname "$(find_one '*/examples/gjs/edges.js')")

# Only the installed tree: a clean environment, and the build tree moved out
# of sight of every search path.
run () {
  env -i PATH=/usr/bin:/bin HOME="$work" XDG_CACHE_HOME="$work/cache" \
    LD_LIBRARY_PATH="$lib" CNNFILT_PLUGIN_PATH="$plugins${EXTRA_PLUGINS:+:$EXTRA_PLUGINS}" \
    GI_TYPELIB_PATH="$typelibs" PYTHONPATH="$(dirname "$(dirname "$(dirname "$overrides")")")" \
    CNNFILT_DEVICE=cpu "$@"
}
run "$bin" ops >"$work/ops-installed" 2>&1
check "the installed cnnfilt lists the ops" grep -q '^sobel' "$work/ops-installed"
run "$bin" edges -o "$work/edges" "$source/samples/camera.png" >"$work/e.out" 2>&1
check "the installed cnnfilt runs the edge preset" test -s "$work/edges/camera.png"

cat >"$work/where.py" <<PY
import gi, sys
gi.require_version("Cnnfilt", "1.0")
from gi.repository import Cnnfilt
import numpy as np
import gi.overrides.Cnnfilt as overrides
out = Cnnfilt.Op.new("invert")(np.zeros((2, 2), np.float32))
assert (out == 1).all()
maps = open("/proc/self/maps").read()
loaded = sorted({l.split()[-1] for l in maps.splitlines() if "cnnfilt" in l.split()[-1]})
root, build = sys.argv[1], sys.argv[2]
assert overrides.__file__.startswith(root), overrides.__file__
assert all(p.startswith(root) for p in loaded), loaded
assert not any(p.startswith(build) for p in loaded), loaded
print(len(loaded), "libcnnfilt files, all installed")
PY
check "Python: the installed overrides, library and plugins, none of the build tree" run /usr/bin/python3 "$work/where.py" "$root" "$build"
if command -v gjs >/dev/null; then
  check "GJS: the installed example" run gjs -m "$examples/edges.js" "$work/gjs" "$source/samples/coffee.jpg"
  check "... wrote its edge map" test -s "$work/gjs/coffee.png"
else
  n=$((n + 1)); echo "ok $n - GJS: the installed example # SKIP gjs is not installed"
fi

# A plugin of one's own, against the installed headers and cnnfilt-1.0.pc
# (a copy whose prefix is the DESTDIR's: the others, GLib's, stay the
# system's).
mkdir -p "$work/pc"
prefix=$(sed -n 's/^prefix=//p' "$pc/cnnfilt-1.0.pc")
sed "s|^prefix=.*|prefix=$root$prefix|" "$pc/cnnfilt-1.0.pc" >"$work/pc/cnnfilt-1.0.pc"
export PKG_CONFIG_PATH=$work/pc
if meson setup "$work/plugin" "$source/docs/examples/plugin" -Dwerror=true >"$work/p.log" 2>&1 &&
   meson compile -C "$work/plugin" >>"$work/p.log" 2>&1; then
  ok "the example plugin builds against the installed headers"
else
  not_ok "the example plugin builds against the installed headers" "$(tail -8 "$work/p.log")"
fi
unset PKG_CONFIG_PATH
EXTRA_PLUGINS=$work/plugin run "$bin" ops >"$work/ops" 2>&1
check "... and its ops are listed" sh -c "grep -q '^posterize' '$work/ops' && grep -q '^min-filter' '$work/ops'"
EXTRA_PLUGINS=$work/plugin run "$bin" run -f npy -o "$work/poster" 'grayscale ! posterize levels=3 ! min-filter padding=1' "$source/samples/camera.png" >"$work/r.out" 2>&1
check "... and run: posterize gives 3 levels, min-filter keeps the size" /usr/bin/python3 -c "
import numpy as np
a = np.load('$work/poster/camera.npy')
assert a.shape[2:] == (512, 512), a.shape
assert set(np.unique(a)) <= {0.0, 0.5, 1.0}, np.unique(a)
"
EXTRA_PLUGINS=$work/plugin run "$bin" run --device opencl --trace -f npy -o "$work/poster-cl" 'grayscale ! posterize levels=3' "$source/samples/camera.png" >"$work/r2.out" 2>&1
if grep -q '^opencl' <(run "$bin" devices 2>/dev/null); then
  check "... the point op's kernel is made from its expression on OpenCL" grep -q 'posterize (posterize) on opencl' "$work/r2.out"
else
  n=$((n + 1)); echo "ok $n - the point op's kernel on OpenCL # SKIP no OpenCL platform"
fi

echo "1..$n"
[ $failed -eq 0 ]
