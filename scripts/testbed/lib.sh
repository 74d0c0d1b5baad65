# shellcheck shell=bash
# Shared definitions for the real-proxy test bed (sourced by start.sh, stop.sh, status.sh).
# Everything binds 127.0.0.1 only; all state lives in STATE (default: REPO/.testbed).

TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$TESTBED_DIR/../.." && pwd)

testbed_init_state() { # [STATE_DIR]  (default: $TESTBED_STATE, else REPO/.testbed)
  local explicit=${1:-${TESTBED_STATE:-}} dir
  dir=${explicit:-$REPO/.testbed}
  # squid, tinyproxy, dante and stunnel drop to unprivileged users (proxy, nobody) and must
  # reach their files here. A checkout under a folder others cannot enter (mktemp -d, /root,
  # a 0700 home) would make them exit at start: the default state then lives in a world-
  # searchable folder outside the checkout, and REPO/.testbed is a symlink to it.
  if [[ -z $explicit && ! -L $dir ]] && ! testbed_reachable "$REPO"; then
    local outside
    outside=/var/tmp/sockschain-testbed-$(printf '%s' "$REPO" | sha256sum | cut -c1-12)
    mkdir -p "$outside" && chmod 755 "$outside"
    [[ -d $dir ]] && rm -rf "$dir"
    ln -sfn "$outside" "$dir"
  fi
  mkdir -p "$dir"
  STATE=$(cd "$dir" && pwd -P)
  if ! testbed_reachable "$STATE"; then
    echo "testbed: the state directory $STATE is not reachable by the proxies' users (proxy," \
      "nobody): a folder above it lacks o+x. Run 'chmod o+x' on that folder, or pass a state" \
      "directory elsewhere (TESTBED_STATE=/var/tmp/testbed)" >&2
    return 1
  fi
  RUN=$STATE/run
  mkdir -p "$RUN"
}

# True when an unprivileged user can enter DIR (every folder above it searchable).
testbed_reachable() { # DIR
  if command -v runuser >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
    runuser -u nobody -- test -x "$1" 2>/dev/null
    return
  fi
  local d=$1
  while [[ $d != / && -n $d ]]; do
    [[ $(stat -Lc %A "$d" 2>/dev/null) == *x ]] || return 1
    d=$(dirname "$d")
  done
}

HOST=127.0.0.1

# --- ports (fixed, 13100-13199) -------------------------------------------------------------
PORT_ORIGIN_HTTP=13100
PORT_ORIGIN_HTTPS=13101
PORT_BANNER=13102
PORT_DENIED=13104 # a LIVE http server that proxies are configured to refuse
PORT_CLOSED=13109 # nothing listens here (start.sh checks)
PORT_SQUID_OPEN=13110
PORT_SQUID_BASIC=13111
PORT_SQUID_DIGEST=13112
PORT_TINY_OPEN=13120
PORT_TINY_BASIC=13121
PORT_DANTE_OPEN=13130
PORT_DANTE_AUTH=13131
PORT_MICRO_OPEN=13140
PORT_MICRO_AUTH=13141
PORT_SSHD=13150
PORT_SSH_SOCKS=13151
PORT_STUNNEL_OPEN=13160
PORT_STUNNEL_BASIC=13161

# ssh -D cannot refuse a single port (PermitOpen has no negation): its denied target is a
# loopback address outside PermitOpen, refused by sshd before any connect or lookup.
SSH_DENIED_HOST=127.0.0.2

# --- credentials ----------------------------------------------------------------------------
PROXY_USER=alice # squid basic/digest, tinyproxy, microsocks, stunnel->squid-basic
PROXY_PASS=s3cret
DANTE_USER=bob # dante checks SYSTEM users (/etc/shadow): created by install.sh
DANTE_PASS=hunter2
WRONG_PASS=wrong-password

# --- processes ------------------------------------------------------------------------------
# Start order. ssh-socks needs sshd listening first (start.sh handles that).
PROCS=(origin squid tinyproxy-open tinyproxy-basic dante-open dante-auth microsocks-open
  microsocks-auth sshd ssh-socks stunnel)
