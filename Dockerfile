# Build: TypeScript -> dist/; run: node dist/app/main.js
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
# The patient pages' style sheets and scripts (served from our origin).
COPY src/web/patient/assets ./dist/web/patient/assets
COPY src/web/coordinator/assets ./dist/web/coordinator/assets
COPY sql ./sql
COPY profiles ./profiles
COPY content ./content
# npm run client / load / reindex run dist/ here (scripts/run.mjs), npm start runs dist/app/main.js.
COPY scripts ./scripts
# Without DATABASE_URL the embedded database lives in /app/data (mount a volume there to keep it);
# .cache holds the parsed FHIR core definitions after the first start.
RUN mkdir -p data .cache && chown node:node data .cache
USER node
EXPOSE 8080
# The same V8 heap settings as `npm start` (docs/decisions/heap-settings.md). node itself, not npm,
# is the container's main process, so SIGTERM reaches the server.
CMD ["node", "--max-old-space-size=256", "--max-semi-space-size=16", "--heap-growing-percent=100", "dist/app/main.js"]
