import { z } from 'zod';
import {
  Alias,
  BwpAmount,
  BwpOrder,
  PaymentDetails,
  RefundState,
  type BwpErrorType,
  type BwpValidationReason,
  type RefundDetails,
} from '../../domain/schemas/bwp';
import { type RequestRecord } from '../http';
import { type RateLimit } from '../rate-limit';
import { schemaProblems } from './schema';
import { BwpTokenIssuer } from './tokens';

/**
 * The Buy with Prime side of the sandbox: orders with their refunds, the rules of `updateOrder` as Amazon publishes them
 * for API version 2024-11-01, a ledger of every refund update it applied, the access tokens it issued, and the faults a
 * test can switch on. Plain in-process state; bwp/server.ts puts HTTP in front.
 *
 * Sources ("BWP:x" is https://documents.buywithprime.amazon.com/bwp-api/docs/x):
 * - BWP:order-objects-refunddetailsinput: refundTotal is cumulative, paymentDetails are this update's only.
 * - BWP:update-refund-details: the refund state transition table; aliases of a type overwrite, a new type is added.
 * - BWP:troubleshoot-refund-errors: the seven ValidationError codes of a refund update.
 * - BWP:best-practices-for-refunds: MissingRefundId, InvalidRefundId, DuplicateRefundId.
 */

/**
 * The transition table of BWP:update-refund-details (every crawl). REFUND_STATE's REJECTED
 * (BWP:order-objects-refundstateinput) has no row and no column in it, so nothing moves to or from REJECTED.
 */
export const ALLOWED_REFUND_MOVES: Readonly<Record<RefundState, readonly RefundState[]>> = {
  PENDING: ['PENDING', 'PARTIAL', 'FAILURE', 'SUCCESS'],
  FAILURE: ['PARTIAL', 'FAILURE', 'SUCCESS'],
  PARTIAL: ['PARTIAL', 'SUCCESS'],
  SUCCESS: ['SUCCESS'],
  REJECTED: [],
};

/** A rejected request: its published Error Type, and Error Code where the tables give one. */
export class BwpRequestError extends Error {
  constructor(
    readonly errorType: BwpErrorType,
    message: string,
    readonly errorCode?: BwpValidationReason,
  ) {
    super(message);
    this.name = 'BwpRequestError';
  }
}

export type OrderIdentifier = { orderId: string } | { alias: Alias };

/** updateOrder's arguments as graphql-js coerced them against schema.graphql (lists may hold nulls: `[T]`). */
export interface UpdateOrderArgs {
  orderIdentifier: OrderIdentifier;
  aliases?: (Alias | null)[] | null;
  refunds?: { details?: (RefundDetailsArgs | null)[] | null } | null;
}

export interface RefundDetailsArgs {
  id?: string | null;
  aliases?: (Alias | null)[] | null;
  paymentDetails?: (PaymentDetailsArgs | null)[] | null;
  refundFor?: { orderLineItems?: ({ lineItemId: { lineItemId?: string | null } } | null)[] | null } | null;
  refundRequestReason?: string | null;
  refundStatusReason?: string | null;
  refundTotal: { totalAmount: BwpAmount };
  state?: RefundState | null;
}

export interface PaymentDetailsArgs {
  id?: string | null;
  amount: BwpAmount;
  paymentMethod: { type?: string | null; displayString?: string | null };
  state?: string | null;
  aliases?: (Alias | null)[] | null;
  createdAt?: string | null;
  updatedAt?: string | null;
}

type StoredPayment = z.infer<typeof PaymentDetails>;

/** One refund update that updateOrder applied. */
export interface BwpLedgerEntry {
  seq: number;
  at: string;
  orderId: string;
  refundId: string;
  fromState: RefundState;
  state: RefundState;
  /** The cumulative total stored by this update. */
  refundTotal: BwpAmount;
  /** This update's paymentDetails, as appended to the refund (with their paymentMethod). */
  delta: StoredPayment[];
  /** The lines this update named in refundFor (null: it sent no refundFor). */
  refundFor: { lineItemIds: string[] } | null;
  /** The refund's aliases after this update. */
  aliases: Alias[];
  refundStatusReason: string | null;
}

