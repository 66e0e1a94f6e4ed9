# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this
# Shared by scripts/container-check.sh and scripts/container/build-base.sh: messages, Debian
# packages, and a Docker engine to talk to — one already running, or dockerd started here (in
# the background, logging to a file) and stopped again, by its pid, when the caller exits.

RESCIND_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RESCIND_WORK=${RESCIND_CONTAINER_WORK:-/var/tmp/rescind-container}
DOCKERD_LOG="$RESCIND_WORK/dockerd.log"
DOCKERD_PID=""
DOCKERD_DRIVER=""

# A dockerd started here leaves the host's firewall, routing and default bridge alone: no
# iptables rules, no NAT, no IP forwarding, no docker0. Containers still talk to each other on
# user-defined bridge networks and are reachable through ports published on 127.0.0.1 (the
# userland proxy), but cannot reach anything beyond this machine. Builds that need the npm
# registry or a Debian mirror therefore use the host's network (BUILD_NETWORK=host).
DOCKERD_FLAGS=(--iptables=false --ip-forward=false --ip-masq=false --bridge=none)

say() { printf '%s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Seconds since the epoch with milliseconds, and a duration between two of them.
now() { date +%s.%3N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

is_root() { [[ $(id -u) -eq 0 ]]; }

# Changing the machine — installing Debian packages, starting a dockerd — needs consent:
# RESCIND_SETUP=1 (the scripts' --setup flag), or a "y" when asked on a terminal. Without it,
# nothing is installed or started, and the caller is told how to allow it.
# RESCIND_NO_INSTALL=1 refuses even with consent.
RESCIND_SETUP=${RESCIND_SETUP:-}
may_set_up() {
  local what=$1 answer
  [[ -n ${RESCIND_NO_INSTALL:-} ]] && return 1
  [[ -n $RESCIND_SETUP ]] && return 0
  if [[ -t 0 && -t 2 ]]; then
    read -r -p "$what? [y/N] " answer
    if [[ $answer == [yY]* ]]; then
      RESCIND_SETUP=1
      return 0
    fi
  fi
  warn "not done without consent: $what (rerun with --setup to allow it)"
  return 1
}

# Installs Debian packages that are missing, when allowed (root, and RESCIND_NO_INSTALL unset).
# Usage: ensure_packages <command>:<package> ...
ensure_packages() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  ((${#missing[@]} == 0)) && return 0
  if ! is_root || ! may_set_up "install the Debian packages ${missing[*]} (apt-get)"; then
    warn "missing Debian packages: ${missing[*]} (install them: apt-get install ${missing[*]})"
    return 1
  fi
  say "installing Debian packages: ${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
    >"$RESCIND_WORK/apt-install.log" 2>&1; then
    apt-get update >>"$RESCIND_WORK/apt-install.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
      >>"$RESCIND_WORK/apt-install.log" 2>&1 ||
      {
        warn "apt-get install ${missing[*]} failed; see $RESCIND_WORK/apt-install.log"
        return 1
      }
  fi
}

docker_ready() { docker info >/dev/null 2>&1; }

# Starts dockerd with DOCKERD_FLAGS plus "$@"; waits up to 30 s for it to answer.
start_dockerd() {
  : >"$DOCKERD_LOG"
  dockerd "${DOCKERD_FLAGS[@]}" "$@" >>"$DOCKERD_LOG" 2>&1 &
  DOCKERD_PID=$!
  local i
  for ((i = 0; i < 60; i++)); do
    docker_ready && return 0
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 0.5
  done
  stop_dockerd
  return 1
}

# Stops the dockerd this process started (and nothing else).
stop_dockerd() {
  [[ -n $DOCKERD_PID ]] || return 0
  local pid=$DOCKERD_PID i
  DOCKERD_PID=""
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

# Makes `docker` usable: a running engine is used as it is; otherwise dockerd is started here
# (overlay2 first, then vfs, which works on any filesystem but copies every layer). Sets
# DOCKER_ORIGIN to "existing" or "started", and BUILD_NETWORK=host for a started engine.
# Returns 1, with the reason in DOCKER_PROBLEM, when no engine can be had.
ensure_docker() {
  DOCKER_PROBLEM=""
  mkdir -p "$RESCIND_WORK"
  if command -v docker >/dev/null 2>&1 && docker_ready; then
    DOCKER_ORIGIN=existing
    return 0
  fi
  if ! is_root; then
    DOCKER_PROBLEM="no Docker engine answers and starting dockerd needs root"
    return 1
  fi
  if ! ensure_packages docker:docker.io dockerd:docker.io; then
    DOCKER_PROBLEM="no Docker engine answers and docker.io is not installed (--setup installs it)"
    return 1
  fi
  if ! may_set_up "start a dockerd of this check's own (${DOCKERD_FLAGS[*]})"; then
    DOCKER_PROBLEM="no Docker engine answers (--setup starts one of the check's own)"
    return 1
  fi
  local driver
  for driver in "" vfs; do
    say "starting dockerd ${DOCKERD_FLAGS[*]}${driver:+ --storage-driver=$driver} (log: $DOCKERD_LOG)"
    if start_dockerd ${driver:+--storage-driver="$driver"}; then
      DOCKER_ORIGIN=started
      DOCKERD_DRIVER=$(docker info --format '{{.Driver}}' 2>/dev/null)
      export BUILD_NETWORK=${BUILD_NETWORK:-host}
      return 0
    fi
    warn "dockerd${driver:+ --storage-driver=$driver} did not start; its log ends with:"
    tail -n 15 "$DOCKERD_LOG" >&2
  done
  DOCKER_PROBLEM="dockerd does not start on this machine (see $DOCKERD_LOG)"
  return 1
}

# `docker build` that works without buildx: the classic builder when buildx is missing.
docker_build() {
  local network=()
  [[ -n ${BUILD_NETWORK:-} ]] && network=(--network "$BUILD_NETWORK")
  if docker buildx version >/dev/null 2>&1; then
    docker build "${network[@]}" "$@"
  else
    DOCKER_BUILDKIT=0 docker build --force-rm "${network[@]}" "$@"
  fi
}
