#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run through `check` and traps
# Proves the container image builds and runs. Takes a few minutes the first time (then the
# Debian rootfs, the Node base and the build layers are cached), so it is not part of `npm test`.
#
#   scripts/container-check.sh [--setup] [--keep] [--clean] [--rebuild-base] [--base IMAGE] [--no-compose]
#
#   --setup          may change this machine: install missing Debian packages (docker.io,
#                    docker-compose, debootstrap, curl) and start a dockerd of its own; without
#                    it the check asks first on a terminal, and elsewhere refuses and fails
#   --base IMAGE     use this NODE_BASE (e.g. node:24-bookworm-slim from a registry) instead of
#                    building rescind/node24-base:local from Debian packages and the npm registry
#   --rebuild-base   debootstrap and build the local base again
#   --keep           leave the check's containers, network and volume behind for inspection
#   --clean          remove the untagged images this run's build left (the classic builder's
#                    build-stage layers, kept by default as the next run's cache)
#   --no-compose     skip the compose stage; without it, a compose stage that cannot run fails
#
# It needs nothing but the npm registry and a Debian mirror: without a running Docker engine, and
# with --setup (as root), it installs docker.io and starts dockerd itself without touching the
# host's firewall or routing (scripts/container/lib.sh), and stops it again at the end. Every
# request it makes goes to 127.0.0.1 (ports the containers publish on loopback). It checks:
#
#   static     docker-compose.yml and deploy/ parse and describe configurations that load
#   base       a Node 24 base assembles from Debian + npm (even when no engine can run)
#   image      builds; non-root user, tini, HEALTHCHECK, RESCIND_HOST=0.0.0.0, audit volume,
#              production dependencies only
#   run        with a read-only root, no capabilities, the IAM password as a file, beside the
#              simulator and the dev SSO: becomes healthy, /healthz and /readyz answer 200, runs
#              as uid 10001 under tini, revokes a KMS grant, writes the audit file into the
#              volume, drains and exits 0 on SIGTERM, and the trail verifies from the volume alone
#   compose    docker-compose.yml's gateway, simulator and sso come up and revoke (SQLite store,
#              no Redis: the postgres and redis images need a registry); needs `docker compose`
#              or docker-compose (--setup installs Debian's docker-compose), else FAIL
#
# Environment: IMAGE (rescind:local), BASE_IMAGE, NODE_VERSION, NPM_VERSION, DEBIAN_SUITE,
# DEBIAN_MIRROR (see scripts/container/build-base.sh), BUILD_CA_FILE (a PEM that build-time npm
# must trust; by default the CAs this machine added to /usr/local/share/ca-certificates when npm
# here is configured with a CA file), RESCIND_CONTAINER_WORK (/var/tmp/rescind-container),
# RESCIND_NO_INSTALL=1 (never apt-get install, even with --setup).
set -uo pipefail

# shellcheck source=scripts/container/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/container/lib.sh"
# shellcheck source=scripts/container/build-base.sh
source "$RESCIND_REPO/scripts/container/build-base.sh"
# build-base.sh stops at the first error; this script records each failure and carries on.
set +e

IMAGE=${IMAGE:-rescind:local}
NODE_BASE=""
KEEP=""
CLEAN=""
COMPOSE_RUN=1
while (($# > 0)); do
  case $1 in
    --setup) RESCIND_SETUP=1 ;;
    --keep) KEEP=1 ;;
    --clean) CLEAN=1 ;;
    --rebuild-base) REBUILD_BASE=1 ;;
    --no-compose) COMPOSE_RUN="" ;;
    --base)
      NODE_BASE=${2:?--base needs an image}
      shift
      ;;
    -h | --help)
      sed -n '3,23p' "$0"
      exit 0
      ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done

RUN=rescind-check-$$
NET=$RUN
VOLUME=$RUN-audit
SIM=$RUN-simulator
SSO=$RUN-sso
GW=$RUN-gateway
SCRATCH=$RESCIND_WORK/$RUN
COMPOSE=()
COMPOSE_DONE=""
STARTED=$(now)
RESULTS=()
FACTS=()
FAILED=0

