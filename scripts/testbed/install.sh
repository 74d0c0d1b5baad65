#!/usr/bin/env bash
# Installs the real proxy servers the test bed runs (Debian/Ubuntu, apt-get) and the
# system users: the one dante's username auth checks, and one per proxy of the firewall lab
# (scripts/testbed/lab), so that a netfilter rule can name a link by its socket's owner.
# Idempotent: does nothing when all is present.
# Usage: install.sh [--check]   (--check: only report what is missing; exit 1 if anything is)
set -euo pipefail
CHECK_ONLY=0
[[ ${1:-} == --check ]] && CHECK_ONLY=1

# One line per purpose, so that each suite names what it needs.
PACKAGES=(
  squid tinyproxy dante-server microsocks openssh-server openssh-client # the proxies
  stunnel4 apache2-utils openssl proxychains4 curl                       # TLS front, passwords, peers
  wget git python3 golang-go                                             # programs suite (run, connect)
  postgresql redis-server mariadb-server exim4-daemon-light              # database clients suite
  nghttp2-proxy                                                          # nghttpx: HTTP/2 proxy (test/interop/http2.test.ts)
  krb5-kdc krb5-admin-server krb5-user                                   # Negotiate test: MIT KDC, kadmin.local, kinit
  prometheus                                                             # promtool: parses serve --status metrics in tests
  nftables iptables mitmproxy iproute2                                   # firewall lab (netns, rules), TLS interceptor (lab, interop)
  apache2 ncat                                                          # Expect: 100-continue through apache mod_proxy and ncat (interop)
)
DANTE_USER=bob
DANTE_PASS=hunter2
# The firewall lab runs each proxy under its own user (`meta skuid` / `-m owner` name a link).
LAB_USERS=(sc-squid sc-dante sc-stunnel sc-mitm)

missing=()
# One dpkg-query for all packages; a package that was never installed makes it exit 1.
while read -r pkg status; do
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done < <(
  for p in "${PACKAGES[@]}"; do
    s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    echo "$p ${s:-not-installed}"
  done
)

user_ok=0
if getent passwd "$DANTE_USER" >/dev/null 2>&1 && [[ -r /etc/shadow ]]; then
  hash=$(getent shadow "$DANTE_USER" | cut -d: -f2)
  if [[ -n "$hash" ]] && perl -e 'exit(crypt($ARGV[0], $ARGV[1]) eq $ARGV[1] ? 0 : 1)' "$DANTE_PASS" "$hash"; then
    user_ok=1
  fi
fi

lab_missing=()
for u in "${LAB_USERS[@]}"; do
  getent passwd "$u" >/dev/null 2>&1 || lab_missing+=("$u")
done

if [[ ${#missing[@]} -eq 0 && $user_ok -eq 1 && ${#lab_missing[@]} -eq 0 ]]; then
  echo "testbed install: all packages present, users '$DANTE_USER' ${LAB_USERS[*]} ok"
  exit 0
fi

if [[ $CHECK_ONLY -eq 1 || $(id -u) -ne 0 ]]; then
  [[ ${#missing[@]} -gt 0 ]] && echo "testbed install: missing packages: ${missing[*]}" >&2
  [[ $user_ok -eq 0 ]] && echo "testbed install: system user '$DANTE_USER' (password '$DANTE_PASS') missing or has another password" >&2
  [[ ${#lab_missing[@]} -gt 0 ]] && echo "testbed install: firewall-lab system users missing: ${lab_missing[*]}" >&2
  [[ $CHECK_ONLY -eq 1 ]] || echo "testbed install: must run as root to fix this (sudo $0)" >&2
  exit 1
fi

if [[ ${#missing[@]} -gt 0 ]]; then
  echo "testbed install: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Nothing should start at install time (these machines have no init; a policy-rc.d may
  # already deny starts). The test bed starts every daemon itself on loopback.
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    echo "testbed install: apt-get install failed; running apt-get update and retrying" >&2
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

if [[ $user_ok -eq 0 ]]; then
  if ! getent passwd "$DANTE_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$DANTE_USER"
  fi
  echo "$DANTE_USER:$DANTE_PASS" | chpasswd
  echo "testbed install: system user '$DANTE_USER' ready (dante username auth)"
fi
for u in "${lab_missing[@]}"; do
  useradd --system --no-create-home --shell /usr/sbin/nologin "$u"
  echo "testbed install: system user '$u' ready (firewall lab)"
done
echo "testbed install: done"
