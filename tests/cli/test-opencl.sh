#!/usr/bin/env bash
# The OpenCL device from the command line, as TAP: listing, choosing,
# results equal to the CPU's, the program cache surviving damage, and a
# machine without any OpenCL platform.
# Usage: test-opencl.sh CNNFILT SAMPLES_DIR
set -u
cnnfilt=$1
samples=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
skip () { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
not_ok () { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for line in "$@"; do echo "# $line"; done; }
check () { # check NAME COMMAND...: passes when the command succeeds
  local name=$1; shift
  if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}
export XDG_CACHE_HOME=$work/cache

# No platform at all: the CPU still works, and asking for OpenCL says why not.
OCL_ICD_VENDORS=$work/none "$cnnfilt" devices >"$work/none.out" 2>&1
check "without a platform, devices lists the CPU only" sh -c "test \$(wc -l <'$work/none.out') -eq 1 && grep -q '^cpu:' '$work/none.out'"
OCL_ICD_VENDORS=$work/none "$cnnfilt" edges --device opencl -o "$work/none" "$samples" >/dev/null 2>"$work/none.err"
status=$?
check "without a platform, --device opencl exits 2" test $status -eq 2
check "... naming what exists and what to install" grep -q "unknown device 'opencl'.*cpu.*no OpenCL platform" "$work/none.err"
OCL_ICD_VENDORS=$work/none "$cnnfilt" edges -o "$work/none-cpu" "$samples" >/dev/null 2>&1
check "without a platform, the CPU runs" test $? -eq 0

if ! "$cnnfilt" devices 2>/dev/null | grep -q '^opencl:'; then
  for t in "devices --json" "results equal the CPU's" "trace" "cache" "damaged cache"; do
    skip "$t" "no OpenCL platform (Debian: pocl-opencl-icd)"
  done
  echo "1..$n"
  exit 0
fi

"$cnnfilt" devices --json >"$work/devices.json"
check "devices --json: one object per device with its facts" /usr/bin/python3 -c "
import json, sys
rows = [json.loads(l) for l in open('$work/devices.json')]
assert rows[0]['spec'] == 'cpu' and rows[1]['spec'] == 'opencl:0:0', rows
for r in rows[1:]:
    assert r['kind'] == 'opencl' and r['compute_units'] >= 1 and r['global_memory'] > 0
    assert r['version'].startswith('OpenCL') and r['platform'] and r['driver'], r
"

# The same pipeline on both devices, as float32 files.
pipeline='grayscale ! gaussian-blur sigma=1.5 ! sobel direction=magnitude ! normalize'
"$cnnfilt" run -f npy -o "$work/cpu" "$pipeline" "$samples" >/dev/null 2>&1
"$cnnfilt" run --device opencl -f npy -o "$work/cl" "$pipeline" "$samples" >/dev/null 2>"$work/cl.err"
check "run --device opencl succeeds" test $? -eq 0
check "results equal the CPU's within 1e-4 of their range" /usr/bin/python3 -c "
import glob, os, numpy as np
files = sorted(glob.glob('$work/cpu/*.npy'))
assert files
for f in files:
    a = np.load(f); b = np.load(os.path.join('$work/cl', os.path.basename(f)))
    assert a.shape == b.shape and np.abs(a - b).max() <= 1e-4 * np.abs(a).max(), f
"
"$cnnfilt" run --device opencl --trace -f npy -o "$work/trace" "$pipeline" "$samples/camera.png" >/dev/null 2>"$work/trace.err"
check "--trace says each op ran on the device" sh -c "test \$(grep -c 'on opencl:0:0, .*OpenCL kernel' '$work/trace.err') -eq 4"

# The program cache: written, then damaged every way, then rebuilt.
check "programs are cached under XDG_CACHE_HOME" sh -c "ls '$work/cache/cnnfilt/opencl/'*.bin"
files=("$work"/cache/cnnfilt/opencl/*.bin)
printf 'garbage' >"${files[0]}"                                   # not ours
[ ${#files[@]} -gt 1 ] && head -c 100 "${files[0]}" >"${files[1]}" # truncated
[ ${#files[@]} -gt 2 ] && cp "${files[0]}" "${files[2]}"          # another key's entry
[ ${#files[@]} -gt 3 ] && printf 'x' | dd of="${files[3]}" bs=1 seek=200 conv=notrunc 2>/dev/null # bit rot
rm -rf "$work/cl"
"$cnnfilt" run --device opencl -f npy -o "$work/cl" "$pipeline" "$samples" >/dev/null 2>"$work/cl2.err"
check "a damaged cache is rebuilt, never trusted" test $? -eq 0
check "... and gives the same results" /usr/bin/python3 -c "
import glob, os, numpy as np
for f in sorted(glob.glob('$work/cpu/*.npy')):
    a = np.load(f); b = np.load(os.path.join('$work/cl', os.path.basename(f)))
    assert np.abs(a - b).max() <= 1e-4 * np.abs(a).max(), f
"
check "... and every entry is whole again" sh -c "for f in '$work'/cache/cnnfilt/opencl/*.bin; do head -c 25 \"\$f\" | grep -q 'cnnfilt-opencl-program 1' || exit 1; done"

echo "1..$n"
[ $failed -eq 0 ]
