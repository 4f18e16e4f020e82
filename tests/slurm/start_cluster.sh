#!/usr/bin/env bash
# Start a one-node SLURM cluster on this machine for the tests marked `slurm`: munged (as the
# munge user), slurmctld and slurmd (as root), without systemd. Needs root and Debian's
# slurmd, slurmctld, slurm-client and munge packages (`--install` installs them with apt).
#
#   tests/slurm/start_cluster.sh [--install]     then: export SLURM_CONF=<printed path>
#   tests/slurm/stop_cluster.sh                  stops the daemons by their pid files
#
# State, spool, logs and pid files live in $LDCT_SLURM_DIR (default /tmp/ldct-slurm).
set -euo pipefail

DIR=${LDCT_SLURM_DIR:-/tmp/ldct-slurm}

if [[ ${1:-} == --install ]]; then
  packages=(slurmd slurmctld slurm-client munge)
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${packages[@]}" >&2 || { apt-get update -q >&2 && apt-get install -y -q "${packages[@]}" >&2; }
fi
for tool in munged slurmctld slurmd sinfo; do
  command -v "$tool" >/dev/null || { echo "start_cluster: $tool is not installed" >&2; exit 1; }
done

# A cluster these scripts started before is stopped first.
"$(dirname "$0")/stop_cluster.sh"
mkdir -p "$DIR/ctld" "$DIR/slurmd" "$DIR/log" "$DIR/run"

# munge: a key, its runtime folder, and the daemon as the munge user.
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
[[ -s /etc/munge/munge.key ]] || runuser -u munge -- mungekey --create
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- munged
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  cp /run/munge/munged.pid "$DIR/run/munged.pid"  # only a munged started here is stopped
fi

# One node named localhost with this machine's CPUs and memory (slurmd -C), and one GPU
# slot so that gpu=1 jobs can be scheduled: a GPU without a File is dropped and drains the
# node, so gres.conf points it at /dev/null.
read -r cpus memory < <(slurmd -C | awk '/^NodeName/ {
  for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
  print v["CPUs"], v["RealMemory"] - 512 }')
cat >"$DIR/slurm.conf" <<CONF
ClusterName=ldct
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/slurmd
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without a default, each job is given all the node's memory and jobs run one at a time.
DefMemPerCPU=1000
# squeue is the status command without accounting: finished jobs must stay visible for it.
MinJobAge=300
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
GresTypes=gpu
NodeName=localhost CPUs=$cpus RealMemory=$memory Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
echo "NodeName=localhost Name=gpu File=/dev/null" >"$DIR/gres.conf"
export SLURM_CONF=$DIR/slurm.conf
# srun inside a job does not see SLURM_CONF and looks in /etc/slurm: link it there, unless
# a real configuration is in place.
mkdir -p /etc/slurm
for name in slurm.conf gres.conf; do
  target=/etc/slurm/$name
  if [[ -e $target && ! -L $target ]]; then
    echo "start_cluster: $target exists and is not ours; not touching it" >&2
    exit 1
  fi
  ln -sfn "$DIR/$name" "$target"
done

slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
  state=$(sinfo -h -N -o %t 2>/dev/null || true)
  [[ $state == idle* || $state == mix* ]] && break
  sleep 1
done
if [[ ${state:-} != idle* && ${state:-} != mix* ]]; then
  echo "start_cluster: the node did not become idle (state '${state:-none}'); see $DIR/log" >&2
  exit 1
fi
echo "$SLURM_CONF"
