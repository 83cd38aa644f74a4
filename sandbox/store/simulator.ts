import { z } from 'zod';
import { type RefundErrorCode, RefundSuccess, StoreOrder } from '../../domain/schemas/store';
import { type RequestRecord } from '../http';
import { formatMinor, parseMinor } from '../money';
import { type RateLimit } from '../rate-limit';

/**
 * The merchant's store behind Purple Dot's `POST /admin/api/v1/refund`
 * (https://docs.getpurpledot.com/docs/purple-dot-apis/private-api/refund): orders, the refund rules with their
 * documented status and code, idempotency by (id, order), and a ledger of every refund that moved money. How the
 * refunded amount is computed is not published; the simulator prices line items itself: each unit at its unit price,
 * tax included, taking no more tax than the line's tax bucket has left when the order keeps one (`refundedTax`), so a
 * tax is never refunded twice. Plain in-process state; store/server.ts puts HTTP, auth, rate limits and faults in front.
 */

export type CommitThenFailMode = 'timeout' | '502' | 'reset';

export interface StoreFaults {
  /** Added before every API answer. */
  latencyMs: number;
  /** Share (0..1) of refund requests answered 503 before anything is applied. */
  errorRate: number;
  /** The next N refund requests answer 429 RATE_LIMITED. */
  throttleBurst: number;
  /** Retry-After sent with a throttle burst. */
  retryAfterSeconds: number;
  /** Throttle without a Retry-After header (the client must back off on its own). */
  omitRetryAfter: boolean;
  /**
   * The next `count` refunds that are applied answer badly: '502' a Bad Gateway, 'timeout' holds the connection for
   * `holdMs` and then drops it without an answer, 'reset' drops it at once. The money has moved in every case.
   */
  commitThenFail: { count: number; mode: CommitThenFailMode; holdMs: number };
  /** The next N refunds that pass validation answer 500 REFUND_FAILED without moving money. */
  paymentFailure: number;
  /**
   * Token bucket of the account; null means unlimited. Purple Dot documents no rate limit, 429 or Retry-After: this is
   * a simulator extension, so the service's throttling can be tested.
   */
  rateLimit: RateLimit | null;
}

export const StoreFaultsPatch = z
  .object({
    latencyMs: z.number().int().nonnegative(),
    errorRate: z.number().min(0).max(1),
    throttleBurst: z.number().int().nonnegative(),
    retryAfterSeconds: z.number().int().positive(),
    omitRetryAfter: z.boolean(),
    commitThenFail: z
      .object({
        count: z.number().int().nonnegative(),
        mode: z.enum(['timeout', '502', 'reset']),
        holdMs: z.number().int().nonnegative(),
      })
      .partial()
      .strict(),
    paymentFailure: z.number().int().nonnegative(),
    rateLimit: z.object({ perSecond: z.number().positive(), burst: z.number().int().positive().optional() }).nullable(),
  })
  .partial()
  .strict();
export type StoreFaultsPatch = z.input<typeof StoreFaultsPatch>;

/** A refund that moved money. */
export interface StoreLedgerEntry {
  seq: number;
  at: string;
  /** The idempotency key: the request's id and order. */
  key: { id: string; order: string };
  mode: 'line_items' | 'appeasement';
  /** The request body as received. */
  request: Record<string, unknown>;
  refunded: { amount: string; currency: string };
  /** One element per refunded unit, with the money it refunded and the tax in it. */
  lineItems: { id: string; amount: string; tax?: string }[];
  shipping: { refunded: boolean; amount: string | null };
}

export interface RefundErrorAnswer {
  error: { code: RefundErrorCode; message: string };
}

/** What the refund endpoint answers (before the envelope), and whether money moved because of this very request. */
export interface RefundAnswer {
  status: number;
  body: RefundSuccess | RefundErrorAnswer;
  /** True only for the request that applied the refund (not for an idempotent replay). */
  applied: boolean;
  /** True when the answer is the stored result of an earlier identical request. */
  replayed: boolean;
}

const StoredResult = z.object({ payload: z.string(), status: z.number().int(), body: RefundSuccess });

const StoreLedgerEntrySchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  key: z.object({ id: z.string(), order: z.string() }),
  mode: z.enum(['line_items', 'appeasement']),
  request: z.record(z.string(), z.unknown()),
  refunded: z.object({ amount: z.string(), currency: z.string() }),
  lineItems: z.array(z.object({ id: z.string(), amount: z.string(), tax: z.string().optional() })),
  shipping: z.object({ refunded: z.boolean(), amount: z.string().nullable() }),
});

/** What a state file keeps of the store (faults and the request log are not kept). */
export const StoreSnapshot = z.object({
  orders: z.array(StoreOrder),
  results: z.array(z.tuple([z.string(), StoredResult])),
  ledger: z.array(StoreLedgerEntrySchema),
});
export type StoreSnapshot = z.infer<typeof StoreSnapshot>;

