import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { createLogger } from '../../common/logger';
import { findTemporalCli, startDevServer, type DevServer } from '../../tools/temporal/dev-server';
import { WORKFLOW_PRELOAD_MODULES } from '../../workers/worker';

/**
 * The real Temporal server of this test run. `npm test` starts one per run and exports TEMPORAL_TEST_ADDRESS;
 * a file run alone (`npx tsx --test test/x.test.ts`) starts its own from the same binary.
 */
let own: DevServer | undefined;

export async function temporalAddress(): Promise<string> {
  if (process.env.TEMPORAL_TEST_ADDRESS) return process.env.TEMPORAL_TEST_ADDRESS;
  if (!own) {
    const log = createLogger({ level: 'warn', pretty: false });
    const cli = await findTemporalCli({ cliPath: process.env.TEMPORAL_CLI || undefined, log });
    own = await startDevServer({ cli, headless: true, log });
  }
  return own.address;
}

export async function createTestEnv(address?: string): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({ address: address ?? (await temporalAddress()) });
}

/** Stops a server this process started itself (none under `npm test`). */
export async function stopOwnServer(): Promise<void> {
  await own?.stop();
  own = undefined;
}

let bundle: Promise<WorkflowBundle> | undefined;
/** Bundles the workflow code once per test process. */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    preloadModules: WORKFLOW_PRELOAD_MODULES,
    logger: quietBundlerLogger,
  });
  return bundle;
}

const noop = () => undefined;
export const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

export const uniqueId = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
