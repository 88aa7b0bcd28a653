#!/usr/bin/env bash
# Installs the Debian 12 packages that building, testing, the demo and the benchmark need.
# Services that come with them (unbound, nginx, sshd, haproxy) are not started on the host: a
# temporary policy-rc.d tells invoke-rc.d to leave them alone, as Docker images do. Our tests start
# their own copies inside network namespaces.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "make deps: run as root (apt-get install)" >&2; exit 1; }

packages=(
    # build
    pkg-config libseccomp-dev libcap-dev libnftables-dev
    # system plumbing the helper and tests drive
    nftables iproute2 procps psmisc util-linux passwd
    # real clients and servers for integration tests and the demo
    dnsutils knot-dnsutils dnsmasq-base unbound nginx-light openssh-server openssh-client sshpass
    curl socat tmux openssl postgresql-client jq python3
    # gdb injects a forbidden syscall into a running worker (t_hardening_sandbox)
    gdb
    # packaging: systemd-analyze (verify, security), deb-systemd-helper, dpkg-deb, binutils (strip)
    systemd init-system-helpers dpkg binutils
    # benchmark contenders and tools
    dnsperf haproxy iperf3 wrk gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} = 0 ]; then
    echo "make deps: all ${#packages[@]} packages present"
    exit 0
fi

created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created_policy=1
fi
cleanup() { if [ $created_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

echo "make deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
