#!/usr/bin/env bash
# `npm run bench [-- NAME...]`: builds, then runs the benchmarks (all, or those named: setup
# latency throughput rps memory h2), each printing its tables and writing bench/results/NAME.json,
# then redraws the chart and the tables of docs/benchmarks.md from the results.
# Real-proxy parts need the test bed (scripts/testbed/install.sh once, as root); it is started
# here when it is down and we are root, and skipped otherwise.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# 10,000 open tunnels need more descriptors than the usual soft limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# TESTBED_STATE: the test bed's state directory (default .testbed), as the bench scripts read it.
state=()
[[ -z ${TESTBED_STATE:-} ]] || state=("$TESTBED_STATE")
if ! scripts/testbed/status.sh "${state[@]}" >/dev/null 2>&1; then
  if [[ $(id -u) == 0 ]]; then
    scripts/testbed/start.sh "${state[@]}" >/dev/null || echo "test bed did not start: real-proxy benchmarks will be skipped"
  else
    echo "test bed is down (sudo scripts/testbed/start.sh): real-proxy benchmarks will be skipped"
  fi
fi

npm run build --silent

names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(setup latency throughput rps memory h2)
started=$SECONDS
for name in "${names[@]}"; do
  echo
  echo "=== bench/$name.mjs"
  began=$SECONDS
  node "bench/$name.mjs"
  echo "(${name}: $((SECONDS - began)) s)"
done
node scripts/bench-chart.mjs
node scripts/bench-tables.mjs
echo "benchmarks done in $((SECONDS - started)) s"
