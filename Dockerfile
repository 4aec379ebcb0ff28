# irsa-sentinel container image.
#   docker build -t irsa-sentinel:0.1.0 .
#   docker run --rm -p 8080:8080 -v "$PWD/my-config.yaml:/etc/irsa-sentinel/config.yaml:ro" irsa-sentinel:0.1.0
# The config must set server.host: 0.0.0.0 (the default, 127.0.0.1, is unreachable from outside the container)
# and an absolute storage.dataDir under /var/lib/irsa-sentinel, the one writable path; the Helm chart
# (charts/irsa-sentinel) does both. Runs as uid 10001 and works with a read-only root filesystem.
# Labels known only at build time can be added:
#   docker build --label org.opencontainers.image.revision=$(git rev-parse HEAD) -t irsa-sentinel:0.1.0 .
# test/build/dockerfile.test.ts checks the invariants of this file against the repository.

# ---- build: compile TypeScript to dist/, then keep only the production dependencies ----
FROM node:24-bookworm-slim AS build
WORKDIR /src
# --ignore-scripts: the only install script in the dependency tree is the `node` devDependency's, which downloads
# a second Node 24 binary for npm scripts on machines whose system Node is older. The base image's Node 24 runs
# the scripts here (no script of `npm run build` checks for node_modules/.bin/node).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/ scripts/
COPY src/ src/
COPY probes/ probes/
# scripts/build.ts: tsc -p tsconfig.build.json, then the non-TypeScript files read at run time (src/lab/samples).
RUN npm run build \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime ----
FROM node:24-bookworm-slim
# test/build/dockerfile.test.ts keeps version, description and licenses equal to package.json's.
LABEL org.opencontainers.image.title="irsa-sentinel" \
  org.opencontainers.image.description="Watches the OIDC/STS web-identity chain (IRSA, OpenShift STS) for a fleet of clusters and names the root cause when it breaks." \
  org.opencontainers.image.version="0.1.0" \
  org.opencontainers.image.licenses="Apache-2.0" \
  org.opencontainers.image.base.name="docker.io/library/node:24-bookworm-slim"
ENV NODE_ENV=production
# Two glibc malloc arenas instead of up to 16 (8 per core, one per allocating thread): memory freed in one arena is not
# reused by another. ~35 MiB less RSS at 1,000 clusters, same CPU (README, bench:fleet; bench/image-env.ts).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
RUN groupadd --system --gid 10001 irsa-sentinel \
  && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/irsa-sentinel --no-create-home \
    --shell /usr/sbin/nologin irsa-sentinel \
  && mkdir -p /var/lib/irsa-sentinel /etc/irsa-sentinel \
  && chown 10001:0 /var/lib/irsa-sentinel \
  && chmod 0770 /var/lib/irsa-sentinel
# The data dir is group 0 as well: OpenShift runs the image with an arbitrary uid in group 0.
# The application below is owned by root and not writable by the agent's user.
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules/ node_modules/
COPY --from=build /src/dist/ dist/
COPY config/ config/
USER 10001:10001
VOLUME ["/var/lib/irsa-sentinel"]
EXPOSE 8080
# The image has no curl or wget: Node asks /healthz itself. Override the URL when the config listens elsewhere
# (docker run -e IRSA_SENTINEL_HEALTHCHECK_URL=http://127.0.0.1:9090/healthz). Kubernetes ignores HEALTHCHECK; the
# chart's liveness and readiness probes do this there.
ENV IRSA_SENTINEL_HEALTHCHECK_URL=http://127.0.0.1:8080/healthz
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.IRSA_SENTINEL_HEALTHCHECK_URL, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1: the agent handles SIGTERM itself (in-flight runs finish within shutdownGraceMs, the store is
# flushed), so no init is needed.
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve", "--config", "/etc/irsa-sentinel/config.yaml"]
