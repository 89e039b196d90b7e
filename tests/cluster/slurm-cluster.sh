#!/usr/bin/env bash
# A one-node Slurm cluster in a folder, for tests and benchmarks: its own
# munged, slurmctld and slurmd, on free ports, with every file (key, socket,
# state, spool, logs, pid files) under DIR, so that it clashes neither with a
# system Slurm nor with another such cluster on the same machine.
#
#   slurm-cluster.sh start DIR   start it; prints "SLURM_CONF=...; export SLURM_CONF"
#                                (also written to DIR/env) and returns once the
#                                node is idle; exit 77 where it cannot run here
#                                (not root, Slurm or munge not installed)
#   slurm-cluster.sh stop DIR    cancel its jobs, stop exactly the daemons it
#                                started (by their pid files under DIR)
#   slurm-cluster.sh status DIR  sinfo and squeue of the cluster
#
#   eval "$(tests/cluster/slurm-cluster.sh start /tmp/c)" && sbatch --wrap hostname
#
# Environment: SLURM_CLUSTER_CPUS (default: nproc), SLURM_CLUSTER_TIMEOUT
# (seconds to wait for the node, default 60). Needs root (slurmd starts jobs
# as their user; SlurmUser=root) and Debian's slurmctld, slurmd,
# slurm-client and munge packages.
set -u

die () { echo "slurm-cluster: $*" >&2; exit 1; }
# exit 77; once daemons run, stop them first
cannot () {
  echo "slurm-cluster: cannot run here: $*" >&2
  [ "${started:-0}" -eq 0 ] || stop >/dev/null 2>&1
  exit 77
}

