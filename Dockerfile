# syntax=docker/dockerfile:1
# refund-orchestrator images: one build, three targets.
#   docker build --target worker  -t refund-orchestrator-worker .   # node dist/workers/main.js
#   docker build --target api     -t refund-orchestrator-api .      # node dist/api/main.js
#   docker build --target sandbox -t refund-orchestrator-sandbox .  # node dist/sandbox/main.js (demos only)
# Debian slim, not Alpine: the Temporal SDK's native core (@temporalio/core-bridge) ships glibc builds only.
ARG NODE_VERSION=20.20.2

# ---- build: every dependency, TypeScript to dist/, the prebuilt workflow bundle ----
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
# Every folder tsconfig.build.json includes (test/compose/compose.test.ts keeps this list in step).
COPY activities ./activities
COPY api ./api
COPY common ./common
COPY domain ./domain
COPY sandbox ./sandbox
COPY scripts ./scripts
COPY tools ./tools
COPY workers ./workers
COPY workflows ./workflows
# The build copies what the compiled code reads beside it (repair page, sandbox fixtures and GraphQL schema); check it.
RUN npm run build \
 && test -f dist/workers/main.js && test -f dist/api/main.js && test -f dist/sandbox/main.js \
 && test -s dist/workflow-bundle.js && test -f dist/api/console/index.html \
 && test -f dist/sandbox/bwp/schema.graphql && test -d dist/sandbox/fixtures

# ---- runtime: production dependencies only, compiled code, non-root ----
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# Owned by root and read-only to the app: the processes write nothing to disk.
COPY --from=build /app/dist ./dist
# The `node` user (uid 1000) of the official image.
USER node
# Exec form: node itself receives SIGTERM and drains (workers) or finishes requests in flight (API).
STOPSIGNAL SIGTERM

FROM runtime AS worker
# Prometheus /metrics (METRICS_PORT): the SDK's temporal_* metrics and the service's refund_* metrics.
EXPOSE 9464
CMD ["node", "dist/workers/main.js"]

FROM runtime AS api
ENV API_HOST=0.0.0.0
EXPOSE 3000
CMD ["node", "dist/api/main.js"]

FROM runtime AS sandbox
EXPOSE 4010 4020
CMD ["node", "dist/sandbox/main.js"]
