# Rescind: the audited revocation gateway, as a container image.
#
#   docker build -t rescind:local .
#   docker build --build-arg NODE_BASE=rescind/node24-base:local -t rescind:local .
#
# NODE_BASE is any Debian-based image with Node 24 and npm on PATH. The default needs a registry;
# without one, scripts/container/build-base.sh assembles rescind/node24-base:local from Debian
# packages and Node from the npm registry (docs/deploy.md).
#
# There is deliberately no `# syntax=` line: it makes BuildKit pull a frontend image from a
# registry. This file builds with BuildKit and with the classic builder (DOCKER_BUILDKIT=0).

ARG NODE_BASE=node:24-bookworm-slim

# --- build: bundle src/ into dist/ (scripts/build.ts) --------------------------------------------
FROM ${NODE_BASE} AS build
# Behind a TLS-intercepting proxy, npm needs its CA: --build-arg BUILD_CA_CERT="$(cat ca.pem)".
# Only the build stages see it; the runtime image neither holds nor trusts it.
ARG BUILD_CA_CERT=""
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the only install script is the `node` devDependency's, which downloads a second
# 126 MB Node 24; the base image already has one.
RUN if [ -n "$BUILD_CA_CERT" ]; then \
      printf '%s\n' "$BUILD_CA_CERT" >/tmp/build-ca.pem && export NODE_EXTRA_CA_CERTS=/tmp/build-ca.pem; \
    fi \
    && npm ci --ignore-scripts --no-audit --no-fund --no-update-notifier
COPY scripts/build.ts ./scripts/build.ts
COPY src ./src
RUN node scripts/build.ts

# --- runtime ----------------------------------------------------------------------------------
FROM ${NODE_BASE} AS runtime

# tini is PID 1: it forwards SIGTERM to Node (which drains in-flight revocations and exits 0)
# and reaps zombies. The local base already has it; Docker Hub's node images do not.
RUN if ! command -v tini >/dev/null 2>&1; then \
      apt-get update \
      && apt-get install -y --no-install-recommends tini \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
    && groupadd --gid 10001 rescind \
    && useradd --uid 10001 --gid 10001 --home-dir /var/lib/rescind --no-create-home \
       --shell /usr/sbin/nologin --no-log-init rescind \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/rescind

WORKDIR /app
# Everything under /app belongs to root and is read-only to the gateway; it writes only to the
# audit volume, so the container also runs with a read-only root filesystem. The bundle holds
# every dependency: no node_modules.
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY config ./config
COPY scripts/start.sh scripts/heap-flags.sh ./scripts/
COPY scripts/container/healthcheck.ts ./healthcheck.ts

# RESCIND_HOST: listen on every interface of the container (the code's default is loopback).
# Set it to 127.0.0.1 for a sidecar that only its pod may call. Variables beat the config file,
# so these two also win over a file named by RESCIND_CONFIG.
ENV NODE_ENV=production \
    RESCIND_HOST=0.0.0.0 \
    RESCIND_AUDIT_SQLITE_PATH=/var/lib/rescind/audit.db

# The SQLite audit trail and its checkpoints. Losing this volume loses the audit trail.
VOLUME ["/var/lib/rescind"]
EXPOSE 8080
USER 10001:10001

HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["node", "/app/healthcheck.ts"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
# start.sh execs Node with heap limits from the container's memory limit (scripts/heap-flags.sh);
# NODE_OPTIONS with --max-old-space-size or --max-semi-space-size replaces them.
CMD ["sh", "scripts/start.sh"]

LABEL org.opencontainers.image.title="rescind" \
      org.opencontainers.image.description="Audited revocation gateway for Huawei Cloud credentials"
