import { z } from 'zod';

/**
 * The merchant's store platform: Purple Dot's private API v1 (https://docs.getpurpledot.com/docs/purple-dot-apis/private-api),
 * whose `POST /admin/api/v1/refund` refunds a store (e.g. Shopify) order. Decimal money is a string, as the endpoint
 * sends it. docs/domain.md, "The store's refund endpoint", transcribes the page.
 */

/** "All endpoints use the /admin/api/v1/ namespace" (the private API's overview page). */
export const PURPLE_DOT_API_PREFIX = '/admin/api/v1';
/** "Include your Purple Dot store's private access token as X-Purple-Dot-Access-Token header in all requests." */
export const PURPLE_DOT_TOKEN_HEADER = 'X-Purple-Dot-Access-Token';

export { DecimalString } from './decimal';
import { DecimalString } from './decimal';

/** POST /refund request body. */
export const RefundRequest = z.object({
  id: z.string().min(1),
  order: z.string().min(1),
  line_items: z.array(z.object({ id: z.string().min(1), quantity: z.number() })).optional(),
  shipping: z.boolean().optional(),
  amount: DecimalString.optional(),
  currency: z.string().optional(),
});
export type RefundRequest = z.infer<typeof RefundRequest>;

/** POST /refund success body. */
export const RefundSuccess = z.object({
  id: z.string(),
  order: z.string(),
  refunded: z.object({ amount: DecimalString, currency: z.string() }),
});
export type RefundSuccess = z.infer<typeof RefundSuccess>;

export const RefundErrorCode = z.enum([
  'INVALID_REFUND_REQUEST',
  'INVALID_LINE_ITEMS',
  'CURRENCY_MISMATCH',
  'SHIPPING_ALREADY_REFUNDED',
  'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND',
  'UNKNOWN_ORDER',
  'UNKNOWN_LINE_ITEMS',
  'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH',
  'REFUND_FAILED',
  'MULTIPLE_PREORDERS_NOT_SUPPORTED',
  'RATE_LIMITED',
]);
export type RefundErrorCode = z.infer<typeof RefundErrorCode>;

/**
 * "All responses follow a common format": `{ meta: { success }, data }` (the overview page). Where an error's code sits
 * is not published; the sandbox answers `{ meta: { success: false }, data: { error: { code, message } } }` and the
 * client reads the code from `data.error`, `data` or an `error` beside `meta` (docs/domain.md).
 */
export const StoreEnvelope = z.object({ meta: z.object({ success: z.boolean() }), data: z.unknown().optional() });
export type StoreEnvelope = z.infer<typeof StoreEnvelope>;

/** POST /refund error body: `{ error: { code, message } }` (inside `data` in the envelope). */
export const RefundErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string().optional() }),
});
export type RefundErrorBody = z.infer<typeof RefundErrorBody>;

/**
 * The store order's facts, from an order endpoint of the merchant's own (STORE_ORDER_URL; off by default): Purple Dot
 * documents no endpoint that reads an order by its external id (docs/domain.md, "What the store publishes"), so this
 * shape is ours; Shopify's Order holds the same facts. Used to check line ids, remaining quantities, shipping, tax
 * already refunded and the pre-order mix before submitting.
 */
export const StoreOrder = z.object({
  id: z.string(),
  currency: z.string(),
  lineItems: z.array(
    z.object({
      id: z.string(),
      sku: z.string().nullable().optional(),
      quantity: z.number().int().nonnegative(),
      refundedQuantity: z.number().int().nonnegative(),
      /** Unit price, tax included per unit, as a decimal string. */
      unitPrice: DecimalString,
      unitTax: DecimalString.default('0'),
      /** Tax already refunded on this line, any channel, when the store reports it (tax is a one-time bucket). */
      refundedTax: DecimalString.optional(),
      /** 'checkout' for ordinary lines; 'preorder' lines carry the pre-order they belong to. */
      kind: z.enum(['checkout', 'preorder']).default('checkout'),
      preorderId: z.string().nullable().optional(),
    }),
  ),
  shipping: z.object({ amount: DecimalString, refunded: z.boolean() }),
  /** Total already refunded on the store (all refunds, any channel). */
  refundedTotal: DecimalString,
});
export type StoreOrder = z.infer<typeof StoreOrder>;
