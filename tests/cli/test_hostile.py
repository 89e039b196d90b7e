#!/usr/bin/python3
"""Hostile folders for the batch commands, as TAP.

Usage: test_hostile.py CNNFILT SAMPLES_DIR

Each case builds a folder on the fly (collisions by stem across formats and
depths, symbolic link loops and mazes, FIFOs, hard links, names with
newlines and non-UTF-8 bytes, interrupted and killed runs) and, after every
run, checks the invariant the batch commands promise:

  - no input file's bytes or mtime changed;
  - no temporary file is left;
  - every input is written, skipped, or named on stderr with its own reason.

Paths are handled as bytes throughout, since some names are not UTF-8.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

cnnfilt = os.fsencode(os.path.abspath(sys.argv[1]))
samples = os.fsencode(os.path.abspath(sys.argv[2]))
n = 0
failed = 0


def ok(name, passed, *details):
    global n, failed
    n += 1
    if passed:
        print(f"ok {n} - {name}")
    else:
        failed += 1
        print(f"not ok {n} - {name}")
        for line in details:
            for part in str(line).splitlines() or [""]:
                print(f"# {part}")
    sys.stdout.flush()


def sample(name):
    return os.path.join(samples, name)


def put(path, source=b"camera.png"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shutil.copyfile(sample(source), path)


def snapshot(root):
    """Every file under root (links not followed): bytes and mtime."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            st = os.stat(path)
            with open(path, "rb") as f:
                state[path] = (f.read(), st.st_mtime_ns)
    return state


TEMPORARY = re.compile(rb"^\..+\.[A-Za-z0-9]{6}\.[^.]+$|^[^.].*\.npy\.[A-Za-z0-9]{6}$")


def temporaries(root):
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        found += [os.path.join(dirpath, f) for f in filenames if TEMPORARY.match(f)]
    return found


def run(*args, timeout=60, **kw):
    """Runs cnnfilt; returns (status, stdout, stderr) with bytes."""
    argv = [cnnfilt] + [a if isinstance(a, bytes) else os.fsencode(a) for a in args]
    if "input" not in kw:
        kw["stdin"] = subprocess.DEVNULL
    p = subprocess.run(argv, capture_output=True, timeout=timeout, **kw)
    return p.returncode, p.stdout, p.stderr


def invariant(name, before, roots, status, err, inputs, outputs_dir):
    """Checks the three promises after a run over `inputs` (paths)."""
    after = {}
    for root in roots:
        after.update(snapshot(root))
    changed = [p for p, v in before.items() if after.get(p) != v]
    ok(f"{name}: no input changed", not changed, *[b"changed: " + p for p in changed])
    left = []
    for root in roots + [outputs_dir]:
        if os.path.isdir(root):
            left += temporaries(root)
    ok(f"{name}: no temporary left", not left, *left)
    if status == 2:
        return  # refused before anything was read: nothing else to account for
    unaccounted = []
    for path in inputs:
        if path in err:
            continue
        unaccounted.append(path)
    # written or skipped inputs are counted in the summary; a failure names its path
    m = re.search(rb"(\d+) written, (\d+) failed, (\d+) skipped", err)
    counted = m and int(m.group(1)) + int(m.group(3)) >= len(unaccounted)
    ok(f"{name}: every input written, skipped or named", bool(counted), err)


def case(name):
    root = tempfile.mkdtemp(prefix=b"hostile-")
    return root


# 1. Collisions by stem across formats: photo.jpg and photo.png in one folder.
root = case("stem")
d = os.path.join(root, b"D")
put(os.path.join(d, b"photo.jpg"), b"coffee.jpg")
put(os.path.join(d, b"photo.png"))
put(os.path.join(d, b"deep/x/photo.png"))
put(os.path.join(d, b"deep/x/photo.jpg"), b"coffee.jpg")
before = snapshot(root)
status, out, err = run("edges", "-o", d, d)
ok("edges -o D D with photo.jpg and photo.png exits 2", status == 2, err)
ok("the refusal names both files", b"D/photo.jpg" in err and b"D/photo.png" in err, err)
ok("deep collisions are named too", b"deep/x/photo.jpg" in err, err)
invariant("edges -o D D", before, [root], status, err, [], d)
status, out, err = run("run", "grayscale", "-f", "jpg", "-o", d, d)
ok("run -f jpg -o D D refuses to replace x.jpg", status == 2 and b"would overwrite the input" in err, err)
invariant("run -f jpg -o D D", before, [root], status, err, [], d)
status, out, err = run("edges", "-o", d, os.path.join(d, b"photo.jpg"), os.path.join(d, b"photo.png"))
ok("files named on the command line are checked the same way", status == 2, err)
invariant("named files", before, [root], status, err, [], d)

