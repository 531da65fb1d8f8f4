# syntax=docker/dockerfile:1
# facetrail image: one image for every role (`node dist/main.js` with FACETRAIL_ROLE=api|projector|worker).
#
# build   : all dependencies, `npm run build` (TypeScript → dist/), `npm run build:web` (the web
#           console → dist/web, Vite and Preact are dev dependencies) and `npm run models` (face-api's
#           tfjs weights → ONNX in models/, needs dev dependencies such as @tensorflow/tfjs).
# runtime : production dependencies only (`npm ci --omit=dev`), dist/ and models/ copied from the
#           build stage, runs as the unprivileged `node` user.
#
# Install scripts are skipped (--ignore-scripts, like package.json `allowScripts` for npm >= 11.16;
# this image's npm 10 does not read that field): sharp, onnxruntime-node and esbuild ship prebuilt
# linux-x64 binaries as packages, nothing is compiled or downloaded at install time (onnxruntime-
# node's postinstall would otherwise fetch its CUDA 12 provider).

ARG NODE_IMAGE=node:20.19-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
COPY support ./support
COPY scripts ./scripts
# TypeScript → dist/, the web console → dist/web (Vite, pre-compressed), the models → models/.
RUN npm run build && npm run build:web && npm run models

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/models ./models
COPY docker/healthcheck.js docker/ensure-jwt-key.js ./docker/
# The only writable place: the JWT key volume (a named volume takes this folder's owner).
RUN mkdir -p /app/keys && chown node:node /app/keys
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "docker/healthcheck.js", "/healthz"]
CMD ["node", "dist/main.js"]
