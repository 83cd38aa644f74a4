/**
 * AWAITING_SETTLEMENT: after the report, until Buy with Prime shows the refund out of PENDING, polled at growing
 * intervals (SETTLEMENT_TOO_LONG after a while). A resolve, a cancel or Temporal's cancellation ends the wait.
 */
import { condition } from '@temporalio/workflow';
import { RefundStatus } from '../refund.contract';
import { STOPPED, timerNow, type Run, type Transition } from '../refund-transition';
import { declined } from './deciding';

/** The refund's end when Buy with Prime already shows it out of PENDING (then there is nothing to wait for). */
export function settled(run: Run): Transition | undefined {
  const bwpState = run.state.bwpState;
  return bwpState === 'PENDING' || bwpState === undefined ? undefined : settledEnd(run);
}

export async function awaitingSettlement(run: Run): Promise<Transition> {
  const { state, inbox } = run;
  state.settlingSince ??= run.now();
  let interval = run.timing().settleInitialMs;
  let nextPoll = Date.now() + interval;
  while (state.bwpState === 'PENDING' || state.bwpState === undefined) {
    const attentionAt = inbox.hasAttention('SETTLEMENT_TOO_LONG')
      ? Infinity
      : Date.parse(state.settlingSince) + run.timing().settleAttentionAfterMs;
    const deadline = Math.min(nextPoll, attentionAt);
    const woken = await condition(
      () => inbox.recheckRequested || inbox.stopRequested(),
      Math.max(1, deadline - Date.now()),
    );
    if (inbox.stopRequested()) return { to: 'decide', otherwise: 'settle' };
    const now = timerNow(woken, deadline);
    if (now >= attentionAt)
      run.flag('SETTLEMENT_TOO_LONG', `Buy with Prime has shown the refund PENDING since ${state.settlingSince}`);
    if (inbox.recheckRequested || now >= nextPoll) {
      if (!inbox.recheckRequested) interval = Math.min(interval * 2, run.timing().settleMaxMs);
      inbox.recheckRequested = false;
      nextPoll = now + interval;
      const bwpState = await run.authenticated(() =>
        run
          .lookups()
          .checkRefundState.executeWithOptions({ ...run.lookupOptions(), summary: 'has the refund left PENDING?' }, [
            { orderId: state.orderId, refundId: state.refundId },
          ]),
      );
      if (bwpState === STOPPED) continue;
      if (bwpState === null)
        run.flag('REFUND_GONE_FROM_BWP', 'Buy with Prime no longer shows this refund on the order');
      else inbox.clear('REFUND_GONE_FROM_BWP');
      state.bwpState = bwpState ?? undefined;
    }
    await run.continueAsNewIfSuggested();
  }
  state.settlingSince = undefined;
  return settledEnd(run);
}

/** Declined (the decline applied), or refunded as Buy with Prime shows it (partly or wholly). */
function settledEnd(run: Run): Transition {
  const { state } = run;
  const decision = state.decision;
  if (decision?.kind === 'decline') return declined(run, decision);
  const rejected = state.attentions.find((a) => a.reason === 'REPORT_REJECTED');
  return {
    to: 'end',
    status: state.bwpState === 'PARTIAL' ? RefundStatus.PARTIALLY_REFUNDED : RefundStatus.REFUNDED,
    extra: {
      note: rejected
        ? `Buy with Prime rejected the report (${rejected.detail ?? ''}); it shows ${state.bwpState}`
        : undefined,
    },
  };
}
