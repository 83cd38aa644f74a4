import { loadConfig } from '../common/config';
import { createLogger } from '../common/logger';
import { findTemporalCli } from './temporal-server';

/** `npx tsx workers/install-temporal.ts`: finds the Temporal CLI or builds it (go install), and prints its path. */
async function main() {
  const config = loadConfig(process.env, { uses: [] });
  const log = createLogger({ level: 'info', name: 'install-temporal' });
  const cli = await findTemporalCli({ cliPath: config.TEMPORAL_CLI, log });
  log.info({ cli }, 'Temporal CLI ready');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
