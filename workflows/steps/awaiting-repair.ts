/**
 * AWAITING_REPAIR: parked until an operator acts, re-checking Buy with Prime at growing intervals (a refund settled
 * elsewhere ends) and flagging PARKED_TOO_LONG after a while. A repair reads the order again; resubmit-verified opens a
 * new revision (and key) first; a decision is applied; an operator's re-check of a key in doubt asks the store again
 * under that same key.
 */
import { condition } from '@temporalio/workflow';
import { RefundStatus } from '../refund.contract';
import { STOPPED, timerNow, type Run, type Transition } from '../refund-transition';

export async function awaitingRepair(run: Run): Promise<Transition> {
  const { state, inbox } = run;
  // A key in doubt never offers a resubmission: only resubmitVerified opens a new key.
  if (state.inDoubt) state.suggestion = undefined;
  let interval = run.timing().recheckInitialMs;
  let nextRecheck = Date.now() + interval;
  for (;;) {
    const attentionAt = inbox.hasAttention('PARKED_TOO_LONG')
      ? Infinity
      : Date.parse(state.parkedSince!) + run.timing().attentionAfterMs;
    const deadline = Math.min(nextRecheck, attentionAt);
    const woken = await condition(
      () => !!inbox.pendingRepair || !!inbox.resubmit || inbox.stopRequested() || inbox.recheckRequested,
      Math.max(1, deadline - Date.now()),
    );
    if (inbox.stopRequested()) return { to: 'decide', otherwise: 'park' };
    if (inbox.resubmit) {
      openVerifiedRevision(run);
      return { to: 'fetch' };
    }
    if (inbox.pendingRepair) return { to: 'fetch' };
    const now = timerNow(woken, deadline);
    if (now >= attentionAt) run.flag('PARKED_TOO_LONG', `parked since ${state.parkedSince}`);
    const asked = inbox.recheckRequested;
    if (asked || now >= nextRecheck) {
      if (!asked) interval = Math.min(interval * 2, run.timing().recheckMaxMs);
      inbox.recheckRequested = false;
      nextRecheck = now + interval;
      const bwpState = await run.authenticated(() =>
        run
          .lookups()
          .checkRefundState.executeWithOptions({ ...run.lookupOptions(), summary: 'is the refund still PENDING?' }, [
            { orderId: state.orderId, refundId: state.refundId },
          ]),
      );
      if (bwpState === STOPPED) continue;
      if (bwpState === null)
        run.flag('REFUND_GONE_FROM_BWP', 'Buy with Prime no longer shows this refund on the order');
      else inbox.clear('REFUND_GONE_FROM_BWP');
      if (bwpState && bwpState !== 'PENDING') {
        state.bwpState = bwpState;
        return {
          to: 'end',
          status: RefundStatus.RESOLVED_ELSEWHERE,
          extra: { note: `Buy with Prime shows the refund as ${bwpState}` },
        };
      }
      // What was recorded during the read goes first (a resubmission opens a new key; a decision ends the wait).
      if (inbox.pendingRepair || inbox.resubmit || inbox.stopRequested()) continue;
      // An operator's re-check of a key in doubt asks the store again under the same key and payload.
      if (asked && state.inDoubt?.reason === 'UNKNOWN_OUTCOME' && state.submission) return { to: 'submit' };
    }
    await run.continueAsNewIfSuggested();
  }
}

/** An operator verified that no money moved under the key in doubt: a new revision (and key) opens. */
function openVerifiedRevision(run: Run): void {
  const { state, inbox } = run;
  const { operator, requestId, note } = inbox.resubmit!;
  const doubt = state.inDoubt!;
  inbox.resubmit = undefined;
  state.inDoubt = undefined;
  state.submission = undefined;
  run.openRevision();
  inbox.audit({
    operator,
    action: 'resubmitVerified',
    accepted: true,
    requestId,
    via: 'workflow',
    detail: `verified that no money moved under ${doubt.idempotencyKey} (${doubt.reason}): ${note}; revision ${state.revision} opened`,
  });
}
