/**
 * FETCHING: read the order afresh (Buy with Prime's and the store's) and decide. Settled elsewhere: the refund ends.
 * A repair recorded while parked is validated again against this read. Problems: park (with a suggested repair when one
 * passes the rules). None: submit the plan. A decision recorded during the read goes first.
 */
import { formatDecimal } from '../../domain/money';
import { problem, type Problem } from '../../domain/problems';
import type { RefundPlan } from '../../domain/plan';
import type { RepairInput } from '../../domain/schemas/repair';
import { suggestRepair } from '../../domain/suggest';
import { validateRefund, validateRepair } from '../../domain/validate';
import { RefundStatus } from '../refund.contract';
import { STOPPED, type Run, type Transition } from '../refund-transition';

export async function fetching(run: Run, extraProblems: Problem[] = []): Promise<Transition> {
  const { state, inbox } = run;
  const read = await run.authenticated(() =>
    run
      .lookups()
      .fetchRefundContext.executeWithOptions(
        { ...run.lookupOptions(), summary: `read BwP order ${state.orderId} and its store order` },
        [{ orderId: state.orderId }],
      ),
  );
  // A decision recorded while the credentials were refused: applied now (nothing was read).
  if (read === STOPPED) return { to: 'decide', otherwise: 'park' };
  inbox.orders = { order: read.order, storeOrder: read.storeOrder, storeOrderId: read.storeOrderId };
  // A reader of the memo caches the order it reads from the history by this number.
  state.orderReads = (state.orderReads ?? 0) + 1;
  inbox.policy = read.policy;
  if (read.timing) inbox.workerTiming = read.timing;
  state.storeOrderId = read.storeOrderId;
  const refund = run.refundOf();
  state.bwpState = refund?.state;
  if (refund && refund.state !== 'PENDING') {
    return {
      to: 'end',
      status: RefundStatus.RESOLVED_ELSEWHERE,
      extra: { note: `Buy with Prime shows the refund as ${refund.state}` },
    };
  }
  const next = plan(run, extraProblems);
  // Before anything can move money: a decision recorded meanwhile is applied first.
  return inbox.stopRequested() ? { to: 'decide', otherwise: next } : { to: next };
}

/** Validates the refund (or the repair recorded for it) against the read and keeps the verdict in the state. */
function plan(run: Run, extraProblems: Problem[]): 'submit' | 'park' {
  const { state, inbox } = run;
  const repair = inbox.pendingRepair;
  inbox.pendingRepair = undefined;
  const context = inbox.refundContext();
  const verdict = context
    ? repair
      ? validateRepair(context, repair.input)
      : validateRefund(context)
    : { problems: [problem('UNKNOWN_ORDER', `Buy with Prime has no order ${state.orderId}.`, { field: 'order' })] };
  state.problems = [...extraProblems, ...verdict.problems];
  state.advisories = verdict.advisories?.length ? verdict.advisories : undefined;
  if (state.problems.length === 0 && verdict.plan) {
    state.plan = { ...verdict.plan, revision: state.revision };
    state.suggestion = undefined;
    return 'submit';
  }
  if (repair && verdict.problems.length > 0) {
    inbox.audit({
      operator: 'system',
      action: repair.via,
      accepted: false,
      requestId: repair.requestId,
      via: 'workflow',
      detail: 'the order changed after the repair was accepted',
      problems: verdict.problems,
    });
  }
  state.suggestion = context ? suggestRepair(context, state.problems) : undefined;
  if (!state.suggestion && verdict.plan && verdict.problems.length === 0) {
    // Only the store's definitive rejection stands in the way (nothing moved under the old key): offer the plan again.
    state.suggestion = {
      repair: repairFromPlan(verdict.plan),
      explanation: [
        'The refund itself is valid; confirm to submit it again under a new idempotency key once the cause is fixed.',
      ],
    };
  }
  return 'park';
}

function repairFromPlan(plan: RefundPlan): RepairInput {
  const currency = plan.report.currency;
  return {
    lines: plan.report.lines.map((l) => ({
      lineItemId: l.lineItemId,
      ticked: true,
      quantity: l.quantity,
      reason: l.reason ?? '',
      amount: formatDecimal(l.amount, currency),
    })),
    shipping: plan.report.shipping || undefined,
    mode: plan.mode,
  };
}