pass() {
  RESULTS+=("PASS  $1")
  say "PASS  $1"
}
fail() {
  RESULTS+=("FAIL  $1")
  say "FAIL  $1"
  FAILED=1
}
skip() {
  RESULTS+=("SKIP  $1")
  say "SKIP  $1"
}
# check NAME COMMAND...: PASS when the command succeeds.
check() {
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}
fact() { FACTS+=("$1"); }

cleanup() {
  if [[ -n $KEEP ]]; then
    say "kept: containers $SIM $SSO $GW, network $NET, volume $VOLUME, compose project $RUN"
  elif [[ ${DOCKER_ORIGIN:-} != "" ]]; then
    # -v: the simulator and SSO containers got anonymous volumes for the image's VOLUME.
    docker rm -f -v "$GW" "$SSO" "$SIM" >/dev/null 2>&1
    docker network rm "$NET" >/dev/null 2>&1
    docker volume rm "$VOLUME" >/dev/null 2>&1
    ((${#COMPOSE[@]})) && compose down -v --remove-orphans >/dev/null 2>&1
  fi
  rm -rf "$SCRATCH"
  if [[ -n $DOCKERD_PID && -z $KEEP ]]; then
    say "stopping the dockerd started by this check (pid $DOCKERD_PID)"
    stop_dockerd
  elif [[ -n $DOCKERD_PID ]]; then
    say "--keep: dockerd (pid $DOCKERD_PID) keeps running; stop it with: kill $DOCKERD_PID"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

summary() {
  printf '\n==> Summary (%s)\n' "$(since "$STARTED")"
  local line
  for line in "${FACTS[@]}"; do say "  $line"; done
  say ""
  for line in "${RESULTS[@]}"; do say "$line"; done
  if ((FAILED)); then
    say $'\ncontainer check: FAIL'
  else
    say $'\ncontainer check: PASS'
  fi
}

# The CA a TLS-intercepting proxy on this machine's way to the npm registry signs with.
build_ca_cert() {
  if [[ -n ${BUILD_CA_FILE:-} ]]; then
    cat "$BUILD_CA_FILE"
    return
  fi
  local cafile
  cafile=$(npm config get cafile 2>/dev/null)
  if [[ -n ${NODE_EXTRA_CA_CERTS:-} || (-n $cafile && $cafile != null && $cafile != undefined) ]]; then
    cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true
  fi
}

# Quiet docker: its output goes to the run log, and the engine's note that IP forwarding is
# off (deliberately, see lib.sh) does not clutter the report.
RUN_LOG=$RESCIND_WORK/check-run.log
dk() { docker "$@" 2>>"$RUN_LOG"; }

http_status() { curl -s -o "$SCRATCH/body" -w '%{http_code}' --max-time 10 "$@"; }

wait_healthy() {
  local container=$1 seconds=$2 state i
  for ((i = 0; i < seconds * 2; i++)); do
    state=$(dk inspect --format '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$container")
    case $state in
      running/healthy) return 0 ;;
      exited/* | dead/*) return 1 ;;
    esac
    sleep 0.5
  done
  return 1
}

# The untagged images this run's build created that no tagged image is built on: with the
# classic builder, the build stage's layers (hundreds of MB). Kept as the next run's build cache
# unless --clean; either way the summary says what they hold and how to remove them.
IMAGES_BEFORE=""
clean_build_images() {
  [[ -n ${DOCKER_ORIGIN:-} ]] || return 0
  local ancestors leftovers=() id bytes=0 size
  ancestors=$(docker images -q --no-trunc --filter dangling=false | xargs -r -n 1 docker history -q --no-trunc 2>/dev/null | sort -u)
  while IFS= read -r id; do
    [[ -z $id ]] && continue
    grep -qx "$id" <<<"$IMAGES_BEFORE" && continue
    grep -qx "$id" <<<"$ancestors" && continue
    [[ -n $(docker image inspect --format '{{join .RepoTags ""}}' "$id" 2>/dev/null) ]] && continue
    leftovers+=("$id")
    size=$(docker image inspect --format '{{.Size}}' "$id" 2>/dev/null || echo 0)
    bytes=$((bytes > size ? bytes : size))
  done < <(docker images -aq --no-trunc | sort -u)
  ((${#leftovers[@]})) || return 0
  local mb=$((bytes / 1000000))
  if [[ -n $CLEAN ]]; then
    docker rmi "${leftovers[@]}" >>"$RUN_LOG" 2>&1
    fact "build images: removed ${#leftovers[@]} untagged image(s) of this build (--clean), up to $mb MB"
  else
    fact "build images: ${#leftovers[@]} untagged image(s) of this build kept as cache (up to $mb MB); --clean removes them, or: docker rmi ${leftovers[*]}"
  fi
}

# ------------------------------------------------------------------------------------------
mkdir -p "$RESCIND_WORK" "$SCRATCH"
: >"$RUN_LOG"
step "Rescind container check ($(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r))"
say "work directory: $RESCIND_WORK"

step "Static checks"
REPO_NODE=$RESCIND_REPO/node_modules/.bin/node
if [[ -x $REPO_NODE ]]; then
  while IFS= read -r line; do
    case $line in
      PASS*) pass "${line#PASS  }" ;;
      FAIL*) fail "${line#FAIL  }" ;;
      *) say "$line" ;;
    esac
  done < <("$REPO_NODE" "$RESCIND_REPO/scripts/container/check-manifests.ts" 2>&1)
else
  fail "manifests: not checked, run npm ci first (needs the repository's Node 24)"
fi

step "Docker engine"
if ensure_docker; then
  fact "engine: $(docker version --format 'server {{.Server.Version}}, client {{.Client.Version}}' 2>/dev/null), $DOCKER_ORIGIN${DOCKERD_PID:+ (dockerd ${DOCKERD_FLAGS[*]}, storage driver $DOCKERD_DRIVER)}"
  pass "docker engine answers ($DOCKER_ORIGIN)"
  IMAGES_BEFORE=$(docker images -aq --no-trunc | sort -u)
else
  fail "docker engine: $DOCKER_PROBLEM"
  if [[ -z $RESCIND_SETUP ]]; then
    summary
    exit 1
  fi
  step "Without an engine: assembling the base's parts (rootfs, Node) and running Node in it"
  if (prepare_rootfs && fetch_node) >"$SCRATCH/base.log" 2>&1; then
    mkdir -p "$SCRATCH/rootfs"
    tar -xf "$ROOTFS_TAR" -C "$SCRATCH/rootfs" &&
      cp "$CONTEXT/node/bin/node" "$SCRATCH/rootfs/usr/local/bin/node" &&
      version=$(chroot "$SCRATCH/rootfs" /usr/local/bin/node --version 2>&1)
    check "Node $version runs in the debootstrapped rootfs" [ "${version:-}" = "v$NODE_VERSION" ]
  else
    cat "$SCRATCH/base.log"
    fail "base parts: see above"
  fi
  summary
  exit 1
fi
find_compose() {
  if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
  fi
}
find_compose
# Debian's docker.io brings no compose tool; its docker-compose package is one.
if [[ -n $COMPOSE_RUN ]] && ((${#COMPOSE[@]} == 0)) && is_root &&
  ensure_packages docker-compose:docker-compose; then
  find_compose
fi
compose() { "${COMPOSE[@]}" -p "$RUN" -f "$RESCIND_REPO/docker-compose.yml" "$@"; }
if ((${#COMPOSE[@]})); then
  fact "compose: $("${COMPOSE[@]}" version 2>/dev/null | head -n 1)"
  check "${COMPOSE[*]} config accepts docker-compose.yml" compose config --quiet
else
  say "(no docker compose here: docker-compose.yml checked as YAML and configuration only)"
fi

# ------------------------------------------------------------------------------------------
step "Base image"
t=$(now)
if [[ -n $NODE_BASE ]]; then
  say "using --base $NODE_BASE"
  check "base image $NODE_BASE is present or pullable" \
    bash -c "docker image inspect '$NODE_BASE' >/dev/null 2>&1 || docker pull '$NODE_BASE'"
else
  NODE_BASE=$BASE_IMAGE
  if (build_base_image); then
    pass "base $BASE_IMAGE from Debian $DEBIAN_SUITE + Node $NODE_VERSION from the npm registry ($(since "$t"))"
  else
    fail "base image did not build"
    summary
    exit 1
  fi
fi
fact "base: $NODE_BASE, $(docker image inspect --format '{{.Size}}' "$NODE_BASE" 2>/dev/null | awk '{ printf "%.0f MB", $1 / 1e6 }')"

step "Image"
t=$(now)
ca=$(build_ca_cert)
[[ -n $ca ]] && say "build-time npm trusts this machine's added CA (BUILD_CA_CERT build argument)"
say "docker build --build-arg NODE_BASE=$NODE_BASE -t $IMAGE . (log: $RESCIND_WORK/image-build.log)"
if docker_build --build-arg NODE_BASE="$NODE_BASE" ${ca:+--build-arg BUILD_CA_CERT="$ca"} \
  -t "$IMAGE" "$RESCIND_REPO" >"$RESCIND_WORK/image-build.log" 2>&1; then
  pass "image $IMAGE builds ($(since "$t"))"
else
  tail -n 30 "$RESCIND_WORK/image-build.log"
  fail "image $IMAGE does not build"
  summary
  exit 1
fi
if [[ -n $ca ]]; then
  ca_absent() { ! docker history --no-trunc "$IMAGE" | grep -q 'BEGIN CERTIFICATE'; }
  check "the build-time CA stays out of the runtime image's history" ca_absent
fi
size=$(docker image inspect --format '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }')
fact "image: $IMAGE, $size"

inspect() { docker image inspect --format "$1" "$IMAGE"; }
check "image runs as uid:gid 10001:10001" [ "$(inspect '{{.Config.User}}')" = "10001:10001" ]
check "image starts under tini" [ "$(inspect '{{index .Config.Entrypoint 0}}')" = "/usr/bin/tini" ]
check "image has a HEALTHCHECK" [ -n "$(inspect '{{if .Config.Healthcheck}}{{.Config.Healthcheck.Test}}{{end}}')" ]
env_has() { inspect '{{range .Config.Env}}{{println .}}{{end}}' | grep -qx "$1"; }
check "image sets RESCIND_HOST=0.0.0.0" env_has RESCIND_HOST=0.0.0.0
check "image keeps the audit file in the /var/lib/rescind volume" \
  bash -c "docker image inspect --format '{{json .Config.Volumes}}' '$IMAGE' | grep -q '\"/var/lib/rescind\"' &&
    docker image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' '$IMAGE' | grep -qx 'RESCIND_AUDIT_SQLITE_PATH=/var/lib/rescind/audit.db'"
# shellcheck disable=SC2016  # expanded inside the container
contents=$(dk run --rm --network none --entrypoint sh "$IMAGE" -c \
  'node --version; du -sm dist | cut -f1; [ -e node_modules ] && echo "has:node_modules"; [ -e src ] && echo "has:src"; [ -e test ] && echo "has:test"; true')
node_in_image=$(sed -n 1p <<<"$contents")
check "image holds the bundle only (no node_modules, sources or tests)" \
  bash -c "! grep -qE '^has:' <<<'$contents'"
check "image runs Node 24 ($node_in_image)" [ "${node_in_image#v24.}" != "$node_in_image" ]
fact "image contents: Node $node_in_image, the bundle in dist/ ($(sed -n 2p <<<"$contents") MB)"

# ------------------------------------------------------------------------------------------
step "Run"
ensure_packages curl:curl || fail "curl is missing"
# The IAM password arrives as a file, as from a Docker or Kubernetes secret.
install -m 0444 "$RESCIND_REPO/deploy/compose/secrets/iam-password" "$SCRATCH/iam-password"
dk network create "$NET" >/dev/null
dk volume create "$VOLUME" >/dev/null
HARDENING=(--read-only --cap-drop ALL --security-opt no-new-privileges)
dk run -d --name "$SIM" --network "$NET" --network-alias simulator "${HARDENING[@]}" \
  --health-cmd 'node /app/healthcheck.ts http://127.0.0.1:8081/__sim/stats' --health-interval 1s \
  "$IMAGE" node dist/simulator.js --host 0.0.0.0 --port 8081 >/dev/null
dk run -d --name "$SSO" --network "$NET" --network-alias sso "${HARDENING[@]}" \
  -p 127.0.0.1::8082 -v "$RESCIND_REPO/scripts/container/dev-sso.ts:/app/dev-sso.ts:ro" \
  --health-cmd 'node /app/healthcheck.ts http://127.0.0.1:8082/healthz' --health-interval 1s \
  "$IMAGE" node /app/dev-sso.ts >/dev/null
GATEWAY_ENV=(
  -e RESCIND_CONFIG=/etc/rescind/rescind.yaml
  -e RESCIND_IAM_ENDPOINT=http://simulator:8081
  -e RESCIND_SCM_ENDPOINT=http://simulator:8081
  -e RESCIND_APIG_ENDPOINT=http://simulator:8081
  -e RESCIND_KMS_ENDPOINT=http://simulator:8081
  -e RESCIND_MODELARTS_ENDPOINT=http://simulator:8081
  -e RESCIND_IAM_DOMAIN=rescind-demo
  -e RESCIND_IAM_USER=rescind-gateway
  -e RESCIND_IAM_PASSWORD_FILE=/run/secrets/iam-password
  -e RESCIND_REGION=cn-north-4
  -e RESCIND_PROJECT_ID=0123456789abcdef0123456789abcdef
  -e RESCIND_JWT_ISSUER=https://sso.compose.rescind.invalid
  -e RESCIND_JWT_AUDIENCE=rescind
  -e RESCIND_JWKS_URL=http://sso:8082/.well-known/jwks.json
)
GATEWAY_MOUNTS=(
  -v "$VOLUME:/var/lib/rescind"
  -v "$RESCIND_REPO/deploy/compose/rescind.yaml:/etc/rescind/rescind.yaml:ro"
  -v "$SCRATCH/iam-password:/run/secrets/iam-password:ro"
)
t=$(now)
dk run -d --name "$GW" --network "$NET" "${HARDENING[@]}" -p 127.0.0.1::8080 --health-interval 1s \
  "${GATEWAY_MOUNTS[@]}" "${GATEWAY_ENV[@]}" "$IMAGE" >/dev/null

check "simulator container becomes healthy" wait_healthy "$SIM" 60
check "dev SSO container becomes healthy" wait_healthy "$SSO" 60
if wait_healthy "$GW" 90; then
  pass "gateway becomes healthy by its own HEALTHCHECK ($(since "$t") after docker run)"
else
  fail "gateway does not become healthy; its log:"
  dk logs --tail 30 "$GW"
fi

GW_ADDR=$(dk port "$GW" 8080/tcp | head -n 1)
SSO_ADDR=$(dk port "$SSO" 8082/tcp | head -n 1)
check "GET /healthz answers 200 from outside the container (http://$GW_ADDR)" \
  [ "$(http_status "http://$GW_ADDR/healthz")" = 200 ]
status=$(http_status "http://$GW_ADDR/readyz")
check "GET /readyz answers 200: $(cat "$SCRATCH/body" 2>/dev/null)" [ "$status" = 200 ]

uid=$(dk exec "$GW" id -u)
check "the gateway runs as uid ${uid:-?} (non-root)" [ "$uid" = 10001 ]
check "every process in the container is non-root" \
  bash -c "docker top '$GW' -o uid,pid,args | awk 'NR > 1 && \$1 != 10001 { bad = 1 } END { exit bad }'"
check "PID 1 is tini, Node its child" \
  bash -c "docker exec '$GW' cat /proc/1/cmdline | tr '\\0' ' ' | grep -q '^/usr/bin/tini -- sh scripts/start.sh'"
check "Node runs with the heap flags of scripts/heap-flags.sh" \
  bash -c "docker exec '$GW' sh -c 'cat /proc/[0-9]*/cmdline 2>/dev/null' | tr '\\0' ' ' | grep -q -- '--max-old-space-size='"

TOKEN=$(curl -s --max-time 10 -X POST "http://$SSO_ADDR/token?sub=container-check&groups=secops")
KEY=0d0466b0-e727-4d9c-b35d-f84bb474a37f
GRANT=7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d
status=$(http_status -X DELETE -H "Authorization: Bearer $TOKEN" "http://$GW_ADDR/v1/kms/keys/$KEY/grants/$GRANT")
revoked() { [ "$status" = 200 ] && grep -q '"result":"revoked"' "$SCRATCH/body"; }
check "a caller with a JWT revokes a KMS grant through the container (HTTP $status)" revoked
request_id=$(grep -o '"requestId":"[^"]*"' "$SCRATCH/body" | head -n 1 | cut -d'"' -f4)
status=$(http_status -H "Authorization: Bearer $TOKEN" "http://$GW_ADDR/v1/audit?requestId=$request_id")
audited() {
  [ "$status" = 200 ] && grep -q '"phase":"attempt"' "$SCRATCH/body" &&
    grep -q '"phase":"outcome"' "$SCRATCH/body"
}
check "GET /v1/audit returns the revocation's attempt and outcome records" audited
memory=$(dk stats --no-stream --format '{{.MemUsage}}' "$GW" | cut -d/ -f1)
fact "gateway memory after start-up and one revocation: $memory"

t=$(now)
dk stop --time 30 "$GW" >/dev/null
stopped_in=$(since "$t")
exit_code=$(dk inspect --format '{{.State.ExitCode}}' "$GW")
check "SIGTERM drains and exits 0 (exit $exit_code after $stopped_in)" [ "$exit_code" = 0 ]
check "the gateway logged its drain" grep -q '"msg":"drained"' <<<"$(docker logs "$GW" 2>&1)"
dk rm "$GW" >/dev/null

listing=$(dk run --rm --network none --entrypoint ls -v "$VOLUME:/var/lib/rescind" "$IMAGE" -ln /var/lib/rescind)
say "$listing"
check "audit.db lands in the volume, owned by uid 10001" \
  grep -qE '^-[rw-]{9} +[0-9]+ +10001 +10001 .* audit\.db$' <<<"$listing"
# The gateway container is gone: the trail is read from the volume alone.
verify=$(docker run --rm --network none "${HARDENING[@]}" "${GATEWAY_MOUNTS[@]}" "${GATEWAY_ENV[@]}" \
  "$IMAGE" node dist/audit-verify.js 2>&1)
verify_rc=$?
verify=$(grep -v '^WARNING: IPv4 forwarding' <<<"$verify" | tr '\n' ' ')
check "audit:verify over the volume exits 0: ${verify:0:140}" [ "$verify_rc" = 0 ]

# ------------------------------------------------------------------------------------------
if [[ -n $COMPOSE_RUN ]] && ((${#COMPOSE[@]})); then
  step "Compose: gateway, simulator and sso from docker-compose.yml"
  free_port() {
    "$REPO_NODE" -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
  }
  export GATEWAY_PORT SSO_PORT RESCIND_IMAGE=$IMAGE RESCIND_AUDIT_STORE=sqlite RESCIND_RATE_LIMIT_REDIS_URL=
  GATEWAY_PORT=$(free_port)
  SSO_PORT=$(free_port)
  t=$(now)
  if compose up -d --no-build --no-deps gateway simulator sso >>"$RUN_LOG" 2>&1; then
    gateway_container=$(compose ps -q gateway)
    check "compose gateway becomes healthy ($(since "$t") after up)" wait_healthy "$gateway_container" 90
    TOKEN=$(curl -s --max-time 10 -X POST "http://127.0.0.1:$SSO_PORT/token?sub=container-check&groups=secops")
    status=$(http_status -X DELETE -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$GATEWAY_PORT/v1/scm/csrs/csr-demo-0000000001")
    check "compose: a JWT from the sso service revokes an SCM CSR (HTTP $status)" revoked
    status=$(http_status -X DELETE "http://127.0.0.1:$GATEWAY_PORT/v1/scm/csrs/csr-demo-0000000002")
    check "compose: a call without a token is refused (HTTP $status)" [ "$status" = 401 ]
    compose down -v --remove-orphans >>"$RUN_LOG" 2>&1
    COMPOSE=()
    COMPOSE_DONE=1
  else
    tail -n 20 "$RUN_LOG"
    fail "compose up failed"
  fi
fi

if [[ -z $COMPOSE_RUN ]]; then
  skip "compose: not run (--no-compose)"
elif ((${#COMPOSE[@]} == 0)) && [[ $COMPOSE_DONE != 1 ]]; then
  fail "compose: not run, no \`docker compose\` or docker-compose here (--setup installs docker-compose; --no-compose skips the stage)"
fi

clean_build_images
summary
exit "$FAILED"
