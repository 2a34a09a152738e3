// `npm run tools`: makes sure the Temporal CLI is there (PATH, tools folder, Go build or download), once.
import { findOrInstallTemporalCli } from '../temporal/cli-install.ts';

console.log(`Temporal CLI: ${await findOrInstallTemporalCli(console.log)}`);