export interface BwpFaults {
  /** Added before every API answer. */
  latencyMs: number;
  /** The next N GraphQL requests answer 429 ThrottlingError. */
  throttleBurst: number;
  /** Share (0..1) of GraphQL requests answered 500 InternalServerError before anything is applied. */
  errorRate: number;
  /** Retry-After sent with a 429. */
  retryAfterSeconds: number;
  /**
   * Answer 429 without Retry-After. Buy with Prime documents only "Send the request again using exponential backoff"
   * for ThrottlingError (https://documents.buywithprime.amazon.com/bwp-api/docs/troubleshoot-order-errors), no header.
   */
  omitRetryAfter: boolean;
  /** Token bucket of the account; null means unlimited. No limit is published: a simulator extension. */
  rateLimit: RateLimit | null;
}

export const BwpFaultsPatch = z
  .object({
    latencyMs: z.number().int().nonnegative(),
    throttleBurst: z.number().int().nonnegative(),
    errorRate: z.number().min(0).max(1),
    retryAfterSeconds: z.number().int().positive(),
    omitRetryAfter: z.boolean(),
    rateLimit: z.object({ perSecond: z.number().positive(), burst: z.number().int().positive().optional() }).nullable(),
  })
  .partial()
  .strict();
export type BwpFaultsPatch = z.infer<typeof BwpFaultsPatch>;

const BwpLedgerEntrySchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  orderId: z.string(),
  refundId: z.string(),
  fromState: RefundState,
  state: RefundState,
  refundTotal: BwpAmount,
  delta: z.array(PaymentDetails),
  refundFor: z.object({ lineItemIds: z.array(z.string()) }).nullable(),
  aliases: z.array(Alias),
  refundStatusReason: z.string().nullable(),
});

/** What a state file keeps of the BwP simulator (faults and tokens are not kept). */
export const BwpSnapshot = z.object({
  orders: z.array(z.object({ order: BwpOrder, externalRefundIds: z.array(z.string()) })),
  ledger: z.array(BwpLedgerEntrySchema),
});
export type BwpSnapshot = z.infer<typeof BwpSnapshot>;

interface StoredOrder {
  order: BwpOrder;
  /** Refunds created outside BwP (by the merchant); only their request reason may change. */
  externalRefundIds: Set<string>;
}

/** "The total number of aliases associated with an order are limited to 5" (BWP:sandbox-objects-order). */
const MAX_ORDER_ALIASES = 5;

function defaultFaults(rateLimit: RateLimit | null): BwpFaults {
  return { latencyMs: 0, throttleBurst: 0, errorRate: 0, retryAfterSeconds: 1, omitRetryAfter: false, rateLimit };
}

function invalid(message: string, errorCode?: BwpValidationReason): BwpRequestError {
  return new BwpRequestError('ValidationError', message, errorCode);
}

function present<T>(list: (T | null)[] | null | undefined, what: string): T[] {
  return (list ?? []).map((item, index) => {
    if (item === null) throw invalid(`${what}[${index}] is null`);
    return item;
  });
}

export class BwpSimulator {
  private orders = new Map<string, StoredOrder>();
  private entries: BwpLedgerEntry[] = [];
  private requestLog: RequestRecord[] = [];
  private currentFaults: BwpFaults;
  readonly tokens: BwpTokenIssuer;

  constructor(
    private readonly opts: {
      rateLimit?: RateLimit | null;
      /** Lifetime of issued access tokens (default 900 s, the documented 15 minutes). */
      tokenLifetimeSeconds?: number;
      /** Called after every change of kept state (the sandbox saves its state file there). */
      onChange?: () => void;
      now?: () => Date;
    } = {},
  ) {
    this.currentFaults = defaultFaults(opts.rateLimit ?? null);
    this.tokens = new BwpTokenIssuer({
      lifetimeSeconds: opts.tokenLifetimeSeconds,
      now: opts.now ? () => opts.now!().getTime() : undefined,
    });
  }

  // ---- orders ----

  /**
   * An order as the simulator would store it, or an error naming what is wrong: it must be one the published schema
   * could return (schema.graphql's `Order`: no field it lacks, every required field there), its refunds may name only
   * its own lines, and it is stored as `BwpOrder` parses it.
   */
  validateOrder(order: unknown): BwpOrder {
    const problems = schemaProblems(order, 'Order');
    if (problems.length > 0) throw new Error(`Not a Buy with Prime 2024-11-01 Order: ${problems.join('; ')}`);
    const parsed = BwpOrder.parse(order);
    const lineIds = new Set(parsed.lineItems.map((l) => l.id));
    for (const refund of parsed.refunds.details) {
      for (const entry of refund.refundFor?.orderLineItems ?? []) {
        if (!lineIds.has(entry.lineItem.id)) {
          throw new Error(`Refund ${refund.id} names line ${entry.lineItem.id}, which is not on order ${parsed.id}`);
        }
      }
    }
    return parsed;
  }

