import { z } from 'zod';

/**
 * Stable codes for everything that keeps a refund from going out as planned. They are shown to operators, stored in
 * search attributes and asserted by tests, so a code is never renamed; add new ones instead. docs/domain.md lists each
 * rule with the code it produces (the rule numbers below are that document's).
 */
export const ProblemCode = z.enum([
  // The refund and the orders (rules 1, 2)
  'UNKNOWN_ORDER',
  'INVALID_ORDER_DATA',
  'UNKNOWN_REFUND',
  'REFUND_NOT_PENDING',
  'NO_STORE_ORDER_ALIAS',
  // Item-level detail (rules 3, 4, 5)
  'MISSING_ITEM_DETAIL',
  'MISSING_QUANTITY',
  'MISSING_PRICE',
  'UNKNOWN_LINE_ITEMS',
  'NO_STORE_LINE_ALIAS',
  'LINE_RELINKED',
  'INVALID_LINE_ITEMS',
  // Quantities and amounts (rules 6, 7, 9)
  'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND',
  'AMOUNT_EXCEEDS_LINE_REMAINING',
  'AMOUNT_EXCEEDS_ORDER_REMAINING',
  'SHIPPING_ALREADY_REFUNDED',
  'NO_SHIPPING_CHARGE',
  'TAX_ALREADY_REFUNDED',
  // Reasons (rule 10)
  'REASON_MISSING',
  'REASON_UNKNOWN',
  'REASON_UNMAPPED',
  // Shape of the refund (rules 8, 11, 12, 14)
  'CURRENCY_MISMATCH',
  'UNSUPPORTED_CURRENCY',
  'MIXED_LINES_AND_APPEASEMENT',
  'APPEASEMENT_NOT_ALLOWED',
  'INVALID_AMOUNT',
  'EMPTY_REFUND',
  'TOTALS_DO_NOT_ADD_UP',
  // Pre-orders (rule 13)
  'MIXED_PREORDER_CHECKOUT',
  'MULTIPLE_PREORDERS',
  // The store's own price of the units differs from the plan, and no appeasement can carry it (rule 16)
  'STORE_PRICE_MISMATCH',
  // A repair covering a line (or shipping) the Buy with Prime refund did not ask for (rule 17)
  'NOT_IN_BWP_REFUND',
  // The store refunded another amount than the plan (rule 18): flags the refund for attention
  'REFUND_AMOUNT_MISMATCH',
  // An operator's input that does not parse
  'INVALID_INPUT',
  // Rejections by the store's POST /refund that the workflow maps back
  'INVALID_REFUND_REQUEST',
  'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH',
  'REFUND_FAILED',
  'STORE_REJECTED',
  // The refund protocol: operator messages the workflow refuses in its current state, and outcomes in doubt
  'ACTION_NOT_ALLOWED',
  'ALREADY_DECIDED',
  'MONEY_ALREADY_MOVED',
  'MONEY_MAY_HAVE_MOVED',
  'NO_SUGGESTION',
  'UNKNOWN_OUTCOME',
  'MALFORMED_REQUEST',
  // A defect in this module: validation caught its own exception rather than failing the workflow task
  'INTERNAL_ERROR',
]);
export type ProblemCode = z.infer<typeof ProblemCode>;

export const Problem = z.object({
  code: ProblemCode,
  /** A sentence an operator can act on. */
  message: z.string(),
  /** The BwP line item the problem is about. */
  lineItemId: z.string().optional(),
  /**
   * What the problem is about, always given so that a client never guesses it from the code: a field of the operator's
   * repair ("lines[2].amount", "lines[0].ticked", "total", "shipping"), of the Buy with Prime refund
   * ("refundFor.orderLineItems[1].amount", "refundTotal"), of the orders ("lineItems[0].product.price",
   * "storeOrder.lineItems") or of what was sent to the store ("storeRequest").
   */
  field: z.string(),
});
export type Problem = z.infer<typeof Problem>;

export function problem(code: ProblemCode, message: string, where: { lineItemId?: string; field: string }): Problem {
  const p: Problem = { code, message, field: where.field };
  if (where.lineItemId !== undefined) p.lineItemId = where.lineItemId;
  return p;
}