# Spelled differently: "..", a symbolic link to the folder, a hard link.
status, out, err = run("edges", "-o", os.path.join(d, b"deep/../."), d)
ok("an output folder spelled with .. is recognised", status == 2, err)
os.symlink(d, os.path.join(root, b"alias"))
status, out, err = run("edges", "-o", os.path.join(root, b"alias"), d)
ok("an output folder reached through a link is recognised", status == 2, err)
invariant("spellings", before, [root], status, err, [], d)
shutil.rmtree(root)

root = case("hardlink")
src = os.path.join(root, b"in")
put(os.path.join(src, b"a.png"))
put(os.path.join(src, b"b.jpg"), b"coffee.jpg")
os.makedirs(os.path.join(root, b"out"))
os.link(os.path.join(src, b"a.png"), os.path.join(root, b"out/b.png"))
before = snapshot(src)
status, out, err = run("edges", "-o", os.path.join(root, b"out"), src)
ok("an output that is a hard link to an input is refused", status == 2 and b"in/a.png" in err, err)
invariant("hard link", before, [src], status, err, [], os.path.join(root, b"out"))
# with --keep-suffix, stems no longer collide
status, out, err = run("edges", "--keep-suffix", "-o", os.path.join(root, b"out2"), src)
ok("--keep-suffix writes photo.jpg.png beside photo.png", status == 0 and
   os.path.exists(os.path.join(root, b"out2/b.jpg.png")) and
   os.path.exists(os.path.join(root, b"out2/a.png")), err)
shutil.rmtree(root)

# 2. A file named twice is processed once.
root = case("twice")
put(os.path.join(root, b"in/a.png"))
before = snapshot(root)
a = os.path.join(root, b"in/a.png")
status, out, err = run("edges", "-o", os.path.join(root, b"out"), a, a,
                       os.path.join(root, b"in/../in/a.png"), os.path.join(root, b"in"))
ok("a file named four ways is processed once", status == 0 and b"1 written" in err, err)
invariant("named twice", before, [os.path.join(root, b"in")], status, err, [a], os.path.join(root, b"out"))
shutil.rmtree(root)

# 2b. Lists of files (--files-from): the same checks as folders.
root = case("list")
src = os.path.join(root, b"in")
put(os.path.join(src, b"a/photo.png"))
put(os.path.join(src, b"b/photo.png"))
put(os.path.join(src, b"b/new\nline.png"))
put(os.path.join(src, b"b/notes.txt"))
os.mkfifo(os.path.join(src, b"b/fifo.png"))
before = snapshot(src)
listed = [b"a/photo.png", b"./b//photo.png", b"b/new\nline.png", b"b/notes.txt", b"b/fifo.png",
          b"a/photo.png"]
with open(os.path.join(root, b"list0"), "wb") as f:
    f.write(b"".join(p + b"\0" for p in listed))
out_dir = os.path.join(root, b"out")
status, out, err = run("edges", "-T", os.path.join(root, b"list0"), "-0", "-o", out_dir, cwd=src, timeout=30)
ok("--files-from -0: a listed path keeps its folders under -o", status == 1 and
   os.path.isfile(os.path.join(out_dir, b"a/photo.png")) and
   os.path.isfile(os.path.join(out_dir, b"b/photo.png")) and
   os.path.isfile(os.path.join(out_dir, b"b/new\nline.png")), status, err)
ok("--files-from: a file named twice is done once, a FIFO named, not read; other files left alone",
   b"3 written, 1 failed" in err and b"fifo.png: not a regular file" in err and b"notes.txt" not in err,
   err)
invariant("--files-from", before, [src], status, err, [], out_dir)
status, out, err = run("edges", "-T", "-", "-o", out_dir, input=b"../in/a/photo.png\n",
                       cwd=os.path.join(src, b"b"), timeout=30)
ok("--files-from -: a path climbing out with .. fails, named", status == 1 and
   b"../in/a/photo.png: a listed path that climbs out with .." in err, err)
with open(os.path.join(root, b"list"), "wb") as f:
    f.write(b"photo.png\n")
status, out, err = run("edges", "-T", os.path.join(root, b"list"), "-o", os.path.join(src, b"a"),
                       cwd=os.path.join(src, b"a"), timeout=30)
ok("--files-from: an output onto a listed input is refused, exit 2", status == 2 and
   b"would overwrite this input" in err, err)
