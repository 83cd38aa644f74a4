import { type OrderView, type RefundContext, RefundContextSchema, describeOrder, findRefund } from '../context';
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
 * Reads the context defensively and checks what concerns the refund and the orders as a whole (docs/domain.md rules
 * 1 and 2, the store order's currency of rule 11, and the pre-order rule 13).
 */
export function prepare(raw: unknown): { ok: true; value: Prepared } | { ok: false; problems: Problem[] } {
  const given = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  if (given.order === null || given.order === undefined) {
    return {
      ok: false,
      problems: [problem('UNKNOWN_ORDER', 'Buy with Prime returned no order for this refund.', { field: 'order' })],
    };
  }
  const parsed = RefundContextSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const [head] = issue.path;
        const field = fieldOf(issue.path) || 'context';
        if (head === 'order' || head === 'storeOrder') {
          return problem('INVALID_ORDER_DATA', `The order data is unreadable at ${field}: ${issue.message}.`, {
            field,
          });
        }
        if (head === 'refundId') return problem('UNKNOWN_REFUND', 'No refund id was given.', { field });
        return problem('INVALID_INPUT', `${field}: ${issue.message}.`, { field });
      }),
    };
  }
  const ctx: RefundContext = parsed.data;
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
