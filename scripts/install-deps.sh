#!/usr/bin/env bash
# Installs what keepalived-ts and its tests need on a fresh Debian 12 machine (run as root):
# keepalived (the oracle and interop peer; its package also installs KEEPALIVED-MIB, VRRP-MIB and
# VRRPv3-MIB under /usr/share/snmp/mibs), frr (its bfdd: the other BFD peer), nftables (`nft`: the firewall of strict mode),
# snmpd + snmp + snmptrapd (net-snmp's AgentX master, snmpwalk and the trap receiver of the SNMP tests),
# debootstrap (a clean Debian 12 root for the package test),
# tcpdump, user-mode-linux + kmod + ipvsadm (IPVS tests in a UML guest), iproute2 (namespaces),
# ping (client probes), the native addon's build tools (gcc also builds the UML xstate shim),
# openssl (test certificates for SSL_GET), groff-base (the man pages are checked), then the npm
# dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(keepalived frr snmpd snmp snmptrapd nftables debootstrap tcpdump user-mode-linux kmod ipvsadm iproute2 iputils-ping iputils-arping time python3 make gcc g++ openssl groff-base)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# keepalived's, frr's and net-snmp's own services must not run on the build machine: the tests
# start them themselves (snmpd with its own configuration and AgentX socket in a namespace).
for svc in keepalived frr snmpd snmptrapd; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
# and snmpd must not come back at boot
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable snmpd snmptrapd >/dev/null 2>&1 || true
fi
# `npm ci` refuses this lock file under npm 11 (optional platform packages of rollup are not
# recorded), so install from package.json (exact pins) and the lock file with `npm install`.
npm install --no-audit --no-fund
