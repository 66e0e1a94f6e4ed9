#!/usr/bin/env bash
# Builds rescind/node24-base:local, a Node 24 base image, from nothing but Debian packages and the
# npm registry (no container registry needed), for `docker build --build-arg NODE_BASE=…`:
#
#   1. debootstrap a minimal Debian rootfs (needs root) and `docker import` it;
#   2. `npm pack` the official Node binary (package node-linux-<arch>) and npm;
#   3. docker build deploy/base/Dockerfile: security updates, tini, node and npm in /usr/local.
#
# Every step is cached: an existing rootfs image or base image with the same Node version is
# reused. Usage: scripts/container/build-base.sh [--rebuild] [--setup]; --setup lets it install
# missing Debian packages (debootstrap, docker.io) and start a dockerd (see lib.sh), else it asks
# on a terminal, or refuses.
#
# Environment: BASE_IMAGE (rescind/node24-base:local), NODE_VERSION (the `node` devDependency's),
# NPM_VERSION (11), DEBIAN_SUITE (bookworm), DEBIAN_MIRROR (http://deb.debian.org/debian),
# DEBIAN_SECURITY_MIRROR (http://deb.debian.org/debian-security), RESCIND_CONTAINER_WORK
# (/var/tmp/rescind-container), BUILD_NETWORK (docker build --network; `host` when dockerd was
# started without NAT), RESCIND_NO_INSTALL (never apt-get install, even with --setup).
set -euo pipefail

# shellcheck source=scripts/container/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BASE_IMAGE=${BASE_IMAGE:-rescind/node24-base:local}
DEBIAN_SUITE=${DEBIAN_SUITE:-bookworm}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
ROOTFS_IMAGE=rescind/debian-$DEBIAN_SUITE:local
ROOTFS_DIR=$RESCIND_WORK/rootfs-$DEBIAN_SUITE
ROOTFS_TAR=$RESCIND_WORK/rootfs-$DEBIAN_SUITE.tar
NPM_VERSION=${NPM_VERSION:-11}
DOWNLOADS=$RESCIND_WORK/downloads
CONTEXT=$RESCIND_WORK/base-context

# The exact Node version the project develops and tests with: its `node` devDependency.
project_node_version() {
  sed -n 's/^ *"node": *"\([0-9][0-9.]*\)",\{0,1\}$/\1/p' "$RESCIND_REPO/package.json" | head -n 1
}
NODE_VERSION=${NODE_VERSION:-$(project_node_version)}
[[ $NODE_VERSION =~ ^24\.[0-9]+\.[0-9]+$ ]] ||
  die "cannot tell the Node 24 version (package.json devDependencies.node = '$NODE_VERSION'); set NODE_VERSION"

node_arch() {
  case $(uname -m) in
    x86_64) echo x64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) die "no Node binary package for $(uname -m)" ;;
  esac
}

# 1a. A minimal Debian tree in $ROOTFS_TAR (no docker needed; root needed).
prepare_rootfs() {
  if [[ -s $ROOTFS_TAR ]]; then
    say "rootfs: cached $ROOTFS_TAR"
    return 0
  fi
  is_root || die "debootstrap needs root"
  ensure_packages debootstrap:debootstrap || die "debootstrap is missing"
  local started
  started=$(now)
  rm -rf "$ROOTFS_DIR"
  say "rootfs: debootstrap --variant=minbase $DEBIAN_SUITE from $DEBIAN_MIRROR (log: $RESCIND_WORK/debootstrap.log)"
  if ! debootstrap --variant=minbase "$DEBIAN_SUITE" "$ROOTFS_DIR" "$DEBIAN_MIRROR" \
    >"$RESCIND_WORK/debootstrap.log" 2>&1; then
    tail -n 20 "$RESCIND_WORK/debootstrap.log" >&2
    die "debootstrap failed"
  fi
  slim_rootfs "$ROOTFS_DIR"
  tar --numeric-owner -C "$ROOTFS_DIR" -cf "$ROOTFS_TAR.part" .
  mv "$ROOTFS_TAR.part" "$ROOTFS_TAR"
  rm -rf "$ROOTFS_DIR"
  say "rootfs: $(du -h "$ROOTFS_TAR" | cut -f1) in $(since "$started")"
}

