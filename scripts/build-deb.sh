#!/usr/bin/env bash
# Builds keepalived-ts's Debian package (amd64) from this checkout: a director gets a working
# keepalived-ts from the one file, with no compiler and whatever Node its distribution has.
#
#   scripts/build-deb.sh [OUT_DIR]        (default: dist-deb/; prints the .deb's path)
#
# Needs what `npm install` already needed (the build), plus dpkg-deb and gzip. Run after
# `npm install` (native addons built) and `npm run build` (dist/).
#
# The package carries its own Node runtime, the `node` this script runs with (>= 20.19), in
# /usr/lib/keepalived-ts/node: Debian 12's nodejs is 18.20, which cannot run keepalived-ts,
# and a package that depended on a newer one would need a third-party repository on every
# director. The native addons (ours, raw-socket's, netlink's) are built for that runtime and
# shipped built. Layout:
#   /usr/bin/keepalived-ts                      runs the bundled node on the CLI, with its flags
#   /usr/lib/keepalived-ts/{dist,native,node_modules,node,package.json}
#   /usr/lib/keepalived-ts/libexec/keepalived   keepalived-exporter's `keepalived` (put first on its PATH)
#   /lib/systemd/system/keepalived-ts.service, keepalived-ts-realserver.service
#   /etc/default/keepalived-ts, keepalived-ts-realserver       conffiles
#   /etc/keepalived/keepalived-ts.conf                          conffile (settings, all commented)
#   /usr/share/man/man8/keepalived-ts.8.gz, man5/keepalived-ts-settings.5.gz
#   /usr/share/doc/keepalived-ts/                               README, docs/*.md, copyright
# Installing enables nothing and starts nothing: keepalived-ts.service conflicts with
# keepalived.service, and which one runs is the operator's choice (docs/migrating.md).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist-deb}
node=$(command -v node)
version=$(node -p 'require("./package.json").version')
nodever=$(node -p 'process.versions.node')
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || { echo "build-deb: node $nodever is older than 20.19" >&2; exit 1; }
[ "$(dpkg --print-architecture)" = amd64 ] || { echo "build-deb: amd64 only" >&2; exit 1; }
for f in dist/src/cli.js native/build/Release/kts_native.node node_modules/raw-socket/build/Release/raw.node; do
  [ -f "$f" ] || { echo "build-deb: $f missing (npm install && npm run build first)" >&2; exit 1; }
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/kts-deb-XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
lib=$root/usr/lib/keepalived-ts
mkdir -p "$lib/native/build/Release" "$lib/node/bin" "$lib/node_modules" "$root/usr/bin" \
  "$root/lib/systemd/system" "$root/etc/default" "$root/etc/keepalived" \
  "$root/usr/share/man/man8" "$root/usr/share/man/man5" "$root/usr/share/doc/keepalived-ts" "$root/DEBIAN"

# the program, its runtime dependencies (npm's own list) and the runtime
cp -a dist "$lib/dist"
rm -rf "$lib/dist/test" "$lib/dist/bench"
cp package.json "$lib/"
cp native/build/Release/kts_native.node "$lib/native/build/Release/"
npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 | while read -r dir; do
  rel=${dir#"$PWD"/}
  mkdir -p "$lib/$(dirname "$rel")"
  cp -a "$dir" "$lib/$rel"
done
# build leftovers of the addons: only the loadable .node files are needed
find "$lib/node_modules" -type d \( -name obj.target -o -name .deps -o -name @types \) -prune -exec rm -rf {} +
# prebuilt addons for other machines (netlink ships arm, arm64, ia32 too)
find "$lib/node_modules" -path '*/prebuilds/*' -mindepth 1 -maxdepth 4 -type d ! -name linux-x64 -prune -exec rm -rf {} +
install -m 0755 "$node" "$lib/node/bin/node"
# `keepalived` for keepalived-exporter's PATH (docs/keepalived-exporter.md); it runs the bundled node
install -D -m 0755 libexec/keepalived "$lib/libexec/keepalived"

# /usr/bin/keepalived-ts: the CLI's own node flags (its #! line), on the bundled node
flags=$(head -1 dist/src/cli.js | sed -n 's|^#!/usr/bin/env -S node||p')
cat > "$root/usr/bin/keepalived-ts" <<EOF
#!/bin/sh
# keepalived-ts $version on its bundled Node $nodever (/usr/lib/keepalived-ts/node)
exec /usr/lib/keepalived-ts/node/bin/node$flags /usr/lib/keepalived-ts/dist/src/cli.js "\$@"
EOF
chmod 0755 "$root/usr/bin/keepalived-ts"

install -m 0644 systemd/keepalived-ts.service systemd/keepalived-ts-realserver.service "$root/lib/systemd/system/"
install -m 0644 systemd/keepalived-ts.default "$root/etc/default/keepalived-ts"
install -m 0644 systemd/keepalived-ts-realserver.default "$root/etc/default/keepalived-ts-realserver"
cat > "$root/etc/keepalived/keepalived-ts.conf" <<'EOF'
# keepalived-ts's own settings (man 5 keepalived-ts-settings). keepalived.conf stays
# keepalived's: these keywords are the ones keepalived 2.2.7 does not know.
#metrics_listen 127.0.0.1 9650
#control_socket /run/keepalived-ts/control.sock
#handover_on_stop
EOF
gzip -9n -c man/keepalived-ts.8 > "$root/usr/share/man/man8/keepalived-ts.8.gz"
gzip -9n -c man/keepalived-ts-settings.5 > "$root/usr/share/man/man5/keepalived-ts-settings.5.gz"
doc=$root/usr/share/doc/keepalived-ts
cp README.md docs/*.md "$doc/"
cat > "$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: keepalived-ts
License: MIT
Comment: bundles Node.js $nodever (/usr/lib/keepalived-ts/node; MIT and others, see
 https://github.com/nodejs/node/blob/main/LICENSE) and the npm packages under
 /usr/lib/keepalived-ts/node_modules, each with its licence in its directory.
EOF

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<EOF
Package: keepalived-ts
Version: $version-1
Architecture: amd64
Maintainer: keepalived-ts developers <keepalived-ts@localhost>
Installed-Size: $size
Depends: libc6 (>= 2.28), libstdc++6, libgcc-s1
Recommends: nftables, iproute2
Suggests: keepalived, ipvsadm
Section: net
Priority: optional
Description: VRRP and IPVS health checking, a drop-in replacement for keepalived
 keepalived-ts reads keepalived 2.2.7's keepalived.conf unchanged, elects a master with VRRP
 (v2 and v3, IPv4 and IPv6) that holds the virtual addresses, and keeps the kernel's IPVS
 table in step with health checks of the real servers. It interoperates with keepalived,
 for migrations one director at a time.
 .
 This package carries its own Node.js runtime ($nodever).
EOF
printf '%s\n' /etc/default/keepalived-ts /etc/default/keepalived-ts-realserver /etc/keepalived/keepalived-ts.conf > "$root/DEBIAN/conffiles"
cat > "$root/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
# the units are installed, not enabled: keepalived-ts.service conflicts with keepalived.service
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null || true
fi
EOF
cat > "$root/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  systemctl stop keepalived-ts.service keepalived-ts-realserver.service >/dev/null 2>&1 || true
fi
EOF
cat > "$root/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null || true
fi
EOF
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

mkdir -p "$out"
deb=$out/keepalived-ts_${version}-1_amd64.deb
dpkg-deb --root-owner-group -Zgzip -z6 --build "$root" "$deb" >/dev/null
echo "$deb"