  /** Adds or replaces an order (and everything it holds); see validateOrder. */
  seedOrder(order: unknown, opts: { externalRefundIds?: string[] } = {}): void {
    const parsed = this.validateOrder(order);
    this.orders.set(parsed.id, { order: parsed, externalRefundIds: new Set(opts.externalRefundIds ?? []) });
    this.changed();
  }

  hasOrder(orderId: string): boolean {
    return this.orders.has(orderId);
  }

  /** A copy of the order as stored, or undefined. */
  order(orderId: string): BwpOrder | undefined {
    const stored = this.orders.get(orderId);
    return stored ? structuredClone(stored.order) : undefined;
  }

  /** The first order carrying this alias (e.g. EXTERNAL_ID = the store's order id). */
  orderByAlias(alias: Alias): BwpOrder | undefined {
    const stored = this.storedByAlias(alias);
    return stored ? structuredClone(stored.order) : undefined;
  }

  /** The order an OrderIdentifierInput names ("the Buy with Prime id or any valid aliases for the order"). */
  findOrder(identifier: OrderIdentifier): BwpOrder | undefined {
    return 'orderId' in identifier ? this.order(identifier.orderId) : this.orderByAlias(identifier.alias);
  }

  refund(orderId: string, refundId: string): RefundDetails | undefined {
    return this.order(orderId)?.refunds.details.find((r) => r.id === refundId);
  }

  // ---- updateOrder ----

