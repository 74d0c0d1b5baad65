# shellcheck shell=bash
# Shared definitions for the firewall lab (sourced by up.sh, down.sh, rules.sh).
# The lab is a network namespace with only `lo`: every server and every client of the lab runs
# inside it, so netfilter rules set there touch nothing else on the machine.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_DIR/../../.." && pwd)
# One lab per checkout: its namespace and state dir are named after the checkout's path.
LAB_ID=$(printf '%s' "$REPO" | sha256sum | cut -c1-8)
LAB_NETNS=${LAB_NETNS:-sclab-$LAB_ID}
# State outside the checkout, in a world-searchable folder: the proxies run as their own
# unprivileged users and must reach their files (a checkout under /root or a 0700 home would
# not let them).
LAB_STATE=${LAB_STATE:-/var/tmp/sockschain-lab-$LAB_ID}
HOST=127.0.0.1

# Ports (inside the namespace only, so they cannot collide with the shared test bed).
PORT_ORIGIN_HTTP=14100
PORT_ORIGIN_HTTPS=14101
PORT_BANNER=14102
PORT_DENIED=14104
PORT_SQUID_OPEN=14110
PORT_SQUID_BASIC=14111
PORT_DANTE_OPEN=14130
PORT_DANTE_AUTH=14131
PORT_STUNNEL_OPEN=14160
PORT_STUNNEL_BASIC=14161
PORT_MITM=14170 # mitmdump, transparent: connections are redirected to it by a nat rule

# One system user per proxy (install.sh creates them): a rule names a link by its sender.
USER_SQUID=sc-squid
USER_DANTE=sc-dante
USER_STUNNEL=sc-stunnel
USER_MITM=sc-mitm

PROXY_USER=alice # squid basic (and stunnel in front of it)
PROXY_PASS=s3cret
DANTE_USER=bob # dante checks SYSTEM users: created by install.sh
DANTE_PASS=hunter2

PROCS=(origin squid dante-open dante-auth stunnel mitm)

in_ns() { ip netns exec "$LAB_NETNS" "$@"; }
