/**
 * What the Temporal UI shows of a refund, kept current on every move: search attributes (status, ids, problem codes,
 * NeedsAttention), the current details in words (with every attention reason), and the memo (amount, attention).
 */
import { setCurrentDetails, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { formatDecimal } from '../domain/money';
import { RefundStatus, SA, type RefundWorkflowState } from './refund.contract';

export function publish(state: RefundWorkflowState): void {
  upsertSearchAttributes([
    { key: SA.status, value: state.status },
    { key: SA.bwpOrderId, value: state.orderId },
    { key: SA.problemCodes, value: [...new Set(state.problems.map((p) => p.code))] },
    { key: SA.needsAttention, value: state.needsAttention },
    { key: SA.attention, value: (state.attentions ?? []).map((a) => a.reason) },
    ...(state.storeOrderId ? [{ key: SA.storeOrderId, value: state.storeOrderId }] : []),
  ]);
  setCurrentDetails(describe(state));
}

/** The plan's amount in the memo (shown in the UI's list), once a plan exists. */
export function publishPlanMemo(state: RefundWorkflowState): void {
  if (!state.plan) return;
  const { total, currency } = state.plan.report;
  upsertMemo({ refundAmount: formatDecimal(total, currency), currency, mode: state.plan.mode });
}

/** The attention reason in the memo, so the UI's list shows why without opening the refund. */
export function publishAttentionMemo(state: RefundWorkflowState): void {
  upsertMemo({ attention: state.attention?.reason ?? null });
}

export function describe(state: RefundWorkflowState): string {
  const n = state.problems.length;
  const attention = (state.attentions ?? (state.attention ? [state.attention] : []))
    .map((a) => `\n\n**Needs attention: ${a.reason}** since ${a.since}${a.detail ? `: ${a.detail}` : ''}`)
    .join('');
  const pending = state.pendingDecision
    ? `\n\nRecorded, applied next: ${state.pendingDecision.kind} by ${state.pendingDecision.operator}`
    : '';
  const doubt = state.inDoubt
    ? `\n\nKey \`${state.inDoubt.idempotencyKey}\` is in doubt (${state.inDoubt.reason}): no new key until an operator sends resubmitVerified.`
    : '';
  let head: string;
  switch (state.status) {
    case RefundStatus.AWAITING_REPAIR:
      head =
        `**Waiting for repair**: ${n} problem${n === 1 ? '' : 's'}` +
        (n ? `\n\n${state.problems.map((p) => `- \`${p.code}\` ${p.message}`).join('\n')}` : '') +
        (state.suggestion ? '\n\nA suggested repair is available (GET /refunds/:id).' : '');
      break;
    case RefundStatus.SUBMITTING:
      head =
        `Submitting POST /refund, plan revision ${state.revision}` +
        (state.submission
          ? `, key \`${state.submission.idempotencyKey}\`, ${state.submission.attempts} attempt(s)${state.submission.unknownSeen ? ', an earlier outcome unknown' : ''}`
          : '');
      break;
    case RefundStatus.REPORTING:
      head = state.refunded
        ? `Reporting to Buy with Prime: refunded ${state.refunded.amount} ${state.refunded.currency}`
        : 'Reporting the decline to Buy with Prime';
      break;
    case RefundStatus.AWAITING_SETTLEMENT:
      head = 'Waiting for Buy with Prime to move the refund out of PENDING';
      break;
    case RefundStatus.FETCHING:
      head = 'Reading the order from Buy with Prime and the store';
      break;
    default:
      head = `Finished: ${state.status}${state.refunded ? `, refunded ${state.refunded.amount} ${state.refunded.currency}` : ', nothing refunded'}`;
  }
  return head + doubt + pending + attention;
}
