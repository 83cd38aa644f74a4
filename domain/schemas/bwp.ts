import { z } from 'zod';
import { REFUND_STATUS_REASONS } from '../bwp-values';

// Values without zod (the workflow bundle builds no Buy with Prime schema: docs/operations.md, "Workflow CPU").
export {
  ALIAS_EXTERNAL_ID,
  ALIAS_EXTERNAL_ITEM_ID,
  ALIAS_EXTERNAL_REFUND_ID,
  ALIAS_SKU,
  BWP_REFUND_REQUEST_REASONS,
  REFUND_STATUS_REASONS,
  discountAmounts,
  taxAmount,
} from '../bwp-values';

/**
 * Buy with Prime shapes we read and write. They mirror sandbox/bwp/schema.graphql (the seam between the simulator and
 * the production client). Money stays as BwP sends it ({ amount: JSON number, currencyCode }) at this boundary;
 * domain/money.ts turns it into integer minor units without floating-point arithmetic.
 */

export const RefundState = z.enum(['PENDING', 'PARTIAL', 'SUCCESS', 'FAILURE', 'REJECTED']);
export type RefundState = z.infer<typeof RefundState>;

export const RefundStatusReason = z.enum(REFUND_STATUS_REASONS);
export type RefundStatusReason = z.infer<typeof RefundStatusReason>;

export const BwpAmount = z.object({
  amount: z.number().finite(),
  currencyCode: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD'),
});
export type BwpAmount = z.infer<typeof BwpAmount>;

/**
 * A GraphQL list whose elements may be null (`[T]` in sandbox/bwp/schema.graphql), read as a plain array: a null list
 * is empty and null elements are dropped. Idempotent, so a parsed value parses again to itself (workflow state is
 * parsed once more by the rules).
 */
function list<T extends z.ZodType>(item: T) {
  return z
    .array(item.nullable())
    .nullable()
    .optional()
    .transform((l) => (l ?? []).filter((x): x is NonNullable<typeof x> => x !== null));
}

export const Alias = z.object({ aliasType: z.string().min(1), aliasId: z.string().min(1) });
export type Alias = z.infer<typeof Alias>;

/** `Amount`: a quantity with its unit, e.g. { unit: "ONE", value: 2 } (BWP:sandbox-objects-amount). */
export const BwpQuantity = z.object({ unit: z.string().nullable().optional(), value: z.number().finite() });
export type BwpQuantity = z.infer<typeof BwpQuantity>;

/** `Taxes { summary { collectableTaxAmount } }` (the only published shape). */
export const Taxes = z
  .object({ summary: z.object({ collectableTaxAmount: BwpAmount.nullable().optional() }).nullable().optional() })
  .nullable()
  .optional();
export type Taxes = z.infer<typeof Taxes>;

/** `DiscountAllocations { summary { amount }, details [{ amount }] }`. */
export const DiscountAllocations = z
  .object({
    summary: z.object({ amount: BwpAmount }).nullable().optional(),
    details: list(z.object({ amount: BwpAmount })),
  })
  .nullable()
  .optional();
export type DiscountAllocations = z.infer<typeof DiscountAllocations>;

export const LineItem = z.object({
  id: z.string().min(1),
  aliases: list(Alias),
  /** The quantity ordered (BwP calls it `amount`: an Amount { unit, value }). */
  amount: BwpQuantity,
  /** Snapshot at purchase: its price (null when the source left it blank) and title. */
  product: z
    .object({ title: z.string().nullable().optional(), price: BwpAmount.nullable().optional() })
    .nullable()
    .optional()
    .transform((p) => p ?? {}),
  taxes: Taxes,
  discounts: DiscountAllocations,
});
export type LineItem = z.infer<typeof LineItem>;

/** One line of a refund's `refundFor.orderLineItems`: the line and the quantity refunded (null when left blank). */
export const RefundedOrderLineItem = z.object({
  lineItem: z.object({ id: z.string() }),
  amount: BwpQuantity.nullable().optional(),
});
export type RefundedOrderLineItem = z.infer<typeof RefundedOrderLineItem>;

export const PaymentDetails = z.object({
  id: z.string().nullable().optional(),
  amount: BwpAmount,
  paymentMethod: z
    .object({ type: z.string().nullable().optional(), displayString: z.string().nullable().optional() })
    .nullable()
    .optional(),
  state: z.string().nullable().optional(),
});

export const RefundDetails = z.object({
  id: z.string().min(1),
  aliases: list(Alias),
  createdAt: z.string().nullable().optional(),
  updatedAt: z.string().nullable().optional(),
  state: RefundState,
  refundRequestReason: z.string().nullable().optional(),
  refundStatusReason: z.string().nullable().optional(),
  refundTotal: z.object({ totalAmount: BwpAmount.nullable().optional() }).nullable().optional(),
  paymentDetails: list(PaymentDetails),
  refundFor: z
    .object({ orderLineItems: list(RefundedOrderLineItem) })
    .nullable()
    .optional(),
});
export type RefundDetails = z.infer<typeof RefundDetails>;

