import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import {
  createBwpClient,
  createBwpTokenSource,
  createRefundClient,
  createStoreOrderClient,
  type BwpClient,
  type BwpTokenSource,
  type RefundClient,
  type StoreOrderClient,
} from '../../activities/clients';
import { startOrJoinRefund } from '../../api/start-refund';
import { createLogger } from '../../common/logger';
import { DEFAULT_MERCHANT_REASONS, DEFAULT_REASON_MAP } from '../../domain/reasons';
import type { Policy } from '../../domain/context';
import { createSandbox, loadFixture, uniqueFixture, type Fixture, type Sandbox } from '../../sandbox';
import { createRefundWorkers, runWorkers, shutdownWorkers } from '../../workers/worker';
import { stateQuery, type RefundTiming, type RefundWorkflowState } from '../../workflows/refund.contract';
import type { refundWorkflow } from '../../workflows/refund';
import { installRuntime } from '../../workers/runtime';
import { createTestEnv, stopOwnServer, uniqueId, workflowBundle } from './temporal';

export const TOKENS = {
  bwpClientId: 'test-bwp-client',
  bwpClientSecret: 'test-bwp-secret',
  refund: 'test-refund-token',
  storeOrder: 'test-store-order-token',
  businessProductId: 'test-bp',
};

/** Fast timings so parked refunds re-check and flag attention within a test. */
export const FAST_TIMING: Partial<RefundTiming> = {
  recheckInitialMs: 500,
  recheckMaxMs: 2000,
  attentionAfterMs: 60_000,
  settleInitialMs: 200,
  settleMaxMs: 1000,
  submitRetryInitialMs: 200,
  submitRetryMaxMs: 1000,
};

export const TEST_POLICY: Policy = {
  reasons: { map: DEFAULT_REASON_MAP, merchantReasons: DEFAULT_MERCHANT_REASONS },
  allowAppeasement: true,
};

export interface HarnessClients {
  bwp: BwpClient;
  refunds: RefundClient;
  storeOrders?: StoreOrderClient;
  tokens: BwpTokenSource;
}

/** The production clients pointed at a sandbox, as a worker's config would build them. */
export function sandboxClients(
  sandbox: Sandbox,
  opts: { readStoreOrder?: boolean; timeoutMs?: number } = {},
): HarnessClients {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const tokens = createBwpTokenSource({
    url: sandbox.bwpTokenUrl,
    clientId: TOKENS.bwpClientId,
    clientSecret: TOKENS.bwpClientSecret,
    timeoutMs,
  });
  return {
    tokens,
    bwp: createBwpClient({
      url: sandbox.bwpUrl,
      tokens,
      targetId: TOKENS.businessProductId,
      apiVersion: '2024-11-01',
      timeoutMs,
    }),
    refunds: createRefundClient({ url: sandbox.storeUrl, token: TOKENS.refund, timeoutMs: Math.min(timeoutMs, 2000) }),
    ...(opts.readStoreOrder === false
      ? {}
      : {
          storeOrders: createStoreOrderClient({ url: sandbox.storeOrderUrl, token: TOKENS.storeOrder, timeoutMs }),
        }),
  };
}

export interface Harness {
  env: TestWorkflowEnvironment;
  client: Client;
  sandbox: Sandbox;
  taskQueue: string;
  workers: Worker[];
  /** The workers' one token source (its request count). */
  tokens: BwpTokenSource;
  /** Seeds a unique copy of a fixture and starts its refund workflow. */
  startRefund(
    fixtureName: string,
    opts?: {
      timing?: Partial<RefundTiming>;
      mutate?: (f: Fixture) => void;
      /** Runs after the fixture is seeded, before the workflow starts. */
      beforeStart?: (f: Fixture) => Promise<void>;
    },
  ): Promise<{ fixture: Fixture; handle: WorkflowHandle<typeof refundWorkflow>; workflowId: string }>;
  close(): Promise<void>;
}

