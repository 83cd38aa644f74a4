import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Fixture } from '../../sandbox';
import {
  acceptSuggestionUpdate,
  declineUpdate,
  recheckUpdate,
  refundIdempotencyKey,
  RefundStatus,
  resubmitVerifiedUpdate,
  stateQuery,
} from '../../workflows/refund.contract';
import { recordHistory, createHarness, waitForState, type Harness } from '../helpers/harness';
import { until } from '../helpers/processes';

/**
 * Messages recorded while the workflow is busy reading Buy with Prime (a re-check under way): each must be applied, or
 * audited as not applied with the reason, never dropped in silence. Each test holds the read open with the simulator's
 * latency, sends its messages once the read's activity is scheduled, then lets the read answer.
 */

let h: Harness;
let blind: Harness;
before(async () => {
  h = await createHarness();
  blind = await createHarness({ readStoreOrder: false });
});
after(async () => {
  await Promise.all([h?.close(), blind?.close()]);
});

type Handle = WorkflowHandle;
const READ_LATENCY_MS = 1_500;
/** Past the harness clients' 3 s timeout: each attempt of a read fails. */
const FAILING_READ_LATENCY_MS = 5_000;

/** The number of `checkRefundState` activities scheduled so far. */
async function checksScheduled(handle: Handle): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'checkRefundState').length;
}

/** Sends a re-check with Buy with Prime slow to answer; resolves once the read is scheduled (and still in flight). */
async function recheckHeldOpen(x: Harness, handle: Handle): Promise<void> {
  const before = await checksScheduled(handle);
  x.sandbox.state.bwp.setFaults({ latencyMs: READ_LATENCY_MS });
  await handle.executeUpdate(recheckUpdate, { args: [{ operator: 'ops', input: {} }] });
  await until('the re-check read scheduled', async () => (await checksScheduled(handle)) > before, 10_000);
}

const ledger = (x: Harness, f: Fixture) =>
  x.sandbox.state.store.ledger().filter((e) => e.key.order === f.storeOrder.id);

