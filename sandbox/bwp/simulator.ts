import { z } from 'zod';
import {
  ALIAS_EXTERNAL_REFUND_ID,
  Alias,
  BwpAmount,
  BwpOrder,
  RefundState,
  type BwpValidationReason,
  type RefundDetails,
} from '../../domain/schemas/bwp';
import { type RateLimit } from '../rate-limit';
import { type RequestRecord } from '../http';

/**
 * The Buy with Prime side of the sandbox: orders with their refunds, the rules of `updateOrder`, a ledger of every refund
 * update it applied, and the faults a test can switch on. Plain in-process state; bwp/server.ts puts HTTP in front.
 */

/** Refund state moves BwP accepts in updateOrder (docs/domain.md, "Reporting to Buy with Prime"). REJECTED is final. */
export const ALLOWED_REFUND_MOVES: Readonly<Record<RefundState, readonly RefundState[]>> = {
  PENDING: ['PENDING', 'PARTIAL', 'FAILURE', 'SUCCESS'],
  FAILURE: ['PARTIAL', 'FAILURE', 'SUCCESS'],
  PARTIAL: ['PARTIAL', 'SUCCESS'],
  SUCCESS: ['SUCCESS'],
  REJECTED: [],
};

export type BwpErrorCode = 'ValidationError' | 'ResourceNotFoundError';

/** A rejected request, reported as a GraphQL error with `extensions: { code, reason }`. */
export class BwpRequestError extends Error {
  constructor(
    readonly code: BwpErrorCode,
    message: string,
    readonly reason?: BwpValidationReason,
  ) {
    super(message);
    this.name = 'BwpRequestError';
  }
}

/** updateOrder's input as the GraphQL layer hands it over (already checked against schema.graphql). */
export interface UpdateOrderArgs {
  orderId: string;
  refunds: RefundUpdateArgs[];
}

export interface RefundUpdateArgs {
  id?: string | null;
  aliases?: Alias[] | null;
  refundTotal: { totalAmount: BwpAmount };
  paymentDetails?: { amount: BwpAmount }[] | null;
  refundFor?: {
    orderLineItems: { lineItemId: string; amount: number; refundAmount?: BwpAmount | null }[];
    shipping?: boolean | null;
  } | null;
  refundRequestReason?: string | null;
  refundStatusReason?: string | null;
  state: RefundState;
}

/** One refund update that updateOrder applied. */
export interface BwpLedgerEntry {
  seq: number;
  at: string;
  orderId: string;
  refundId: string;
  fromState: RefundState;
  state: RefundState;
  /** The cumulative total stored after this update. */
  refundTotal: BwpAmount;
  /** This update's paymentDetails: the money it reports, on top of earlier updates. */
  delta: BwpAmount[];
  refundFor: {
    orderLineItems: { lineItemId: string; amount: number; refundAmount: BwpAmount | null }[];
    shipping: boolean | null;
  } | null;
  /** The refund's aliases after this update. */
  aliases: Alias[];
  refundStatusReason: string | null;
}

export interface BwpFaults {
  /** Added before every API answer. */
  latencyMs: number;
  /** The next N API requests answer 429 ThrottlingError. */
  throttleBurst: number;
  /** Share (0..1) of API requests answered 500 InternalServerError before anything is applied. */
  errorRate: number;
  /** Retry-After sent with a throttle burst. */
  retryAfterSeconds: number;
  /** Token bucket of the account; null means unlimited. */
  rateLimit: RateLimit | null;
}

export const BwpFaultsPatch = z
  .object({
    latencyMs: z.number().int().nonnegative(),
    throttleBurst: z.number().int().nonnegative(),
    errorRate: z.number().min(0).max(1),
    retryAfterSeconds: z.number().int().positive(),
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
  delta: z.array(BwpAmount),
  refundFor: z
    .object({
      orderLineItems: z.array(
        z.object({ lineItemId: z.string(), amount: z.number().int(), refundAmount: BwpAmount.nullable() }),
      ),
      shipping: z.boolean().nullable(),
    })
    .nullable(),
  aliases: z.array(Alias),
  refundStatusReason: z.string().nullable(),
});

/** What a state file keeps of the BwP simulator (faults are a test's switch and are not kept). */
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

function defaultFaults(rateLimit: RateLimit | null): BwpFaults {
  return { latencyMs: 0, throttleBurst: 0, errorRate: 0, retryAfterSeconds: 1, rateLimit };
}

export class BwpSimulator {
  private orders = new Map<string, StoredOrder>();
  private entries: BwpLedgerEntry[] = [];
  private requestLog: RequestRecord[] = [];
  private currentFaults: BwpFaults;

  constructor(
    private readonly opts: {
      rateLimit?: RateLimit | null;
      /** Called after every change of kept state (the sandbox saves its state file there). */
      onChange?: () => void;
      now?: () => Date;
    } = {},
  ) {
    this.currentFaults = defaultFaults(opts.rateLimit ?? null);
  }

  // ---- orders ----

  /** Adds or replaces an order (and everything it holds). */
  seedOrder(order: z.input<typeof BwpOrder>, opts: { externalRefundIds?: string[] } = {}): void {
    const parsed = BwpOrder.parse(order);
    this.orders.set(parsed.id, { order: parsed, externalRefundIds: new Set(opts.externalRefundIds ?? []) });
    this.changed();
  }

  hasOrder(orderId: string): boolean {
    return this.orders.has(orderId);
  }

  /** A copy of the order as the `order` query returns it, or undefined. */
  order(orderId: string): BwpOrder | undefined {
    const stored = this.orders.get(orderId);
    return stored ? structuredClone(stored.order) : undefined;
  }

