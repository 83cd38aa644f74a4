import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { readRefund } from '../../api/refund-reads';
import { startOrJoinRefund } from '../../api/start-refund';
import { createLogger } from '../../common/logger';
import { createSandbox, loadFixture, uniqueFixture, type Sandbox } from '../../sandbox';
import { freePort } from '../../tools/temporal/dev-server';
import { RefundStatus, acceptSuggestionUpdate, stateQuery } from '../../workflows/refund.contract';
import type { refundWorkflow } from '../../workflows/refund';
import { TOKENS } from '../helpers/harness';
import { spawnEntry, until, type Child } from '../helpers/processes';
import { createTestEnv, stopOwnServer, temporalAddress, uniqueId, workflowBundle } from '../helpers/temporal';

/**
 * Parked refunds whose worker dies (SIGKILL: the server still routes to its sticky queue), whose re-check timer fires
 * while nobody serves that queue, read while the timer fires, then repaired by an update before the timed-out workflow
 * task reaches the new worker. The history the live worker writes must replay: Temporal replays it whenever a worker
 * has no cached copy (after any restart), and a history that does not replay blocks the refund.
 *
 * Refund A is read as the API reads (describe(): its memo, from the server alone): it must replay, with the workflow
 * cache on. Refund B is read with a query, as a person does from the Temporal UI: a cold worker answers it from a
 * history that already holds the fired timer and keeps the run cached, and the SDK (1.24) then handled the update after
 * the timer's step where a replay handles it first. That was why the worker once ran without a cache; the service no
 * longer queries, and B stays here as a canary (a `todo`: reported, never failing the suite) for the SDK's fix
 * (docs/operations.md, "Queries").
 */

// Long enough for a second worker process to start (bundling the workflows) while the refund is parked.
const RECHECK_MS = 40_000;
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
    REFUND_RATE_LIMIT_PER_SECOND: '100',
    METRICS_PORT: String(await freePort()),
  });
  children.push(child);
  return child;
}

const pollers = async (taskQueue: string) =>
  (
    await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 1, // workflow
    })
  ).pollers.length;

async function assertReplays(handle: WorkflowHandle<typeof refundWorkflow>, workflowId: string) {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const accept = events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  const timerFired = events.filter((e) => e.timerFiredEventAttributes).at(-1);
  assert.ok(accept && timerFired, 'the timer fired and the update was accepted');
  const sequence = events
    .filter((e) => Number(e.eventId) > Number(timerFired.eventId))
    .slice(0, 8)
    .map((e) => `${String(e.eventId)} ${temporal.api.enums.v1.EventType[e.eventType ?? 0]}`)
    .join(', ');
  // The live worker's history must replay through the same code: the check every cold worker makes.
  await assert.doesNotReject(
    Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId),
    `history after the timer: ${sequence}`,
  );
}

it('refunds read while their re-check timer fired unseen by a dead worker, then repaired, write histories that replay', async (t) => {
  const taskQueue = uniqueId('cold-read');
  const first = await startWorker(taskQueue);
  const start = async () => {
    const fixture = uniqueFixture(loadFixture('flat-goodwill-10-usd'), { businessProductId: TOKENS.businessProductId });
    await sandbox.seed(fixture);
    const { workflowId } = await startOrJoinRefund(client, {
      orderId: fixture.bwpOrder.id,
      refundId: fixture.refundId,
      eventId: uniqueId('evt'),
      taskQueue,
      timing: { recheckInitialMs: RECHECK_MS, recheckMaxMs: RECHECK_MS },
    });
    return { workflowId, handle: client.workflow.getHandle<typeof refundWorkflow>(workflowId) };
  };
  const [a, b] = await Promise.all([start(), start()]);
  // Parked: the re-check timer is the last event.
  const timerStarted = (handle: WorkflowHandle) =>
    until(
      'the refund parked with its re-check timer started',
      async () => {
        const events = (await handle.fetchHistory()).events ?? [];
        const last = events.at(-1);
        if (!last?.timerStartedEventAttributes) return undefined;
        return Number(last.eventTime!.seconds) * 1000 + Math.round((last.eventTime!.nanos ?? 0) / 1e6);
      },
      60_000,
    );
  const timerStartedAt = Math.min(await timerStarted(a.handle), await timerStarted(b.handle));
  // The replacement polls before the first worker dies.
  await startWorker(taskQueue);
  await until('both workers polling', async () => (await pollers(taskQueue)) >= 2, 60_000);
  // Kill a few seconds before the timers fire, so the reads below span the fire.
  const killAt = timerStartedAt + RECHECK_MS - 4000;
  assert.ok(Date.now() < killAt, `the replacement took too long to start (${Date.now() - killAt} ms late)`);
  await new Promise((r) => setTimeout(r, killAt - Date.now()));
  first.kill('SIGKILL');
  await first.exited;
  const firesAt = timerStartedAt + RECHECK_MS + 1000;

  // A: as the API reads, until after the timer fired (answered at once: the server alone answers).
  const record = await until(
    'the memo read after the re-check timer fired',
    async () => {
      const r = await readRefund(client, a.workflowId, taskQueue);
      return Date.now() > firesAt ? r : undefined;
    },
    90_000,
  );
  assert.equal(record.view.status, RefundStatus.AWAITING_REPAIR);
  // B: a query, tried again while the server finds no live worker to answer, until one answered after the fire.
  const state = await until(
    'the query answered after the re-check timer fired',
    async () => {
      const answer = await b.handle.query(stateQuery).catch((err: Error) => {
        console.log(`# query failed (${Date.now() - killAt} ms after the kill): ${err.message}: ${String(err.cause)}`);
        return undefined;
      });
      return answer && Date.now() > firesAt ? answer : undefined;
    },
    90_000,
  );
  assert.equal(state.status, RefundStatus.AWAITING_REPAIR);

  for (const { handle } of [a, b]) {
    const accepted = await handle.executeUpdate(acceptSuggestionUpdate, {
      args: [{ operator: 'ops@test', requestId: uniqueId('req'), input: {} }],
    });
    assert.equal(accepted.accepted, true);
  }
  for (const { handle } of [a, b]) assert.equal((await handle.result()).status, RefundStatus.REFUNDED);

  await t.test('A (read from its memo, as the API reads) replays', () => assertReplays(a.handle, a.workflowId));
  await t.test(
    'B (read with a query while cached on a cold worker) replays',
    { todo: 'SDK 1.24: a query on a cold worker can cache a run ahead of its workflow task (docs/operations.md)' },
    () => assertReplays(b.handle, b.workflowId),
  );
});