/** The `order` query result we read (the fields of the client's OrderFields fragment). */
export const BwpOrder = z.object({
  id: z.string().min(1),
  aliases: list(Alias),
  lineItems: list(LineItem),
  /** Order-level discounts only (not the total of the lines' own). */
  discounts: DiscountAllocations,
  refunds: z
    .object({ details: list(RefundDetails) })
    .nullable()
    .optional()
    .transform((r) => r ?? { details: [] }),
});
export type BwpOrder = z.infer<typeof BwpOrder>;

// ---- updateOrder (what we report back): updateOrder(orderIdentifier:, input: { refunds: { details } }) ----

/** PaymentMethodInput.type values (those of the output PaymentMethod, BWP:returns-objects-paymentmethod). */
export const PaymentMethodType = z.enum([
  'AMAZON_PAY',
  'AMAZON_PAY_EXPRESS',
  'PAYPAL',
  'PAYPAL_EXPRESS',
  'CARD',
  'GIFT_CARD',
  'SHOPIFY_PAYMENTS',
]);
export type PaymentMethodType = z.infer<typeof PaymentMethodType>;

const MoneyInput = BwpAmount;

export const PaymentDetailsInput = z.object({
  id: z.string().min(1).optional(),
  amount: MoneyInput,
  paymentMethod: z.object({ type: PaymentMethodType, displayString: z.string().min(1).optional() }),
  state: z.enum(['SUCCESS']).optional(),
});
export type PaymentDetailsInput = z.infer<typeof PaymentDetailsInput>;

export const RefundDetailsInput = z
  .object({
    id: z.string().min(1),
    aliases: z.array(Alias).optional(),
    refundTotal: z.object({ totalAmount: MoneyInput }),
    paymentDetails: z.array(PaymentDetailsInput).optional(),
    refundFor: z
      .object({ orderLineItems: z.array(z.object({ lineItemId: z.object({ lineItemId: z.string().min(1) }) })) })
      .optional(),
    refundStatusReason: RefundStatusReason.optional(),
    state: RefundState,
  })
  .strict();
export type RefundDetailsInput = z.infer<typeof RefundDetailsInput>;

/** The variables of the client's UpdateOrder mutation. */
export const UpdateOrderInput = z
  .object({
    orderIdentifier: z.object({ orderId: z.string().min(1) }).strict(),
    input: z.object({ refunds: z.object({ details: z.array(RefundDetailsInput).min(1) }).strict() }).strict(),
  })
  .strict();
export type UpdateOrderInput = z.infer<typeof UpdateOrderInput>;

/**
 * Error types of the published troubleshooting tables (BWP:troubleshoot-order-errors, BWP:troubleshoot-refund-errors):
 * each row is an "Error Type" and an "Error Code". Where a GraphQL error carries them is not published
 * (docs/bwp-reference.md); outcome.ts reads `extensions.errorType`/`errorCode` and the common alternatives.
 */
export const BwpErrorType = z.enum([
  'ValidationError',
  'ThrottlingError',
  'AccessDeniedError',
  'ResourceNotFoundError',
  'InternalServerError',
  'ConflictError',
]);
export type BwpErrorType = z.infer<typeof BwpErrorType>;
export const BwpValidationReason = z.enum([
  'MissingRefundId',
  'InvalidRefundId',
  'DuplicateRefundId',
  'DuplicateAliasId',
  'InvalidAliasId',
  'InvalidRefundStateTransition',
  'InvalidRefundRequestReasonUpdate',
]);
export type BwpValidationReason = z.infer<typeof BwpValidationReason>;

export const BwpGraphqlError = z.object({
  message: z.string(),
  extensions: z.record(z.string(), z.unknown()).nullable().optional(),
});

// ---- events (webhook body, EventBridge envelope, the thin 2023 envelope) ----

/**
 * Order and refund ids as they appear in an event's resources: 1 to 128 characters that may stand in a URI path
 * segment (RFC 3986 `pchar`: letters, digits and `-._~!$&'()*+,;=:@%`). 128 keeps the workflow id under Temporal's
 * 1,000-byte limit even with every character percent-encoded.
 */
export const BWP_ID_MAX = 128;
const BWP_ID_RE = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%]+$/;
export function bwpIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'is empty';
  if (id.length > BWP_ID_MAX) return `is ${id.length} characters long; at most ${BWP_ID_MAX} are allowed`;
  if (!BWP_ID_RE.test(id)) return "may contain only letters, digits and -._~!$&'()*+,;=:@%";
  return undefined;
}
/** The same rule as a plain schema (so an OpenAPI document carries the pattern and the length). */
export const BwpId = z
  .string()
  .min(1, 'must not be empty')
  .max(BWP_ID_MAX, `must be at most ${BWP_ID_MAX} characters`)
  .regex(BWP_ID_RE, "may contain only letters, digits and -._~!$&'()*+,;=:@%");

