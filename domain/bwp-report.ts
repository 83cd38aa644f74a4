import { add, cmp, fromBwpAmount, minor, parseDecimal, sum, toBwpAmount, ZERO, type Minor } from './money';
import type { RefundPlan } from './plan';
import { ALIAS_EXTERNAL_REFUND_ID, type RefundDetails, type RefundStatusReason, type UpdateOrderInput } from './schemas/bwp';

/**
 * The `updateOrder` input that reports a refund back to Buy with Prime (docs/domain.md, "Reporting to Buy with Prime"). `refundTotal` is cumulative over all updates of
 * the refund; `paymentDetails` carries only this update's amount; the store's refund is recorded as an EXTERNAL_REFUND_ID
 * alias. The refund request reason is never sent (BwP rejects changing it on refunds it requested).
 */

/** What merchants already reported on this refund: the sum of earlier paymentDetails (the estimate does not count). */
export function reportedSoFar(refund: RefundDetails, currency: string): Minor {
  return sum(refund.paymentDetails.filter((p) => p.amount.currencyCode === currency).map((p) => fromBwpAmount(p.amount)));
}

export function buildRefundedUpdate(args: {
  orderId: string;
  refund: RefundDetails;
  plan: RefundPlan;
  refunded: { amount: string; currency: string };
  storeRefundId: string;
}): UpdateOrderInput {
  const { plan, refund } = args;
  const currency = plan.report.currency;
  const delta = parseDecimal(args.refunded.amount, args.refunded.currency);
  const cumulative = add(reportedSoFar(refund, currency), delta);
  const estimate = refund.refundTotal ? fromBwpAmount(refund.refundTotal.totalAmount) : ZERO;
  // Amazon's total is an estimate: within the plan's tolerance of it, the refund is settled in full (rule 15).
  const complete =
    refund.state === 'PENDING' ? cmp(add(cumulative, plan.report.estimateTolerance ?? ZERO), estimate) >= 0 : true;
  return {
    orderId: args.orderId,
    refunds: [
      {
        id: refund.id,
        aliases: [{ aliasType: ALIAS_EXTERNAL_REFUND_ID, aliasId: args.storeRefundId }],
        refundTotal: { totalAmount: toBwpAmount(cumulative, currency) },
        paymentDetails: [{ amount: toBwpAmount(delta, currency) }],
        refundFor: {
          orderLineItems: plan.report.lines.map((l) => ({
            lineItemId: l.lineItemId,
            amount: l.quantity,
            refundAmount: toBwpAmount(l.amount, currency),
          })),
          shipping: plan.report.shipping || undefined,
        },
        state: complete ? 'SUCCESS' : 'PARTIAL',
        refundStatusReason: complete ? undefined : 'PARTIALLY_DECLINED',
      },
    ],
  };
}

export function buildDeclinedUpdate(args: {
  orderId: string;
  refund: RefundDetails;
  currency: string;
  statusReason: RefundStatusReason;
}): UpdateOrderInput {
  const total = reportedSoFar(args.refund, args.currency);
  return {
    orderId: args.orderId,
    refunds: [
      {
        id: args.refund.id,
        refundTotal: { totalAmount: toBwpAmount(total, args.currency) },
        state: cmp(total, minor(0)) > 0 ? 'PARTIAL' : 'FAILURE',
        refundStatusReason: args.statusReason,
      },
    ],
  };
}
