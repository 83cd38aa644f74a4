import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createClientsFromConfig } from '../activities/clients';
import { createApp } from '../api/app';
import { loadConfig, sandboxWanted, withSandboxDefaults } from '../common/config';
import { createLogger } from '../common/logger';
import { newOperatorKey, writeKeysFile } from '../common/operator-keys';
import { policyFromConfig } from '../common/policy';
import { timingFromConfig } from './timing';
import { temporalConnectionOptions } from '../common/temporal';
import { createSandbox, sandboxOptionsFromConfig } from '../sandbox';
import { installRuntime } from './runtime';
import { findTemporalCli, startDevServer, type DevServer } from '../tools/temporal/dev-server';
import { createRefundWorkers, runWorkers, shutdownWorkers } from './worker';

/**
 * `npm start`: the whole service on one machine. Without TEMPORAL_ADDRESS it runs a local Temporal dev server (SQLite in
 * DATA_DIR, Web UI on), the sandbox of Buy with Prime and the store (SANDBOX_ENABLED), the workers and the API.
 * With TEMPORAL_ADDRESS it runs only the workers and the API against it. Ctrl-C stops everything cleanly; running it
 * again resumes every unfinished refund from the database.
 */
async function main() {
  // With the sandbox running, the settings it models are on unless said otherwise (per-line amounts).
  const config = withSandboxDefaults(loadConfig());
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'refund-orchestrator' });
  installRuntime(logger, { metricsBindAddress: `127.0.0.1:${config.METRICS_PORT}` });

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse())
      await stop().catch((err: unknown) => logger.error({ err }, 'error while stopping'));
  };

  let server: DevServer | undefined;
  if (!config.TEMPORAL_ADDRESS) {
    const cli = await findTemporalCli({ cliPath: config.TEMPORAL_CLI, log: logger });
    server = await startDevServer({
      cli,
      dbFile: path.join(config.DATA_DIR, 'temporal.db'),
      port: config.TEMPORAL_DEV_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
      log: logger,
    });
    stops.push(() => server!.stop());
  }
  const address = server?.address ?? config.TEMPORAL_ADDRESS!;

  if (sandboxWanted(config)) {
    const stateFile = config.SANDBOX_STATE_FILE ?? path.join(config.DATA_DIR, 'sandbox-state.json');
    const sandbox = await createSandbox(sandboxOptionsFromConfig(config, logger, stateFile));
    stops.push(() => sandbox.close());
    logger.info({ bwp: sandbox.bwpUrl, store: sandbox.storeUrl }, 'sandbox listening');
  }

  const nativeConnection = await NativeConnection.connect(temporalConnectionOptions(config, address));
  stops.push(() => nativeConnection.close());
  const { bwp, refunds, storeOrders } = createClientsFromConfig(config, logger);
  const workers = await createRefundWorkers({
    connection: nativeConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: {
      bwp,
      refunds,
      storeOrders,
      policy: policyFromConfig(config),
      timing: timingFromConfig(config),
    },
    submitRatePerSecond: config.REFUND_RATE_LIMIT_PER_SECOND,
    roles: config.WORKER_ROLES,
  });
  const running = runWorkers(workers);

  const connection = await Connection.connect(temporalConnectionOptions(config, address));
  stops.push(() => connection.close());
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  // A fresh clone has no operator keys yet: in development, one admin key is made and shown once, so the repair page
  // can be used at once (`npm run operator-key` makes the others).
  if (config.NODE_ENV === 'development' && !fs.existsSync(config.OPERATOR_KEYS_FILE)) {
    const { key, entry } = newOperatorKey('developer', 'admin');
    writeKeysFile(config.OPERATOR_KEYS_FILE, { version: 1, keys: [entry] });
    logger.info(
      { file: config.OPERATOR_KEYS_FILE, name: entry.name, role: entry.role, key },
      'no operator keys yet: made an admin key for the repair page (shown once; npm run operator-key manages keys)',
    );
  }
  const app = createApp({ client, config, logger, policy: policyFromConfig(config) });
  const httpServer: http.Server = await new Promise((resolve) => {
    const s = app.listen(config.API_PORT, config.API_HOST, () => resolve(s));
  });
  const apiUrl = `http://${config.API_HOST}:${config.API_PORT}`;

  logger.info(
    {
      api: apiUrl,
      console: `${apiUrl}/console`,
      temporal: address,
      temporalUI: server?.uiUrl ?? '(external)',
      metrics: `http://127.0.0.1:${config.METRICS_PORT}/metrics`,
    },
    'refund-orchestrator is running (Ctrl-C to stop)',
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: API, then workers (draining in-flight activities), then sandbox and Temporal');
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    shutdownWorkers(workers);
    await running.catch((err: unknown) => logger.error({ err }, 'worker failed'));
    await stopAll();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  running.catch(async (err: unknown) => {
    logger.fatal({ err }, 'a worker stopped unexpectedly');
    await shutdown('worker-failure');
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
