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
  'SHIPPING_AMOUNT_UNKNOWN',
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
  'IDEMPOTENCY_KEY_REUSED',
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
  SHIPPING_AMOUNT_UNKNOWN: 'Shipping charge unknown (store order not read)',
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
  IDEMPOTENCY_KEY_REUSED: 'Idempotency-Key already used for another request',
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

/**
 * For every code that parks a refund: the real API that would refuse the refund if it went out anyway, or why the
 * service stops it without one (money safety, a decision only a person can make, the merchant's own policy).
 * docs/domain.md, "Which rules park a refund", shows this table; a test keeps the two in step.
 */
export const PROBLEM_REJECTED_BY: Record<ProblemCode, string> = {
  UNKNOWN_ORDER: 'Purple Dot POST /refund: 404 UNKNOWN_ORDER (Buy with Prime: `order` answers null)',
  INVALID_ORDER_DATA: 'none: the order cannot be read, so nothing can be planned or checked',
  UNKNOWN_REFUND: 'Buy with Prime updateOrder: ValidationError InvalidRefundId',
  REFUND_NOT_PENDING: 'Buy with Prime updateOrder: ValidationError InvalidRefundStateTransition',
  NO_STORE_ORDER_ALIAS: 'Purple Dot POST /refund: `order` is required (400 INVALID_REFUND_REQUEST)',
  MISSING_ITEM_DETAIL: 'none: no line says what to refund; a person splits the amount per SKU (the connector’s rule)',
  MISSING_QUANTITY: 'Purple Dot POST /refund: 400 INVALID_LINE_ITEMS (each element needs a quantity)',
  MISSING_PRICE: 'none: money safety (the line’s value is unknown, so its amount cannot be checked)',
  UNKNOWN_LINE_ITEMS: 'Purple Dot POST /refund: 404 UNKNOWN_LINE_ITEMS',
  NO_STORE_LINE_ALIAS: 'Purple Dot POST /refund: 400 INVALID_LINE_ITEMS (each element needs the store’s line id)',
  LINE_RELINKED: 'none: money safety (the store would refund the SKU the line carries now)',
  INVALID_LINE_ITEMS: 'Purple Dot POST /refund: 400 INVALID_LINE_ITEMS',
  NOT_ENOUGH_ITEMS_LEFT_TO_REFUND: 'Purple Dot POST /refund: 400 NOT_ENOUGH_ITEMS_LEFT_TO_REFUND',
  AMOUNT_EXCEEDS_LINE_REMAINING: 'none: money safety (no more than the line has left)',
  AMOUNT_EXCEEDS_ORDER_REMAINING: 'none: money safety (no more than the order has left)',
  SHIPPING_ALREADY_REFUNDED: 'Purple Dot POST /refund: 400 SHIPPING_ALREADY_REFUNDED',
  NO_SHIPPING_CHARGE: 'none: there is no shipping charge to refund',
  SHIPPING_AMOUNT_UNKNOWN: 'none: money safety (the shipping charge is unknown without the store order)',
  TAX_ALREADY_REFUNDED: 'none: money safety (a tax is refunded once)',
  REASON_MISSING: 'none: advisory unless REASON_RULES_BLOCK (neither API carries a merchant reason)',
  REASON_UNKNOWN: 'none: advisory unless REASON_RULES_BLOCK (neither API carries a merchant reason)',
  REASON_UNMAPPED: 'none: advisory unless REASON_RULES_BLOCK (neither API carries a merchant reason)',
  CURRENCY_MISMATCH: 'Purple Dot POST /refund: 400 CURRENCY_MISMATCH',
  UNSUPPORTED_CURRENCY: 'none: amounts in an unknown currency cannot be computed exactly',
  MIXED_LINES_AND_APPEASEMENT: 'Purple Dot POST /refund: 400 INVALID_REFUND_REQUEST (line items or an appeasement)',
  APPEASEMENT_NOT_ALLOWED: 'none: the merchant’s policy (ALLOW_APPEASEMENT)',
  INVALID_AMOUNT: 'Purple Dot POST /refund: 400 INVALID_REFUND_REQUEST (a positive decimal-string amount)',
  EMPTY_REFUND: 'Purple Dot POST /refund: 400 INVALID_REFUND_REQUEST (a line item or shipping)',
  TOTALS_DO_NOT_ADD_UP: 'none: only a person can say how a lump sum splits per SKU',
  MIXED_PREORDER_CHECKOUT: 'Purple Dot POST /refund: 500 REFUND_FAILED',
  MULTIPLE_PREORDERS: 'Purple Dot POST /refund: 501',
  STORE_PRICE_MISMATCH: 'none: money safety (the store would refund its own price, not the plan’s)',
  NOT_IN_BWP_REFUND: 'none: the merchant’s policy (REPAIR_ALLOW_ADDITIONS); Buy with Prime’s refund names its lines',
  REFUND_AMOUNT_MISMATCH: 'does not park: flags a store answer that differs from the plan',
  INVALID_INPUT: 'none: an operator’s input that does not parse',
  INVALID_REFUND_REQUEST: 'Purple Dot POST /refund: 400 INVALID_REFUND_REQUEST (its own answer)',
  IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH: 'Purple Dot POST /refund: 409 (its own answer)',
  REFUND_FAILED: 'Purple Dot POST /refund: 500 REFUND_FAILED (its own answer)',
  STORE_REJECTED: 'Purple Dot POST /refund: another 4xx (its own answer)',
  ACTION_NOT_ALLOWED: 'does not park: refuses an operator’s message',
  ALREADY_DECIDED: 'does not park: refuses an operator’s message',
  IDEMPOTENCY_KEY_REUSED: 'does not park: refuses an operator’s message',
  MONEY_ALREADY_MOVED: 'does not park: refuses an operator’s message',
  MONEY_MAY_HAVE_MOVED: 'does not park: refuses an operator’s message',
  NO_SUGGESTION: 'does not park: refuses an operator’s message',
  UNKNOWN_OUTCOME: 'none: money may have moved; only a person who checked the store may open a new key',
  MALFORMED_REQUEST: 'none: a defect in what the service built; nothing was sent',
  INTERNAL_ERROR: 'none: a defect in validation',
};