status, out, err = run("edges", "-T", os.path.join(root, b"missing"), "-o", out_dir, timeout=30)
ok("--files-from of a missing list: exit 2, named", status == 2 and b"missing" in err, err)
status, out, err = run("edges", "-T", os.path.join(root, b"list0"), "-o", out_dir, cwd=src, timeout=30)
ok("a NUL-separated list without -0 is refused, naming -0's option", status == 1 and b"--null" in err, err)
invariant("--files-from errors", before, [src], 2, err, [], out_dir)
shutil.rmtree(root)

# 3. Symbolic link loops and mazes end.
root = case("loops")
src = os.path.join(root, b"in")
put(os.path.join(src, b"a.png"))
put(os.path.join(src, b"sub/b.png"))
os.symlink(b".", os.path.join(src, b"x"))
os.symlink(b".", os.path.join(src, b"y"))
os.symlink(b"..", os.path.join(src, b"sub/up"))
os.symlink(b"self", os.path.join(src, b"self"))
before = snapshot(src)
try:
    status, out, err = run("edges", "-o", os.path.join(root, b"out"), src, timeout=30)
except subprocess.TimeoutExpired:
    status, out, err = -1, b"", b"timed out"
outputs = sorted(os.path.relpath(os.path.join(dp, f), os.path.join(root, b"out"))
                 for dp, dn, fs in os.walk(os.path.join(root, b"out")) for f in fs)
ok("symbolic link loops end, each image written once", status == 0 and outputs == [b"a.png", b"sub/b.png"],
   status, outputs, err)
ok("the loops are named in a warning", b"in/x: symbolic link loop" in err and b"in/sub/up" in err, err)
invariant("loops", before, [src], status, err, [], os.path.join(root, b"out"))
status, out, err = run("edges", "-q", "-o", os.path.join(root, b"out-q"), src, timeout=30)
ok("--quiet hides the warnings", status == 0 and err == b"", err)
shutil.rmtree(root)

root = case("maze")
src = os.path.join(root, b"in")
os.makedirs(src)
# 20 levels, each with two links to the next: 2^20 paths, 21 folders
for level in range(20):
    os.makedirs(os.path.join(src, b"l%d" % level))
    for link in (b"a", b"b"):
        os.symlink(b"../l%d" % (level + 1), os.path.join(src, b"l%d" % level, link))
os.makedirs(os.path.join(src, b"l20"))
put(os.path.join(src, b"l20/deep.png"))
start = time.monotonic()
try:
    status, out, err = run("edges", "-q", "-o", os.path.join(root, b"out"), src, timeout=60)
except subprocess.TimeoutExpired:
    status, err = -1, b"timed out"
ok("a maze of 2^20 link paths is walked in seconds", status == 0 and time.monotonic() - start < 30, status, err)
status, out, err = run("edges", "--no-follow", "-o", os.path.join(root, b"out-nf"), src, timeout=60)
ok("--no-follow leaves links inside folders alone", status == 0 and
   os.listdir(os.path.join(root, b"out-nf")) == [b"l20"] if os.path.isdir(os.path.join(root, b"out-nf")) else False,
   status, err)
shutil.rmtree(root)

# 4. FIFOs, device-like entries and odd names.
root = case("odd")
src = os.path.join(root, b"in")
put(os.path.join(src, b"good.png"))
os.mkfifo(os.path.join(src, b"fifo.png"))
os.symlink(b"/dev/null", os.path.join(src, b"null.jpg"))
os.symlink(b"missing.png", os.path.join(src, b"broken.png"))
put(os.path.join(src, b"new\nline.png"))
put(os.path.join(src, b"bytes-\xff\xfe.png"))
put(os.path.join(src, b"-rf.png"))
before = snapshot(src)
try:
    status, out, err = run("edges", "-o", os.path.join(root, b"out"), src, timeout=30)
except subprocess.TimeoutExpired:
    status, err = -1, b"timed out"
ok("a FIFO is reported as not a regular file, without blocking",
   b"fifo.png: not a regular file" in err, err)
ok("a device node is reported as not a regular file", b"null.jpg: not a regular file" in err, err)
ok("a broken link is named", b"broken.png: broken symbolic link" in err, err)
ok("names with a newline and non-UTF-8 bytes are written",
   os.path.exists(os.path.join(root, b"out/new\nline.png")) and
   os.path.exists(os.path.join(root, b"out/bytes-\xff\xfe.png")), err)
ok("odd entries give exit 1", status == 1, status)
invariant("odd entries", before, [src], status, err,
          [os.path.join(src, f) for f in (b"fifo.png", b"null.jpg", b"broken.png")], os.path.join(root, b"out"))
