# syntax=docker/dockerfile:1.7
# simfleet container image: build, then a slim runtime with production dependencies and dist/
# (the compiled server and the built console, dist/web). scripts/build-image-steps.sh runs the same
# commands outside a container in CI and starts the result; keep the two in step.
#
#   docker build -t simfleet .
#   docker run --rm -p 8000:8000 simfleet                       # demo mode, embedded PGlite
#   docker run --rm -e DATABASE_URL=... simfleet migrate         # one-shot migration job
#
# Runs as a non-root user and writes only DATA_DIR (embedded PGlite, demo JWT secret) and /tmp, so a
# read-only root filesystem with those two mounted writable works.

ARG NODE_VERSION=22

# ---- build: all dependencies, TypeScript compile, console build ---------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# ---- production dependencies only -----------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime --------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="simfleet" \
      org.opencontainers.image.description="Self-hosted control plane for IoT SIM fleets on 1NCE" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/simfleet/simfleet" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"

ENV NODE_ENV=production \
    PORT=8000 \
    HOST=0.0.0.0 \
    ROLE=all \
    DATA_DIR=/var/lib/simfleet
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY deploy/docker/entrypoint.sh /usr/local/bin/simfleet
RUN mkdir -p /var/lib/simfleet && chown node:node /var/lib/simfleet && chmod 0755 /usr/local/bin/simfleet

# The node image's unprivileged user (uid/gid 1000).
USER node
VOLUME ["/var/lib/simfleet"]
EXPOSE 8000
# Liveness only: readiness (/health/ready) belongs to the orchestrator's traffic decisions.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM: the server stops accepting, drains in-flight requests (SHUTDOWN_TIMEOUT_MS), stops jobs, closes the pool.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/simfleet"]
CMD ["serve"]