/** A real Temporal server, the real sandbox on real HTTP, the real clients and workers on a unique task queue. */
export async function createHarness(
  opts: {
    submitRatePerSecond?: number;
    runWorkers?: boolean;
    policy?: Policy;
    address?: string;
    /** Read the store order from the sandbox's merchant order-facts endpoint (STORE_ORDER_URL); true unless said. */
    readStoreOrder?: boolean;
    /** How long the sandbox's Buy with Prime tokens live (default: the real 15 minutes). */
    bwpTokenLifetimeSeconds?: number;
    workerTiming?: Partial<RefundTiming>;
    /** Wraps the real clients (e.g. to inject a defect no sandbox fault can produce). */
    wrapClients?: (clients: HarnessClients, sandbox: Sandbox) => HarnessClients;
  } = {},
): Promise<Harness> {
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'warn', pretty: false });
  installRuntime(logger);
  const env = await createTestEnv(opts.address);
  const sandbox = await createSandbox({
    bwpClientId: TOKENS.bwpClientId,
    bwpClientSecret: TOKENS.bwpClientSecret,
    ...(opts.bwpTokenLifetimeSeconds ? { bwpTokenLifetimeSeconds: opts.bwpTokenLifetimeSeconds } : {}),
    refundToken: TOKENS.refund,
    storeOrderToken: TOKENS.storeOrder,
    businessProductId: TOKENS.businessProductId,
    logger,
  });
  const taskQueue = uniqueId('refunds');
  const clients = sandboxClients(sandbox, { readStoreOrder: opts.readStoreOrder ?? true });
  const deps = {
    ...(opts.wrapClients ? opts.wrapClients(clients, sandbox) : clients),
    policy: opts.policy ?? TEST_POLICY,
    // The worker owns activity timeouts (as workers/timing.ts does from config): above the clients' own timeouts.
    timing: { lookupTimeoutMs: 10_000, submitTimeoutMs: 5_000, ...opts.workerTiming },
  };
  const workers =
    opts.runWorkers === false
      ? []
      : await createRefundWorkers({
          connection: env.nativeConnection,
          namespace: env.namespace ?? 'default',
          taskQueue,
          deps,
          submitRatePerSecond: opts.submitRatePerSecond ?? 100,
          workflowBundle: await workflowBundle(),
          overrides: { shutdownGraceTime: '2s' },
        });
  const running = runWorkers(workers);
  return {
    env,
    client: env.client,
    sandbox,
    taskQueue,
    workers,
    tokens: clients.tokens,
    async startRefund(name, o = {}) {
      const fixture = uniqueFixture(loadFixture(name), { businessProductId: TOKENS.businessProductId });
      o.mutate?.(fixture);
      await sandbox.seed(fixture);
      await o.beforeStart?.(fixture);
      const started = await startOrJoinRefund(env.client, {
        orderId: fixture.bwpOrder.id,
        refundId: fixture.refundId,
        eventId: uniqueId('evt'),
        taskQueue,
        timing: { ...FAST_TIMING, ...o.timing },
      });
      return {
        fixture,
        workflowId: started.workflowId,
        handle: env.client.workflow.getHandle<typeof refundWorkflow>(started.workflowId),
      };
    },
    async close() {
      shutdownWorkers(workers);
      await running;
      await sandbox.close();
      await env.teardown();
      await stopOwnServer();
    },
  };
}

/**
 * With RECORD_HISTORIES=1, saves the finished workflow's history under test/replay/histories/<name>.bin (protobuf), so the replay
 * suite runs it through every later version of the workflow code (a change that breaks running refunds fails CI).
 */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  const bytes = temporal.api.history.v1.History.encode(history).finish();
  // Never overwrite: a saved history stands for the refunds recorded with the code of its day (add a new name instead).
  const file = path.join(__dirname, '..', 'replay', 'histories', `${name}.bin`);
  if (fs.existsSync(file)) return;
  fs.writeFileSync(file, bytes, { flag: 'wx' });
}

/** Polls the workflow's state until `predicate` holds (or fails after `timeoutMs`). */
export async function waitForState(
  handle: WorkflowHandle,
  predicate: (s: RefundWorkflowState) => boolean,
  timeoutMs = 30_000,
): Promise<RefundWorkflowState> {
  const deadline = Date.now() + timeoutMs;
  let last: RefundWorkflowState | undefined;
  for (;;) {
    try {
      const current = await handle.query(stateQuery);
      last = current;
      if (predicate(current)) return current;
    } catch {
      // not started yet
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting; last state: ${JSON.stringify(last, null, 1)?.slice(0, 3000)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