function defaultFaults(rateLimit: RateLimit | null): StoreFaults {
  return {
    latencyMs: 0,
    errorRate: 0,
    throttleBurst: 0,
    retryAfterSeconds: 1,
    omitRetryAfter: false,
    commitThenFail: { count: 0, mode: '502', holdMs: 30_000 },
    paymentFailure: 0,
    rateLimit,
  };
}

function reject(status: number, code: RefundErrorCode, message: string): RefundAnswer {
  return { status, body: { error: { code, message } }, applied: false, replayed: false };
}

/** Tax still refundable on a line that keeps its tax bucket (`refundedTax`); Infinity when it keeps none. */
function lineTaxLeft(line: StoreOrder['lineItems'][number], minor: (amount: string) => number): number {
  if (line.refundedTax === undefined) return Infinity;
  return Math.max(0, line.quantity * minor(line.unitTax) - minor(line.refundedTax));
}

function countBy(ids: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with object keys sorted, so two payloads compare equal whatever order their keys came in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => value[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const CURRENCY = /^[A-Z]{3}$/;
const DECIMAL = /^\d+(\.\d+)?$/;

type Plan =
  | { mode: 'line_items'; lineIds: string[]; shipping: boolean }
  | { mode: 'appeasement'; amount: string; currency: string };

export class StoreSimulator {
  private orders = new Map<string, StoreOrder>();
  /** Successful results by idempotency key (order + id). Failures are not kept: the same key may be retried. */
  private results = new Map<string, z.infer<typeof StoredResult>>();
  private entries: StoreLedgerEntry[] = [];
  private requestLog: RequestRecord[] = [];
  private currentFaults: StoreFaults;

  constructor(
    private readonly opts: {
      rateLimit?: RateLimit | null;
      onChange?: () => void;
      now?: () => Date;
    } = {},
  ) {
    this.currentFaults = defaultFaults(opts.rateLimit ?? null);
  }

  // ---- orders ----

  /** Adds or replaces an order; its money must be exact in its currency. */
  seedOrder(order: z.input<typeof StoreOrder>): void {
    const parsed = StoreOrder.parse(order);
    const amounts = [
      parsed.shipping.amount,
      parsed.refundedTotal,
      ...parsed.lineItems.flatMap((l) => [l.unitPrice, l.unitTax]),
    ];
    for (const amount of amounts) {
      if (parseMinor(amount, parsed.currency) === null) {
        throw new Error(`Store order ${parsed.id}: ${amount} is not an amount in ${parsed.currency}`);
      }
    }
    this.orders.set(parsed.id, parsed);
    this.changed();
  }

  hasOrder(orderId: string): boolean {
    return this.orders.has(orderId);
  }

  /** A copy of the order as the merchant's GET /merchant/orders/:id returns it, or undefined. */
  order(orderId: string): StoreOrder | undefined {
    const order = this.orders.get(orderId);
    return order ? structuredClone(order) : undefined;
  }

  // ---- POST /admin/api/v1/refund ----

  /** Answers one refund body: validates, applies at most once per (id, order), and records what moved. */
  refund(raw: unknown): RefundAnswer {
    if (!isRecord(raw)) return reject(400, 'INVALID_REFUND_REQUEST', 'Body must be a JSON object');
    const { id, order: orderId } = raw;
    if (typeof id !== 'string' || id === '') return reject(400, 'INVALID_REFUND_REQUEST', 'id is required');
    if (typeof orderId !== 'string' || orderId === '') {
      return reject(400, 'INVALID_REFUND_REQUEST', 'order is required');
    }

    const key = `${orderId}\u0000${id}`;
    const payload = canonicalJson(raw);
    const previous = this.results.get(key);
    if (previous) {
      if (previous.payload !== payload) {
        return reject(
          409,
          'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH',
          `Refund ${id} of order ${orderId} was already requested with a different payload`,
        );
      }
      return { status: previous.status, body: structuredClone(previous.body), applied: false, replayed: true };
    }

    const plan = this.readPlan(raw);
    if ('status' in plan) return plan;
    const order = this.orders.get(orderId);
    if (!order) return reject(404, 'UNKNOWN_ORDER', `Order ${orderId} was not found`);

    const preorders = new Set(order.lineItems.filter((l) => l.kind === 'preorder').map((l) => l.preorderId ?? ''));
    if (preorders.size > 1) {
      return reject(501, 'MULTIPLE_PREORDERS_NOT_SUPPORTED', 'Orders that span multiple pre-orders are not supported');
    }
    if (preorders.size === 1 && order.lineItems.some((l) => l.kind === 'checkout')) {
      return reject(500, 'REFUND_FAILED', 'Order has mixed checkout and pre-order line items');
    }

    const currency = order.currency;
    const minor = (amount: string) => parseMinor(amount, currency) ?? 0;
    let amount: number;
    const elements: { id: string; amount: string; tax?: string }[] = [];
    let shipping: StoreLedgerEntry['shipping'] = { refunded: false, amount: null };

    if (plan.mode === 'appeasement') {
      if (plan.currency !== currency) {
        return reject(400, 'CURRENCY_MISMATCH', `Currency ${plan.currency} is not the order's currency ${currency}`);
      }
      const requested = parseMinor(plan.amount, currency);
      if (requested === null) {
        return reject(400, 'INVALID_REFUND_REQUEST', `amount ${plan.amount} has more decimals than ${currency} allows`);
      }
      if (requested <= 0) return reject(400, 'INVALID_REFUND_REQUEST', 'amount must be greater than zero');
      const total =
        order.lineItems.reduce((sum, l) => sum + minor(l.unitPrice) * l.quantity, 0) + minor(order.shipping.amount);
      const remaining = total - minor(order.refundedTotal);
      if (requested > remaining) {
        return reject(
          400,
          'INVALID_REFUND_REQUEST',
          `amount ${plan.amount} exceeds the ${formatMinor(remaining, currency)} ${currency} left to refund on the order`,
        );
      }
      amount = requested;
    } else {
      const unknown = [...new Set(plan.lineIds.filter((lid) => !order.lineItems.some((l) => l.id === lid)))];
      if (unknown.length > 0) {
        return reject(404, 'UNKNOWN_LINE_ITEMS', `Line items not on order ${orderId}: ${unknown.join(', ')}`);
      }
      if (plan.shipping && order.shipping.refunded) {
        return reject(400, 'SHIPPING_ALREADY_REFUNDED', `Shipping of order ${orderId} was already refunded`);
      }
      const counts = countBy(plan.lineIds);
      const short = order.lineItems.filter((l) => (counts.get(l.id) ?? 0) > l.quantity - l.refundedQuantity);
      if (short.length > 0) {
        const detail = short
          .map((l) => `${l.id} asks ${counts.get(l.id)}, ${l.quantity - l.refundedQuantity} left`)
          .join('; ');
        return reject(400, 'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND', `Not enough items left to refund: ${detail}`);
      }
      amount = 0;
      // Each unit at its price, tax included; a line that keeps its tax bucket gives no more tax than it has left.
      const taxLeft = new Map(order.lineItems.map((l) => [l.id, lineTaxLeft(l, minor)]));
      for (const lid of plan.lineIds) {
        const line = order.lineItems.find((l) => l.id === lid)!;
        const left = taxLeft.get(lid) ?? Infinity;
        const tax = Math.min(minor(line.unitTax), left);
        taxLeft.set(lid, left - tax);
        const unit = minor(line.unitPrice) - minor(line.unitTax) + tax;
        amount += unit;
        elements.push({ id: lid, amount: formatMinor(unit, currency), tax: formatMinor(tax, currency) });
      }
      if (plan.shipping) {
        amount += minor(order.shipping.amount);
        shipping = { refunded: true, amount: order.shipping.amount };
      }
    }

    if (this.currentFaults.paymentFailure > 0) {
      this.currentFaults.paymentFailure -= 1;
      return reject(500, 'REFUND_FAILED', 'The payment refund failed');
    }

    // Apply: from here on, money has moved.
    if (plan.mode === 'line_items') {
      for (const [lid, count] of countBy(plan.lineIds)) {
        const line = order.lineItems.find((l) => l.id === lid)!;
        line.refundedQuantity += count;
        // A refunded unit takes the tax it refunded with it; keep the line's tax bucket true when the order has one.
        if (line.refundedTax !== undefined) {
          const taxed = elements.filter((e) => e.id === lid).reduce((sum, e) => sum + minor(e.tax ?? '0'), 0);
          line.refundedTax = formatMinor(minor(line.refundedTax) + taxed, currency);
        }
      }
      if (plan.shipping) order.shipping.refunded = true;
    }
    order.refundedTotal = formatMinor(minor(order.refundedTotal) + amount, currency);

    const body: RefundSuccess = { id, order: orderId, refunded: { amount: formatMinor(amount, currency), currency } };
    this.results.set(key, { payload, status: 201, body });
    this.entries.push({
      seq: this.entries.length + 1,
      at: this.now().toISOString(),
      key: { id, order: orderId },
      mode: plan.mode,
      request: structuredClone(raw),
      refunded: body.refunded,
      lineItems: elements,
      shipping,
    });
    this.changed();
    return { status: 201, body: structuredClone(body), applied: true, replayed: false };
  }

  /** The request-only checks (no order needed), in the endpoint's terms. */
  private readPlan(raw: Record<string, unknown>): Plan | RefundAnswer {
    const hasLines = raw.line_items !== undefined || raw.shipping !== undefined;
    const hasAppeasement = raw.amount !== undefined || raw.currency !== undefined;
    if (hasLines && hasAppeasement) {
      return reject(
        400,
        'INVALID_REFUND_REQUEST',
        'A refund is either line items (line_items/shipping) or an appeasement (amount/currency), not both',
      );
    }
    if (!hasLines && !hasAppeasement) {
      return reject(400, 'INVALID_REFUND_REQUEST', 'Give line_items and/or shipping, or an amount and currency');
    }
    if (hasAppeasement) {
      if (typeof raw.amount !== 'string' || !DECIMAL.test(raw.amount)) {
        return reject(400, 'INVALID_REFUND_REQUEST', 'amount must be a decimal string such as "10.00"');
      }
      if (typeof raw.currency !== 'string' || !CURRENCY.test(raw.currency)) {
        return reject(400, 'INVALID_REFUND_REQUEST', 'currency must be an ISO 4217 code such as "USD"');
      }
      return { mode: 'appeasement', amount: raw.amount, currency: raw.currency };
    }
    if (raw.shipping !== undefined && typeof raw.shipping !== 'boolean') {
      return reject(400, 'INVALID_REFUND_REQUEST', 'shipping must be true or false');
    }
    if (raw.line_items !== undefined && !Array.isArray(raw.line_items)) {
      return reject(400, 'INVALID_REFUND_REQUEST', 'line_items must be an array');
    }
    const items: unknown[] = (raw.line_items as unknown[] | undefined) ?? [];
    const lineIds: string[] = [];
    for (const [index, item] of items.entries()) {
      if (!isRecord(item) || typeof item.id !== 'string' || item.id === '' || typeof item.quantity !== 'number') {
        return reject(400, 'INVALID_LINE_ITEMS', `line_items[${index}] needs an id and a quantity`);
      }
      if (item.quantity !== 1) {
        return reject(400, 'INVALID_LINE_ITEMS', `line_items[${index}] has quantity ${item.quantity}; it must be 1`);
      }
      lineIds.push(item.id);
    }
    const shipping = raw.shipping === true;
    if (lineIds.length === 0 && !shipping) {
      return reject(400, 'INVALID_REFUND_REQUEST', 'A line-item refund needs at least one line item or shipping: true');
    }
    return { mode: 'line_items', lineIds, shipping };
  }

  // ---- ledger, faults, state ----

  /** Every refund that moved money, oldest first. */
  ledger(): readonly StoreLedgerEntry[] {
    return structuredClone(this.entries);
  }

  /** Every request that reached the API, oldest first. */
  requests(): readonly RequestRecord[] {
    return this.requestLog.map((r) => ({ ...r }));
  }

  /** The mutable log the HTTP layer appends to. */
  requestLogSink(): RequestRecord[] {
    return this.requestLog;
  }

  faults(): StoreFaults {
    return structuredClone(this.currentFaults);
  }

  setFaults(patch: StoreFaultsPatch): StoreFaults {
    const parsed = StoreFaultsPatch.parse(patch);
    const { commitThenFail, ...rest } = parsed;
    this.currentFaults = {
      ...this.currentFaults,
      ...rest,
      commitThenFail: { ...this.currentFaults.commitThenFail, ...commitThenFail },
    };
    return this.faults();
  }

  /** Takes one request out of a throttle burst; true when this request must be throttled. */
  consumeThrottleBurst(): boolean {
    if (this.currentFaults.throttleBurst <= 0) return false;
    this.currentFaults.throttleBurst -= 1;
    return true;
  }

  /** Takes one refund out of a commit-then-fail fault; answers how to fail it, or null to answer normally. */
  consumeCommitThenFail(): { mode: CommitThenFailMode; holdMs: number } | null {
    const fault = this.currentFaults.commitThenFail;
    if (fault.count <= 0) return null;
    fault.count -= 1;
    return { mode: fault.mode, holdMs: fault.holdMs };
  }

  /** Forgets orders, results, ledger, requests and faults. */
  reset(): void {
    this.orders.clear();
    this.results.clear();
    this.entries = [];
    this.requestLog.length = 0;
    this.currentFaults = defaultFaults(this.opts.rateLimit ?? null);
    this.changed();
  }

  snapshot(): StoreSnapshot {
    return structuredClone({
      orders: [...this.orders.values()],
      results: [...this.results.entries()],
      ledger: this.entries,
    });
  }

  restore(snapshot: StoreSnapshot): void {
    const parsed = StoreSnapshot.parse(snapshot);
    this.orders = new Map(parsed.orders.map((o) => [o.id, o]));
    this.results = new Map(parsed.results);
    this.entries = parsed.ledger;
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  private changed(): void {
    this.opts.onChange?.();
  }
}