  /**
   * Applies an update atomically: every rule is checked first, and nothing is kept unless all pass. Refund details are
   * checked against the order as it was before the call (a request is one change, not a sequence).
   */
  updateOrder(input: UpdateOrderArgs): BwpOrder {
    const stored =
      'orderId' in input.orderIdentifier
        ? this.orders.get(input.orderIdentifier.orderId)
        : this.storedByAlias(input.orderIdentifier.alias);
    if (!stored) {
      const named =
        'orderId' in input.orderIdentifier
          ? input.orderIdentifier.orderId
          : `${input.orderIdentifier.alias.aliasType} ${input.orderIdentifier.alias.aliasId}`;
      throw new BwpRequestError('ResourceNotFoundError', `Order ${named} was not found`);
    }
    const before = stored.order;
    const orderId = before.id;
    const draft = structuredClone(before);
    const at = this.now().toISOString();

    this.applyOrderAliases(draft, present(input.aliases, 'aliases'));

    const details = present(input.refunds?.details, 'refunds.details');
    this.checkRefundIds(details, before);
    const applied: Omit<BwpLedgerEntry, 'seq'>[] = [];
    const lineIds = new Set(before.lineItems.map((l) => l.id));

    for (const update of details) {
      const id = update.id!;
      const original = before.refunds.details.find((r) => r.id === id)!;
      const refund = draft.refunds.details.find((r) => r.id === id)!;

      const to = update.state ?? original.state;
      if (!ALLOWED_REFUND_MOVES[original.state].includes(to)) {
        throw invalid(`Refund ${id} cannot move from ${original.state} to ${to}`, 'InvalidRefundStateTransition');
      }
      if (
        update.refundRequestReason != null &&
        update.refundRequestReason !== (original.refundRequestReason ?? null) &&
        !stored.externalRefundIds.has(id)
      ) {
        throw invalid(
          `The refund request reason can only be updated on external refunds; refund ${id} was requested through Buy with Prime`,
          'InvalidRefundRequestReasonUpdate',
        );
      }
      const aliases = present(update.aliases, `refunds.details(${id}).aliases`);
      for (const alias of aliases) {
        const holder = before.refunds.details.find(
          (r) => r.id !== id && r.aliases.some((a) => a.aliasId === alias.aliasId),
        );
        if (holder) {
          throw invalid(`Alias ${alias.aliasId} is already associated with refund ${holder.id}`, 'InvalidAliasId');
        }
      }
      const reported = present(update.refundFor?.orderLineItems, `refunds.details(${id}).refundFor.orderLineItems`).map(
        (entry, index) => {
          const lineItemId = entry.lineItemId.lineItemId;
          // Not published: what BwP answers for a line that is not on the order. The sandbox's choice: a
          // ValidationError without an Error Code.
          if (lineItemId == null || lineItemId === '') {
            throw invalid(
              `refunds.details(${id}).refundFor.orderLineItems[${index}].lineItemId.lineItemId is required`,
            );
          }
          if (!lineIds.has(lineItemId)) throw invalid(`Line item ${lineItemId} is not a line of order ${orderId}`);
          return lineItemId;
        },
      );

      // Apply to the draft.
      for (const alias of aliases) {
        const existing = refund.aliases.find((a) => a.aliasType === alias.aliasType);
        if (existing) existing.aliasId = alias.aliasId;
        else refund.aliases.push({ aliasType: alias.aliasType, aliasId: alias.aliasId });
      }
      refund.refundTotal = { totalAmount: { ...update.refundTotal.totalAmount } };
      const delta: StoredPayment[] = present(update.paymentDetails, `refunds.details(${id}).paymentDetails`).map(
        (p) => ({
          id: p.id ?? null,
          amount: { ...p.amount },
          paymentMethod: { type: p.paymentMethod.type ?? null, displayString: p.paymentMethod.displayString ?? null },
          state: p.state ?? null,
        }),
      );
      refund.paymentDetails.push(...structuredClone(delta));
      if (update.refundFor) {
        const refundFor = (refund.refundFor ??= { orderLineItems: [] });
        for (const lineItemId of reported) {
          if (!refundFor.orderLineItems.some((l) => l.lineItem.id === lineItemId)) {
            refundFor.orderLineItems.push({ lineItem: { id: lineItemId }, amount: null });
          }
        }
      }
      if (update.refundStatusReason != null) refund.refundStatusReason = update.refundStatusReason;
      if (update.refundRequestReason != null) refund.refundRequestReason = update.refundRequestReason;
      refund.state = to;
      refund.updatedAt = at;

      applied.push({
        at,
        orderId,
        refundId: id,
        fromState: original.state,
        state: to,
        refundTotal: { ...update.refundTotal.totalAmount },
        delta,
        refundFor: update.refundFor ? { lineItemIds: reported } : null,
        aliases: refund.aliases.map((a) => ({ ...a })),
        refundStatusReason: refund.refundStatusReason ?? null,
      });
    }

    stored.order = draft;
    for (const entry of applied) this.entries.push({ seq: this.entries.length + 1, ...entry });
    this.changed();
    return structuredClone(draft);
  }

  /**
   * The request-wide refund id and alias rules (BWP:troubleshoot-refund-errors, BWP:best-practices-for-refunds):
   * every detail names a refund (MissingRefundId), at most once (DuplicateRefundId), of this order (InvalidRefundId),
   * and no two refunds of the request share an aliasId (DuplicateAliasId). The tables speak of the aliasId alone, so
   * the alias type is not considered.
   */
  private checkRefundIds(details: RefundDetailsArgs[], order: BwpOrder): void {
    const seen = new Set<string>();
    const aliasOwner = new Map<string, string>();
    details.forEach((update, index) => {
      const id = update.id;
      if (id == null || id === '') {
        throw invalid(`refunds.details[${index}] has no refund id`, 'MissingRefundId');
      }
      if (seen.has(id)) throw invalid(`Refund ${id} appears more than once in this request`, 'DuplicateRefundId');
      seen.add(id);
      for (const alias of update.aliases ?? []) {
        if (!alias) continue;
        const owner = aliasOwner.get(alias.aliasId);
        if (owner !== undefined && owner !== id) {
          throw invalid(`Refunds ${owner} and ${id} share the aliasId ${alias.aliasId}`, 'DuplicateAliasId');
        }
        aliasOwner.set(alias.aliasId, id);
      }
    });
    for (const id of seen) {
      if (!order.refunds.details.some((r) => r.id === id)) {
        throw invalid(`Refund ${id} is not a refund of order ${order.id}`, 'InvalidRefundId');
      }
    }
  }