os.chdir(src)
status, out, err = run("edges", "-o", os.path.join(root, b"out-dash"), "--", "-rf.png")
ok("-- ends the options: a file named -rf.png", status == 0 and
   os.path.exists(os.path.join(root, b"out-dash/-rf.png")), err)
os.chdir(b"/")
shutil.rmtree(root)

# 5. Interrupted and killed runs leave no temporaries.
root = case("signals")
src = os.path.join(root, b"in")
for i in range(60):
    put(os.path.join(src, b"img%03d.jpg" % i), b"space/astronaut.jpg" if i % 2 else b"chelsea.jpg")
before = snapshot(src)
for signo, expected in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
    out_dir = os.path.join(root, b"out-%d" % signo)
    p = subprocess.Popen([cnnfilt, b"run", b"gaussian-blur sigma=3 ! sobel", b"-f", b"png", b"--compression", b"9",
                          b"-j", b"2", b"-o", out_dir, src], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # the signal once the workers write (a fixed wait races a slow start,
    # under a sanitizer on a loaded machine)
    deadline = time.monotonic() + 60
    while (not os.path.isdir(out_dir) or not os.listdir(out_dir)) and time.monotonic() < deadline:
        time.sleep(0.05)
    p.send_signal(signo)
    out, err = p.communicate(timeout=60)
    name = signal.Signals(signo).name
    ok(f"{name} stops the run with exit {expected}", p.returncode == expected, p.returncode, err)
    ok(f"{name}: the summary is printed", b"not started (interrupted)" in err, err)
    invariant(name, before, [src], 2, err, [], out_dir)
    status, out, err = run("run", "gaussian-blur sigma=3 ! sobel", "-f", "png", "--skip-existing",
                           "-o", out_dir, src, timeout=120)
    ok(f"{name}: the run resumes with --skip-existing", status == 0 and b"skipped" in err and
       len(os.listdir(out_dir)) == 60, err)

# SIGKILL cannot be handled: its temporaries are recognised and removed by the next run.
out_dir = os.path.join(root, b"out-kill")
os.makedirs(out_dir)
stale = [os.path.join(out_dir, b".img000.png.Ab3dE9.png"), os.path.join(out_dir, b"img001.npy.x9Y8z7")]
fresh_foreign = os.path.join(out_dir, b".notes.txt.Ab3dE9.txt")
for path in stale + [fresh_foreign]:
    with open(path, "wb") as f:
        f.write(b"partial")
    os.utime(path, (time.time() - 3600, time.time() - 3600))
status, out, err = run("run", "grayscale", "-f", "png", "-o", out_dir, src, timeout=120)
ok("a later run removes the temporaries a killed run left", status == 0 and
   not os.path.exists(stale[0]) and b"removed 1 temporary file" in err, err)
ok("files that are not temporaries of this run's outputs are left alone",
   os.path.exists(stale[1]) and os.path.exists(fresh_foreign))
shutil.rmtree(root)

# 6. A file size limit (ulimit -f) fails the file with a reason, no partial file.
root = case("ulimit")
src = os.path.join(root, b"in")
put(os.path.join(src, b"big.png"), b"space/astronaut.jpg")
status, out, err = run("run", "identity", "-f", "tif", "-o", os.path.join(root, b"out"), src,
                       preexec_fn=lambda: __import__("resource").setrlimit(
                           __import__("resource").RLIMIT_FSIZE, (100000, 100000)))
ok("a file size limit is reported per file, exit 1", status == 1 and b"big.png: " in err, status, err)
ok("no partial output under the limit", not os.path.exists(os.path.join(root, b"out/big.tif")) and
   not temporaries(os.path.join(root, b"out")))
shutil.rmtree(root)

# 7. Option errors name the option and the value.
for args, expected in (
        (["--compression", "12"], b"--compression 12"),
        (["--quality", "0"], b"--quality 0"),
        (["-j", "-3"], b"--jobs -3"),
        (["--max-pixels", "-1"], b"--max-pixels -1")):
    status, out, err = run("edges", "-o", "/nonexistent-out", *args, sample(b"camera.png"))
    ok(f"{' '.join(args)} exits 2 naming the option and value", status == 2 and expected in err, err)

# 8. Memory: huge images are refused from their header; --jobs is held to the machine.
root = case("memory")
big = os.path.join(root, b"huge.png")
if shutil.which("vips"):
    subprocess.run(["vips", "black", big, "30000", "30000"], check=True)
    status, out, err = run("edges", "-o", os.path.join(root, b"out"), big)
    ok("a 30000×30000 PNG is refused before decoding", status == 1 and
       b"30000\xc3\x9730000 exceeds the limit of 100000000 pixels (--max-pixels" in err, err)
    photo = os.path.join(root, b"huge.jpg")
    subprocess.run(["vips", "black", photo, "30000", "30000", "--bands", "3"], check=True)
    model = os.path.join(samples, b"../tests/models/data/squeezenet1_1/model.onnx")
    status, out, err = run("classify", "-q", "-m", model, photo, timeout=120)
    ok("classify decodes a 30000×30000 JPEG reduced (shrink-on-load), within --max-pixels",
       status == 0 and out.startswith(photo + b": "), status, err)
    status, out, err = run("classify", "-q", "-m", model, "--preprocess", "rgb ! center-crop width=224 height=224",
                           photo, timeout=120)
    ok("with a --preprocess that crops first it is decoded whole, so refused by --max-pixels",
       status == 1 and b"(--max-pixels" in err, status, err)
else:
    ok("# SKIP a 30000×30000 PNG is refused (no vips command)", True)
put(os.path.join(root, b"in/a.png"))
status, out, err = run("edges", "-j", "100000", "-o", os.path.join(root, b"out-j"), os.path.join(root, b"in"))
ok("-j 100000 is lowered with a note", status == 0 and b"--jobs lowered from 100000 to" in err, err)
status, out, err = run("edges", "-j", "0", "-o", os.path.join(root, b"out-0"), os.path.join(root, b"in"))
ok("-j 0 means one per core", status == 0, err)
shutil.rmtree(root)

# 10. libvips' warnings: hidden by default, once per file with --verbose, nothing with --quiet.
root = case("warnings")
import struct
entries = [(256, 3, 4), (257, 3, 4), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, 0), (277, 3, 1),
           (278, 3, 4), (279, 4, 16), (65000, 3, 7)]  # 65000: a tag libtiff does not know
