#!/usr/bin/env bash
# Build the sandbox base image with no container registry: debootstrap a Debian bookworm rootfs
# (minbase + the build tools install scripts expect), add the host's Node.js (>= 20, with npm and
# Node's headers so node-gyp needs no download), and `docker import` it.
#
# The tag is a content hash of this script and the Node.js it embeds, so an existing image is
# reused and a changed recipe yields a new tag. Prints the tag on stdout.
#
#   SI_BASE_IMAGE=node:22-bookworm  skip all this and use a registry image instead (see docker/Dockerfile)
source "$(dirname "$0")/lib.sh"

node_bin=$(command -v node) || die "Node.js >= 20 must be installed on the host (it is copied into the image)"
node_version=$("$node_bin" -p 'process.versions.node')
[ "${node_version%%.*}" -ge 20 ] || die "host Node.js is $node_version; >= 20 is needed"
node_prefix=$("$node_bin" -p 'require("path").resolve(process.execPath, "../..")')
npm_dir="$node_prefix/lib/node_modules/npm"
[ -f "$npm_dir/package.json" ] || die "npm not found at $npm_dir"
[ -f "$node_prefix/include/node/node.h" ] || die "Node.js headers not found at $node_prefix/include/node"
npm_version=$("$node_bin" -p "require('$npm_dir/package.json').version")

# The build toolchain and tracer, plus the network tools a CI runner has and install-time malware
# reaches for (curl, wget, nc, ssh, dig): present, their use is traced and goes through the gateway;
# absent, a shell would only stat() for them, which leaves no trace.
packages="ca-certificates,strace,python3,make,g++,git,procps,tini,curl,wget,netcat-openbsd,openssh-client,dnsutils,sudo"
recipe_hash=$( { cat "$0"; echo "$packages node=$node_version npm=$npm_version"; } | sha256sum | cut -c1-12)
tag="safe-install-base:$recipe_hash"

if docker image inspect "$tag" >/dev/null 2>&1; then
  log "base image $tag already present"
  echo "$tag"; exit 0
fi

need_root "debootstrap"
command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap

# The Debian mirror comes from the host's own apt configuration, never from a hard-coded name.
mirror=$(grep -hoE '^(URIs:|deb) +[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
  | awk '{print $2}' | grep -v -- '-security' | grep '/debian/\?$' | head -n1 || true)
[ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list*"

work=$(mktemp -d /var/tmp/safe-install-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
log "debootstrap bookworm (minbase, $packages) from $mirror"
debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }

log "adding Node.js $node_version and npm $npm_version from $node_prefix"
install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules" "$rootfs/usr/local/include"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
cp -a "$node_prefix/include/node" "$rootfs/usr/local/include/node"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

# Keep the image small: package caches and docs are of no use inside the sandbox.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*

log "docker import -> $tag"
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null
echo "$tag"
