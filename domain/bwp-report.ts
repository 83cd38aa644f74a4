import { add, cmp, fromBwpAmount, minor, parseDecimal, sum, toBwpAmount, ZERO, type Minor } from './money';
import type { RefundPlan } from './plan';
import { ALIAS_EXTERNAL_REFUND_ID } from './bwp-values';
import type { PaymentMethodType, RefundDetails, RefundStatusReason, UpdateOrderInput } from './schemas/bwp';

/**
 * The variables of `updateOrder(orderIdentifier:, input:)` that report a refund back to Buy with Prime (docs/domain.md,
 * "Reporting to Buy with Prime", which shows the document and the variables for each outcome): `refundTotal` is
 * cumulative over all updates of the refund; `paymentDetails` carries only this update's payment, with the payment
 * method the money went back by; each refunded line is named by a LineItemIdentifierInput; the store's refund is
 * recorded as an EXTERNAL_REFUND_ID alias. The refund request reason is never sent (BwP rejects changing it on refunds
 * it requested), and no quantity or money per line is sent: the 2024-11-01 reference publishes neither.
 */

/** How the store paid the money back, as reported in `paymentDetails[].paymentMethod` (BWP_PAYMENT_METHOD). */
export type ReportedPaymentMethod = { type: PaymentMethodType; displayString?: string };

/** Buy with Prime checkouts are paid with Amazon Pay, and a refund goes back the way the money came. */
export const DEFAULT_PAYMENT_METHOD: ReportedPaymentMethod = { type: 'AMAZON_PAY', displayString: 'Amazon Pay' };

/** What merchants already reported on this refund: the sum of earlier paymentDetails (the estimate does not count). */
export function reportedSoFar(refund: RefundDetails, currency: string): Minor {
  return sum(
    refund.paymentDetails.filter((p) => p.amount.currencyCode === currency).map((p) => fromBwpAmount(p.amount)),
  );
}

export function buildRefundedUpdate(args: {
  orderId: string;
  refund: RefundDetails;
  plan: RefundPlan;
  refunded: { amount: string; currency: string };
  storeRefundId: string;
  paymentMethod?: ReportedPaymentMethod;
}): UpdateOrderInput {
  const { plan, refund } = args;
  const currency = plan.report.currency;
  const delta = parseDecimal(args.refunded.amount, args.refunded.currency);
  const cumulative = add(reportedSoFar(refund, currency), delta);
  const estimated = refund.refundTotal?.totalAmount;
  const estimate = estimated ? fromBwpAmount(estimated) : ZERO;
  // Amazon's total is an estimate: within the plan's tolerance of it, the refund is settled in full (rule 15).
  const complete =
    refund.state === 'PENDING' ? cmp(add(cumulative, plan.report.estimateTolerance ?? ZERO), estimate) >= 0 : true;
  const lineIds = [...new Set(plan.report.lines.map((l) => l.lineItemId))];
  return {
    orderIdentifier: { orderId: args.orderId },
    input: {
      refunds: {
        details: [
          {
            id: refund.id,
            aliases: [{ aliasType: ALIAS_EXTERNAL_REFUND_ID, aliasId: args.storeRefundId }],
            refundTotal: { totalAmount: toBwpAmount(cumulative, currency) },
            paymentDetails: [
              {
                id: args.storeRefundId,
                amount: toBwpAmount(delta, currency),
                paymentMethod: { ...(args.paymentMethod ?? DEFAULT_PAYMENT_METHOD) },
                state: 'SUCCESS',
              },
            ],
            ...(lineIds.length > 0
              ? { refundFor: { orderLineItems: lineIds.map((lineItemId) => ({ lineItemId: { lineItemId } })) } }
              : {}),
            state: complete ? 'SUCCESS' : 'PARTIAL',
            ...(complete ? {} : { refundStatusReason: 'PARTIALLY_DECLINED' as const }),
          },
        ],
      },
    },
  };
}

/**
 * A merchant's decline: `FAILURE` with the operator's status reason, never `REJECTED`. The reference says only "Refund
 * has failed." and "Refund was rejected."; its table of the moves `updateOrder` accepts (BWP:update-refund-details)
 * allows PENDING → FAILURE and has no REJECTED at all, and a FAILURE can still become PARTIAL or SUCCESS if the merchant
 * refunds after all. A refund with money already reported cannot fail: it stays PARTIAL (docs/domain.md).
 */
export function buildDeclinedUpdate(args: {
  orderId: string;
  refund: RefundDetails;
  currency: string;
  statusReason: RefundStatusReason;
}): UpdateOrderInput {
  const total = reportedSoFar(args.refund, args.currency);
  return {
    orderIdentifier: { orderId: args.orderId },
    input: {
      refunds: {
        details: [
          {
            id: args.refund.id,
            refundTotal: { totalAmount: toBwpAmount(total, args.currency) },
            state: cmp(total, minor(0)) > 0 ? 'PARTIAL' : 'FAILURE',
            refundStatusReason: args.statusReason,
          },
        ],
      },
    },
  };
}

/** The one refund an update reports (the service reports one refund per call). */
export function reportedRefund(update: UpdateOrderInput) {
  return update.input.refunds.details[0]!;
}
