import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Problem } from '../../domain/problems';
import {
  cancelUpdate,
  declineUpdate,
  refundEventSignal,
  RefundStatus,
  repairSignal,
  repairUpdate,
  MEMO,
  SEARCH_ATTRIBUTES,
  stateQuery,
  type RefundView,
} from '../../workflows/refund.contract';
import { startOrJoinRefund } from '../../api/start-refund';
import { createHarness, recordHistory, TEST_POLICY, waitForState, type Harness } from '../helpers/harness';

/** Workflow behaviour on a real Temporal server, real workers, the real clients and the sandbox over real HTTP. */

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(async () => {
  await h?.close();
});

const parked = (s: { status: RefundStatus }) => s.status === RefundStatus.AWAITING_REPAIR;

function storeLedgerFor(order: string) {
  return h.sandbox.state.store.ledger().filter((e) => e.key.order === order);
}
function bwpLedgerFor(orderId: string) {
  return h.sandbox.state.bwp.ledger().filter((e) => e.orderId === orderId);
}

async function problemsOfRejectedUpdate(p: Promise<unknown>): Promise<Problem[]> {
  const err = await p.then(
    () => assert.fail('the update was accepted'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowUpdateFailedError, `expected WorkflowUpdateFailedError, got ${String(err)}`);
  assert.ok(err.cause instanceof ApplicationFailure);
  return err.cause.details?.[0] as Problem[];
}

describe('refund workflow', () => {
  it('when the refund is healthy, it refunds once, reports SUCCESS to BwP and finishes REFUNDED with the amount', async () => {
    const { fixture, handle } = await h.startRefund('healthy-single-sku');
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.REFUNDED);
    assert.ok(result.refunded, 'the result names the refunded amount');
    assert.match(result.refunded.amount, /^\d+\.\d{2}$/);
    assert.equal(result.bwpState, 'SUCCESS');
    const ledger = storeLedgerFor(fixture.storeOrder.id);
    assert.equal(ledger.length, 1, 'exactly one refund applied on the store');
    assert.equal(ledger[0]!.refunded.amount, result.refunded.amount);
    const reports = bwpLedgerFor(fixture.bwpOrder.id);
    assert.equal(reports.at(-1)?.state, 'SUCCESS');
    const described = await handle.describe();
    assert.equal(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.status), RefundStatus.REFUNDED);
    const view = described.memo?.[MEMO.view] as RefundView | undefined;
    assert.equal(view?.refunded?.amount, result.refunded.amount, 'the memo shows the amount refunded');
    assert.equal(view?.status, RefundStatus.REFUNDED, 'the memo shows the final status');
    assert.equal(view?.result?.status, RefundStatus.REFUNDED, 'and the result');
    await recordHistory(handle, 'healthy-with-memo');
  });

  it('when the refund has no item-level detail (flat goodwill), it waits for repair and finishes after the suggested repair', async () => {
    const { fixture, handle } = await h.startRefund('flat-goodwill-10-usd');
    const state = await waitForState(handle, parked);
    assert.ok(
      state.problems.some((p) => p.code === 'MISSING_ITEM_DETAIL'),
      JSON.stringify(state.problems),
    );
    assert.ok(state.suggestion, 'a suggested repair is offered');
    const described = await handle.describe();
    assert.equal(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.status), RefundStatus.AWAITING_REPAIR);
    assert.ok(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.problemCodes)?.includes('MISSING_ITEM_DETAIL'));

    const accepted = await handle.executeUpdate(repairUpdate, {
      args: [{ operator: 'alice', input: state.suggestion.repair }],
    });
    assert.equal(accepted.plan.report.lines.length, 3, 'the $10 is split over the three SKUs');
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.REFUNDED);
    assert.equal(result.refunded?.amount, '10.00');
    assert.equal(storeLedgerFor(fixture.storeOrder.id).length, 1);
    const report = bwpLedgerFor(fixture.bwpOrder.id).at(-1)!;
    assert.equal(report.refundFor?.lineItemIds.length, 3, 'BwP is told the three refunded lines');
    const final = await handle.query(stateQuery);
    assert.ok(final.audit.some((a) => a.operator === 'alice' && a.action === 'repair' && a.accepted));
    await recordHistory(handle, 'goodwill-repaired');
  });

  for (const [fixture, code] of [
    ['blank-quantity', 'MISSING_QUANTITY'],
    ['line-removed-from-store', 'UNKNOWN_LINE_ITEMS'],
    ['amount-above-order', 'AMOUNT_EXCEEDS_ORDER_REMAINING'],
    ['shipping-already-refunded', 'SHIPPING_ALREADY_REFUNDED'],
    ['mixed-preorder-checkout', 'MIXED_PREORDER_CHECKOUT'],
  ] as const) {
    it(`when the refund has ${code} (${fixture}), it parks with that problem and a bad repair is rejected without failing it`, async () => {
      const { handle } = await h.startRefund(fixture);
      const state = await waitForState(handle, parked);
      assert.ok(
        state.problems.some((p) => p.code === code),
        `expected ${code}, got ${state.problems.map((p) => p.code).join(', ')}`,
      );
      // An empty repair is invalid: the update answers with problems, the workflow keeps waiting.
      const problems = await problemsOfRejectedUpdate(
        handle.executeUpdate(repairUpdate, { args: [{ operator: 'bob', input: { lines: [] } }] }),
      );
      assert.ok(problems.length > 0);
      // The same bad repair as a signal is recorded, and the refund stays parked.
      await handle.signal(repairSignal, { operator: 'bob', requestId: 'sig-1', input: { lines: [] } });
      const after = await waitForState(handle, (s) =>
        s.audit.some((a) => a.action === 'repair' && !a.accepted && a.problems),
      );
      assert.equal(after.status, RefundStatus.AWAITING_REPAIR);
      await handle.executeUpdate(cancelUpdate, { args: [{ operator: 'bob', input: { note: 'test done' } }] });
      assert.equal((await handle.result()).status, RefundStatus.CANCELLED);
      await recordHistory(handle, `invalid-repair-then-cancel-${fixture}`);
    });
  }

  it('an unknown reason is an advisory by default: recorded, and the refund goes out', async () => {
    const { fixture, handle } = await h.startRefund('reason-unknown');
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.REFUNDED);
    assert.equal(storeLedgerFor(fixture.storeOrder.id).length, 1);
    const final = await handle.query(stateQuery);
    assert.deepEqual(
      final.advisories?.map((p) => p.code),
      ['REASON_UNKNOWN'],
    );
    assert.deepEqual(final.problems, []);
  });

  it('with REASON_RULES_BLOCK an unknown reason parks the refund with REASON_UNKNOWN', async () => {
    const blocking = await createHarness({ policy: { ...TEST_POLICY, reasonRulesBlock: true } });
    try {
      const { handle } = await blocking.startRefund('reason-unknown');
      const state = await waitForState(handle, parked);
      assert.deepEqual(
        state.problems.map((p) => p.code),
        ['REASON_UNKNOWN'],
      );
      await handle.executeUpdate(cancelUpdate, { args: [{ operator: 'bob', input: { note: 'test done' } }] });
      assert.equal((await handle.result()).status, RefundStatus.CANCELLED);
    } finally {
      await blocking.close();
    }
  });

  it('when a blank quantity is repaired with the suggestion, the refund completes', async () => {
    const { fixture, handle } = await h.startRefund('blank-quantity');
    const state = await waitForState(handle, parked);
    assert.ok(state.suggestion, 'blank quantities are filled in by the suggestion');
    await handle.executeUpdate(repairUpdate, { args: [{ operator: 'carol', input: state.suggestion.repair }] });
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.REFUNDED);
    assert.equal(storeLedgerFor(fixture.storeOrder.id).length, 1);
  });

  it('when the operator declines, it reports FAILURE with the status reason and finishes DECLINED; nothing is refunded', async () => {
    const { fixture, handle } = await h.startRefund('flat-goodwill-10-usd');
    await waitForState(handle, parked);
    // The update answers at once with what it recorded; the outcome follows in the result (and the state query).
    const accepted = await handle.executeUpdate(declineUpdate, {
      args: [{ operator: 'dave', input: { statusReason: 'FRAUDULENT_RETURN_ATTEMPT' } }],
    });
    assert.equal(accepted.accepted, true);
    assert.equal(accepted.action, 'decline');
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.DECLINED);
    assert.equal(result.statusReason, 'FRAUDULENT_RETURN_ATTEMPT');
    assert.equal(storeLedgerFor(fixture.storeOrder.id).length, 0);
    assert.equal(bwpLedgerFor(fixture.bwpOrder.id).at(-1)?.state, 'FAILURE');
    await recordHistory(handle, 'declined');
  });

  it('when the refund leaves PENDING elsewhere while parked, it ends RESOLVED_ELSEWHERE', async () => {
    const { fixture, handle } = await h.startRefund('flat-goodwill-10-usd');
    await waitForState(handle, parked);
    h.sandbox.state.bwp.setRefundState({ orderId: fixture.bwpOrder.id, refundId: fixture.refundId, state: 'SUCCESS' });
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.RESOLVED_ELSEWHERE);
    assert.equal(storeLedgerFor(fixture.storeOrder.id).length, 0);
    await recordHistory(handle, 'resolved-elsewhere');
  });

  it('when a later event arrives while parked, it re-checks BwP at once', async () => {
    const { fixture, handle } = await h.startRefund('flat-goodwill-10-usd', { timing: { recheckInitialMs: 3600_000 } });
    await waitForState(handle, parked);
    h.sandbox.state.bwp.setRefundState({ orderId: fixture.bwpOrder.id, refundId: fixture.refundId, state: 'SUCCESS' });
    await handle.signal(refundEventSignal, { eventId: 'late', descriptor: 'REFUND_REQUESTED' });
    assert.equal((await handle.result()).status, RefundStatus.RESOLVED_ELSEWHERE);
  });

  it('when POST /refund is throttled (429), it retries after Retry-After with the same key and refunds once', async () => {
    h.sandbox.state.store.setFaults({ throttleBurst: 2, retryAfterSeconds: 1 });
    const { fixture, handle } = await h.startRefund('healthy-single-sku');
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.REFUNDED);
    assert.equal(storeLedgerFor(fixture.storeOrder.id).length, 1);
    const state = await handle.query(stateQuery);
    assert.equal(new Set(state.attempts.map((a) => a.idempotencyKey)).size, 1);
    await recordHistory(handle, 'throttled-then-refunded');
  });

  it('when the store applies the refund but the answer is lost (commit-then-fail), it retries with the same key and money moves once', async () => {
    h.sandbox.state.store.setFaults({ commitThenFail: { count: 1, mode: '502', holdMs: 0 } });
    const since = Date.now();
    const { fixture, handle } = await h.startRefund('healthy-multi-sku');
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.REFUNDED);
    const ledger = storeLedgerFor(fixture.storeOrder.id);
    assert.equal(ledger.length, 1, 'refunded exactly once');
    assert.equal(result.refunded?.amount, ledger[0]!.refunded.amount);
    const calls = h.sandbox.state.store.requests().filter((r) => r.path === '/admin/api/v1/refund' && r.at >= since);
    assert.ok(calls.length >= 2, 'the call was retried after the lost answer');
    assert.match(ledger[0]!.key.id, /-r1$/, 'the retry used the first (and only) idempotency key');
    const state = await handle.query(stateQuery);
    assert.deepEqual([...new Set(state.attempts.map((a) => a.idempotencyKey))], [ledger[0]!.key.id]);
    await recordHistory(handle, 'commit-then-fail');
  });

  it('when the store rejects definitively (REFUND_FAILED after retries), it parks with the problem and a repair resubmits under a new key', async () => {
    h.sandbox.state.store.setFaults({ paymentFailure: 3 });
    const { fixture, handle } = await h.startRefund('healthy-single-sku');
    const state = await waitForState(handle, parked);
    assert.ok(
      state.problems.some((p) => p.code === 'REFUND_FAILED'),
      JSON.stringify(state.problems),
    );
    assert.equal(state.revision, 2, 'a definitive rejection opens a new plan revision');
    assert.ok(state.suggestion, 'the original plan is offered again as the suggestion');
    await handle.executeUpdate(repairUpdate, { args: [{ operator: 'erin', input: state.suggestion.repair }] });
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.REFUNDED);
    const ledger = storeLedgerFor(fixture.storeOrder.id);
    assert.equal(ledger.length, 1);
    assert.match(ledger[0]!.key.id, /-r2$/);
    await recordHistory(handle, 'rejected-then-repaired');
  });

  it('when nobody repairs for the configured time, it flags NeedsAttention and keeps waiting', async () => {
    const { handle } = await h.startRefund('blank-quantity', { timing: { attentionAfterMs: 1500 } });
    const state = await waitForState(handle, (s) => s.needsAttention);
    assert.equal(state.status, RefundStatus.AWAITING_REPAIR);
    const described = await handle.describe();
    assert.equal(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.needsAttention), true);
    await handle.executeUpdate(cancelUpdate, { args: [{ operator: 'frank', input: {} }] });
    assert.equal((await handle.result()).status, RefundStatus.CANCELLED);
    await recordHistory(handle, 'needs-attention-then-cancelled');
  });

  it('a duplicate event joins the running workflow and a late one for a finished refund is ignored: one run, one refund', async () => {
    const { fixture, handle, workflowId } = await h.startRefund('flat-goodwill-10-usd');
    await waitForState(handle, parked);
    const event = { orderId: fixture.bwpOrder.id, refundId: fixture.refundId, taskQueue: h.taskQueue };
    const duplicate = await startOrJoinRefund(h.client, { ...event, eventId: 'dup' });
    assert.deepEqual(duplicate, { workflowId, outcome: 'joined' });
    await handle.executeUpdate(cancelUpdate, { args: [{ operator: 'hal', input: {} }] });
    await handle.result();
    const late = await startOrJoinRefund(h.client, { ...event, eventId: 'late' });
    assert.deepEqual(late, { workflowId, outcome: 'finished' });
    const runs = [];
    for await (const w of h.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs.push(w);
    assert.equal(runs.length, 1, 'the same refund never runs twice');
  });

  it('a decision is refused once the refund is no longer waiting for an operator', async () => {
    const { handle } = await h.startRefund('healthy-single-sku');
    await handle.result();
    await assert.rejects(handle.executeUpdate(cancelUpdate, { args: [{ operator: 'gina', input: {} }] }));
  });
});
