import { MoneyError, isPositive, parseDecimal } from './money';
import { type Problem, problem } from './problems';

/** The `POST /refund` body minus its idempotency `id` (the workflow adds the key derived from refund and revision). */
export type StoreRefundBody = {
  order: string;
  line_items?: { id: string; quantity: 1 }[];
  shipping?: boolean;
  amount?: string;
  currency?: string;
};

/**
 * Checks a `POST /refund` body against the endpoint's contract (docs/domain.md, "The store's refund endpoint") before
 * it is sent: line items XOR appeasement; each element has an id and quantity exactly 1 (N units are N elements); a
 * line-item refund is not empty; an appeasement has a positive decimal amount within the currency's precision, in the
 * order's currency. Every plan passes through it, so a planning bug surfaces as a problem, not a 400.
 */
export function checkStoreRequest(body: StoreRefundBody, orderCurrency: string): Problem[] {
  const problems: Problem[] = [];
  if (typeof body.order !== 'string' || body.order === '') {
    problems.push(problem('NO_STORE_ORDER_ALIAS', 'The refund request names no store order.', { field: 'order' }));
  }
  const hasLines = body.line_items !== undefined || body.shipping !== undefined;
  const hasAppeasement = body.amount !== undefined || body.currency !== undefined;
  if (hasLines && hasAppeasement) {
    problems.push(
      problem(
        'MIXED_LINES_AND_APPEASEMENT',
        'A refund is either line items (and shipping) or an appeasement, not both.',
        { field: 'storeRequest' },
      ),
    );
  }
  if (hasAppeasement) {
    if (body.currency !== orderCurrency) {
      problems.push(
        problem(
          'CURRENCY_MISMATCH',
          `The appeasement currency ${body.currency ?? '(none)'} is not the order's currency ${orderCurrency}.`,
          { field: 'currency' },
        ),
      );
    }
    try {
      if (!isPositive(parseDecimal(body.amount ?? '', orderCurrency))) {
        problems.push(problem('INVALID_AMOUNT', 'An appeasement amount must be more than zero.', { field: 'amount' }));
      }
    } catch (e) {
      if (!(e instanceof MoneyError)) throw e;
      problems.push(problem('INVALID_AMOUNT', `The appeasement amount is invalid: ${e.message}.`, { field: 'amount' }));
    }
    return problems;
  }
  (body.line_items ?? []).forEach((item, i) => {
    if (typeof item.id !== 'string' || item.id === '' || item.quantity !== 1) {
      problems.push(
        problem('INVALID_LINE_ITEMS', `Element ${i} must have a line id and quantity 1; send N units as N elements.`, {
          field: `line_items[${i}]`,
        }),
      );
    }
  });
  if ((body.line_items ?? []).length === 0 && body.shipping !== true) {
    problems.push(
      problem('EMPTY_REFUND', 'A line-item refund needs at least one line item or shipping.', { field: 'line_items' }),
    );
  }
  return problems;
}