/**
 * `businessProduct/<bp>/order/<orderId>/refund/<refundId>`, plain or behind an ARN-style prefix
 * (`arn:…:businessProduct/…`), as EventBridge resources often are.
 */
const RESOURCE_RE = /^(?:arn:[^/]*:)?businessProduct\/([^/]+)\/order\/([^/]+)\/refund\/([^/]+)$/;

export const RefundResource = z
  .string()
  .max(1024, 'must be at most 1024 characters')
  .regex(RESOURCE_RE, 'must look like businessProduct/<bp>/order/<orderId>/refund/<refundId>')
  .superRefine((s, ctx) => {
    const m = RESOURCE_RE.exec(s);
    if (!m) return;
    const orderProblem = bwpIdProblem(m[2]!);
    const refundProblem = bwpIdProblem(m[3]!);
    if (orderProblem) ctx.addIssue({ code: 'custom', message: `the order id ${orderProblem}` });
    if (refundProblem) ctx.addIssue({ code: 'custom', message: `the refund id ${refundProblem}` });
  })
  .transform((s) => {
    const m = RESOURCE_RE.exec(s)!;
    return { resource: s, businessProductId: m[1]!, orderId: m[2]!, refundId: m[3]! };
  });
export type RefundResource = z.output<typeof RefundResource>;

/** `data.order` of a REFUND_REQUESTED webhook body (informative only: the workflow reads the order itself). */
const RefundRequestedData = z
  .object({
    order: z
      .object({
        id: z.string(),
        aliases: z.array(z.object({ aliasId: z.string(), aliasType: z.string() })).optional(),
        refunds: z
          .object({ details: z.array(z.looseObject({ id: z.string(), state: z.string().optional() })) })
          .optional(),
      })
      .loose()
      .optional(),
  })
  .loose()
  .optional();

/** Every webhook body (apiVersion 2024-11-01) has these; `resources` is read by event type. */
export const BwpWebhookEvent = z.object({
  idempotencyKey: z.string().min(1).max(512).optional(),
  eventDescriptor: z.string().min(1, 'must name the event type').max(200),
  resources: z.array(z.string()).max(500, 'must name at most 500 resources').optional(),
  eventId: z.string().min(1).max(512),
  apiVersion: z.string().max(100).optional(),
  subscriptionId: z.string().max(512).optional(),
  eventTime: z.string().max(100).optional(),
  /** Differs by event type (REFUND_COMPLETED's documented sample even nests `refunds` the other way round). */
  data: z.unknown().optional(),
});
export type BwpWebhookEvent = z.output<typeof BwpWebhookEvent>;

/** The webhook body of a REFUND_REQUESTED event (apiVersion 2024-11-01). */
export const RefundRequestedEvent = BwpWebhookEvent.extend({
  eventDescriptor: z.literal('REFUND_REQUESTED'),
  resources: z.array(RefundResource).min(1, 'must name at least one refund').max(500),
  data: RefundRequestedData,
});
export type RefundRequestedEvent = z.output<typeof RefundRequestedEvent>;

/**
 * The AWS EventBridge envelope. `detail` is either the webhook body (current schema) or `{}` (the 2023 schema: the
 * refunds are only in `resources`, the details come from the `order` query).
 */
export const EventBridgeEvent = z.object({
  version: z.string().max(100).optional(),
  id: z.string().min(1).max(512),
  'detail-type': z.string().min(1, 'must name the event type').max(200),
  source: z.string().max(512),
  account: z.string().max(100).optional(),
  time: z.string().max(100).optional(),
  region: z.string().max(100).optional(),
  resources: z.array(z.string()).max(500, 'must name at most 500 resources').optional(),
  detail: z.looseObject({}),
});
export type EventBridgeEvent = z.output<typeof EventBridgeEvent>;

/** The envelope around a REFUND_REQUESTED webhook body. */
export const EventBridgeEnvelope = EventBridgeEvent.extend({ detail: RefundRequestedEvent });

/** The thin 2023 form: `detail: {}`, the refunds only in `resources`. */
export const ThinEventBridgeEnvelope = EventBridgeEvent.extend({
  detail: z.object({}).strict(),
  resources: z.array(RefundResource).min(1, 'must name at least one refund').max(500),
});

/** Accepts either rich form and yields the webhook body. */
export const InboundRefundEvent = z.union([RefundRequestedEvent, EventBridgeEnvelope.transform((e) => e.detail)]);

/** Events that concern a refund and name it in `resources`: the first starts it, the others re-check a running one. */
export const REFUND_EVENT_TYPES = ['REFUND_REQUESTED', 'REFUND_COMPLETED'] as const;
export type RefundEventType = (typeof REFUND_EVENT_TYPES)[number];