  /**
   * UpdateOrderInput.aliases: "appended to existing ones; cannot update an existing alias, only extend", at most 5 in
   * all (BWP:order-objects-updateorderinput), and an alias "must be unique with the alias type in the merchant's store,
   * otherwise validation error" (BWP:order-objects-alias). No Error Code is published for either.
   */
  private applyOrderAliases(draft: BwpOrder, aliases: Alias[]): void {
    for (const alias of aliases) {
      if (draft.aliases.some((a) => a.aliasType === alias.aliasType && a.aliasId === alias.aliasId)) continue;
      const holder = this.storedByAlias(alias);
      if (holder && holder.order.id !== draft.id) {
        throw invalid(`Alias ${alias.aliasType} ${alias.aliasId} already belongs to another order`);
      }
      draft.aliases.push({ aliasType: alias.aliasType, aliasId: alias.aliasId });
    }
    if (draft.aliases.length > MAX_ORDER_ALIASES) {
      throw invalid(
        `An order has at most ${MAX_ORDER_ALIASES} aliases; this update would give it ${draft.aliases.length}`,
      );
    }
  }

  // ---- admin ----

  /**
   * Moves a refund as Buy with Prime or another system would (e.g. to SUCCESS: "resolved elsewhere", or to REJECTED).
   * No transition rule applies and nothing is written to the ledger, which lists only updateOrder reports.
   */
  setRefundState(change: {
    orderId: string;
    refundId: string;
    state: RefundState;
    refundStatusReason?: string | null;
    refundTotal?: BwpAmount;
  }): RefundDetails {
    const stored = this.orders.get(change.orderId);
    const refund = stored?.order.refunds.details.find((r) => r.id === change.refundId);
    if (!refund)
      throw new BwpRequestError(
        'ResourceNotFoundError',
        `Refund ${change.refundId} of order ${change.orderId} was not found`,
      );
    refund.state = change.state;
    if (change.refundStatusReason !== undefined) refund.refundStatusReason = change.refundStatusReason;
    if (change.refundTotal) refund.refundTotal = { totalAmount: { ...change.refundTotal } };
    refund.updatedAt = this.now().toISOString();
    this.changed();
    return structuredClone(refund);
  }

  /** Every refund update updateOrder applied, oldest first. */
  ledger(): readonly BwpLedgerEntry[] {
    return structuredClone(this.entries);
  }

  /** Every request that reached the API (POST /graphql and POST /token), oldest first. */
  requests(): readonly RequestRecord[] {
    return this.requestLog.map((r) => ({ ...r }));
  }

  /** The mutable log the HTTP layer appends to. */
  requestLogSink(): RequestRecord[] {
    return this.requestLog;
  }

  faults(): BwpFaults {
    return structuredClone(this.currentFaults);
  }

  setFaults(patch: BwpFaultsPatch): BwpFaults {
    this.currentFaults = { ...this.currentFaults, ...BwpFaultsPatch.parse(patch) };
    return this.faults();
  }

  /** Takes one request out of a throttle burst; true when this request must be throttled. */
  consumeThrottleBurst(): boolean {
    if (this.currentFaults.throttleBurst <= 0) return false;
    this.currentFaults.throttleBurst -= 1;
    return true;
  }

  /** Forgets orders, ledger, requests, faults and issued tokens. */
  reset(): void {
    this.orders.clear();
    this.entries = [];
    this.requestLog.length = 0;
    this.currentFaults = defaultFaults(this.opts.rateLimit ?? null);
    this.tokens.reset();
    this.changed();
  }

  snapshot(): BwpSnapshot {
    return structuredClone({
      orders: [...this.orders.values()].map((s) => ({ order: s.order, externalRefundIds: [...s.externalRefundIds] })),
      ledger: this.entries,
    });
  }

  restore(snapshot: BwpSnapshot): void {
    const parsed = BwpSnapshot.parse(snapshot);
    this.orders = new Map(
      parsed.orders.map((s) => [s.order.id, { order: s.order, externalRefundIds: new Set(s.externalRefundIds) }]),
    );
    this.entries = parsed.ledger;
  }

  private storedByAlias(alias: Alias): StoredOrder | undefined {
    for (const stored of this.orders.values()) {
      if (stored.order.aliases.some((a) => a.aliasType === alias.aliasType && a.aliasId === alias.aliasId)) {
        return stored;
      }
    }
    return undefined;
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  private changed(): void {
    this.opts.onChange?.();
  }
}