  /** The first order carrying this alias (e.g. EXTERNAL_ID = the store's order id). */
  orderByAlias(alias: Alias): BwpOrder | undefined {
    for (const { order } of this.orders.values()) {
      if (order.aliases.some((a) => a.aliasType === alias.aliasType && a.aliasId === alias.aliasId)) {
        return structuredClone(order);
      }
    }
    return undefined;
  }

  refund(orderId: string, refundId: string): RefundDetails | undefined {
    return this.order(orderId)?.refunds.details.find((r) => r.id === refundId);
  }

  // ---- updateOrder ----

  /**
   * Applies a refund report atomically: every refund update is checked against the order as the earlier updates of
   * the same call left it, and nothing is kept unless all pass.
   */
  updateOrder(input: UpdateOrderArgs): BwpOrder {
    const stored = this.orders.get(input.orderId);
    if (!stored) throw new BwpRequestError('ResourceNotFoundError', `Order ${input.orderId} was not found`);
    const draft = structuredClone(stored.order);
    const at = this.now().toISOString();
    const seen = new Set<string>();
    const applied: Omit<BwpLedgerEntry, 'seq'>[] = [];

    input.refunds.forEach((update, index) => {
      const id = update.id;
      if (!id) throw invalid('MissingRefundId', `refunds[${index}] has no id`);
      if (seen.has(id)) throw invalid('DuplicateRefundId', `Refund ${id} appears more than once in this request`);
      seen.add(id);
      const refund = draft.refunds.details.find((r) => r.id === id);
      if (!refund) throw invalid('InvalidRefundId', `Refund ${id} is not a refund of order ${input.orderId}`);
      if (!ALLOWED_REFUND_MOVES[refund.state].includes(update.state)) {
        throw invalid(
          'InvalidRefundStateTransition',
          `Refund ${id} cannot move from ${refund.state} to ${update.state}`,
        );
      }
      const external = stored.externalRefundIds.has(id);
      if (
        update.refundRequestReason != null &&
        !external &&
        update.refundRequestReason !== (refund.refundRequestReason ?? null)
      ) {
        throw invalid(
          'InvalidRefundRequestReasonUpdate',
          `The request reason of refund ${id} was set by Buy with Prime and cannot be changed`,
        );
      }
      for (const alias of update.aliases ?? []) {
        if (alias.aliasType === ALIAS_EXTERNAL_REFUND_ID) {
          const holder = draft.refunds.details.find(
            (r) => r.id !== id && r.aliases.some((a) => a.aliasType === alias.aliasType && a.aliasId === alias.aliasId),
          );
          if (holder) {
            throw invalid('DuplicateAliasId', `Alias ${alias.aliasId} is already used by refund ${holder.id}`);
          }
        }
        const existing = refund.aliases.find((a) => a.aliasType === alias.aliasType);
        if (existing) existing.aliasId = alias.aliasId;
        else refund.aliases.push({ aliasType: alias.aliasType, aliasId: alias.aliasId });
      }

      const fromState = refund.state;
      const delta = (update.paymentDetails ?? []).map((p) => ({ ...p.amount }));
      refund.refundTotal = { totalAmount: { ...update.refundTotal.totalAmount } };
      refund.paymentDetails.push(...delta.map((amount) => ({ amount })));
      const lines = (update.refundFor?.orderLineItems ?? []).map((l) => ({
        lineItemId: l.lineItemId,
        amount: l.amount,
        refundAmount: l.refundAmount ? { ...l.refundAmount } : null,
      }));
      if (update.refundFor) {
        // Lines are merged by line id, like aliases by type: a line reported again is overwritten, a new one is added.
        const refundFor = (refund.refundFor ??= { orderLineItems: [], shipping: null });
        for (const line of lines) {
          const reported = { lineItem: { id: line.lineItemId }, amount: line.amount, refundAmount: line.refundAmount };
          const position = refundFor.orderLineItems.findIndex((l) => l.lineItem.id === line.lineItemId);
          if (position >= 0) refundFor.orderLineItems[position] = reported;
          else refundFor.orderLineItems.push(reported);
        }
        if (update.refundFor.shipping != null) refundFor.shipping = update.refundFor.shipping;
      }
      if (update.refundStatusReason != null) refund.refundStatusReason = update.refundStatusReason;
      if (update.refundRequestReason != null) refund.refundRequestReason = update.refundRequestReason;
      refund.state = update.state;
      refund.updatedAt = at;

      applied.push({
        at,
        orderId: input.orderId,
        refundId: id,
        fromState,
        state: update.state,
        refundTotal: { ...update.refundTotal.totalAmount },
        delta,
        refundFor: update.refundFor ? { orderLineItems: lines, shipping: update.refundFor.shipping ?? null } : null,
        aliases: refund.aliases.map((a) => ({ ...a })),
        refundStatusReason: refund.refundStatusReason ?? null,
      });
    });

    stored.order = draft;
    for (const entry of applied) this.entries.push({ seq: this.entries.length + 1, ...entry });
    this.changed();
    return structuredClone(draft);
  }

  // ---- admin ----

  /**
   * Moves a refund as Buy with Prime or another system would (e.g. to SUCCESS: "resolved elsewhere"). No transition
   * rule applies and nothing is written to the ledger, which lists only updateOrder reports.
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

  /** Every request that reached POST /graphql, oldest first. */
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

  /** Forgets orders, ledger, requests and faults. */
  reset(): void {
    this.orders.clear();
    this.entries = [];
    this.requestLog.length = 0;
    this.currentFaults = defaultFaults(this.opts.rateLimit ?? null);
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

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  private changed(): void {
    this.opts.onChange?.();
  }
}

function invalid(reason: BwpValidationReason, message: string): BwpRequestError {
  return new BwpRequestError('ValidationError', message, reason);
}
