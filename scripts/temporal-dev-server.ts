// `npm run temporal`: a local Temporal server for the worker and the CLI, with the UI, kept in .channelshift/.
import { findOrInstallTemporalCli } from '../temporal/cli-install.ts';
import { startDevServer } from '../temporal/dev-server.ts';
import { devServerOptionsFromEnv } from '../temporal/dev-server-env.ts';

const cliPath = await findOrInstallTemporalCli(console.log);
const server = await startDevServer(devServerOptionsFromEnv(cliPath));
console.log(`Temporal dev server at ${server.address}, UI at ${server.uiUrl} (Ctrl-C stops it).`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.stop());
