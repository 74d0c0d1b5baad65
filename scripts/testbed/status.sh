#!/usr/bin/env bash
# Prints each test-bed process and port up/down. Usage: status.sh [STATE_DIR]
# Exit 0 when everything is up, 1 otherwise.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
testbed_init_state "${1:-}"

list=$(listening_ports)
all_up=0
for name in "${PROCS[@]}"; do
  if pid=$(proc_pid "$name"); then
    ports=()
    state=up
    for p in ${PROC_PORTS[$name]}; do
      if port_listening "$p" "$list"; then ports+=("$p"); else ports+=("$p(not listening)"); state=degraded; fi
    done
    [[ $state == up ]] || all_up=1
    printf '%-16s %-8s pid %-7s %s\n' "$name" "$state" "$pid" "${ports[*]}"
  else
    all_up=1
    printf '%-16s %-8s %-11s %s\n' "$name" down "" "${PROC_PORTS[$name]}"
  fi
done
[[ -s $STATE/testbed.json ]] && echo "config: $STATE/testbed.json"
exit $all_up
