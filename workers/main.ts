import { NativeConnection } from '@temporalio/worker';
import { createClientsFromConfig } from '../activities/clients';
import { loadConfig, PROCESS_SECRETS } from '../common/config';
import { createLogger } from '../common/logger';
import { temporalConnectionOptions } from '../common/temporal';
import { policyFromConfig } from '../common/policy';
import { timingFromConfig } from './timing';
import { installRuntime } from './runtime';
import { createRefundWorkers, runWorkers, shutdownWorkers } from './worker';

/**
 * Worker process entry point (production: `node dist/workers/main.js`). Connects to TEMPORAL_ADDRESS and serves the
 * refund and submission task queues (WORKER_ROLES=refunds,submissions to split them). SIGINT/SIGTERM drain and stop.
 */
async function main() {
  const config = loadConfig(process.env, { uses: PROCESS_SECRETS.worker });
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'worker' });
  installRuntime(logger, { metricsBindAddress: `0.0.0.0:${config.METRICS_PORT}` });
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const { bwp, refunds, storeOrders } = createClientsFromConfig(config, logger);
  const roles = config.WORKER_ROLES;
  const workers = await createRefundWorkers({
    connection,
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
    maxCachedWorkflows: config.WORKFLOW_CACHE_SIZE,
    ...(config.WORKFLOW_BUNDLE_PATH ? { workflowBundle: { codePath: config.WORKFLOW_BUNDLE_PATH } } : {}),
    roles,
  });
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down: draining in-flight activities');
    shutdownWorkers(workers);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  logger.info(
    { identity: workers[0]?.options.identity, roles, address: temporalConnectionOptions(config).address },
    'worker running',
  );
  try {
    await runWorkers(workers);
  } finally {
    await connection.close();
  }
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
