import { type OrderView, type RefundContext, describeOrder, findRefund } from '../context';
import { type Problem, problem } from '../problems';
import { type RefundDetails } from '../schemas/bwp';

/** The context read and checked, ready for the rules. */
export type Prepared = { ctx: RefundContext; view: OrderView; refund?: RefundDetails; problems: Problem[] };

/** A zod issue path as a field name: ["lines", 2, "amount"] is "lines[2].amount". */
export function fieldOf(path: readonly PropertyKey[], root?: string): string {
  let out = root ?? '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * Checks what concerns the refund and the orders as a whole (docs/domain.md rules 1 and 2, the store order's currency
 * of rule 11, and the pre-order rule 13). The context is the one the clients parsed (activities/clients): it is not
 * parsed again here, so the workflow bundle builds no Buy with Prime schema. What the schemas let through and the rules
 * cannot read (a fraction of a unit, a blank price) is the rules' to report.
 */
export function prepare(ctx: RefundContext): { ok: true; value: Prepared } | { ok: false; problems: Problem[] } {
  if (ctx.order === null || ctx.order === undefined) {
    return {
      ok: false,
      problems: [problem('UNKNOWN_ORDER', 'Buy with Prime returned no order for this refund.', { field: 'order' })],
    };
  }
  const view = describeOrder(ctx);
  if (!view.readable) return { ok: false, problems: view.problems };
  const problems: Problem[] = view.problems.filter((p) => p.lineItemId === undefined);
  const { order, refundId, storeOrder } = ctx;

  const refund = findRefund(order, refundId);
  if (!refund) {
    const near = order.refunds.details.find((r) => r.id.trim().toLowerCase() === refundId.trim().toLowerCase());
    problems.push(
      problem(
        'UNKNOWN_REFUND',
        near
          ? `Refund "${refundId}" is not on order ${order.id}; "${near.id}" is. Refund ids must be copied exactly.`
          : `Refund "${refundId}" is not on order ${order.id}.`,
        { field: 'refundId' },
      ),
    );
  } else if (refund.state !== 'PENDING') {
    problems.push(
      problem('REFUND_NOT_PENDING', `Refund ${refund.id} is ${refund.state}, not PENDING: it was settled elsewhere.`, {
        field: 'state',
      }),
    );
  }

  if (view.storeOrderId === undefined) {
    problems.push(
      problem('NO_STORE_ORDER_ALIAS', `Order ${order.id} has no EXTERNAL_ID alias naming the store's order.`, {
        field: 'aliases',
      }),
    );
  }
  if (storeOrder === null) {
    problems.push(
      problem('UNKNOWN_ORDER', `The store has no order ${view.storeOrderId ?? '(no id)'}.`, { field: 'storeOrder' }),
    );
  } else if (storeOrder) {
    if (view.storeOrderId !== undefined && storeOrder.id !== view.storeOrderId) {
      problems.push(
        problem(
          'UNKNOWN_ORDER',
          `The store order read is ${storeOrder.id} but the BwP order names ${view.storeOrderId}.`,
          { field: 'storeOrder.id' },
        ),
      );
    }
    if (storeOrder.currency !== view.currency) {
      problems.push(
        problem(
          'CURRENCY_MISMATCH',
          `The store order is in ${storeOrder.currency} but the BwP order is in ${view.currency}.`,
          { field: 'storeOrder.currency' },
        ),
      );
    }
    // The endpoint refuses any refund on such orders (500 REFUND_FAILED, 501), so they go to a person.
    const kinds = new Set(storeOrder.lineItems.map((l) => l.kind));
    if (kinds.has('checkout') && kinds.has('preorder')) {
      problems.push(
        problem(
          'MIXED_PREORDER_CHECKOUT',
          `Store order ${storeOrder.id} mixes checkout and pre-order lines; the store cannot refund it automatically.`,
          { field: 'storeOrder.lineItems' },
        ),
      );
    }
    const preorders = new Set(
      storeOrder.lineItems.flatMap((l) => (l.kind === 'preorder' && l.preorderId ? [l.preorderId] : [])),
    );
    if (preorders.size > 1) {
      problems.push(
        problem(
          'MULTIPLE_PREORDERS',
          `Store order ${storeOrder.id} spans ${preorders.size} pre-orders (${[...preorders].join(', ')}); the store does not support refunding it.`,
          { field: 'storeOrder.lineItems' },
        ),
      );
    }
  }
  return { ok: true, value: { ctx, view, ...(refund ? { refund } : {}), problems } };
}
