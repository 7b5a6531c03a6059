# The Partnerflow runtime (`partnerflow serve`) as an image, built from this repository.
# compose.yaml runs two replicas of it on PostgreSQL behind nginx (README, "Running several replicas").
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so that a change to the sources does not reinstall them. Without the
# devDependencies: they are the test tools (an embedded PostgreSQL, a browser driver, vitest).
# better-sqlite3 downloads its prebuilt binary for Node 20; the prepare script skips the CLI build
# here (the sources are not copied yet) and it is built below.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev && npm cache clean --force

COPY bin ./bin
COPY server ./server
COPY connectors ./connectors
COPY schemas ./schemas
COPY mocks ./mocks
COPY recipes ./recipes
# The compiled CLI (dist/cli.mjs), so that a start does not compile it.
RUN node bin/build-cli.js && mkdir -p data && chown node:node data dist

USER node
# Listen on every interface of the container; the load balancer reaches each replica on this port.
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop, a rolling deploy) stops taking runs and finishes the turns in flight, then exits.
CMD ["node", "bin/partnerflow.js", "serve"]