# The trimming Debian's own "slim" images do, and apt sources with security updates.
slim_rootfs() {
  local root=$1
  cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  cat >"$root/etc/apt/apt.conf.d/slim" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
EOF
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $DEBIAN_MIRROR
Suites: $DEBIAN_SUITE $DEBIAN_SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $DEBIAN_SECURITY_MIRROR
Suites: $DEBIAN_SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -depth -type d -empty -delete
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "${root:?}"/usr/share/{man,groff,info,lintian,linda}/* \
    "${root:?}"/var/cache/apt/archives/*.deb "${root:?}"/var/cache/apt/*.bin \
    "${root:?}"/var/lib/apt/lists/* "${root:?}"/var/log/* "${root:?}"/tmp/* \
    "${root:?}"/dev/* "${root:?}"/proc/* "${root:?}"/sys/* "${root:?}"/run/*
  # The engine provides these per container.
  rm -f "$root/etc/resolv.conf" "$root/etc/hostname"
  : >"$root/etc/machine-id"
}

# 2. Node and npm from the npm registry into $CONTEXT (no docker needed).
fetch_node() {
  local arch package npm_tgz node_tgz
  arch=$(node_arch)
  package=node-linux-$arch@$NODE_VERSION
  mkdir -p "$DOWNLOADS"
  node_tgz=$DOWNLOADS/node-linux-$arch-$NODE_VERSION.tgz
  if [[ ! -s $node_tgz ]]; then
    say "node: npm pack $package (the registry's integrity hash is checked)"
    (cd "$DOWNLOADS" && npm pack --silent "$package" >/dev/null)
  fi
  npm_tgz=$(find "$DOWNLOADS" -maxdepth 1 -name "npm-$NPM_VERSION*.tgz" | sort -V | tail -n 1)
  if [[ -z $npm_tgz ]]; then
    say "npm: npm pack npm@$NPM_VERSION"
    npm_tgz=$DOWNLOADS/$(cd "$DOWNLOADS" && npm pack --silent "npm@$NPM_VERSION" | tail -n 1)
  fi
  rm -rf "$CONTEXT"
  mkdir -p "$CONTEXT/node" "$CONTEXT/npm"
  tar -xzf "$node_tgz" -C "$CONTEXT/node" --strip-components=1 package/bin/node
  tar -xzf "$npm_tgz" -C "$CONTEXT/npm" --strip-components=1
  [[ -x $CONTEXT/node/bin/node && -f $CONTEXT/npm/bin/npm-cli.js ]] || die "node or npm package is incomplete"
  say "node: $NODE_VERSION ($(du -h "$CONTEXT/node/bin/node" | cut -f1)), npm: $(basename "$npm_tgz" .tgz)"
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# 1b + 3. Needs a Docker engine.
build_base_image() {
  local started label
  label=$(docker image inspect --format '{{index .Config.Labels "rescind.node.version"}}' "$BASE_IMAGE" 2>/dev/null || true)
  if [[ $label == "$NODE_VERSION" && -z ${REBUILD_BASE:-} ]]; then
    say "base: cached $BASE_IMAGE (Node $NODE_VERSION)"
    return 0
  fi
  if [[ -n ${REBUILD_BASE:-} ]] || ! image_exists "$ROOTFS_IMAGE"; then
    prepare_rootfs
    started=$(now)
    docker import --change 'CMD ["bash"]' "$ROOTFS_TAR" "$ROOTFS_IMAGE" >/dev/null
    say "rootfs: imported as $ROOTFS_IMAGE in $(since "$started")"
  fi
  fetch_node
  started=$(now)
  say "base: docker build deploy/base/Dockerfile${BUILD_NETWORK:+ --network $BUILD_NETWORK} (log: $RESCIND_WORK/base-build.log)"
  if ! docker_build -f "$RESCIND_REPO/deploy/base/Dockerfile" \
    --build-arg DEBIAN_ROOTFS="$ROOTFS_IMAGE" \
    --label rescind.node.version="$NODE_VERSION" \
    -t "$BASE_IMAGE" "$CONTEXT" >"$RESCIND_WORK/base-build.log" 2>&1; then
    tail -n 30 "$RESCIND_WORK/base-build.log" >&2
    die "the base image did not build"
  fi
  say "base: built $BASE_IMAGE in $(since "$started"), $(docker image inspect --format '{{.Size}}' "$BASE_IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
}

main() {
  local arg
  for arg in "$@"; do
    case $arg in
      --rebuild)
        REBUILD_BASE=1
        rm -f "$ROOTFS_TAR"
        ;;
      --setup) RESCIND_SETUP=1 ;;
      *) die "unknown argument: $arg (usage: build-base.sh [--rebuild] [--setup])" ;;
    esac
  done
  mkdir -p "$RESCIND_WORK"
  trap stop_dockerd EXIT
  ensure_docker || die "$DOCKER_PROBLEM"
  build_base_image
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
