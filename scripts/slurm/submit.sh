#!/usr/bin/env bash
# Runs an experiment on a Slurm cluster: one array task per (variant, fold) job not on file yet, each running
#   ./fersnet experiment <options> --only <variant>:<fold>
# then, once every task has succeeded (--dependency=afterok), one job that writes the report (--report-only).
#
# Usage: scripts/slurm/submit.sh [<sbatch options> --] <fersnet experiment options>
#   scripts/slurm/submit.sh --partition=cpu --cpus-per-task=4 --time=01:00:00 -- \
#     --data ../shared/data/ckplus48 --folds 10 --variants single,hard,fersnet --out runs/ck-ablation
#
# The sbatch options (partition, time, CPUs, memory, ...) apply to every task and to the report job. The jobs run in
# the current folder, so relative paths mean what they mean here: the repository, the data, --out and runs/experiments/
# (the tasks' training folders, where a requeued task resumes) must be on a file system every node sees. Submitting
# again after a failure runs only the jobs not on file. Prints "array <id> (<n> tasks), report <id>" last.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

sbatch_options=()
for argument in "$@"; do
  if [ "$argument" = "--" ]; then
    while [ "$1" != "--" ]; do sbatch_options+=("$1"); shift; done
    shift
    break
  fi
done
if [ $# -eq 0 ]; then sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; fi
command -v sbatch >/dev/null || { echo "submit.sh: sbatch not found (is this a Slurm submit host?)" >&2; exit 1; }

# Here, once: build the tool (the tasks never build), check the options, list the jobs not on file yet.
status=0
listing=$("$root/fersnet" experiment "$@" --list-jobs) || status=$?
if [ $status -ne 0 ]; then echo "$listing" >&2; exit $status; fi
read -r -a jobs <<< "$(grep -E '^[^ :]+:[0-9]+$' <<< "$listing" | tr '\n' ' ' || true)"

if [ ${#jobs[@]} -eq 0 ]; then
  echo "every job is on file: submitting the report alone"
  report=$(sbatch --parsable "${sbatch_options[@]}" --export=ALL,FERSNET_ROOT="$root" "$root/scripts/slurm/experiment-report.sbatch" "$@")
  echo "array none (0 tasks), report ${report%%;*}"
  exit 0
fi
array=$(sbatch --parsable --array=0-$(( ${#jobs[@]} - 1 )) "${sbatch_options[@]}" \
  --export=ALL,FERSNET_ROOT="$root",FERSNET_JOBS="${jobs[*]}" "$root/scripts/slurm/experiment-array.sbatch" "$@")
array=${array%%;*}
report=$(sbatch --parsable --dependency=afterok:"$array" --kill-on-invalid-dep=yes "${sbatch_options[@]}" \
  --export=ALL,FERSNET_ROOT="$root" "$root/scripts/slurm/experiment-report.sbatch" "$@")
echo "array $array (${#jobs[@]} tasks: ${jobs[*]}), report ${report%%;*}"
