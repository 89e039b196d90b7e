#!/usr/bin/env bash
# contrib/slurm (embed.sbatch, merge.sbatch, submit-embed.sh) on a one-node
# Slurm cluster started for the test (slurm-cluster.sh), as TAP: a job array
# of 4 shards and its merge give what one `cnnfilt embed` gives; a task
# stopped mid-shard and requeued resumes without embedding anything twice; a
# task warned of its time limit requeues itself; rerunning a task or the
# merge changes nothing. 50 to 90 s on 2 busy cores.
#
# Usage: test-slurm.sh CNNFILT SAMPLES_DIR MODEL_DIR FALLBACK_MODEL.onnx
#   MODEL_DIR: where cnnfilt's default model (mobilenet_v2_140.onnx) is;
#   without it, FALLBACK_MODEL (the in-tree SqueezeNet 1.1) cut at its last
#   Concat is used.
# Needs root, Debian's slurmctld, slurmd, slurm-client and munge: without
# them (or where the daemons cannot start) every check is skipped, with the
# reason; CNNFILT_TEST_SLURM=require makes that a failure instead.
set -u
cnnfilt=$(realpath "$1")
samples=$2
model_dir=$3
fallback=$4
here=$(cd "$(dirname "$0")" && pwd -P)
contrib=$(cd "$here/../../contrib/slurm" && pwd -P)
tasks=4
deadline_s=${CNNFILT_TEST_SLURM_TIMEOUT:-150}

