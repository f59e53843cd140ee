# syntax=docker/dockerfile:1
# Coral tracker. Build from the repository root:
#   docker build -f infra/docker/tracker.Dockerfile -t coral-tracker .
# Needs BuildKit (Compose v2, `docker buildx`) or podman/buildah: npm's cache is a cache mount.
# BASE_IMAGE: any Debian bookworm image with Node >= 20.19 and npm (the official slim image by
# default; the container test builds FROM a local debootstrap-made base, see infra/README.md).
ARG BASE_IMAGE=node:20-bookworm-slim

# 1. Only what @coral-cdn/tracker needs: `turbo prune` keeps its workspaces and a pruned lockfile.
FROM ${BASE_IMAGE} AS prune
ENV TURBO_TELEMETRY_DISABLED=1
RUN --mount=type=cache,id=coral-npm,target=/root/.npm,sharing=shared \
  npm install --global --no-audit --no-fund turbo@2.11.11
WORKDIR /src
COPY package.json package-lock.json turbo.json .npmrc .gitignore ./
COPY tooling ./tooling
COPY packages ./packages
COPY apps ./apps
RUN turbo prune @coral-cdn/tracker --docker --out-dir /out

# 2. Build it (dev dependencies included), cached on the lockfile before the sources come in.
FROM ${BASE_IMAGE} AS build
ENV TURBO_TELEMETRY_DISABLED=1
WORKDIR /src
COPY --from=prune /out/json/ ./
RUN --mount=type=cache,id=coral-npm,target=/root/.npm,sharing=shared \
  npm ci --no-audit --no-fund
COPY --from=prune /out/full/ ./
RUN npx turbo run build --filter=@coral-cdn/tracker --output-logs=errors-only

# 3. Production dependencies only, at the versions the lockfile pins.
FROM ${BASE_IMAGE} AS deps
WORKDIR /src
COPY --from=prune /out/json/ ./
COPY infra/docker/runtime-manifest.mjs /tmp/runtime-manifest.mjs
RUN --mount=type=cache,id=coral-npm,target=/root/.npm,sharing=shared \
  node /tmp/runtime-manifest.mjs apps/tracker packages/protocol packages/tracker-core \
    packages/server-kit \
  && npm install --omit=dev --omit=optional --no-audit --no-fund

# 4. Runtime: the built workspaces, a non-root user.
FROM ${BASE_IMAGE} AS runtime
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home coral
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8090
WORKDIR /app
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/packages/protocol/package.json ./packages/protocol/package.json
COPY --from=build /src/packages/protocol/dist ./packages/protocol/dist
COPY --from=build /src/packages/tracker-core/package.json ./packages/tracker-core/package.json
COPY --from=build /src/packages/tracker-core/dist ./packages/tracker-core/dist
COPY --from=build /src/packages/server-kit/package.json ./packages/server-kit/package.json
COPY --from=build /src/packages/server-kit/dist ./packages/server-kit/dist
COPY --from=build /src/apps/tracker/package.json ./apps/tracker/package.json
COPY --from=build /src/apps/tracker/dist ./apps/tracker/dist
COPY infra/docker/healthcheck.mjs ./healthcheck.mjs
WORKDIR /app/apps/tracker
USER coral
EXPOSE 8090
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "/app/healthcheck.mjs"]
CMD ["node", "dist/main.js"]