[ $# -eq 2 ] || { sed -n '2,20s/^# \{0,1\}//p' "$0" >&2; exit 2; }
action=$1
mkdir -p "$2" 2>/dev/null || die "cannot make $2"
dir=$(cd "$2" && pwd -P) || die "cannot enter $2"
conf=$dir/etc/slurm.conf

# Is @pid alive and running a command line that names $dir (so never a
# recycled pid or someone else's daemon)?
ours () {
  local pid=$1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$dir"
}

# Stops the daemon whose pid file is @1: SIGTERM, then SIGKILL after 10 s.
stop_daemon () {
  local file=$dir/run/$1.pid pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file" 2>/dev/null)
  if ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do ours "$pid" || break; sleep 0.1; done
    if ours "$pid"; then
      echo "slurm-cluster: $1 ($pid) did not stop on SIGTERM: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  rm -f "$file"
}

# A TCP port nobody listens on (nor binds) now.
free_port () {
  /usr/bin/python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

start () {
  [ "$(id -u)" -eq 0 ] || cannot "not root (slurmd must be root to start jobs)"
  local tool
  for tool in munged munge slurmctld slurmd sbatch sinfo scontrol squeue; do
    PATH=$PATH:/usr/sbin:/sbin command -v "$tool" >/dev/null ||
      cannot "$tool not installed (Debian: apt-get install slurmctld slurmd slurm-client munge)"
  done
  export PATH=$PATH:/usr/sbin:/sbin
  if [ -f "$dir/run/slurmctld.pid" ] && ours "$(cat "$dir/run/slurmctld.pid")"; then
    die "a cluster already runs in $dir (stop it first)"
  fi
  mkdir -p "$dir"/{etc,munge,run,log,state} "$dir/spool/slurmd-$(hostname -s)" || die "cannot write under $dir"
  chmod 0700 "$dir/munge"
  chmod 0755 "$dir" "$dir/run"  # munged: everyone must reach its socket

  # munge: own key, socket, pid, log and seed
  local key=$dir/munge/munge.key socket=$dir/run/munge.socket
  if [ ! -s "$key" ]; then
    if command -v mungekey >/dev/null; then
      mungekey --create --keyfile="$key" --force 2>/dev/null || die "mungekey failed"
    else
      dd if=/dev/urandom of="$key" bs=1024 count=1 status=none || die "cannot write $key"
    fi
  fi
  chmod 0600 "$key"
  started=1
  munged --socket="$socket" --key-file="$key" --pid-file="$dir/run/munged.pid" \
         --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" \
         --num-threads=2 2>"$dir/log/munged.start" ||
    cannot "munged did not start: $(tail -1 "$dir/log/munged.start")"
  for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
  munge -n -S "$socket" | unmunge -S "$socket" >/dev/null 2>&1 ||
    cannot "munge credentials do not round-trip through $socket"

  local host cpus mem ctld_port slurmd_port
  host=$(hostname -s)
  cpus=${SLURM_CLUSTER_CPUS:-$(nproc)}
  # MiB: 90% of the machine's, so that slurmd never finds less than configured
  mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  ctld_port=$(free_port) && slurmd_port=$(free_port) || die "no free port"
  while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done

  cat >"$conf" <<EOF
# made by tests/cluster/slurm-cluster.sh for a throw-away one-node cluster
ClusterName=cnnfilt-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire also sets how long a requeued job waits before it may start again
AuthInfo=socket=$socket,cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd-%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
# look at pending jobs every second (requeued ones wait for their begin time)
SchedulerParameters=sched_interval=1,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobRequeue=1
MinJobAge=600
SlurmdTimeout=60
InactiveLimit=0
KillWait=10
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  printf 'SLURM_CONF=%s; export SLURM_CONF\n' "$conf" >"$dir/env"
  export SLURM_CONF=$conf

  local fresh=-i  # keep what an earlier start in DIR left
  [ -n "$(ls -A "$dir/state")" ] || fresh=-c
  slurmctld -f "$conf" $fresh 2>"$dir/log/slurmctld.start" ||
    cannot "slurmctld did not start: $(tail -3 "$dir/log/slurmctld.start" "$dir/log/slurmctld.log" 2>/dev/null | tr '\n' ' ')"
  slurmd -f "$conf" -N "$host" 2>"$dir/log/slurmd.start" ||
    cannot "slurmd did not start: $(tail -3 "$dir/log/slurmd.start" "$dir/log/slurmd.log" 2>/dev/null | tr '\n' ' ')"

  local state="" deadline=$((SECONDS + ${SLURM_CLUSTER_TIMEOUT:-60}))
  while [ $SECONDS -lt $deadline ]; do
    state=$(sinfo -h -N -n "$host" -o %T 2>/dev/null | head -1)
    [ "$state" = idle ] && break
    sleep 0.5
  done
  if [ "$state" != idle ]; then
    echo "slurm-cluster: node $host is '${state:-unknown}', not idle; logs in $dir/log" >&2
    tail -n 5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" 2>/dev/null | sed "s/^/  /" >&2
    cannot "the node did not come up"
  fi
  echo "slurm-cluster: $host idle, $cpus CPUs, ${mem} MiB, slurmctld :$ctld_port, slurmd :$slurmd_port, in $dir" >&2
  cat "$dir/env"
}

# The processes of jobs of this cluster still alive: each job script (it
# runs from slurmd's spool under DIR), its slurmstepd and their descendants.
job_processes () {
  ps -eo pid=,ppid=,comm=,args= | D="$dir/spool/" SELF=$$ awk '
    { ppid[$1] = $2; comm[$1] = $3; if (index($0, ENVIRON["D"]) && $1 != ENVIRON["SELF"]) script[$1] = 1 }
    END {
      for (p in script) { tree[p] = 1; if (comm[ppid[p]] == "slurmstepd") tree[ppid[p]] = 1 }
      do { more = 0; for (p in ppid) if (!(p in tree) && (ppid[p] in tree)) { tree[p] = 1; more = 1 } } while (more)
      for (p in tree) printf "%s ", p
    }'
}

stop () {
  if [ -f "$conf" ] && [ -f "$dir/run/slurmctld.pid" ] && ours "$(cat "$dir/run/slurmctld.pid")"; then
    export SLURM_CONF=$conf
    # the jobs' processes belong to slurmstepd, which slurmd's SIGTERM leaves
    # running: cancel them while the daemons are up (suspended ones resumed
    # first), and wait for them
    squeue -h -t S -o %A 2>/dev/null | sort -u | xargs -r -n1 scontrol resume 2>/dev/null
    squeue -h -o %A 2>/dev/null | sort -u | xargs -r scancel --quiet 2>/dev/null
    for _ in $(seq 150); do
      [ -z "$(squeue -h -t R,CG,S,CF -o %A 2>/dev/null)" ] && [ -z "$(job_processes)" ] && break
      sleep 0.1
    done
  fi
  stop_daemon slurmd
  stop_daemon slurmctld
  stop_daemon munged
  local left
  left=$(job_processes)
  if [ -n "$left" ]; then
    echo "slurm-cluster: killing what jobs left running: $left" >&2
    kill -CONT $left 2>/dev/null
    kill -KILL $left 2>/dev/null
  fi
}

case $action in
  start) start ;;
  stop) stop ;;
  status)
    export SLURM_CONF=$conf
    sinfo && squeue ;;
  *) die "unknown action '$action' (start, stop or status)" ;;
esac