# nothing of a Slurm job this may run inside leaks into the test's cluster
for v in $(env | sed -n 's/^\(S\(LURM\|BATCH\|ALLOC\|RUN\)_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
unset CNNFILT_LOCAL_DIR CNNFILT_SHARDS CNNFILT_MAX_FAILED

work=$(mktemp -d /tmp/cnnfilt-slurm.XXXXXX)
chmod 0755 "$work"  # munged wants every folder above its socket open to all
cluster=$work/c
cleanup () {
  "$here/slurm-cluster.sh" stop "$cluster" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for line in "$@"; do echo "# $line"; done; }
skip () { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check () { # check NAME COMMAND...: passes when the command succeeds
  local name=$1; shift
  if "$@" >"$work/check.out" 2>&1; then ok "$name"; else not_ok "$name" "failed: $*" "$(tail -5 "$work/check.out")"; fi
}
diag () { echo "# $*"; }

checks=(
  "a one-node cluster starts (munged, slurmctld, slurmd on their own ports)"
  "one cnnfilt embed on one machine indexes every photo (the reference)"
  "submit-embed.sh submits the array and the merge, printing both job ids"
  "a task stopped mid-shard and requeued leaves a valid shard index"
  "... and when it runs again embeds only the photos it had not committed"
  "a task warned of its time limit (SIGUSR1) requeues itself and starts again"
  "every task and the merge job complete"
  "the shards partition the photos: each in exactly one shard"
  "the merged index holds what the single run holds (paths, embeddings to 1e-6)"
  "a finished task submitted again, given a list of the files instead of the folder, embeds nothing again"
  "the merge job submitted again changes nothing"
)

skip_rest () { # skip_rest REASON: every check from the next one on
  local i
  for ((i = n; i < ${#checks[@]}; i++)); do skip "${checks[$i]}" "$1"; done
}
finish () {
  echo "1..$n"
  [ $failed -eq 0 ]
  exit
}

"$here/slurm-cluster.sh" start "$cluster" >"$work/cluster.out" 2>"$work/cluster.err"
status=$?
if [ $status -ne 0 ]; then
  reason=$(grep -v '^ *$' "$work/cluster.err" | tail -1)
  if [ $status -eq 77 ] && [ "${CNNFILT_TEST_SLURM:-}" != require ]; then
    skip_rest "${reason:-no Slurm cluster}"
  else
    not_ok "${checks[0]}" "$(tail -5 "$work/cluster.err")"
    skip_rest "no cluster"
  fi
  finish
fi
ok "${checks[0]}"
. "$cluster/env"
diag "$(tail -1 "$work/cluster.err")"
deadline=$((SECONDS + deadline_s))

# ~25 photos: the samples, three smaller copies and a mirror image of each
photos=$work/photos
mkdir -p "$photos/space"
for f in camera.png chelsea.jpg coffee.jpg space/astronaut.jpg space/rocket.jpg; do
  cp "$samples/$f" "$photos/$f"
  base=${f%.*} ext=${f##*.}
  for s in 0.5 0.75 0.9; do vips resize "$samples/$f" "$photos/$base-$s.$ext" $s; done
  vips flip "$samples/$f" "$photos/$base-flip.$ext" horizontal
done
n_photos=$(find "$photos" -type f | wc -l)

model_args=() submit_model=()
if [ -f "$model_dir/mobilenet_v2_140.onnx" ]; then
  export CNNFILT_MODELDIR=$model_dir
  diag "model: the default, $model_dir/mobilenet_v2_140.onnx"
else
  layer=/features/features.12/Concat
  model_args=(-m "$fallback" --layer "$layer")
  submit_model=(-m "$fallback" -l "$layer")
  diag "model: $fallback at $layer (no default model in $model_dir)"
fi

started=$SECONDS
"$cnnfilt" embed -q "${model_args[@]}" --index "$work/ref.db" "$photos" >/dev/null 2>"$work/ref.err"
check "${checks[1]}" sh -c "'$cnnfilt' index info '$work/ref.db' | grep -q ': $n_photos images'"
diag "reference: $n_photos photos in $((SECONDS - started)) s"

# rows committed to an index (0 when it is not there yet or locked)
rows () {
  /usr/bin/python3 - "$1" <<'EOF' 2>/dev/null || echo 0
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=2)
print(db.execute("SELECT count(*) FROM images").fetchone()[0])
EOF
}
# a job's (or array task's) state: PENDING, RUNNING, COMPLETED...
state () { scontrol -o show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1; }
# waits until no job of @... is pending or running (false at the deadline)
wait_done () {
  while [ $SECONDS -lt $deadline ]; do
    [ -z "$(squeue -h -j "$(IFS=,; echo "$*")" -o %i 2>/dev/null)" ] && return 0
    sleep 0.5
  done
  return 1
}
# does a process hold @1 in its command line?
in_use () { grep -qsF "$1" /proc/[0-9]*/cmdline; }
# the lines of a task's log (@1) from its last start on
last_start () { awk '/^embed.sbatch: task .* start [0-9]+,/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$1"; }
# N from the last "cnnfilt: N WHAT" line on stdin
count () { sed -n "s/^cnnfilt: \([0-9][0-9]*\) $1.*/\1/p" | tail -1; }
# photos a run's log (@1) says it embedded anew: the summary's "E embedded,
# F failed, S skipped" counts the photos unchanged since indexed as skipped
# (the other shards' are not counted there, but on a line of their own)
new_work () {
  local e s u
  e=$(sed -n 's/^cnnfilt: \([0-9][0-9]*\) embedded,.*/\1/p' "$1" | tail -1)
  s=$(sed -n 's/^cnnfilt: [0-9]* embedded, [0-9]* failed, \([0-9][0-9]*\) skipped.*/\1/p' "$1" | tail -1)
  u=$(count <"$1" unchanged)
  echo $(( ${e:-0} + ${s:-0} - ${u:-0} ))
}

shards=$work/all.shards
CNNFILT=$cnnfilt "$contrib/submit-embed.sh" -c 1 -S --mem-per-cpu=500M "${submit_model[@]}" \
  "$photos" "$work/all.db" $tasks >"$work/ids" 2>"$work/submit.err"
read -r array merge <"$work/ids"
if [ -z "${array:-}" ] || [ -z "${merge:-}" ] || [ "$(state "$merge")" != PENDING ]; then
  not_ok "${checks[2]}" "$(cat "$work/ids" "$work/submit.err")"
  skip_rest "nothing submitted"
  finish
fi
ok "${checks[2]}"
diag "array $array, merge $merge"

# the shard sizes, by embed's hash (FNV-1a of the path), to stop the largest
/usr/bin/python3 - "$photos" $tasks >"$work/sizes" <<'EOF'
import os, sys
def shard(path, n):
    h = 2166136261
    for b in path.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h % n
n = int(sys.argv[2])
sizes = [0] * n
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        sizes[shard(os.path.join(root, f), n)] += 1
print(*sizes)
EOF
read -r -a sizes <"$work/sizes"
a=0
for ((k = 1; k < tasks; k++)); do [ "${sizes[$k]}" -gt "${sizes[$a]}" ] && a=$k; done
b=$(( a == 0 ? 1 : 0 ))
diag "shard sizes ${sizes[*]}: task $a is stopped and requeued, task $b warned of its time limit"

# Task B: SIGUSR1 to its batch shell once it runs (its log begins), as
# --signal=B:USR1@600 sends before the time limit
log_a=$shards/logs/embed-${array}_$a.out log_b=$shards/logs/embed-${array}_$b.out
usr1=no
while [ $SECONDS -lt $deadline ]; do
  if grep -qs "start 0," "$log_b"; then
    # in the background: once the task requeued itself, scancel retries
    # ("Job can not be altered now") for seconds, though it did signal it
    timeout 8 scancel --batch --signal=USR1 "${array}_$b" >/dev/null 2>&1 &
    usr1=yes
    break
  fi
  case $(state "${array}_$b") in PENDING|RUNNING|CONFIGURING|"") sleep 0.05 ;; *) break ;; esac
done

# Task A: once it committed a first group, stop it (scontrol suspend:
# SIGSTOP) and requeue it: Slurm kills it where it stands, as a node failure
# would, and holds it until released
db_a=$shards/shard-$a-of-$tasks.db
committed=$(/usr/bin/python3 - "$db_a" "${array}_$a" $((deadline - SECONDS)) 2>"$work/watch.err" <<'EOF'
import sqlite3, subprocess, sys, time
path, task, left = sys.argv[1], sys.argv[2], float(sys.argv[3])
end = time.monotonic() + left
while time.monotonic() < end:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        rows = db.execute("SELECT count(*) FROM images").fetchone()[0]
        db.close()
    except sqlite3.Error:
        rows = 0
    if rows > 0:
        run = subprocess.run(["scontrol", "suspend", task], capture_output=True, text=True)
        print(0 if run.returncode == 0 else -1)
        if run.returncode != 0:
            print(f"scontrol suspend {task}: {run.stderr.strip()}", file=sys.stderr)
        sys.exit()
    time.sleep(0.01)
print(-1)
print(f"{path}: no image committed in time", file=sys.stderr)
EOF
)
[ -s "$work/watch.err" ] && diag "$(cat "$work/watch.err")"
if [ "$committed" -ge 0 ]; then
  scontrol requeue "${array}_$a"
  while [ $SECONDS -lt $deadline ] && { [ "$(state "${array}_$a")" != PENDING ] || in_use "$db_a"; }; do sleep 0.1; done
  committed=$(rows "$db_a")
  [ -e "$db_a-wal" ] && wal="its write-ahead log left behind" || wal="no write-ahead log left"
  diag "task $a stopped with $committed of ${sizes[$a]} photos committed, $wal"
fi
valid () { # valid DB ROWS: SQLite finds it sound, it holds ROWS, cnnfilt reads it
  /usr/bin/python3 -c "
import sqlite3
db = sqlite3.connect('file:$1?mode=ro', uri=True)
assert db.execute('PRAGMA integrity_check').fetchone()[0] == 'ok'
assert db.execute('SELECT count(*) FROM images').fetchone()[0] == $2
" && "$cnnfilt" index info "$1"
}
if [ "$committed" -lt 0 ]; then
  skip "${checks[3]}" "task $a ended before it could be stopped"
  skip "${checks[4]}" "task $a ended before it could be stopped"
elif [ "$committed" -ge "${sizes[$a]}" ]; then
  scontrol release "${array}_$a"
  skip "${checks[3]}" "task $a had committed its whole shard when it was stopped"
  skip "${checks[4]}" "task $a had committed its whole shard when it was stopped"
else
  check "${checks[3]}" valid "$db_a" "$committed"
  scontrol release "${array}_$a"
fi

wait_done "$array" "$merge"
diag "array and merge done $((SECONDS - started)) s after the reference run began"
if [ "$committed" -ge 0 ] && [ "$committed" -lt "${sizes[$a]}" ]; then
  last_start "$log_a" >"$work/a2"
  new=$(new_work "$work/a2") unchanged=$(count <"$work/a2" unchanged)
  diag "task $a, started again: ${unchanged:-?} unchanged, $new embedded"
  check "${checks[4]}" test "${unchanged:-x}" = "$committed" -a "$new" -eq $(( ${sizes[$a]} - committed ))
fi
if [ $usr1 = yes ]; then
  check "${checks[5]}" sh -c "grep -q 'requeueing ${array}_$b' '$log_b' && grep -q 'start 1,' '$log_b' && tail -1 '$log_b' | grep -q 'exits 0'"
else
  skip "${checks[5]}" "task $b was not seen running"
fi

states=
for ((k = 0; k < tasks; k++)); do states+="$(state "${array}_$k") "; done
states+=$(state "$merge")
check "${checks[6]}" test "$states" = "$(printf 'COMPLETED %.0s' $(seq $tasks))COMPLETED"
[ "$states" = "$(printf 'COMPLETED %.0s' $(seq $tasks))COMPLETED" ] || {
  diag "states: $states"
  tail -n 3 "$shards"/logs/*.out | sed 's/^/# /'
}

for ((k = 0; k < tasks; k++)); do
  "$cnnfilt" index export "$shards/shard-$k-of-$tasks.db" "$work/s$k.npy" "$work/s$k.txt" 2>/dev/null ||
    : >"$work/s$k.txt"
done
check "${checks[7]}" /usr/bin/python3 -c "
import collections
seen = collections.Counter()
for k in range($tasks):
    seen.update(p for p in open('$work/s%d.txt' % k).read().split('\n') if p)
import os
photos = {os.path.join(r, f) for r, _, fs in os.walk('$photos') for f in fs}
assert set(seen) == photos, (sorted(set(seen) ^ photos))
assert max(seen.values()) == 1, [p for p, c in seen.items() if c > 1]
"

compare () { # compare A.db B.db: same paths, embeddings equal to 1e-6
  "$cnnfilt" index export "$1" "$work/x.npy" "$work/x.txt" &&
  "$cnnfilt" index export "$2" "$work/y.npy" "$work/y.txt" &&
  /usr/bin/python3 -c "
import numpy as np
a, b = np.load('$work/x.npy'), np.load('$work/y.npy')
pa, pb = open('$work/x.txt').read().split('\n'), open('$work/y.txt').read().split('\n')
ia = {p: i for i, p in enumerate(pa) if p}
ib = {p: i for i, p in enumerate(pb) if p}
assert set(ia) == set(ib), sorted(set(ia) ^ set(ib))
assert len(ia) == $n_photos, len(ia)
order = sorted(ia)
d = np.abs(a[[ia[p] for p in order]] - b[[ib[p] for p in order]]).max()
assert d < 1e-6, d
"
}
check "${checks[8]}" compare "$work/ref.db" "$work/all.db"

# Rerun task B alone (as after a failure: --array=K and the shard count),
# from a list of the files: the same paths hash to the same shards
find "$photos" -type f >"$work/photos.list"
rerun=$(sbatch --parsable --array="$b" --cpus-per-task=1 --mem-per-cpu=500M \
          --export=ALL,CNNFILT="$cnnfilt",CNNFILT_SHARDS=$tasks \
          --output="$shards/logs/rerun-%A_%a.out" \
          "$contrib/embed.sbatch" "$shards" "${model_args[@]}" --files-from "$work/photos.list")
wait_done "$rerun"
last_start "$shards/logs/rerun-${rerun}_$b.out" >"$work/b3"
unchanged=$(count <"$work/b3" unchanged) new=$(new_work "$work/b3")
diag "task $b submitted again: ${unchanged:-0} unchanged, $new embedded"
check "${checks[9]}" test "$(state "${rerun}_$b")" = COMPLETED -a "${unchanged:-0}" -eq "${sizes[$b]}" -a "$new" -eq 0

cp "$work/all.db" "$work/first.db"
merge2=$(sbatch --parsable --export=ALL,CNNFILT="$cnnfilt" --output="$shards/logs/merge-%j.out" \
           "$contrib/merge.sbatch" "$work/all.db" "$shards" $tasks)
wait_done "$merge2"
check "${checks[10]}" sh -c "test '$(state "$merge2")' = COMPLETED &&
  '$cnnfilt' index info '$work/all.db' | grep -q ': $n_photos images' &&
  '$cnnfilt' index export '$work/first.db' '$work/f.npy' '$work/f.txt' &&
  '$cnnfilt' index export '$work/all.db' '$work/g.npy' '$work/g.txt' &&
  cmp -s '$work/f.npy' '$work/g.npy' && cmp -s '$work/f.txt' '$work/g.txt'"

diag "$((SECONDS - started)) s from the reference run to the end"
finish
