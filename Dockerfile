# syntax=docker/dockerfile:1
# passerelle, the gateway daemon, in a container (docs/operations.md, "Container").
#
#   docker build -t passerelle .
#   docker compose up -d            # with Redis (AOF on, noeviction): see compose.yaml
#
# Three stages: `build` compiles the TypeScript; `deps` installs the production dependencies on the full
# Debian image (better-sqlite3 may need a compiler when no prebuilt binary fits); the runtime is the slim
# image of the same Debian release (same glibc), holding dist/, the data tables and no source, no compiler.

FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PASSERELLE_CONFIG=/etc/passerelle/config.yaml
WORKDIR /app
# A user of its own, no shell, no home of its own; the data folder is the only place it writes.
RUN groupadd --system --gid 10001 passerelle \
 && useradd --system --uid 10001 --gid passerelle --home-dir /app --no-create-home --shell /usr/sbin/nologin passerelle \
 && mkdir -p /var/lib/passerelle /etc/passerelle \
 && chown passerelle:passerelle /var/lib/passerelle
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# bin/passerelle.js runs dist/cli/main.js when src/ is absent, as here.
COPY bin ./bin
COPY mappings ./mappings
COPY config ./config
COPY docs ./docs
USER passerelle
VOLUME ["/var/lib/passerelle"]
EXPOSE 8080
# Liveness of the web role (`/healthz`, no authentication); a container without the web role disables it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PASSERELLE_WEB_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM stops the daemon in order within queues.shutdownDeadlineMs: give the container more than that.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/passerelle.js"]
CMD ["start"]
