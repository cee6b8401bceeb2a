# firstcome: one image for every role. The command picks it: serve (the default), relay, worker, migrate,
# retry, reconcile, plan, events, failed (`docker run IMAGE --help`). See docs/deploy.md.
#
#   docker build -t firstcome .
#   docker run --rm -p 3000:3000 -e DATABASE_URL=… -e REDIS_URL=… -e KAFKA_BROKERS=… firstcome serve
#
# BASE_IMAGE is the official Node image; scripts/container-base makes a stand-in for machines that reach no
# image registry (test/container.e2e.test.ts builds on it).
ARG BASE_IMAGE=node:24-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The dev dependencies build the dashboard; the npm `node` package among them (Node 24 for checkouts on
# older machines) is not needed here, since the base image has Node 24: its install script is skipped.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY dashboard ./dashboard
COPY waiting-page ./waiting-page
RUN npm run build:dashboard

FROM ${BASE_IMAGE}
# tini as PID 1: it forwards SIGTERM to Node (which then drains and exits) and reaps zombies.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
# Every interface inside the container (the default, 127.0.0.1, would be unreachable from outside it).
ENV HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# Node strips the types of src/*.ts when it runs them: no compile step, the sources are the program.
COPY bin ./bin
COPY src ./src
COPY --from=build /app/dashboard/dist ./dashboard/dist
COPY --from=build /app/waiting-page/dist ./waiting-page/dist
# The files stay root's: the process can read its code but not change it.
USER node
EXPOSE 3000
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/firstcome.js"]
CMD ["serve"]