describe('messages recorded during a re-check read', () => {
  it('resubmit-verified recorded during the re-check of a key in doubt: the new key goes out, never the old one again', async () => {
    const { fixture, handle } = await blind.startRefund('healthy-single-sku', {
      // The line was refunded on the store by hand: every answer that gets through is 400 NOT_ENOUGH_ITEMS_LEFT.
      mutate: (f) => {
        for (const line of f.storeOrder.lineItems) line.refundedQuantity = line.quantity;
      },
      timing: { unknownOutcomeRetries: 1, recheckInitialMs: 3_600_000, recheckMaxMs: 3_600_000 },
    });
    blind.sandbox.state.store.setFaults({ latencyMs: 2600 });
    try {
      await waitForState(handle, (s) => s.attempts.some((a) => a.outcome === 'unknown'), 30_000);
    } finally {
      blind.sandbox.state.store.setFaults({ latencyMs: 0 });
    }
    const parked = await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR && !!s.inDoubt);
    assert.equal(parked.inDoubt?.reason, 'UNKNOWN_OUTCOME');
    const oldKey = refundIdempotencyKey(fixture.bwpOrder.id, fixture.refundId, 1);

    // The re-check of a key in doubt would ask the store again under the old key after the read...
    await recheckHeldOpen(blind, handle);
    // ...but the operator verified meanwhile that nothing moved: a new key must go out, not the old one.
    await handle.executeUpdate(resubmitVerifiedUpdate, {
      args: [{ operator: 'vera', input: { verifiedNoMoneyMoved: true, note: 'store admin shows no refund' } }],
    });
    const resubmittedAt = new Date().toISOString();
    blind.sandbox.state.bwp.setFaults({ latencyMs: 0 });

    // Under the new key the 400 is definitive: revision 2 rejected, revision 3 parked with the problem.
    const next = await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR && s.revision === 3);
    const afterResubmit = next.attempts.filter((a) => a.at >= resubmittedAt);
    assert.ok(afterResubmit.length > 0, 'the new key went out');
    assert.ok(
      afterResubmit.every((a) => a.idempotencyKey !== oldKey),
      `no attempt under ${oldKey} after the resubmission: ${JSON.stringify(afterResubmit)}`,
    );
    assert.ok(next.audit.some((a) => a.action === 'resubmitVerified' && a.via === 'workflow' && a.accepted));
    await handle.executeUpdate(declineUpdate, {
      args: [{ operator: 'ops', input: { statusReason: 'REFUND_ALREADY_PROCESSED' } }],
    });
    assert.equal((await handle.result()).status, RefundStatus.DECLINED);
    assert.equal(ledger(blind, fixture).length, 0);
    await recordHistory(handle, 'resubmit-during-recheck');
  });

  it('a repair recorded during a read that finds the refund settled elsewhere is audited as not applied', async () => {
    const { fixture, handle } = await h.startRefund('flat-goodwill-10-usd', {
      timing: { recheckInitialMs: 3_600_000, recheckMaxMs: 3_600_000 },
    });
    await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR && !!s.suggestion);
    await recheckHeldOpen(h, handle);
    h.sandbox.state.bwp.setRefundState({ orderId: fixture.bwpOrder.id, refundId: fixture.refundId, state: 'SUCCESS' });
    const accepted = await handle.executeUpdate(acceptSuggestionUpdate, {
      args: [{ operator: 'ann', requestId: 'ann-accept-1', input: {} }],
    });
    assert.equal(accepted.accepted, true, 'recorded: the refund was parked when it arrived');
    h.sandbox.state.bwp.setFaults({ latencyMs: 0 });

    const result = await handle.result();
    assert.equal(result.status, RefundStatus.RESOLVED_ELSEWHERE);
    const audit = (await handle.query(stateQuery)).audit.filter((a) => a.requestId === 'ann-accept-1');
    const notApplied = audit.find((a) => a.via === 'workflow' && !a.accepted);
    assert.ok(notApplied, `the repair is audited as not applied: ${JSON.stringify(audit)}`);
    assert.equal(notApplied.operator, 'ann');
    assert.ok(notApplied.problems?.some((p) => p.code === 'REFUND_NOT_PENDING'));
    assert.equal(ledger(h, fixture).length, 0, 'nothing was refunded');
    await recordHistory(handle, 'repair-during-settling-read');
  });

  it('a decline recorded, then the workflow cancelled in Temporal: it ends CANCELLED and the decline is audited as not applied', async () => {
    const { fixture, handle } = await h.startRefund('flat-goodwill-10-usd', {
      timing: { recheckInitialMs: 3_600_000, recheckMaxMs: 3_600_000 },
    });
    await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
    await recheckHeldOpen(h, handle);
    await handle.executeUpdate(declineUpdate, {
      args: [{ operator: 'dan', requestId: 'dan-decline-1', input: { statusReason: 'OTHERS' } }],
    });
    await handle.cancel();
    h.sandbox.state.bwp.setFaults({ latencyMs: 0 });

    const result = await handle.result();
    assert.equal(result.status, RefundStatus.CANCELLED);
    const state = await handle.query(stateQuery);
    const decline = state.audit.filter((a) => a.requestId === 'dan-decline-1');
    const notApplied = decline.find((a) => a.via === 'workflow' && !a.accepted);
    assert.ok(notApplied, `the decline is audited as not applied: ${JSON.stringify(decline)}`);
    assert.ok(notApplied.problems?.some((p) => p.message.includes('cancelled in Temporal')));
    assert.ok(state.audit.some((a) => a.action === 'temporalCancel' && a.accepted));
    const reports = h.sandbox.state.bwp.ledger().filter((e) => e.orderId === fixture.bwpOrder.id);
    assert.equal(reports.length, 0, 'no FAILURE was reported for the decline');
    await recordHistory(handle, 'decline-then-temporal-cancel');
  });

  it('a Temporal cancel while the read is failing (Buy with Prime slower than the client allows): it ends CANCELLED, not failed', async () => {
    const { fixture, handle } = await h.startRefund('flat-goodwill-10-usd', {
      timing: { recheckInitialMs: 3_600_000, recheckMaxMs: 3_600_000 },
    });
    await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
    // Every attempt outlives the harness clients' 3 s timeout: the re-check's read fails and is retried.
    h.sandbox.state.bwp.setFaults({ latencyMs: FAILING_READ_LATENCY_MS });
    await handle.executeUpdate(recheckUpdate, { args: [{ operator: 'ops', input: {} }] });
    await until(
      'a retry of the failed re-check read under way',
      async () =>
        ((await handle.describe()).raw.pendingActivities ?? []).some(
          (a) =>
            (a.attempt ?? 0) >= 2 &&
            a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
        ),
      20_000,
    );
    // The server does not retry an activity once its cancel is requested: it ends it with the last failure (retry
    // state CANCEL_REQUESTED), not with a cancellation. That too is Temporal's cancel, and what the refund ends with.
    await handle.cancel();
    h.sandbox.state.bwp.setFaults({ latencyMs: 0 });

    const result = await handle.result();
    assert.equal(result.status, RefundStatus.CANCELLED);
    const state = await handle.query(stateQuery);
    assert.ok(state.audit.some((a) => a.action === 'temporalCancel' && a.accepted));
    assert.equal(ledger(h, fixture).length, 0, 'nothing was refunded');
    await recordHistory(handle, 'cancel-during-failing-read');
  });
});
