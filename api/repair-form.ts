import type { OrderSnapshot } from '../workflows/refund.contract';
import { describeOrder, findRefund, valueOfUnits, type LineView, type Policy } from '../domain/context';
import { currencyExponent, formatDecimal, fromBwpAmount, isKnownCurrency, type Minor } from '../domain/money';
import { RefundStatusReason, type BwpAmount, type RefundedOrderLineItem } from '../domain/schemas/bwp';
import { RefundStatus } from '../workflows/refund.contract';
import type { RefundRecord } from './refund-reads';
import type { RepairFormBody } from './schemas';

/**
 * GET /refunds/:id/repair: everything the repair dialog shows, from the refund's memo and the order its workflow last
 * read: per SKU ordered / refunded / remaining, the reasons, the suggestion. Pure: the route reads, this shapes.
 */
export function repairForm(record: RefundRecord, orders: OrderSnapshot, policy: Policy): RepairFormBody {
  const base = formBase(record, policy);
  if (!orders.order) {
    const currency = orders.storeOrder?.currency ?? 'USD';
    return {
      ...base,
      currency,
      exponent: exponentOf(currency),
      requested: { total: null, reason: null, state: null },
      lines: [],
      shipping: { amount: '0', refunded: false, remaining: '0' },
      order: { total: '0', refunded: '0', remaining: '0' },
    };
  }
  const { view } = record;
  const order = describeOrder({ order: orders.order, refundId: view.refundId, storeOrder: orders.storeOrder, policy });
  const money = (m: Minor | null): string | null => (m === null ? null : formatDecimal(m, order.currency));
  const refund = findRefund(orders.order, view.refundId);
  const requestedLines = new Map((refund?.refundFor?.orderLineItems ?? []).map((l) => [l.lineItem.id, l]));
  return {
    ...base,
    currency: order.currency,
    exponent: exponentOf(order.currency),
    requested: {
      total: bwpMoney(refund?.refundTotal?.totalAmount),
      reason: refund?.refundRequestReason ?? null,
      state: refund?.state ?? null,
    },
    lines: order.lines.map((l) => lineView(l, requestedLines.get(l.lineItemId), money)),
    shipping: {
      amount: money(order.shipping.amount)!,
      refunded: order.shipping.refunded,
      remaining: money(order.shipping.remaining)!,
    },
    order: { total: money(order.grandTotal)!, refunded: money(order.refunded)!, remaining: money(order.remaining)! },
  };
}

type FormBase = Omit<RepairFormBody, 'currency' | 'exponent' | 'requested' | 'lines' | 'shipping' | 'order'>;

/** What the form shows whatever the order: the refund's state, the reasons, the problems and the suggestion. */
function formBase({ workflowId, view, detail }: RefundRecord, policy: Policy): FormBase {
  return {
    workflowId,
    status: view.status,
    waitingForRepair: view.status === RefundStatus.AWAITING_REPAIR,
    orderId: view.orderId,
    refundId: view.refundId,
    ...(view.storeOrderId ? { storeOrderId: view.storeOrderId } : {}),
    merchantReasons: [...policy.reasons.merchantReasons],
    ...(policy.reasons.defaultReason ? { defaultReason: policy.reasons.defaultReason } : {}),
    statusReasons: [...RefundStatusReason.options],
    allowAppeasement: policy.allowAppeasement,
    problems: view.problems,
    ...(view.advisories?.length ? { advisories: view.advisories } : {}),
    ...(detail.suggestion ? { suggestion: detail.suggestion } : {}),
    attentions: view.attentions,
    ...(view.inDoubt
      ? {
          inDoubt: {
            idempotencyKey: view.inDoubt.idempotencyKey,
            reason: view.inDoubt.reason,
            since: view.inDoubt.since,
            detail: view.inDoubt.detail,
          },
        }
      : {}),
  };
}

/** One SKU of the form: what was ordered, refunded and remains, and what Buy with Prime asked for on it. */
function lineView(l: LineView, asked: RefundedOrderLineItem | undefined, money: (m: Minor | null) => string | null) {
  return {
    lineItemId: l.lineItemId,
    ...(l.sku ? { sku: l.sku } : {}),
    ...(l.title ? { title: l.title } : {}),
    ...(l.storeLineId ? { storeLineId: l.storeLineId } : {}),
    ordered: l.orderedQty,
    refunded: l.refundedQty,
    remaining: l.remainingQty,
    unitPrice: money(l.unitPrice),
    paid: money(l.paidTotal),
    refundedAmount: money(l.refundedAmount)!,
    remainingAmount: money(l.remainingAmount),
    nextUnitValue: money(l.nextUnitValue),
    ...(asked
      ? {
          requested: {
            quantity: asked.amount?.value ?? null,
            // Buy with Prime names units, not money, per line: the amount is what those units are worth.
            amount:
              asked.amount && Number.isSafeInteger(asked.amount.value)
                ? money(valueOfUnits(l, asked.amount.value))
                : null,
          },
        }
      : {}),
  };
}

/** Decimal places of the currency, for clients that add amounts up (0 when the currency is unknown: nothing adds). */
function exponentOf(currency: string): number {
  return isKnownCurrency(currency) ? currencyExponent(currency) : 0;
}

/** A BwP amount as a decimal string, exactly (null when absent or unreadable: the problems say why). */
function bwpMoney(a: BwpAmount | null | undefined): string | null {
  if (!a) return null;
  try {
    return formatDecimal(fromBwpAmount(a), a.currencyCode);
  } catch {
    return null;
  }
}
