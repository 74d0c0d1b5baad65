#!/usr/bin/env bash
# Stops the firewall lab: kills every process inside its namespace (only the lab's servers
# and clients live there) and deletes the namespace. Usage: down.sh   (root)
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ip netns list 2>/dev/null | grep -qw "^$LAB_NETNS" || exit 0
for _ in 1 2 3 4 5 6 7 8 9 10; do
  pids=$(ip netns pids "$LAB_NETNS" 2>/dev/null)
  [[ -z $pids ]] && break
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null
  sleep 0.2
done
ip netns del "$LAB_NETNS"
echo "lab down: namespace $LAB_NETNS removed"