tiff = b"II*\x00" + struct.pack("<IH", 8, len(entries))
for tag, kind, value in entries:
    value = 8 + 2 + 12 * len(entries) + 4 if tag == 273 else value
    tiff += struct.pack("<HHIHH", tag, kind, 1, value, 0) if kind == 3 else struct.pack("<HHII", tag, kind, 1, value)
tiff += struct.pack("<I", 0) + bytes(range(16))
with open(os.path.join(root, b"tag.tif"), "wb") as f:
    f.write(tiff)
status, out, err = run("edges", "-o", os.path.join(root, b"out"), os.path.join(root, b"tag.tif"))
ok("libvips warnings do not reach the terminal by default", status == 0 and b"WARNING" not in err and
   b"Unknown field" not in err, err)
status, out, err = run("edges", "-v", "-o", os.path.join(root, b"out"), os.path.join(root, b"tag.tif"))
ok("--verbose shows them once, through cnnfilt", status == 0 and
   err.count(b"cnnfilt: libvips: Unknown field with tag 65000") == 1 and b"VIPS-WARNING" not in err, err)
os.makedirs(os.path.join(root, b"plugins"))
with open(os.path.join(root, b"plugins/libbroken.so"), "wb") as f:
    f.write(b"not a module")
env = dict(os.environ, CNNFILT_PLUGIN_PATH=os.fsdecode(os.path.join(root, b"plugins")) + ":" +
           os.environ.get("CNNFILT_PLUGIN_PATH", ""))
status, out, err = run("edges", "-q", "-o", os.path.join(root, b"out-q"), sample(b"camera.png"), env=env)
ok("--quiet hides a broken plugin's warning", status == 0 and err == b"", err)
status, out, err = run("edges", "-o", os.path.join(root, b"out-w"), sample(b"camera.png"), env=env)
ok("without --quiet the broken plugin is named", status == 0 and b"libbroken.so" in err, err)
shutil.rmtree(root)

# 9. Commands that write one file check it the same way.
root = case("features")
put(os.path.join(root, b"x.jpg"), b"coffee.jpg")
before = snapshot(root)
lenet = os.path.join(samples, b"../tests/models/data/lenet5/model.onnx")
x = os.path.join(root, b"x.jpg")
status, out, err = run("features", "-m", lenet, "-l", "/features/features.0/Conv", "-o", x, x)
ok("features -o x.jpg x.jpg is refused, exit 2", status == 2 and b"would overwrite the input" in err, err)
os.symlink(x, os.path.join(root, b"link.jpg"))
status, out, err = run("features", "-m", lenet, "-l", "/features/features.0/Conv",
                       "-o", os.path.join(root, b"link.jpg"), x)
ok("features -o through a link to the photo is refused", status == 2, err)
invariant("features", before, [root], 2, err, [], root)
shutil.rmtree(root)

print(f"1..{n}")
sys.exit(1 if failed else 0)
