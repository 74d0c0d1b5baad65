#!/usr/bin/env bash
# Starts the real-proxy test bed on 127.0.0.1 (see README.md). Usage: start.sh [STATE_DIR]
# Idempotent: a server whose pid file names a live process is left alone.
# Writes STATE_DIR/testbed.json (everything a test needs). Exits non-zero when a server fails.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
testbed_init_state "${1:-}"

T0=$(date +%s%N)
exec 9>"$STATE/.lock"
flock 9 # concurrent start.sh / stop.sh calls (parallel test workers) run one at a time
WAIT_SECS=${TESTBED_START_TIMEOUT:-30}

die() {
  echo "testbed start: $*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || die "must run as root (squid/tinyproxy drop privileges, dante reads /etc/shadow, sshd)"
for bin in squid tinyproxy danted microsocks /usr/sbin/sshd ssh ssh-keygen stunnel4 openssl htpasswd node setsid; do
  command -v "$bin" >/dev/null 2>&1 || die "'$bin' not found: run scripts/testbed/install.sh as root"
done

# ---------------------------------------------------------------------------------------------
# DNS jail: every daemon runs in a private mount namespace whose /etc/resolv.conf says
# "nameserver 127.0.0.1" (nothing listens there, so a lookup of any name that is not in
# /etc/hosts fails at once instead of leaving the machine). TESTBED_NO_DNS_JAIL=1 disables it.
RESOLV=$STATE/resolv.conf
[[ -f $RESOLV ]] || printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$RESOLV"
JAIL=0
if [[ ${TESTBED_NO_DNS_JAIL:-0} != 1 ]]; then
  if [[ -f $STATE/.jail-ok ]] || unshare --mount --propagation private -- /bin/sh -c \
    'mount --bind "$0" /etc/resolv.conf && grep -q "^nameserver 127.0.0.1" /etc/resolv.conf' "$RESOLV" 2>/dev/null; then
    JAIL=1
    touch "$STATE/.jail-ok"
  else
    echo "testbed start: WARNING: cannot bind-mount /etc/resolv.conf in a mount namespace;" \
      "servers use the system resolver (send them only 127.0.0.1 / localhost)" >&2
  fi
fi

launch() { # NAME CMD... : starts CMD in its own session (pgid = pid), records "PID STARTTIME"
  local name=$1 pid st
  shift
  local out=$RUN/$name.out
  if [[ $JAIL == 1 ]]; then
    # shellcheck disable=SC2016
    unshare --mount --propagation private -- /bin/sh -c \
      'mount --bind "$0" /etc/resolv.conf && exec setsid "$@"' "$RESOLV" "$@" >"$out" 2>&1 </dev/null 9>&- &
  else
    setsid "$@" >"$out" 2>&1 </dev/null 9>&- &
  fi
  pid=$!
  st=$(proc_starttime "$pid") || st=0
  echo "$pid $st" >"$(pidfile "$name")"
  STARTED+=("$name")
}

# ---------------------------------------------------------------------------------------------
# Keys and certificates (generated once, kept in STATE).
TLS=$STATE/tls
gen_tls() {
  mkdir -p "$TLS"
  [[ -s $TLS/ca.crt && -s $TLS/server.crt && -s $TLS/server.key ]] && return 0
  (
    cd "$TLS"
    umask 077
    openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
      -keyout ca.key -out ca.crt -days 3650 -subj "/CN=sockschain testbed CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
      -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
      "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt \
      -days 825 -extfile server.ext 2>/dev/null
    chmod 644 ca.crt server.crt
    chmod 600 ca.key server.key
    rm -f server.csr server.ext
  ) || die "certificate generation failed"
}

SSHS=$STATE/ssh
gen_ssh() {
  mkdir -p "$SSHS"
  chmod 700 "$SSHS"
  [[ -s $SSHS/host_ed25519_key ]] || ssh-keygen -q -t ed25519 -N '' -C testbed-host -f "$SSHS/host_ed25519_key"
  [[ -s $SSHS/client_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C testbed-client -f "$SSHS/client_ed25519"
  # The key may only forward ports (no shell, pty, agent, X11).
  printf 'restrict,port-forwarding,command="/usr/sbin/nologin" %s\n' "$(cat "$SSHS/client_ed25519.pub")" \
    >"$SSHS/authorized_keys"
  printf '[%s]:%s %s\n' "$HOST" "$PORT_SSHD" "$(cut -d' ' -f1,2 "$SSHS/host_ed25519_key.pub")" >"$SSHS/known_hosts"
}

# ---------------------------------------------------------------------------------------------
# Per-server start functions (write config, launch).

start_origin() {
  mkdir -p "$STATE/origin"
  launch origin node "$TESTBED_DIR/origin.mjs" "$PORT_ORIGIN_HTTP" "$PORT_ORIGIN_HTTPS" "$PORT_BANNER" \
    "$PORT_DENIED" "$TLS/server.crt" "$TLS/server.key"
}

start_squid() {
  local d=$STATE/squid
  mkdir -p "$d"
  htpasswd -bcm "$d/basic.passwd" "$PROXY_USER" "$PROXY_PASS" 2>/dev/null
  printf '%s:%s\n' "$PROXY_USER" "$PROXY_PASS" >"$d/digest.passwd"
  cp "$REPO/scripts/testbed/squid-common.conf" "$d/"
  cat >"$d/squid.conf" <<EOF
# generated by scripts/testbed/start.sh
http_port $HOST:$PORT_SQUID_OPEN name=open
http_port $HOST:$PORT_SQUID_BASIC name=basic
http_port $HOST:$PORT_SQUID_DIGEST name=digest
visible_hostname testbed-squid
cache_effective_user proxy
pid_filename $d/squid.pid
cache_log $d/cache.log
access_log stdio:$d/access.log squid
coredump_dir $d
max_filedescriptors 4096
include $d/squid-common.conf
tcp_outgoing_address $HOST
udp_outgoing_address $HOST
udp_incoming_address $HOST

auth_param basic program /usr/lib/squid/basic_ncsa_auth $d/basic.passwd
auth_param basic children 2 startup=1 idle=1
auth_param basic realm testbed-squid-basic
auth_param digest program /usr/lib/squid/digest_file_auth $d/digest.passwd
auth_param digest children 2 startup=1 idle=1
auth_param digest realm testbed-squid-digest

acl p_open myportname open
acl p_basic myportname basic
acl p_digest myportname digest
acl lo_dst dst 127.0.0.0/8
acl denied_port port $PORT_DENIED
acl authed proxy_auth REQUIRED
acl basic_creds req_header Proxy-Authorization -i ^basic[[:space:]]
acl digest_creds req_header Proxy-Authorization -i ^digest[[:space:]]

# Each auth port offers (and accepts) one scheme only: credentials of the other scheme get
# a 407 with this port's challenge (an auth ACL last on a deny line re-challenges).
auth_schemes basic p_basic
auth_schemes digest p_digest

# No SSL_ports / Safe_ports rules: in a chain squid must CONNECT to any port.
http_access deny !safe_name
http_access deny !lo_dst
http_access deny denied_port
http_access allow p_open
http_access deny p_basic digest_creds authed
http_access deny p_digest basic_creds authed
http_access allow p_basic authed
http_access allow p_digest authed
http_access deny all
EOF
  chown -R proxy:proxy "$d"
  chmod 640 "$d/basic.passwd" "$d/digest.passwd"
  launch squid squid -N -f "$d/squid.conf"
}

# An ERE matching every decimal port number (up to as many digits) except $1. ERE has no
# negative lookahead: "any shorter number, or the same length differing at some digit".
not_port_re() { # PORT
  local p=$1 n=${#1} i d others rest alts=()
  ((n > 1)) && alts+=("[0-9]{1,$((n - 1))}")
  for ((i = 0; i < n; i++)); do
    d=${p:i:1}
    others=$(tr -d "$d" <<<0123456789)
    rest=$((n - i - 1))
    alts+=("${p:0:i}[$others]$( ((rest > 0)) && echo "[0-9]{$rest}")")
  done
  local IFS='|'
  echo "(${alts[*]})"
}

start_tinyproxy() { # NAME PORT AUTH(0|1)
  local name=$1 port=$2 auth=$3 d=$STATE/$1
  mkdir -p "$d"
  # FilterURLs on: the filter sees "host:port" for CONNECT and the absolute URL for forwarding,
  # so the allow-list can leave out the denied port: PORTS matches any port but $PORT_DENIED.
  local ports
  ports=$(not_port_re "$PORT_DENIED")
  cat >"$d/filter" <<EOF
^(127\.0\.0\.1|localhost):$ports\$
^http://(127\.0\.0\.1|localhost)(:$ports)?(/.*)?\$
EOF
  {
    echo "# generated by scripts/testbed/start.sh"
    echo "User nobody"
    echo "Group nogroup"
    echo "Port $port"
    echo "Listen $HOST"
    echo "Bind $HOST"
    echo "Timeout 60"
    echo "MaxClients 200"
    echo "LogFile \"$d/tinyproxy.log\""
    echo "LogLevel Info"
    echo "PidFile \"$d/tinyproxy.pid\""
    echo "Allow $HOST"
    echo "ViaProxyName \"testbed-$name\""
    echo "Filter \"$d/filter\""
    echo "FilterType ere"
    echo "FilterURLs On"
    echo "FilterDefaultDeny Yes"
    [[ $auth == 1 ]] && echo "BasicAuth $PROXY_USER $PROXY_PASS"
  } >"$d/tinyproxy.conf"
  chown -R nobody:nogroup "$d"
  launch "$name" tinyproxy -d -c "$d/tinyproxy.conf"
}

start_dante() { # NAME PORT METHOD(none|username)
  local name=$1 port=$2 method=$3 d=$STATE/$1
  mkdir -p "$d"
  cat >"$d/danted.conf" <<EOF
# generated by scripts/testbed/start.sh (one keyword per line inside rules)
logoutput: $d/danted.log
internal: $HOST port = $port
external: $HOST
clientmethod: none
socksmethod: $method
user.privileged: root
user.unprivileged: nobody
timeout.negotiate: 30
client pass {
  from: 127.0.0.0/8 to: 127.0.0.0/8
  log: error
}
socks block {
  from: 127.0.0.0/8 to: $HOST/32 port = $PORT_DENIED
  log: connect error
}
socks pass {
  from: 127.0.0.0/8 to: 127.0.0.0/8
  command: connect
  log: error
}
EOF
  launch "$name" danted -f "$d/danted.conf" -p "$d/danted.pid"
}

start_microsocks() { # NAME PORT AUTH(0|1)
  local name=$1 port=$2 auth=$3 d=$STATE/$1
  mkdir -p "$d"
  local args=(-i "$HOST" -p "$port" -b "$HOST")
  [[ $auth == 1 ]] && args+=(-u "$PROXY_USER" -P "$PROXY_PASS")
  launch "$name" setpriv --reuid=nobody --regid=nogroup --clear-groups microsocks "${args[@]}"
}

start_sshd() {
  mkdir -p /run/sshd
  chmod 755 /run/sshd
  cat >"$SSHS/sshd_config" <<EOF
# generated by scripts/testbed/start.sh
ListenAddress $HOST:$PORT_SSHD
HostKey $SSHS/host_ed25519_key
PidFile $SSHS/sshd.pid
AuthorizedKeysFile $SSHS/authorized_keys
AllowUsers root
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
StrictModes no
AllowTcpForwarding local
PermitOpen $HOST:* localhost:*
AllowAgentForwarding no
X11Forwarding no
PermitTunnel no
PermitTTY no
GatewayPorts no
PrintMotd no
LogLevel VERBOSE
EOF
  launch sshd /usr/sbin/sshd -D -f "$SSHS/sshd_config" -E "$SSHS/sshd.log"
}

start_ssh_socks() {
  launch ssh-socks ssh -F /dev/null -N -D "$HOST:$PORT_SSH_SOCKS" -p "$PORT_SSHD" \
    -i "$SSHS/client_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$SSHS/known_hosts" \
    -o GlobalKnownHostsFile=/dev/null -o CheckHostIP=no -o ExitOnForwardFailure=yes \
    -o ServerAliveInterval=30 -o ControlMaster=no -o ControlPath=none \
    -E "$SSHS/ssh-client.log" "root@$HOST"
}

start_stunnel() {
  local d=$STATE/stunnel
  mkdir -p "$d"
  cat >"$d/stunnel.conf" <<EOF
; generated by scripts/testbed/start.sh
foreground = yes
pid =
output = $d/stunnel.log
debug = notice
syslog = no
setuid = nobody
setgid = nogroup

[https-squid-open]
accept = $HOST:$PORT_STUNNEL_OPEN
connect = $HOST:$PORT_SQUID_OPEN
cert = $TLS/server.crt
key = $TLS/server.key

[https-squid-basic]
accept = $HOST:$PORT_STUNNEL_BASIC
connect = $HOST:$PORT_SQUID_BASIC
cert = $TLS/server.crt
key = $TLS/server.key
EOF
  chown -R nobody:nogroup "$d" # stunnel opens its log after dropping to nobody
  launch stunnel stunnel4 "$d/stunnel.conf"
}

start_proc() {
  case $1 in
  origin) start_origin ;;
  squid) start_squid ;;
  tinyproxy-open) start_tinyproxy tinyproxy-open "$PORT_TINY_OPEN" 0 ;;
  tinyproxy-basic) start_tinyproxy tinyproxy-basic "$PORT_TINY_BASIC" 1 ;;
  dante-open) start_dante dante-open "$PORT_DANTE_OPEN" none ;;
  dante-auth) start_dante dante-auth "$PORT_DANTE_AUTH" username ;;
  microsocks-open) start_microsocks microsocks-open "$PORT_MICRO_OPEN" 0 ;;
  microsocks-auth) start_microsocks microsocks-auth "$PORT_MICRO_AUTH" 1 ;;
  sshd) start_sshd ;;
  ssh-socks) start_ssh_socks ;;
  stunnel) start_stunnel ;;
  esac
}

