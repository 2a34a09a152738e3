// `npm run temporal`: a local Temporal server for the worker and the CLI, with the UI, kept in .channelshift/; the UI
// reads the encrypted history through a codec server holding the same keys as the worker.
import { codecKeys } from '../privacy/codec-keys.ts';
import { devServerUiOrigins, startCodecServer } from '../privacy/codec-server.ts';
import { PayloadEncryptionCodec } from '../privacy/payload-codec.ts';
import { findOrInstallTemporalCli } from '../temporal/cli-install.ts';
import { startDevServer } from '../temporal/dev-server.ts';
import { devServerOptionsFromEnv } from '../temporal/dev-server-env.ts';

const options = devServerOptionsFromEnv(await findOrInstallTemporalCli(console.log));
const codecServer = await startCodecServer({
  codec: new PayloadEncryptionCodec(codecKeys({ createLocalKeyFile: true })),
  port: 0,
  host: '127.0.0.1',
  uiOrigins: devServerUiOrigins(options.ip, options.uiPort),
});
const server = await startDevServer({ ...options, uiCodecEndpoint: codecServer.url });
console.log(`Temporal dev server at ${server.address}, UI at ${server.uiUrl}, codec server at ${codecServer.url} (Ctrl-C stops them).`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void Promise.all([server.stop(), codecServer.close()]));
