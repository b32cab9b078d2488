# syntax=docker/dockerfile:1
# The ironcore-console image: one binary for both roles, `gateway` and `provider`
# (see deploy/). Built in two stages so compilers and dev dependencies stay out of it.

# Build: the full image has python3, make and g++, which node-pty's native addon needs to
# compile; uWebSockets.js ships prebuilt glibc binaries, so both stages are Debian bookworm.
FROM node:20-bookworm AS build
WORKDIR /src
# Dependencies first: this layer is reused until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY Makefile tsconfig.json ./
COPY proto ./proto
COPY lib ./lib
# Generates the protobuf code, compiles TypeScript to dist/ and bundles the browser page.
RUN make build
# Keep production dependencies only (node-pty's compiled addon stays), then drop what can
# never load on this platform: uWebSockets.js binaries for other systems and Node versions,
# node-pty's sources and other platforms' prebuilds (about 185 MB down to 40 MB).
RUN npm prune --omit=dev --no-audit --no-fund \
 && arch="$(node -p process.arch)" abi="$(node -p process.versions.modules)" \
 && find node_modules/uWebSockets.js/binaries -name '*.node' ! -name "uws_linux_${arch}_${abi}.node" -delete \
 && find node_modules/node-pty/prebuilds -mindepth 1 -maxdepth 1 ! -name "linux-${arch}" -exec rm -rf {} + \
 && rm -rf node_modules/node-pty/deps node_modules/node-pty/third_party node_modules/node-pty/src

# Runtime: slim glibc image, no compilers, no npm cache, nothing writable by the process.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
RUN groupadd --gid 65532 nonroot \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nonroot
WORKDIR /app
# Owned by root, so the process cannot change its own code. Only dist/lib (the program)
# and dist/web (the browser page); compiled tests and benchmarks stay behind.
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/lib ./dist/lib
COPY --from=build /src/dist/web ./dist/web
# Numeric, so the kubelet can verify runAsNonRoot without reading /etc/passwd.
USER 65532:65532
# 8443: gateway (HTTPS/WSS); 12319: provider (mTLS, the machinepoollet port).
EXPOSE 8443 12319
ENTRYPOINT ["node", "dist/lib/cli/main.js"]
