/**
 * REPORTING: tell Buy with Prime what happened (updateOrder): the money the store refunded, or a decline (FAILURE with
 * the operator's status reason). Runs shielded from cancellation (the run's loop). Money may already have moved, so a
 * definitive rejection by Buy with Prime never fails the refund: it is flagged REPORT_REJECTED and the refund goes on
 * waiting for Buy with Prime to leave PENDING (fixed by hand there).
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { buildDeclinedUpdate, buildRefundedUpdate, reportedRefund } from '../../domain/bwp-report';
import { orderCurrency } from '../../domain/context';
import type { RefundStatusReason, UpdateOrderInput } from '../../domain/schemas/bwp';
import { FailureType, type RecordedDecision } from '../refund.contract';
import { STOPPED, type Run, type Transition } from '../refund-transition';

export async function reporting(run: Run): Promise<Transition> {
  const decision = run.state.decision;
  if (decision?.kind === 'decline') {
    await reportDecline(run, decision);
    return { to: 'settle' };
  }
  await reportRefunded(run);
  return run.inbox.stopRequested() ? { to: 'decide', otherwise: 'settle' } : { to: 'settle' };
}

/** The money the store refunded, under the key it was refunded with. */
async function reportRefunded(run: Run): Promise<void> {
  const { state, inbox } = run;
  const refund = run.refundOf();
  if (!refund) {
    // Money moved but there is nothing to report against: a person must look; never fail the refund.
    run.flag('REFUND_GONE_FROM_BWP', 'the refund is no longer on the BwP order; the money moved is not reported');
    return;
  }
  const update = buildRefundedUpdate({
    orderId: state.orderId,
    refund,
    plan: state.plan!,
    refunded: state.refunded!,
    storeRefundId: state.idempotencyKey,
    paymentMethod: inbox.policy?.paymentMethod,
  });
  const first = reportedRefund(update);
  await report(run, update, `updateOrder ${first.state}, total ${first.refundTotal.totalAmount.amount}`);
}

/** A decline: FAILURE with the operator's status reason (the deciding step only gets here when the refund is on BwP). */
async function reportDecline(run: Run, decision: RecordedDecision): Promise<void> {
  const { state, inbox } = run;
  const statusReason = String(decision.input.statusReason) as RefundStatusReason;
  // Nothing was refunded, so the currency only labels the zero total; the order's own when it has one.
  const currency = (inbox.orders?.order && orderCurrency(inbox.orders.order, inbox.orders.storeOrder)) ?? 'USD';
  const update = buildDeclinedUpdate({ orderId: state.orderId, refund: run.refundOf()!, currency, statusReason });
  await report(run, update, `updateOrder FAILURE ${statusReason}`);
}

async function report(run: Run, update: UpdateOrderInput, summary: string): Promise<void> {
  try {
    const reported = await run.authenticated(
      () => run.lookups().reportToBwp.executeWithOptions({ ...run.lookupOptions(), summary }, [{ update }]),
      { untilDone: true },
    );
    if (reported !== STOPPED) run.state.bwpState = reported;
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
    const detail = cause?.message ?? err.message;
    run.flag(cause?.type === FailureType.MalformedRequest ? 'MALFORMED_REQUEST' : 'REPORT_REJECTED', detail);
  }
}
