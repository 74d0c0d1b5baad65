#!/usr/bin/env bash
# Checks every test-bed server answers as README.md ("Observed behaviour") says: success,
# missing and wrong credentials, denied target, closed port. Only 127.0.0.1 / localhost targets.
# Usage: smoke.sh [STATE_DIR]  (the test bed must be running). Exit 1 when a check fails.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
testbed_init_state "${1:-}"

CA=$STATE/tls/ca.crt
[[ -s $CA ]] || {
  echo "smoke: $CA missing: run start.sh first" >&2
  exit 1
}
PROBE=$TESTBED_DIR/probe.mjs
O_HTTP=http://$HOST:$PORT_ORIGIN_HTTP/
O_HTTPS=https://localhost:$PORT_ORIGIN_HTTPS/
DENIED=http://$HOST:$PORT_DENIED/
CLOSED=http://$HOST:$PORT_CLOSED/
GOOD=$PROXY_USER:$PROXY_PASS
BAD=$PROXY_USER:$WRONG_PASS
DGOOD=$DANTE_USER:$DANTE_PASS
DBAD=$DANTE_USER:$WRONG_PASS

pass=0
failed=0
check() { # DESCRIPTION EXPECTED ACTUAL
  if [[ $3 == *"$2"* ]]; then
    pass=$((pass + 1))
    printf 'ok    %-58s %s\n' "$1" "$2"
  else
    failed=$((failed + 1))
    printf 'FAIL  %-58s expected %q, got %q\n' "$1" "$2" "$3"
  fi
}

# HTTP proxy: forward (absolute-form) -> "fwd=CODE"; CONNECT (-p) -> "connect=CODE"
fwd() { curl -s -o /dev/null --max-time 10 -w 'fwd=%{http_code}' "$@"; }
tun() { curl -s -o /dev/null --max-time 10 -p -w 'connect=%{http_connect}/%{http_code}' "$@"; }
probe() { timeout 15 node "$PROBE" "$@" 2>&1 | tr '\n' ' '; }

http_proxy_checks() { # NAME PORT SCHEME(http|https) AUTH(none|basic|digest) CLOSED_CODE WRONG_CODE
  local name=$1 port=$2 scheme=$3 auth=$4 closed=$5 wrong=$6
  local x=(-x "$scheme://localhost:$port" --proxy-cacert "$CA")
  local cred=()
  case $auth in
  basic) cred=(-U "$GOOD") ;;
  digest) cred=(--proxy-digest -U "$GOOD") ;;
  esac
  check "$name forward" fwd=200 "$(fwd "${x[@]}" "${cred[@]}" "$O_HTTP")"
  check "$name CONNECT" connect=200/200 "$(tun "${x[@]}" "${cred[@]}" "$O_HTTP")"
  check "$name CONNECT to https origin (localhost)" connect=200/200 "$(tun "${x[@]}" "${cred[@]}" --cacert "$CA" "$O_HTTPS")"
  check "$name CONNECT denied target" connect=403 "$(tun "${x[@]}" "${cred[@]}" "$DENIED")"
  check "$name forward denied target" fwd=403 "$(fwd "${x[@]}" "${cred[@]}" "$DENIED")"
  check "$name CONNECT closed port" "connect=$closed" "$(tun "${x[@]}" "${cred[@]}" "$CLOSED")"
  check "$name forward closed port" "fwd=$closed" "$(fwd "${x[@]}" "${cred[@]}" "$CLOSED")"
  if [[ $auth != none ]]; then
    check "$name CONNECT no credentials" connect=407 "$(tun "${x[@]}" "$O_HTTP")"
    check "$name forward no credentials" fwd=407 "$(fwd "${x[@]}" "$O_HTTP")"
    local badcred=(-U "$BAD")
    [[ $auth == digest ]] && badcred=(--proxy-digest -U "$BAD")
    check "$name CONNECT wrong password" "connect=$wrong" "$(tun "${x[@]}" "${badcred[@]}" "$O_HTTP")"
    check "$name forward wrong password" "fwd=$wrong" "$(fwd "${x[@]}" "${badcred[@]}" "$O_HTTP")"
  fi
}

