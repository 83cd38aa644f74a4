import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createLogger } from '../../common/logger';
import { findTemporalCli, startDevServer, type DevServer } from '../../tools/temporal/dev-server';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Fixture } from '../../sandbox';
import {
  declineUpdate,
  FailureType,
  RefundStatus,
  repairSignal,
  repairUpdate,
  SEARCH_ATTRIBUTES,
  stateQuery,
} from '../../workflows/refund.contract';
import { createOrderReader, readRefund } from '../../api/refund-reads';
import { createHarness, recordHistory, waitForState, type Harness } from '../helpers/harness';

/**
 * Long life: a refund parked for days keeps re-checking BwP, so its history grows. When the server suggests it, the
 * workflow continues as new, carrying its state and audit trail, and still finishes after a repair. This suite runs its
 * own dev server with a tiny history limit so the suggestion comes within seconds.
 */

let server: DevServer;
let h: Harness;
before(async () => {
  const log = createLogger({ level: 'warn', pretty: false });
  server = await startDevServer({
    cli: await findTemporalCli({ cliPath: process.env.TEMPORAL_CLI || undefined, log }),
    headless: true,
    log,
    extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=40'],
  });
  h = await createHarness({ address: server.address });
});
after(async () => {
  await h?.close();
  await server?.stop();
});

it('when a parked refund history grows past the suggested size, it continues as new with its state and still finishes', async () => {
  const { handle } = await h.startRefund('flat-goodwill-10-usd', {
    timing: { recheckInitialMs: 100, recheckMaxMs: 100 },
  });
  const parked = await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
  const firstRunId = (await handle.describe()).runId;
  await handle.signal(repairSignal, { operator: 'ops', requestId: 'bad-1', input: { lines: [] } });

  // Re-checks every 100 ms: ~40 events arrive within seconds and the server suggests continue-as-new.
  const deadline = Date.now() + 60_000;
  let runId = firstRunId;
  while (runId === firstRunId && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    runId = (await handle.describe()).runId;
  }
  assert.notEqual(runId, firstRunId, 'the workflow continued as new');
  // The continued run starts with the refund's memo and search attributes as they were, not the first run's start ones.
  const record = await readRefund(h.client, handle.workflowId, h.taskQueue);
  assert.equal(record.runId, runId);
  assert.ok(record.published, 'the continued run carries the memo');
  assert.equal(record.view.status, RefundStatus.AWAITING_REPAIR);
  assert.equal(record.view.parkedSince, parked.parkedSince);
  assert.ok(record.detail.suggestion, 'the suggestion is in the memo');
  assert.ok(record.trail.audit.some((a) => a.requestId === 'bad-1' && !a.accepted));
  const described = await handle.describe();
  assert.equal(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.status), RefundStatus.AWAITING_REPAIR);
  // The order for the repair form: from the history of the continued run (its start input, or a read since).
  const read = await createOrderReader().read(h.client, record);
  assert.ok(read.orders?.order, 'the repair form finds the order in the continued run');

  const carried = await handle.query(stateQuery);
  assert.equal(carried.status, RefundStatus.AWAITING_REPAIR);
  assert.equal(carried.parkedSince, parked.parkedSince, 'the time parked is carried over');
  assert.ok(
    carried.audit.some((a) => a.operator === 'ops' && !a.accepted),
    'the audit trail is carried over',
  );
  assert.ok(carried.suggestion);

  await handle.executeUpdate(repairUpdate, { args: [{ operator: 'ops', input: carried.suggestion.repair }] });
  const result = await handle.result();
  assert.equal(result.status, RefundStatus.REFUNDED);
  assert.equal(result.refunded?.amount, '10.00');
  await noWorkflowTaskFailed(handle);
  await recordHistory(handle, 'continue-as-new-carried');
});

async function runsOf(workflowId: string): Promise<number> {
  let n = 0;
  for await (const _ of h.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) n++;
  return n;
}

async function continuedAsNew(handle: WorkflowHandle, times = 1): Promise<void> {
  const seen = new Set([(await handle.describe()).runId]);
  const deadline = Date.now() + 60_000;
  while (seen.size <= times && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    seen.add((await handle.describe()).runId);
  }
  assert.ok(seen.size > times, `the workflow continued as new ${times} time(s)`);
}

async function noWorkflowTaskFailed(handle: WorkflowHandle) {
  const history = await handle.fetchHistory();
  assert.ok(!history.events?.some((e) => e.workflowTaskFailedEventAttributes), 'no WorkflowTaskFailed event');
}

function withoutRefund(f: Fixture): Fixture['bwpOrder'] {
  const order = structuredClone(f.bwpOrder);
  order.refunds.details = order.refunds.details.filter((r) => r.id !== f.refundId);
  return order;
}

