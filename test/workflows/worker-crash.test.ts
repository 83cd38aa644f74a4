import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { createLogger } from '../../common/logger';
import { startOrJoinRefund } from '../../api/start-refund';
import { createSandbox, loadFixture, uniqueFixture, type Sandbox } from '../../sandbox';
import { freePort } from '../../tools/temporal/dev-server';
import { RefundStatus, refundIdempotencyKey } from '../../workflows/refund.contract';
import type { refundWorkflow } from '../../workflows/refund';
import { TOKENS } from '../helpers/harness';
import { spawnEntry, until, type Child } from '../helpers/processes';
import { createTestEnv, stopOwnServer, temporalAddress, uniqueId } from '../helpers/temporal';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

/**
 * Exactly once across a crash: the worker PROCESS is killed (SIGKILL) while POST /refund calls are in flight for 50
 * refunds, and a new worker process takes over. The store's ledger must hold exactly one refund per refund.
 */

const REFUNDS = 50;
let env: TestWorkflowEnvironment;
let client: Client;
let sandbox: Sandbox;
const children: Child[] = [];

before(async () => {
  env = await createTestEnv();
  client = env.client;
  sandbox = await createSandbox({
    bwpClientId: TOKENS.bwpClientId,
    bwpClientSecret: TOKENS.bwpClientSecret,
    refundToken: TOKENS.refund,
    storeOrderToken: TOKENS.storeOrder,
    businessProductId: TOKENS.businessProductId,
    logger: createLogger({ level: 'warn', pretty: false }),
  });
});
after(async () => {
  for (const c of children) c.kill();
  await sandbox?.close();
  await env?.teardown();
  await stopOwnServer();
});

async function startWorker(taskQueue: string): Promise<Child> {
  const child = spawnEntry('workers/main.ts', {
    TEMPORAL_ADDRESS: await temporalAddress(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...sandbox.serviceEnv(),
    BWP_TIMEOUT_MS: '3000',
    REFUND_TIMEOUT_MS: '3000',
    REFUND_RATE_LIMIT_PER_SECOND: '100',
    METRICS_PORT: String(await freePort()),
  });
  children.push(child);
  return child;
}

it(`when the worker process is killed with submissions in flight for ${REFUNDS} refunds, a new worker finishes them all and each is refunded exactly once`, async () => {
  const taskQueue = uniqueId('crash');
  // Slow answers keep many submissions in flight at the moment of the kill; the store applies them regardless.
  sandbox.state.store.setFaults({ latencyMs: 1500 });
  const fixtures = Array.from({ length: REFUNDS }, () =>
    uniqueFixture(loadFixture('healthy-single-sku'), { businessProductId: TOKENS.businessProductId }),
  );
  for (const f of fixtures) await sandbox.seed(f);
  const storeOrders = new Set(fixtures.map((f) => f.storeOrder.id));

  const first = await startWorker(taskQueue);
  const since = Date.now();
  const started = await Promise.all(
    fixtures.map((f) =>
      startOrJoinRefund(client, {
        orderId: f.bwpOrder.id,
        refundId: f.refundId,
        eventId: uniqueId('evt'),
        taskQueue,
        timing: { submitTimeoutMs: 5000, lookupTimeoutMs: 10_000, settleInitialMs: 200, settleMaxMs: 1000 },
      }),
    ),
  );

  // Kill as soon as submissions are in flight and before all of them are applied.
  await until(
    'submissions in flight',
    () => {
      const calls = sandbox.state.store
        .requests()
        .filter((r) => r.path === '/admin/api/v1/refund' && r.at >= since).length;
      return calls >= 10;
    },
    120_000,
  );
  first.kill('SIGKILL');
  const appliedAtKill = sandbox.state.store.ledger().filter((e) => storeOrders.has(e.key.order)).length;
  assert.ok(appliedAtKill < REFUNDS, `the kill came too late (${appliedAtKill} already applied)`);

  await startWorker(taskQueue);
  const results = await Promise.all(
    started.map((s) => client.workflow.getHandle<typeof refundWorkflow>(s.workflowId).result()),
  );
  assert.ok(results.every((r) => r.status === RefundStatus.REFUNDED));

  const ledger = sandbox.state.store.ledger().filter((e) => storeOrders.has(e.key.order));
  const perOrder = new Map<string, number>();
  for (const e of ledger) perOrder.set(e.key.order, (perOrder.get(e.key.order) ?? 0) + 1);
  assert.equal(perOrder.size, REFUNDS, 'none lost');
  assert.ok(
    [...perOrder.values()].every((n) => n === 1),
    'none doubled',
  );
  for (const r of results) {
    // Each refund's one key, as the workflow fixed it when revision 1 opened (ids with `-` are percent-encoded in it).
    const entry = ledger.find((e) => e.key.id === refundIdempotencyKey(r.orderId, r.refundId, 1));
    assert.equal(r.refunded?.amount, entry?.refunded.amount, 'the workflow reports what the store applied');
  }
  console.log(
    `# ${appliedAtKill} of ${REFUNDS} refunds were applied when the worker was killed; all ${REFUNDS} applied exactly once after the restart`,
  );
});