/** Short titles for lists and search attributes. */
export const PROBLEM_TITLES: Record<ProblemCode, string> = {
  UNKNOWN_ORDER: 'Order not found',
  INVALID_ORDER_DATA: 'Order data unreadable',
  UNKNOWN_REFUND: 'Refund not found on the order',
  REFUND_NOT_PENDING: 'Refund no longer pending',
  NO_STORE_ORDER_ALIAS: 'No store order id on the BwP order',
  MISSING_ITEM_DETAIL: 'Flat amount without item detail',
  MISSING_QUANTITY: 'Quantity left blank',
  MISSING_PRICE: 'Price left blank',
  UNKNOWN_LINE_ITEMS: 'Line not on the order',
  NO_STORE_LINE_ALIAS: 'Line not linked to a store line',
  LINE_RELINKED: 'SKU re-linked since the order',
  INVALID_LINE_ITEMS: 'Invalid line items',
  NOT_ENOUGH_ITEMS_LEFT_TO_REFUND: 'Quantity above what is left',
  AMOUNT_EXCEEDS_LINE_REMAINING: 'Amount above what remains on the line',
  AMOUNT_EXCEEDS_ORDER_REMAINING: 'Amount above what remains on the order',
  SHIPPING_ALREADY_REFUNDED: 'Shipping already refunded',
  NO_SHIPPING_CHARGE: 'Order has no shipping charge',
  TAX_ALREADY_REFUNDED: 'Tax already refunded',
  REASON_MISSING: 'Reason blank',
  REASON_UNKNOWN: 'Reason not valid',
  REASON_UNMAPPED: 'Reason not mapped',
  CURRENCY_MISMATCH: 'Currency mismatch',
  UNSUPPORTED_CURRENCY: 'Currency not supported',
  MIXED_LINES_AND_APPEASEMENT: 'Line items mixed with an appeasement',
  APPEASEMENT_NOT_ALLOWED: 'Appeasement not allowed by policy',
  INVALID_AMOUNT: 'Invalid amount',
  EMPTY_REFUND: 'Nothing to refund',
  TOTALS_DO_NOT_ADD_UP: 'Per-SKU amounts do not add up',
  MIXED_PREORDER_CHECKOUT: 'Order mixes pre-order and checkout lines',
  MULTIPLE_PREORDERS: 'Order spans several pre-orders',
  STORE_PRICE_MISMATCH: "Store's price differs from the plan",
  NOT_IN_BWP_REFUND: 'Not part of the Buy with Prime refund',
  REFUND_AMOUNT_MISMATCH: 'Store refunded another amount',
  INVALID_INPUT: 'Invalid input',
  INVALID_REFUND_REQUEST: 'Store rejected the refund request',
  IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH: 'Idempotency key reused with another payload',
  REFUND_FAILED: 'Store could not refund the payment',
  STORE_REJECTED: 'Store rejected the refund',
  ACTION_NOT_ALLOWED: 'Not allowed in this state',
  ALREADY_DECIDED: 'Another decision is already pending',
  MONEY_ALREADY_MOVED: 'The store already refunded',
  MONEY_MAY_HAVE_MOVED: 'Money may have moved under the key in doubt',
  NO_SUGGESTION: 'No suggestion to accept',
  UNKNOWN_OUTCOME: 'Outcome of POST /refund unknown',
  MALFORMED_REQUEST: 'The service built a malformed request',
  INTERNAL_ERROR: 'Internal error in validation',
};

/** The problem code each `POST /refund` error code stands for. */
export const STORE_REJECTION_PROBLEMS: Partial<Record<string, ProblemCode>> = {
  INVALID_REFUND_REQUEST: 'INVALID_REFUND_REQUEST',
  INVALID_LINE_ITEMS: 'INVALID_LINE_ITEMS',
  CURRENCY_MISMATCH: 'CURRENCY_MISMATCH',
  SHIPPING_ALREADY_REFUNDED: 'SHIPPING_ALREADY_REFUNDED',
  NOT_ENOUGH_ITEMS_LEFT_TO_REFUND: 'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND',
  UNKNOWN_ORDER: 'UNKNOWN_ORDER',
  UNKNOWN_LINE_ITEMS: 'UNKNOWN_LINE_ITEMS',
  IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH: 'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH',
  REFUND_FAILED: 'REFUND_FAILED',
  MULTIPLE_PREORDERS_NOT_SUPPORTED: 'MULTIPLE_PREORDERS',
};

/**
 * The problem a definitive `POST /refund` rejection stands for, so that the workflow lists it like any other.
 * A 501 without a code is the endpoint's "orders that span multiple pre-orders are not supported".
 */
export function problemFromStoreRejection(status: number, code: string | undefined, message?: string): Problem {
  const mapped =
    code !== undefined ? STORE_REJECTION_PROBLEMS[code] : status === 501 ? 'MULTIPLE_PREORDERS' : undefined;
  const said = message ? `: ${message}` : '';
  return problem(
    mapped ?? 'STORE_REJECTED',
    `The store refused the refund (HTTP ${status} ${code ?? 'without a code'})${said}.`,
    { field: 'storeRequest' },
  );
}

