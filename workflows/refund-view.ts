/**
 * A refund as the outside sees it, computed from its state: the compact view its memo holds (what the API's lists,
 * detail pages and exports show, and what the admission rule decides on: refund-admission.ts) and its current details
 * in words for the Temporal UI. Pure code, safe in the workflow and in the API alike.
 */
import { findRefund } from '../domain/context';
import { formatDecimal, fromBwpAmount } from '../domain/money';
import {
  MEMO_ATTEMPTS,
  MEMO_PROBLEMS,
  MEMO_VERSION,
  RefundStatus,
  TERMINAL_STATUSES,
  type OrderSnapshot,
  type RefundView,
  type RefundWorkflowState,
} from './refund.contract';

/** What is recorded and not yet applied, as the view shows it. */
export interface Inbox {
  pendingRepair?: { operator: string };
  resubmit?: { operator: string };
  temporalCancel: boolean;
}

/** Amazon's estimate of the refund, as a decimal string (undefined when the order was not read or it is unreadable). */
function requestedOf(state: RefundWorkflowState, orders: OrderSnapshot | undefined): RefundView['requested'] {
  const total = orders?.order ? findRefund(orders.order, state.refundId)?.refundTotal?.totalAmount : undefined;
  if (!total) return undefined;
  try {
    return { amount: formatDecimal(fromBwpAmount(total), total.currencyCode), currency: total.currencyCode };
  } catch {
    return undefined;
  }
}

/** The compact view of a refund (MEMO.view): everything a list, a detail page or an export shows. */
export function refundView(state: RefundWorkflowState, inbox: Inbox, orders: OrderSnapshot | undefined): RefundView {
  const plan = state.plan;
  const decision = state.pendingDecision;
  const lastAudit = state.audit.at(-1);
  // Keys sent (the latest attempts') and the one of the submission under way, which may be in flight.
  const keys = [
    ...new Set([
      ...state.attempts.slice(-MEMO_ATTEMPTS).map((a) => a.idempotencyKey),
      ...(state.submission ? [state.submission.idempotencyKey] : []),
    ]),
  ];
  const inboxView: RefundView['inbox'] = {
    ...(inbox.pendingRepair ? { repair: { operator: inbox.pendingRepair.operator } } : {}),
    ...(inbox.resubmit ? { resubmit: { operator: inbox.resubmit.operator } } : {}),
    ...(decision
      ? {
          decision: {
            kind: decision.kind,
            operator: decision.operator,
            ...(decision.requestId ? { requestId: decision.requestId } : {}),
          },
        }
      : {}),
    ...(inbox.temporalCancel ? { temporalCancel: true as const } : {}),
  };
  const requested = requestedOf(state, orders);
  return {
    v: MEMO_VERSION,
    orderId: state.orderId,
    refundId: state.refundId,
    ...(state.storeOrderId ? { storeOrderId: state.storeOrderId } : {}),
    status: state.status,
    ...(state.bwpState ? { bwpState: state.bwpState } : {}),
    startedAt: state.startedAt,
    ...(state.parkedSince ? { parkedSince: state.parkedSince } : {}),
    ...(state.settlingSince ? { settlingSince: state.settlingSince } : {}),
    revision: state.revision,
    idempotencyKey: state.idempotencyKey,
    keys,
    ...(requested ? { requested } : {}),
    ...(plan
      ? {
          planned: {
            amount: formatDecimal(plan.report.total, plan.report.currency),
            currency: plan.report.currency,
            mode: plan.mode,
            lines: plan.report.lines.length,
            shipping: plan.report.shipping,
          },
        }
      : {}),
    ...(state.refunded ? { refunded: state.refunded } : {}),
    moneyMoved: state.refunded !== undefined,
    problems: state.problems.slice(0, MEMO_PROBLEMS),
    ...(state.advisories?.length ? { advisories: state.advisories.slice(0, MEMO_PROBLEMS) } : {}),
    attentions: state.attentions,
    needsAttention: state.needsAttention,
    ...(state.inDoubt ? { inDoubt: state.inDoubt } : {}),
    ...(Object.keys(inboxView).length > 0 ? { inbox: inboxView } : {}),
    ...(state.decision ? { applying: { kind: state.decision.kind, operator: state.decision.operator } } : {}),
    hasSuggestion: state.suggestion !== undefined,
    attemptCount: state.attempts.length,
    ...(lastAudit
      ? {
          lastOperator: {
            operator: lastAudit.operator,
            action: lastAudit.action,
            at: lastAudit.at,
            accepted: lastAudit.accepted,
          },
        }
      : {}),
    orderReads: state.orderReads ?? 0,
    ...(state.result ? { result: state.result } : {}),
  };
}

/** The refund's current details in words (Markdown), as the Temporal UI shows them. */
export function currentDetails(state: RefundWorkflowState): string {
  const n = state.problems.length;
  const attention = state.attentions
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
        (state.suggestion ? '\n\nA suggested repair is available (GET /refunds/:id/repair).' : '');
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
      head = TERMINAL_STATUSES.includes(state.status)
        ? `Finished: ${state.status}${state.refunded ? `, refunded ${state.refunded.amount} ${state.refunded.currency}` : ', nothing refunded'}`
        : state.status;
  }
  return head + doubt + pending + attention;
}
