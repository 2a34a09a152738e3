FROM node:24-slim

WORKDIR /app

# Dependencies first so source edits don't invalidate the install layer.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# No build step: Node 24 strips the TypeScript types at run time.
# One COPY per folder: a multi-source COPY would flatten their contents.
COPY activities ./activities
COPY connectors ./connectors
COPY workflows ./workflows
COPY worker ./worker
COPY cli ./cli
COPY temporal ./temporal
COPY privacy ./privacy
COPY database ./database
COPY scripts ./scripts
COPY demo ./demo
COPY backup ./backup
COPY scenarios ./scenarios
COPY metrics ./metrics
COPY report ./report
COPY anonymize ./anonymize

ENV NODE_ENV=production

CMD ["node", "cli/channelshift.ts", "worker"]
