import type http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, PROCESS_SECRETS } from '../common/config';
import { createLogger } from '../common/logger';
import { temporalConnectionOptions } from '../common/temporal';
import { createApp } from './app';

/**
 * API process entry point (`npm run api`; production: `node dist/api/main.js`): connects to TEMPORAL_ADDRESS and serves
 * the webhook, the operator API and the repair page on API_HOST:API_PORT. SIGINT/SIGTERM stop accepting, finish
 * in-flight requests, then close the connection.
 */
async function main() {
  const config = loadConfig(process.env, { uses: PROCESS_SECRETS.api });
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'api' });
  const connection = await Connection.connect(temporalConnectionOptions(config));
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const app = createApp({ client, config, logger });
  const server: http.Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.API_PORT, config.API_HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const url = `http://${config.API_HOST}:${config.API_PORT}`;
  logger.info(
    { api: url, console: `${url}/console/`, docs: `${url}/docs`, temporal: temporalConnectionOptions(config).address },
    'api listening',
  );

  const stop = (signal: string) => {
    logger.info({ signal }, 'api stopping');
    server.close(() => {
      void connection.close().finally(() => {
        logger.info('api stopped');
        process.exit(0);
      });
    });
    server.closeIdleConnections();
    // Requests still open after this long (a client holding a connection) are cut off.
    setTimeout(() => server.closeAllConnections(), 10_000).unref();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