echo "== HTTP / HTTPS proxies"
http_proxy_checks squid-open "$PORT_SQUID_OPEN" http none 503 -
http_proxy_checks squid-basic "$PORT_SQUID_BASIC" http basic 503 407
http_proxy_checks squid-digest "$PORT_SQUID_DIGEST" http digest 503 407
check "squid-digest Basic credentials refused" connect=407 \
  "$(tun -x "http://$HOST:$PORT_SQUID_DIGEST" -U "$GOOD" "$O_HTTP")"
check "squid-basic no creds to denied target (deny before auth)" connect=403 \
  "$(tun -x "http://$HOST:$PORT_SQUID_BASIC" "$DENIED")"
check "squid-open foreign name refused without DNS" connect=403 \
  "$(probe connect "$PORT_SQUID_OPEN" foreign.invalid 80 | sed -n 's/.*status: HTTP\/1.1 \([0-9]*\).*/connect=\1/p')"
http_proxy_checks tinyproxy-open "$PORT_TINY_OPEN" http none 500 -
http_proxy_checks tinyproxy-basic "$PORT_TINY_BASIC" http basic 500 401
check "tinyproxy-basic no creds to denied target (auth before filter)" connect=407 \
  "$(tun -x "http://$HOST:$PORT_TINY_BASIC" "$DENIED")"
check "tinyproxy-basic wrong password: 401 + WWW-Authenticate" "WWW-Authenticate: Basic" \
  "$(curl -s -i --max-time 10 -x "http://$HOST:$PORT_TINY_BASIC" -U "$BAD" "$O_HTTP")"
check "tinyproxy-open foreign name filtered without DNS" "403 Filtered" \
  "$(probe connect "$PORT_TINY_OPEN" foreign.invalid 80)"
http_proxy_checks stunnel-squid-open "$PORT_STUNNEL_OPEN" https none 503 -
http_proxy_checks stunnel-squid-basic "$PORT_STUNNEL_BASIC" https basic 503 407

echo "== SOCKS proxies"
B=$PORT_BANNER
check "dante-open socks5 ip" "REP=0x00) tunnel open; first bytes from target: \"220 testbed ready" \
  "$(probe socks5 "$PORT_DANTE_OPEN" "$HOST" "$B")"
check "dante-open socks5 localhost" "REP=0x00" "$(probe socks5 "$PORT_DANTE_OPEN" localhost "$B")"
check "dante-open socks5 denied target" "REP=0x02" "$(probe socks5 "$PORT_DANTE_OPEN" "$HOST" "$PORT_DENIED")"
check "dante-open socks5 closed port" "REP=0x05" "$(probe socks5 "$PORT_DANTE_OPEN" "$HOST" "$PORT_CLOSED")"
check "dante-open socks4" "CD=90) tunnel open" "$(probe socks4 "$PORT_DANTE_OPEN" "$HOST" "$B")"
check "dante-open socks4 denied target" "CD=91" "$(probe socks4 "$PORT_DANTE_OPEN" "$HOST" "$PORT_DENIED")"
check "dante-open socks4 closed port" "CD=91" "$(probe socks4 "$PORT_DANTE_OPEN" "$HOST" "$PORT_CLOSED")"
check "dante-open socks4a (unsupported)" "CD=91" "$(probe socks4 "$PORT_DANTE_OPEN" localhost "$B")"
check "dante-auth socks5 good creds" "auth reply: 01 00 connect reply: 05 00" \
  "$(probe socks5 "$PORT_DANTE_AUTH" "$HOST" "$B" "$DGOOD")"
check "dante-auth socks5 no creds offered" "method reply: 05 ff" "$(probe socks5 "$PORT_DANTE_AUTH" "$HOST" "$B")"
check "dante-auth socks5 wrong password" "auth reply: 01 01" \
  "$(probe socks5 "$PORT_DANTE_AUTH" "$HOST" "$B" "$DBAD")"
check "dante-auth socks5 denied target" "REP=0x02" \
  "$(probe socks5 "$PORT_DANTE_AUTH" "$HOST" "$PORT_DENIED" "$DGOOD")"
check "dante-auth socks5 closed port" "REP=0x05" \
  "$(probe socks5 "$PORT_DANTE_AUTH" "$HOST" "$PORT_CLOSED" "$DGOOD")"
