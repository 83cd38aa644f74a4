import { loadConfig } from '../common/config';
import { createLogger } from '../common/logger';
import { createSandbox, sandboxOptionsFromConfig } from './index';

/**
 * `npm run sandbox`: both simulators alone, from config (SANDBOX_HOST, SANDBOX_BWP_PORT, SANDBOX_STORE_PORT,
 * BWP_CLIENT_ID, BWP_CLIENT_SECRET, BWP_TARGET_ID, REFUND_API_TOKEN, STORE_ORDER_TOKEN, SANDBOX_STATE_FILE, LOG_LEVEL),
 * with every fixture seeded. REFUND_REQUESTED events from POST /admin/events go to the service's webhook
 * (API_HOST/API_PORT) with its configured credentials. No credential is ever logged.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'sandbox' });
  const sandbox = await createSandbox(sandboxOptionsFromConfig(config, logger));
  logger.info(
    {
      bwpUrl: sandbox.bwpUrl,
      bwpTokenUrl: sandbox.bwpTokenUrl,
      storeUrl: sandbox.storeUrl,
      storeOrderUrl: sandbox.storeOrderUrl,
      bwpAdminUrl: sandbox.bwpAdminUrl,
      storeAdminUrl: sandbox.storeAdminUrl,
      stateFile: config.SANDBOX_STATE_FILE ?? '(memory only)',
    },
    'sandbox listening',
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'sandbox stopping');
    sandbox.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'sandbox did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
