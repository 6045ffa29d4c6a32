#!/usr/bin/env bash
# Runs the test suite (the README's test command; CI runs it through .ci/run).
# Prints one closing line 'N passed, N failed', computed from the TRX results, and fails when any test fails.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh" || exit 1
results="$root/tests/Fersnet.Tests/TestResults"
rm -rf "$results"
dotnet test "$root/tests/Fersnet.Tests/Fersnet.Tests.csproj" -c Release --nologo \
  --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?
trx="$results/results.trx"
if [ ! -f "$trx" ]; then
  echo "no test results were written (build failure?)"
  echo "0 passed, 1 failed"
  exit 1
fi
counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
count() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
passed=$(count passed); failed=$(count failed); total=$(count total); executed=$(count executed)
skipped=$(( total - executed ))
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped} skipped"
if [ "$status" -ne 0 ] || [ "${failed:-0}" -ne 0 ] || [ "${passed:-0}" -eq 0 ]; then exit 1; fi
