#!/usr/bin/env bash
# contrib/slurm/submit-embed.sh: embed a folder of photos on a Slurm cluster:
# a job array of TASKS shards (embed.sbatch) and a merge job that runs once
# they all succeeded (merge.sbatch, --dependency=afterok). docs/cluster.md.
#
#   submit-embed.sh [OPTION…] FOLDER INDEX [TASKS]
#   submit-embed.sh [OPTION…] -f LIST INDEX [TASKS]
#
# FOLDER   the photos (walked recursively); on storage every node sees
# LIST     instead of a folder: a file of photo paths, one a line, as
#          `find "$PWD/photos" -type f >photos.list` writes it (absolute
#          paths, on storage every node sees): each task reads the list and
#          looks only at its own shard's photos, where a folder is walked
#          and stat'ed whole by every task
# INDEX    the merged index to write (e.g. /shared/photos.db)
# TASKS    array tasks = shards (default 8)
#
# Options:
#   -c CPUS      CPUs per task (default 4): embed -j CPUS, OpenMP capped at CPUS
#   -m MODEL     the ONNX model (default: cnnfilt's, MobileNetV2 1.4)
#   -l LAYER     the layer whose output is the embedding
#   -d DIR       the shard indexes and the jobs' logs (default: INDEX
#                without .db, plus .shards/, e.g. /shared/photos.shards/)
#   -L DIR       embed into this node-local folder and copy each shard to the
#                shard folder when its task ends (CNNFILT_LOCAL_DIR); in
#                single quotes, -L '$TMPDIR/cnnfilt' is each node's own
#   -S OPTION    one more sbatch option for both jobs, e.g. -S --partition=cpu
#                -S --time=12:00:00 -S --mem-per-cpu=2G -S --account=me
#   -f           the first argument is a LIST of photos, not a FOLDER
#   -n           print the sbatch commands instead of running them
#
# Prints "ARRAY_JOB_ID MERGE_JOB_ID" on stdout (what was submitted, on
# stderr). CNNFILT names the program (default: cnnfilt on PATH); it must be
# at the same path on the compute nodes.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
usage () { sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }

cpus=4 shard_dir= local_dir= dry=0 list=0
embed_args=() sbatch_args=()
while getopts "c:m:l:d:L:S:fnh" opt; do
  case $opt in
    f) list=1 ;;
    c) cpus=$OPTARG ;;
    m) embed_args+=(-m "$(realpath -- "$OPTARG")") || exit 2 ;;
    l) embed_args+=(--layer "$OPTARG") ;;
    d) shard_dir=$OPTARG ;;
    L) local_dir=$OPTARG ;;
    S) sbatch_args+=("$OPTARG") ;;
    n) dry=1 ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || [ $# -eq 3 ] || usage
tasks=${3:-8}
if ! [ "$tasks" -ge 1 ] 2>/dev/null || ! [ "$cpus" -ge 1 ] 2>/dev/null; then
  echo "submit-embed: TASKS and -c CPUS are numbers of 1 or more" >&2
  exit 2
fi
# Absolute paths: the tasks hash the paths as spelled to pick their photos,
# and the index keeps them; the jobs may start in another folder.
folder=$(realpath -e -- "$1") || exit 2
inputs=("$folder")
if [ $list -eq 1 ]; then
  if [ ! -f "$folder" ]; then
    echo "submit-embed: -f $1: not a file" >&2
    exit 2
  fi
  if grep -qv '^/' "$folder"; then
    echo "submit-embed: -f $1: every path must be absolute (the tasks start elsewhere): $(grep -nv '^/' "$folder" | head -1)" >&2
    exit 2
  fi
  inputs=(--files-from "$folder")
fi
index=$(realpath -m -- "$2") || exit 2
[ -n "$shard_dir" ] || shard_dir=${index%.db}.shards
shard_dir=$(realpath -m -- "$shard_dir")
cnnfilt=$(command -v "${CNNFILT:-cnnfilt}") || {
  echo "submit-embed: ${CNNFILT:-cnnfilt} not found: put it on PATH or set CNNFILT" >&2
  exit 2
}
cnnfilt=$(realpath -- "$cnnfilt")

# run NAME COMMAND...: runs it, or with -n prints it and stands for its job
# id with NAME
run () {
  local name=$1
  shift
  if [ $dry -eq 1 ]; then
    printf '%s' "${CNNFILT_LOCAL_DIR:+CNNFILT_LOCAL_DIR=$CNNFILT_LOCAL_DIR }" >&2
    printf '%q ' CNNFILT="$CNNFILT" CNNFILT_SHARDS="$CNNFILT_SHARDS" "$@" >&2
    echo >&2
    echo "<$name>"
  else
    "$@"
  fi
}

[ $dry -eq 1 ] || mkdir -p "$shard_dir/logs" "$(dirname "$index")" || exit 1
export CNNFILT=$cnnfilt CNNFILT_SHARDS=$tasks
[ -z "$local_dir" ] || export CNNFILT_LOCAL_DIR=$local_dir
array=$(run array sbatch --parsable --array="0-$((tasks - 1))" --cpus-per-task="$cpus" \
          --output="$shard_dir/logs/embed-%A_%a.out" --export=ALL "${sbatch_args[@]}" \
          "$here/embed.sbatch" "$shard_dir" "${embed_args[@]}" "${inputs[@]}") || exit 1
array=${array%%;*}
merge=$(run merge sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes \
          --output="$shard_dir/logs/merge-%j.out" --export=ALL "${sbatch_args[@]}" \
          "$here/merge.sbatch" "$index" "$shard_dir" "$tasks") || {
  echo "submit-embed: the merge was not submitted; the array $array runs: merge by hand" \
       "with: sbatch --dependency=afterok:$array $here/merge.sbatch $index $shard_dir $tasks" >&2
  exit 1
}
merge=${merge%%;*}
echo "submit-embed: array job $array: $tasks shards of $folder, $cpus CPU(s) each," \
     "into $shard_dir/shard-K-of-$tasks.db (logs in $shard_dir/logs)" >&2
echo "submit-embed: merge job $merge after it: $index" >&2
echo "$array $merge"