fail() { # NAME REASON
  local name=$1 log
  log=$(proc_log "$name")
  echo "testbed start: $name FAILED: $2" >&2
  for f in "$log" $([[ $log != "$RUN/$name.out" ]] && echo "$RUN/$name.out"); do
    if [[ -s $f ]]; then
      echo "---- tail of $f" >&2
      tail -n 20 "$f" >&2
    fi
  done
  echo "testbed start: other servers are left running; scripts/testbed/stop.sh stops them" >&2
  exit 1
}

# Waits until every port of NAMES listens; fails as soon as one of their processes died.
wait_up() { # NAMES...
  local deadline=$((SECONDS + WAIT_SECS)) list name p pending
  while :; do
    list=$(listening_ports)
    pending=()
    for name in "$@"; do
      for p in ${PROC_PORTS[$name]}; do
        if ! port_listening "$p" "$list"; then
          pending+=("$name")
          break
        fi
      done
    done
    [[ ${#pending[@]} -eq 0 ]] && return 0
    for name in "${pending[@]}"; do
      proc_pid "$name" >/dev/null || fail "$name" "process exited before listening on ${PROC_PORTS[$name]}"
    done
    ((SECONDS < deadline)) || fail "${pending[0]}" "not listening on ${PROC_PORTS[${pending[0]}]} after ${WAIT_SECS}s"
    sleep 0.05
  done
}

# ---------------------------------------------------------------------------------------------
gen_tls
gen_ssh

STARTED=()
LISTENING=$(listening_ports)
port_listening "$PORT_CLOSED" "$LISTENING" && die "the 'closed' port $PORT_CLOSED is in use by another process"

TO_START=()
for name in "${PROCS[@]}"; do
  proc_pid "$name" >/dev/null && continue
  for p in ${PROC_PORTS[$name]}; do
    port_listening "$p" "$LISTENING" &&
      die "$name: port $p is already in use by a process this test bed ($STATE) did not start:" \
        "another test bed runs on this machine (ports are fixed). To use it, point at its state dir" \
        "(TESTBED_STATE=DIR, e.g. the .testbed of the checkout that started it); else stop it there"
  done
  TO_START+=("$name")
done

for name in "${TO_START[@]}"; do
  rm -f "$(pidfile "$name")"
  if [[ $name == ssh-socks ]]; then
    wait_up sshd # the ssh client needs sshd listening
  fi
  start_proc "$name"
done

wait_up "${PROCS[@]}"

# ---------------------------------------------------------------------------------------------
# Versions, read from the binaries (cached; refreshed whenever a process was started).
VERS=$STATE/versions.env
if [[ ${#STARTED[@]} -gt 0 || ! -s $VERS ]]; then
  {
    printf 'V_SQUID=%q\n' "$(squid -v | sed -n '1s/^Squid Cache: Version //p')"
    printf 'V_TINYPROXY=%q\n' "$(tinyproxy -v | awk '{print $2}')"
    printf 'V_DANTE=%q\n' "$(danted -v | sed -n '1s/^Dante v\([^ ]*\)\. .*/\1/p')"
    # microsocks has no version flag: the Debian package version stands in.
    printf 'V_MICROSOCKS=%q\n' "$(dpkg-query -W -f='${Version}' microsocks 2>/dev/null | sed 's/-[^-]*$//')"
    printf 'V_SSH=%q\n' "$(ssh -V 2>&1 | sed 's/,.*//')"
    printf 'V_STUNNEL=%q\n' "$(stunnel4 -version 2>&1 | sed -n 's/^stunnel \([0-9.]*\) .*/\1/p' | head -n1)"
    printf 'V_NODE=%q\n' "$(node --version)"
  } >"$VERS.tmp"
  mv "$VERS.tmp" "$VERS"
fi
# shellcheck disable=SC1090
source "$VERS"

# ---------------------------------------------------------------------------------------------
# testbed.json
auth_json() { # SCHEME USER PASS | none
  if [[ $1 == none ]]; then echo null; else printf '{ "username": "%s", "password": "%s", "scheme": "%s" }' "$2" "$3" "$1"; fi
}
denied_json() { # HOST PORT | none
  if [[ $1 == none ]]; then echo null; else printf '{ "host": "%s", "port": %s }' "$1" "$2"; fi
}
server_json() { # NAME KIND PROTOCOL PORT AUTH_JSON VERSION SUPPORTS(csv) DENIED_JSON PROCESS [UPSTREAM]
  local sup up=""
  [[ -n ${10:-} ]] && up=", \"upstream\": \"${10}\""
  sup=$(sed 's/\([^,]*\)/"\1"/g; s/,/, /g' <<<"$7")
  printf '    { "name": "%s", "kind": "%s", "protocol": "%s", "host": "%s", "port": %s,\n' "$1" "$2" "$3" "$HOST" "$4"
  printf '      "auth": %s,\n' "$5"
  printf '      "version": "%s", "supports": [%s],\n' "$6" "$sup"
  printf '      "deniedTarget": %s, "process": "%s"%s }' "$8" "$9" "$up"
}
BASIC=$(auth_json basic "$PROXY_USER" "$PROXY_PASS")
DIGEST=$(auth_json digest "$PROXY_USER" "$PROXY_PASS")
MICRO=$(auth_json socks5 "$PROXY_USER" "$PROXY_PASS")
DANTE=$(auth_json socks5 "$DANTE_USER" "$DANTE_PASS")
DENY=$(denied_json "$HOST" "$PORT_DENIED")
SSHDENY=$(denied_json "$SSH_DENIED_HOST" "$PORT_DENIED")
HTTPSUP=connect,forward,hostname,deny
JSON=$STATE/testbed.json
{
  cat <<EOF
{
  "schema": 1,
  "stateDir": "$STATE",
  "host": "$HOST",
  "ca": "$TLS/ca.crt",
  "origins": {
    "http": { "host": "$HOST", "port": $PORT_ORIGIN_HTTP, "url": "http://$HOST:$PORT_ORIGIN_HTTP/" },
    "https": { "host": "$HOST", "port": $PORT_ORIGIN_HTTPS, "url": "https://localhost:$PORT_ORIGIN_HTTPS/", "servername": "localhost" },
    "banner": { "host": "$HOST", "port": $PORT_BANNER, "banner": "220 testbed ready\\r\\n" }
  },
  "deniedTarget": { "host": "$HOST", "port": $PORT_DENIED },
  "closedPort": $PORT_CLOSED,
  "closedTarget": { "host": "$HOST", "port": $PORT_CLOSED },
  "credentials": {
    "proxy": { "username": "$PROXY_USER", "password": "$PROXY_PASS" },
    "dante": { "username": "$DANTE_USER", "password": "$DANTE_PASS" },
    "wrongPassword": "$WRONG_PASS"
  },
  "versions": { "squid": "$V_SQUID", "tinyproxy": "$V_TINYPROXY", "dante": "$V_DANTE", "microsocks": "$V_MICROSOCKS", "ssh": "$V_SSH", "stunnel": "$V_STUNNEL", "node": "$V_NODE" },
  "servers": [
EOF
  server_json squid-open squid http "$PORT_SQUID_OPEN" null "$V_SQUID" "$HTTPSUP" "$DENY" squid
  echo ","
  server_json squid-basic squid http "$PORT_SQUID_BASIC" "$BASIC" "$V_SQUID" "$HTTPSUP" "$DENY" squid
  echo ","
  server_json squid-digest squid http "$PORT_SQUID_DIGEST" "$DIGEST" "$V_SQUID" "$HTTPSUP" "$DENY" squid
  echo ","
  server_json tinyproxy-open tinyproxy http "$PORT_TINY_OPEN" null "$V_TINYPROXY" "$HTTPSUP" "$DENY" tinyproxy-open
  echo ","
  server_json tinyproxy-basic tinyproxy http "$PORT_TINY_BASIC" "$BASIC" "$V_TINYPROXY" "$HTTPSUP" "$DENY" tinyproxy-basic
  echo ","
  server_json dante-open dante socks5 "$PORT_DANTE_OPEN" null "$V_DANTE" socks4,socks5,hostname,deny "$DENY" dante-open
  echo ","
  server_json dante-auth dante socks5 "$PORT_DANTE_AUTH" "$DANTE" "$V_DANTE" socks5,hostname,deny "$DENY" dante-auth
  echo ","
  server_json microsocks-open microsocks socks5 "$PORT_MICRO_OPEN" null "$V_MICROSOCKS" socks5,hostname null microsocks-open
  echo ","
  server_json microsocks-auth microsocks socks5 "$PORT_MICRO_AUTH" "$MICRO" "$V_MICROSOCKS" socks5,hostname null microsocks-auth
  echo ","
  server_json ssh-socks ssh socks5 "$PORT_SSH_SOCKS" null "$V_SSH" socks4,socks4a,socks5,hostname,deny "$SSHDENY" ssh-socks
  echo ","
  server_json stunnel-squid-open stunnel https "$PORT_STUNNEL_OPEN" null "$V_STUNNEL" "tls,$HTTPSUP" "$DENY" stunnel squid-open
  echo ","
  server_json stunnel-squid-basic stunnel https "$PORT_STUNNEL_BASIC" "$BASIC" "$V_STUNNEL" "tls,$HTTPSUP" "$DENY" stunnel squid-basic
  printf '\n  ]\n}\n'
} >"$JSON.tmp"
mv "$JSON.tmp" "$JSON"

ms=$((($(date +%s%N) - T0) / 1000000))
if [[ ${#STARTED[@]} -gt 0 ]]; then
  echo "testbed: started ${STARTED[*]} in ${ms} ms (state: $STATE)"
else
  echo "testbed: already running (${ms} ms; state: $STATE)"
fi
echo "testbed: $JSON"
