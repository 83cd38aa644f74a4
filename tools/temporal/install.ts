import { loadConfig } from '../../common/config';
import { createLogger } from '../../common/logger';
import { findTemporalServer } from './cluster';
import { findTemporalCli } from './dev-server';

/**
 * `npx tsx tools/temporal/install.ts`: finds the Temporal CLI (dev server) and the production server with its schema
 * tool (`npm run cluster`), building what is absent with go install into the per-user cache, and prints their paths.
 */
async function main() {
  const config = loadConfig(process.env, { uses: [] });
  const log = createLogger({ level: 'info', name: 'install-temporal' });
  const cli = await findTemporalCli({ cliPath: config.TEMPORAL_CLI, log });
  log.info({ cli }, 'Temporal CLI ready');
  const server = await findTemporalServer({
    serverPath: process.env.TEMPORAL_SERVER || undefined,
    sqlToolPath: process.env.TEMPORAL_SQL_TOOL || undefined,
    log,
  });
  log.info(server, 'Temporal server and schema tool ready');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
