import { NativeConnection } from '@temporalio/worker';
import { createClientsFromConfig } from '../../activities/clients';
import { loadConfig, PROCESS_SECRETS } from '../../common/config';
import { createLogger } from '../../common/logger';
import { policyFromConfig } from '../../common/policy';
import { temporalConnectionOptions } from '../../common/temporal';
import { installRuntime } from '../../workers/runtime';
import { createRefundWorkers, runWorkers, shutdownWorkers } from '../../workers/worker';
import { createBareActivities } from './bare-activities';

/**
 * The benchmark's bare worker: workers/main.ts with the same config, queues, limiter and worker options, serving the
 * bare workflow (its own bundle) and no-op activities instead of the refund workflow and its calls.
 */
async function main() {
  const config = loadConfig(process.env, { uses: PROCESS_SECRETS.worker });
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'bare-worker' });
  installRuntime(logger);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const { bwp, refunds } = createClientsFromConfig(config, logger);
  const workers = await createRefundWorkers({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: { bwp, refunds, policy: policyFromConfig(config) },
    submitRatePerSecond: config.REFUND_RATE_LIMIT_PER_SECOND,
    twin: { workflowsPath: require.resolve('./bare-workflows'), activities: createBareActivities() },
  });
  process.once('SIGINT', () => shutdownWorkers(workers));
  process.once('SIGTERM', () => shutdownWorkers(workers));
  logger.info('worker running');
  try {
    await runWorkers(workers);
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
