#!/usr/bin/env bash
# Stop the cluster tests/slurm/start_cluster.sh started: slurmd, slurmctld, munged, by pid file.
set -uo pipefail

DIR=${LDCT_SLURM_DIR:-/tmp/ldct-slurm}
for daemon in slurmd slurmctld munged; do
  pid_file=$DIR/run/$daemon.pid
  [[ -s $pid_file ]] || continue
  pid=$(<"$pid_file")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pid_file"
done
for name in slurm.conf gres.conf; do
  target=/etc/slurm/$name
  if [[ -L $target && $(readlink "$target") == "$DIR/$name" ]]; then rm -f "$target"; fi
done
exit 0