check "dante-auth socks4 (refused)" "CD=91" "$(probe socks4 "$PORT_DANTE_AUTH" "$HOST" "$B")"

check "microsocks-open socks5" "REP=0x00) tunnel open; first bytes from target: \"220" \
  "$(probe socks5 "$PORT_MICRO_OPEN" "$HOST" "$B")"
check "microsocks-open socks5 localhost" "REP=0x00" "$(probe socks5 "$PORT_MICRO_OPEN" localhost "$B")"
check "microsocks-open closed port" "REP=0x05" "$(probe socks5 "$PORT_MICRO_OPEN" "$HOST" "$PORT_CLOSED")"
check "microsocks-open denied target (cannot deny)" "REP=0x00" \
  "$(probe socks5 "$PORT_MICRO_OPEN" "$HOST" "$PORT_DENIED")"
check "microsocks-open socks4 (SOCKS5 only)" "socks4 reply: 05 ff" "$(probe socks4 "$PORT_MICRO_OPEN" "$HOST" "$B")"
check "microsocks-auth good creds" "auth reply: 01 00 connect reply: 05 00" \
  "$(probe socks5 "$PORT_MICRO_AUTH" "$HOST" "$B" "$GOOD")"
check "microsocks-auth no creds offered" "method reply: 05 ff" "$(probe socks5 "$PORT_MICRO_AUTH" "$HOST" "$B")"
check "microsocks-auth wrong password" "auth reply: 01 02" "$(probe socks5 "$PORT_MICRO_AUTH" "$HOST" "$B" "$BAD")"
check "microsocks-auth closed port" "REP=0x05" "$(probe socks5 "$PORT_MICRO_AUTH" "$HOST" "$PORT_CLOSED" "$GOOD")"

check "ssh-socks socks5" "REP=0x00) tunnel open; first bytes from target: \"220" \
  "$(probe socks5 "$PORT_SSH_SOCKS" "$HOST" "$B")"
check "ssh-socks socks5 localhost" "REP=0x00" "$(probe socks5 "$PORT_SSH_SOCKS" localhost "$B")"
check "ssh-socks socks4" "CD=90) tunnel open" "$(probe socks4 "$PORT_SSH_SOCKS" "$HOST" "$B")"
check "ssh-socks socks4a" "CD=90) tunnel open" "$(probe socks4 "$PORT_SSH_SOCKS" localhost "$B")"
check "ssh-socks closed port (closes, no reply)" "connect reply:  (closed)" \
  "$(probe socks5 "$PORT_SSH_SOCKS" "$HOST" "$PORT_CLOSED")"
check "ssh-socks denied $SSH_DENIED_HOST (closes, no reply)" "connect reply:  (closed)" \
  "$(probe socks5 "$PORT_SSH_SOCKS" "$SSH_DENIED_HOST" "$PORT_DENIED")"
check "ssh-socks socks4 closed port (closes, no reply)" "socks4 reply:  (closed)" \
  "$(probe socks4 "$PORT_SSH_SOCKS" "$HOST" "$PORT_CLOSED")"

if command -v proxychains4 >/dev/null 2>&1; then
  echo "== chain (proxychains4): squid-basic -> dante-auth -> microsocks-auth -> tinyproxy-basic -> origin"
  conf=$STATE/proxychains-smoke.conf
  cat >"$conf" <<EOF
strict_chain
quiet_mode
tcp_read_time_out 15000
tcp_connect_time_out 8000
[ProxyList]
http 127.0.0.1 $PORT_SQUID_BASIC $PROXY_USER $PROXY_PASS
socks5 127.0.0.1 $PORT_DANTE_AUTH $DANTE_USER $DANTE_PASS
socks5 127.0.0.1 $PORT_MICRO_AUTH $PROXY_USER $PROXY_PASS
http 127.0.0.1 $PORT_TINY_BASIC $PROXY_USER $PROXY_PASS
EOF
  body=$(proxychains4 -q -f "$conf" curl -s --max-time 15 "$O_HTTP" 2>&1)
  check "4-hop chain reaches the http origin" '"origin":"http"' "$body"
fi

echo "smoke: $pass passed, $failed failed"
[[ $failed -eq 0 ]]
