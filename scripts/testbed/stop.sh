#!/usr/bin/env bash
# Stops what start.sh started, using its pid files only (pid + start time, so a reused pid is
# never hit), never process names. Each server runs in its own session, so the whole process
# group is signalled (dante's children, squid's auth helpers). Usage: stop.sh [STATE_DIR]
# Idempotent. SIGTERM first, SIGKILL for a group still alive after 10 s.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
testbed_init_state "${1:-}"
exec 9>"$STATE/.lock"
flock 9

wait_groups() { # SECONDS PGID... : returns 0 once none is alive, 1 on timeout
  local deadline=$((SECONDS + $1))
  shift
  while [[ -n $(live_groups "$@") ]]; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

declare -A PGIDS=()
for name in "${PROCS_STOP[@]}"; do
  f=$(pidfile "$name")
  [[ -e $f ]] || continue
  if pid=$(proc_pid "$name"); then
    PGIDS[$name]=$pid
    kill -TERM -- "-$pid" 2>/dev/null || true
    # Let sshd's per-connection child (in a session of its own) see EOF before sshd goes.
    [[ $name == ssh-socks ]] && { wait_groups 2 "$pid" || true; }
  else
    echo "testbed stop: $name: stale pid file (process gone), removing"
    rm -f "$f"
  fi
done

if [[ ${#PGIDS[@]} -eq 0 ]]; then
  echo "testbed stop: nothing running (state: $STATE)"
  exit 0
fi

if ! wait_groups 10 "${PGIDS[@]}"; then
  for pgid in $(live_groups "${PGIDS[@]}"); do
    for name in "${!PGIDS[@]}"; do
      [[ ${PGIDS[$name]} == "$pgid" ]] && echo "testbed stop: $name (pgid $pgid) ignored SIGTERM, sending SIGKILL" >&2
    done
    kill -KILL -- "-$pgid" 2>/dev/null || true
  done
  wait_groups 5 "${PGIDS[@]}" || echo "testbed stop: some processes survived SIGKILL: $(live_groups "${PGIDS[@]}")" >&2
fi
for name in "${!PGIDS[@]}"; do rm -f "$(pidfile "$name")"; done
echo "testbed stop: stopped ${!PGIDS[*]}"