# Stop order: the ssh client before sshd (sshd's per-connection child exits on EOF).
PROCS_STOP=(ssh-socks stunnel squid tinyproxy-open tinyproxy-basic dante-open dante-auth
  microsocks-open microsocks-auth sshd origin)

declare -A PROC_PORTS=(
  [origin]="$PORT_ORIGIN_HTTP $PORT_ORIGIN_HTTPS $PORT_BANNER $PORT_DENIED"
  [squid]="$PORT_SQUID_OPEN $PORT_SQUID_BASIC $PORT_SQUID_DIGEST"
  [tinyproxy-open]="$PORT_TINY_OPEN"
  [tinyproxy-basic]="$PORT_TINY_BASIC"
  [dante-open]="$PORT_DANTE_OPEN"
  [dante-auth]="$PORT_DANTE_AUTH"
  [microsocks-open]="$PORT_MICRO_OPEN"
  [microsocks-auth]="$PORT_MICRO_AUTH"
  [sshd]="$PORT_SSHD"
  [ssh-socks]="$PORT_SSH_SOCKS"
  [stunnel]="$PORT_STUNNEL_OPEN $PORT_STUNNEL_BASIC"
)

proc_log() { # NAME -> path of the log start.sh tails on failure
  case $1 in
  origin) echo "$STATE/origin/origin.log" ;;
  squid) echo "$STATE/squid/cache.log" ;;
  tinyproxy-*) echo "$STATE/$1/tinyproxy.log" ;;
  dante-*) echo "$STATE/$1/danted.log" ;;
  microsocks-*) echo "$RUN/$1.out" ;; # microsocks logs to stderr only
  sshd) echo "$STATE/ssh/sshd.log" ;;
  ssh-socks) echo "$STATE/ssh/ssh-client.log" ;;
  stunnel) echo "$STATE/stunnel/stunnel.log" ;;
  esac
}

# --- pid files: "PID STARTTIME" (STARTTIME from /proc/PID/stat guards against pid reuse) -----
proc_starttime() { # PID -> start time (fails for a missing or zombie process)
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) } # drop "pid (comm) ", comm may contain spaces
  # shellcheck disable=SC2086
  set -- $stat
  [[ $1 != Z && $1 != X ]] || return 1 # zombies linger here until PID 1 reaps them
  echo "${20}"                         # field 22 overall = 20th after pid and comm
}

# Prints those of the given process-group ids that still have a live (non-zombie) member.
live_groups() { # PGID...
  [[ $# -gt 0 ]] || return 0
  # cat, not awk, opens the files: a process may vanish between the glob and the read.
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v want=" $* " '{
    s = $0; sub(/^.*\) /, "", s); split(s, f, " ")
    if (f[1] != "Z" && f[1] != "X" && index(want, " " f[3] " ")) live[f[3]] = 1
  } END { for (g in live) print g }'
}

pidfile() { echo "$RUN/$1.pid"; }

# Prints the pid when the process recorded in NAME's pid file is still the one we started.
proc_pid() { # NAME
  local f pid st cur
  f=$(pidfile "$1")
  [[ -r $f ]] || return 1
  read -r pid st <"$f" || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  cur=$(proc_starttime "$pid") || return 1
  [[ $cur == "$st" ]] || return 1
  echo "$pid"
}

# Listening TCP ports on 127.0.0.1 in 13100-13199, one per line.
listening_ports() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltn 2>/dev/null | awk '{ n = split($4, a, ":"); if (a[1] == "127.0.0.1") print a[n] }'
  else
    local p
    for p in $(seq 13100 13199); do
      (exec 3<>"/dev/tcp/$HOST/$p") 2>/dev/null && echo "$p"
    done
  fi
}

port_listening() { # PORT [LISTENING_LIST]
  local list=${2-$(listening_ports)}
  grep -qx "$1" <<<"$list"
}
