#!/usr/bin/env bash
# A one-node Slurm cluster on this machine (munged, slurmctld, slurmd on localhost, Debian's packages, installed when
# missing: run as root), an experiment submitted to it with scripts/slurm/submit.sh, and the same experiment run
# sequentially. Usage: tests/slurm/slurm-test.sh <work folder>
# Leaves <work>/cluster and <work>/sequential (results.jsonl, report.json), which the xunit test SlurmTests compares;
# ends with "slurm test: ok" or a reason, the daemons' logs on failure, and the daemons stopped in every case.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mkdir -p "${1:?usage: slurm-test.sh <work folder>}" && cd "$1" && pwd)"
data="${FERSNET_SLURM_TEST_DATA:-$root/../shared/data/ckplus48}"
data="$(cd "$data" && pwd)"
# A tiny experiment: 2 folds of 12 subjects; fersnet+synth's first stage is the fold's fersnet training, which the two
# tasks of a fold share (and may run at the same time).
experiment=(--data "$data" --folds 2 --epochs 2 --width 8 --subjects 12 --synthesis-warmup 1
  --variants fersnet,fersnet+synth --synthetic-epochs 1)
deadline=$((SECONDS + ${FERSNET_SLURM_TEST_TIMEOUT:-240}))

say() { echo "slurm test: $*"; }
fail() {
  say "FAILED: $*"
  for log in "$work"/slurm/*.log "$work"/slurm-*.out; do
    [ -f "$log" ] && { echo "----- $log"; tail -n 60 "$log"; }
  done
  exit 1
}

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  [ "$(id -u)" -eq 0 ] || { say "FAILED: Slurm is not installed and installing it needs root (apt-get install slurm-wlm munge)"; exit 1; }
  say "installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
[ "$(id -u)" -eq 0 ] || { say "FAILED: the test cluster runs its daemons as root (SlurmUser=root)"; exit 1; }

state="$work/slurm"
rm -rf "$state"
mkdir -p "$state/munge" "$state/ctld" "$state/spool"
chmod 700 "$state/munge"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# munge: a fresh key, its own socket (a munged of the machine, if any, is left alone).
dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$state/munge/munge.key"
munged --foreground --force --key-file="$state/munge/munge.key" --socket="$state/munge/munge.socket" \
  --pid-file="$state/munge/munged.pid" --seed-file="$state/munge/munge.seed" --log-file="$state/munged.log" >>"$state/munged.log" 2>&1 &
pids+=($!)

# Ports of this run's own (a second test at the same time, or a real cluster's daemons, keep theirs).
port=$((20000 + RANDOM % 20000))
cpus=$(nproc)
memory=$(( $(awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo) / 2 ))
cat > "$state/slurm.conf" <<CONF
ClusterName=fersnet-test
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$state/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SlurmdTimeout=30
NodeName=localhost CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$state/slurm.conf"

for _ in $(seq 50); do [ -S "$state/munge/munge.socket" ] && break; sleep 0.1; done
[ -S "$state/munge/munge.socket" ] || fail "munged did not start"
slurmctld -D -i >>"$state/slurmctld.log" 2>&1 &
pids+=($!)
slurmd -D -N localhost >>"$state/slurmd.log" 2>&1 &
pids+=($!)

say "waiting for the node"
until [ "$(sinfo -h -N -n localhost -o '%t' 2>/dev/null)" = "idle" ]; do
  [ $SECONDS -lt $deadline ] || fail "the node never became idle (sinfo: $(sinfo -N 2>&1 | tr '\n' ' '))"
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || fail "a daemon exited (pid $pid)"; done
  sleep 1
done

# The cluster run. One thread per task (no --cpus-per-task), and so one in the sequential run: the same numbers need
# the same libtorch thread count.
cd "$work"
rm -rf cluster sequential runs
start=$SECONDS
submitted=$(bash "$root/scripts/slurm/submit.sh" --time=10 -- "${experiment[@]}" --out "$work/cluster" --name cluster) \
  || fail "submit.sh failed: $submitted"
echo "$submitted"
report=$(tail -n 1 <<< "$submitted" | grep -oE 'report [0-9]+' | grep -oE '[0-9]+') || fail "no report job id in: $submitted"
while true; do
  job=$(scontrol show job "$report" -o 2>/dev/null || true)
  job_state=$(grep -oE 'JobState=[A-Z_]+' <<< "$job" | cut -d= -f2 || true)
  case "$job_state" in
    COMPLETED) break ;;
    FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED) fail "report job $report ended $job_state: $(squeue 2>&1 | tr '\n' ' ')" ;;
  esac
  [ $SECONDS -lt $deadline ] || fail "timed out waiting for report job $report (state '$job_state'; queue: $(squeue 2>&1 | tr '\n' ' '))"
  sleep 1
done
say "cluster run and report in $((SECONDS - start))s"
[ -f cluster/report.json ] || fail "the report job wrote no cluster/report.json"

start=$SECONDS
FERSNET_THREADS=1 "$root/fersnet" experiment "${experiment[@]}" --out "$work/sequential" --name sequential > sequential.log 2>&1 \
  || { cat sequential.log; fail "the sequential run failed"; }
say "sequential run and report in $((SECONDS - start))s"
say "ok"