it('a decision signalled while a re-check activity runs, with continue-as-new forced, is applied in the new run and no money moves', async () => {
  // Slow BwP reads: a re-check is in flight most of the time.
  h.sandbox.state.bwp.setFaults({ latencyMs: 300 });
  try {
    const { fixture, handle, workflowId } = await h.startRefund('flat-goodwill-10-usd', {
      timing: { recheckInitialMs: 100, recheckMaxMs: 100 },
    });
    await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
    await continuedAsNew(handle);
    const deadline = Date.now() + 30_000;
    while ((await handle.describe()).raw.pendingActivities?.length !== 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    // As the Temporal UI or CLI would: a raw signal by name.
    await h.client.workflow.getHandle(workflowId).signal('decline', {
      operator: 'ops',
      requestId: 'decline-during-recheck',
      input: { statusReason: 'FRAUDULENT_RETURN_ATTEMPT' },
    });
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.DECLINED);
    assert.equal(result.moneyMoved, false);
    assert.equal(h.sandbox.state.store.ledger().filter((e) => e.key.order === fixture.storeOrder.id).length, 0);
    assert.equal(
      h.sandbox.state.bwp
        .ledger()
        .filter((e) => e.orderId === fixture.bwpOrder.id)
        .at(-1)?.state,
      'FAILURE',
    );
    assert.ok((await runsOf(workflowId)) >= 2);
    await noWorkflowTaskFailed(handle);
    await recordHistory(handle, 'decision-by-signal');
  } finally {
    h.sandbox.state.bwp.setFaults({ latencyMs: 0 });
  }
});

it('a decline by update during settlement polling, with continue-as-new forced, answers at once (refused: money moved) and the refund completes', async () => {
  h.sandbox.state.store.setFaults({ latencyMs: 800 });
  try {
    const { fixture, handle } = await h.startRefund('healthy-single-sku', {
      timing: { settleInitialMs: 100, settleMaxMs: 100 },
    });
    await waitForState(handle, (s) => s.status === RefundStatus.SUBMITTING);
    h.sandbox.state.bwp.seedOrder(withoutRefund(fixture));
    await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_SETTLEMENT);
    await continuedAsNew(handle);
    const refused = await handle
      .executeUpdate(declineUpdate, { args: [{ operator: 'ops', input: { statusReason: 'OTHERS' } }] })
      .then(
        () => assert.fail('a decline after money moved is refused'),
        (e: unknown) => (e as { cause?: unknown }).cause,
      );
    assert.ok(refused instanceof ApplicationFailure);
    assert.equal(refused.type, FailureType.NotAllowed);
    assert.match(refused.message, /already refunded/);
    await continuedAsNew(handle);
    h.sandbox.state.bwp.seedOrder(fixture.bwpOrder, { externalRefundIds: fixture.externalRefundIds });
    h.sandbox.state.bwp.setRefundState({ orderId: fixture.bwpOrder.id, refundId: fixture.refundId, state: 'SUCCESS' });
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.REFUNDED);
    assert.equal(h.sandbox.state.store.ledger().filter((e) => e.key.order === fixture.storeOrder.id).length, 1);
    await noWorkflowTaskFailed(handle);
    await recordHistory(handle, 'settlement-polling');
  } finally {
    h.sandbox.state.store.setFaults({ latencyMs: 0 });
  }
});

it('a decline by update whose report waits in settlement across continue-as-new completes DECLINED', async () => {
  const { fixture, handle } = await h.startRefund('flat-goodwill-10-usd', {
    timing: { recheckInitialMs: 3600_000, settleInitialMs: 100, settleMaxMs: 100 },
  });
  await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
  // The refund vanishes from BwP: the FAILURE report is rejected, settlement polls until it is back.
  h.sandbox.state.bwp.seedOrder(withoutRefund(fixture));
  const accepted = await handle.executeUpdate(declineUpdate, {
    args: [{ operator: 'ops', input: { statusReason: 'OTHERS', note: 'not ours' } }],
  });
  assert.equal(accepted.accepted, true, 'the update answers at once');
  await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_SETTLEMENT);
  await continuedAsNew(handle);
  h.sandbox.state.bwp.seedOrder(fixture.bwpOrder, { externalRefundIds: fixture.externalRefundIds });
  h.sandbox.state.bwp.setRefundState({ orderId: fixture.bwpOrder.id, refundId: fixture.refundId, state: 'FAILURE' });
  const result = await handle.result();
  assert.equal(result.status, RefundStatus.DECLINED);
  assert.equal(result.statusReason, 'OTHERS');
  assert.equal(h.sandbox.state.store.ledger().filter((e) => e.key.order === fixture.storeOrder.id).length, 0);
  await noWorkflowTaskFailed(handle);
  await recordHistory(handle, 'decision-by-update');
});
