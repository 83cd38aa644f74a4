import { z } from 'zod';
import {
  ALIAS_EXTERNAL_ID,
  ALIAS_EXTERNAL_ITEM_ID,
  ALIAS_SKU,
  BwpOrder,
  type BwpAmount,
  type LineItem,
  type RefundDetails,
} from './schemas/bwp';
import { StoreOrder } from './schemas/store';
import {
  type Minor,
  ZERO,
  MoneyError,
  add,
  allocate,
  fromBwpAmount,
  isKnownCurrency,
  max,
  min,
  mulInt,
  parseDecimal,
  prorate,
  sub,
  sum,
  isNegative,
} from './money';
import { type Problem, problem } from './problems';
import { type ReasonPolicy } from './reasons';

/** What the merchant allows; built from config (REASON_MAP, DEFAULT_MERCHANT_REASON, ALLOW_APPEASEMENT). */
export type Policy = { reasons: ReasonPolicy; allowAppeasement: boolean };

/**
 * Everything the rules look at, read fresh before each decision.
 * `storeOrder`: undefined when the store order was not read (store checks are skipped); null when the store said it
 * has no such order.
 */
export type RefundContext = { order: BwpOrder; refundId: string; storeOrder?: StoreOrder | null; policy: Policy };

export const PolicySchema = z.object({
  reasons: z.object({
    map: z.record(z.string(), z.string()),
    defaultReason: z.string().optional(),
    merchantReasons: z.array(z.string()).readonly(),
  }),
  allowAppeasement: z.boolean(),
});

/** Refund states whose money has left (or partly left) the merchant. */
const REFUNDED_STATES: ReadonlySet<string> = new Set(['PARTIAL', 'SUCCESS']);

export type StoreLineView = {
  id: string;
  sku?: string;
  kind: 'checkout' | 'preorder';
  preorderId?: string;
  quantity: number;
  refundedQuantity: number;
};

/**
 * One BwP line as the rules see it. Money is in minor units of the order's currency. A line's tax and discount are
 * spread over its units by cumulative floor shares (see `valueOfUnits`), so `unitTax`/`unitDiscount` are the share of
 * one unit and the last unit absorbs the rounding.
 */
export type LineView = {
  lineItemId: string;
  /** The store's line id: the EXTERNAL_ITEM_ID alias, else the SKU alias (matched to a store line when it is known). */
  storeLineId?: string;
  storeLineVia?: 'EXTERNAL_ITEM_ID' | 'SKU';
  sku?: string;
  title?: string;
  currency: string;
  /** Null when neither BwP nor the store gives the ordered quantity. */
  orderedQty: number | null;
  /** Largest count among the sources: other BwP refunds (PARTIAL/SUCCESS) and the store (refunds made elsewhere). */
  refundedQty: number;
  /** Units that can still be refunded (the store's count wins when lower). Null when orderedQty is unknown. */
  remainingQty: number | null;
  /** Null when the price was left blank (or is unreadable). */
  unitPrice: Minor | null;
  unitDiscount: Minor;
  unitTax: Minor;
  /** Line discounts plus the line's share of order-level discounts. */
  lineDiscount: Minor;
  lineTax: Minor;
  /** ordered × unit price − discounts + tax. Null when price or quantity is unknown. */
  paidTotal: Minor | null;
  /** A lower bound of the money already refunded on this line (the largest among the sources). */
  refundedAmount: Minor;
  remainingAmount: Minor | null;
  /** Tax of this line already refunded: the refunded units' share, or more when the store says so. */
  taxRefunded: Minor;
  /** What the next single unit refunds (see valueOfUnits); null when unknown. */
  nextUnitValue: Minor | null;
  /** undefined: store order not read; null: this line is not on the store order (any more). */
  storeLine?: StoreLineView | null;
  /** The store line now carries another SKU than the one BwP recorded at order time. */
  relinked: boolean;
  /** Units no longer refundable (refunded or gone from the store order); internal to valueOfUnits. */
  consumedQty: number;
};

export type ShippingView = {
  /** Shipping charge including its tax; zero when the order has none. */
  amount: Minor;
  refunded: boolean;
  remaining: Minor;
};

export type OrderView = {
  orderId: string;
  storeOrderId?: string;
  currency: string;
  lines: LineView[];
  shipping: ShippingView;
  grandTotal: Minor;
  /** The largest among: other BwP refunds' totals, the store's refunded total, and the lines + shipping refunded. */
  refunded: Minor;
  remaining: Minor;
  /** Data problems found while reading the order (currency mismatches, unreadable amounts). */
  problems: Problem[];
  /** False when the order's money cannot be read at all (unsupported currency, sums beyond 2^53): lines are empty. */
  readable: boolean;
};

function storeLineId(line: LineItem, store: StoreOrder | null | undefined) {
  const external = line.aliases.find((a) => a.aliasType === ALIAS_EXTERNAL_ITEM_ID);
  if (external) return { id: external.aliasId, via: 'EXTERNAL_ITEM_ID' as const };
  const skuAlias = line.aliases.find((a) => a.aliasType === ALIAS_SKU)?.aliasId;
  if (skuAlias === undefined) return undefined;
  // Without the store order the SKU alias is taken as the line id (schema.graphql); with it, a store line whose id or
  // unique SKU matches is preferred.
  if (!store) return { id: skuAlias, via: 'SKU' as const };
  const byId = store.lineItems.find((l) => l.id === skuAlias);
  if (byId) return { id: byId.id, via: 'SKU' as const };
  const bySku = store.lineItems.filter((l) => l.sku === skuAlias);
  return bySku.length === 1 ? { id: bySku[0]!.id, via: 'SKU' as const } : { id: skuAlias, via: 'SKU' as const };
}

/** Other refunds of the order whose money has moved. */
function settledRefunds(order: BwpOrder, refundId: string): RefundDetails[] {
  return order.refunds.details.filter((r) => r.id !== refundId && REFUNDED_STATES.has(r.state));
}

export function findRefund(order: BwpOrder, refundId: string): RefundDetails | undefined {
  return order.refunds.details.find((r) => r.id === refundId);
}

export function storeOrderIdOf(order: BwpOrder): string | undefined {
  return order.aliases.find((a) => a.aliasType === ALIAS_EXTERNAL_ID)?.aliasId;
}

/** Reads a BwP amount in the order currency; records a problem and returns undefined when it cannot. */
export function readAmount(
  a: BwpAmount | null | undefined,
  currency: string,
  problems: Problem[],
  where: { lineItemId?: string; field: string },
): Minor | undefined {
  if (a === null || a === undefined) return undefined;
  if (a.currencyCode !== currency) {
    problems.push(
      problem('CURRENCY_MISMATCH', `${where.field} is in ${a.currencyCode} but the order is in ${currency}.`, where),
    );
    return undefined;
  }
  try {
    return fromBwpAmount(a);
  } catch (e) {
    problems.push(problem('INVALID_AMOUNT', `${where.field}: ${(e as Error).message}.`, where));
    return undefined;
  }
}

function sumAmounts(
  list: readonly { amount: BwpAmount }[],
  currency: string,
  problems: Problem[],
  where: { lineItemId?: string; field: string },
): Minor {
  return sum(
    list.map((x, i) => readAmount(x.amount, currency, problems, { ...where, field: `${where.field}[${i}]` }) ?? ZERO),
  );
}

/** Money of `m` units counted from the first unit of a line: m × price − discount share + tax share. */
function principalShare(l: Pick<LineView, 'unitPrice' | 'lineDiscount' | 'orderedQty'>, m: number): Minor {
  return sub(mulInt(l.unitPrice!, m), prorate(l.lineDiscount, m, l.orderedQty!));
}

/**
 * What refunding `n` more units of a line is worth: the units' price less their discount share, plus their tax share
 * unless that tax was already refunded, never more than what remains on the line. Units are counted after those
 * already refunded (or gone from the store order) by cumulative floor shares: the first m units of a line carry
 * m × price − floor(m × discount / ordered) + floor(m × tax / ordered). So refunding the remaining units one by one
 * or all at once gives the same total, the last unit absorbs the rounding, and refunding every remaining unit is
 * worth exactly what remains of the line. Null when the price or quantity is unknown.
 *
 * `includeRefundedTax` gives the value as if no tax had been refunded yet (to recognise an amount that counts tax
 * twice).
 */
export function valueOfUnits(l: LineView, n: number, opts: { includeRefundedTax?: boolean } = {}): Minor | null {
  if (l.unitPrice === null || l.orderedQty === null || l.orderedQty === 0 || l.remainingAmount === null) return null;
  if (!Number.isSafeInteger(n) || n <= 0) return ZERO;
  const q = l.orderedQty;
  const k = Math.min(q, l.consumedQty);
  const end = Math.min(q, k + n);
  const principal = sub(principalShare(l, end), principalShare(l, k));
  const taxOfUnitsBefore = prorate(l.lineTax, k, q);
  const taxBefore = opts.includeRefundedTax ? taxOfUnitsBefore : max(taxOfUnitsBefore, l.taxRefunded);
  const tax = max(ZERO, sub(prorate(l.lineTax, end, q), taxBefore));
  const value = add(principal, tax);
  return opts.includeRefundedTax ? value : min(value, l.remainingAmount);
}

/** Tax of the line refunded beyond the refunded units' share (e.g. a tax-only refund): the tax bucket already used. */
export function taxRefundedBeyondUnits(l: LineView): Minor {
  if (l.orderedQty === null || l.orderedQty === 0) return l.taxRefunded;
  return max(ZERO, sub(l.taxRefunded, prorate(l.lineTax, Math.min(l.orderedQty, l.refundedQty), l.orderedQty)));
}

type Draft = { view: Omit<LineView, 'nextUnitValue'>; bwpMoney: Minor; storeTax?: Minor };

function emptyView(order: BwpOrder, currency: string, problems: Problem[]): OrderView {
  const storeOrderId = storeOrderIdOf(order);
  return {
    orderId: order.id,
    ...(storeOrderId !== undefined ? { storeOrderId } : {}),
    currency,
    lines: [],
    shipping: { amount: ZERO, refunded: false, remaining: ZERO },
    grandTotal: ZERO,
    refunded: ZERO,
    remaining: ZERO,
    problems,
    readable: false,
  };
}

/**
 * Builds the per-line view of the order that every rule reads: ids on both sides, quantities and money ordered,
 * refunded and remaining, shipping, and what remains on the order. Pure and total: unreadable amounts become
 * `problems` and unknown values null; it does not throw on a parsed order.
 */
export function describeOrder(ctx: RefundContext): OrderView {
  const currency = ctx.order.totals.grandTotal.currencyCode;
  if (!isKnownCurrency(currency)) {
    return emptyView(ctx.order, currency, [
      problem('UNSUPPORTED_CURRENCY', `The order's currency ${currency} is not supported.`, {
        field: 'totals.grandTotal',
      }),
    ]);
  }
  try {
    return buildView(ctx, currency);
  } catch (e) {
    // Only sums beyond 2^53 minor units get here; such an order cannot be refunded exactly.
    if (!(e instanceof MoneyError)) throw e;
    return emptyView(ctx.order, currency, [
      problem('INVALID_ORDER_DATA', `The order's amounts are unusable: ${e.message}.`),
    ]);
  }
}

function buildView(ctx: RefundContext, currency: string): OrderView {
  const { order, refundId } = ctx;
  const store = ctx.storeOrder;
  const problems: Problem[] = [];
  const settled = settledRefunds(order, refundId);

  const drafts: Draft[] = order.lineItems.map((line, index) => {
    const where = { lineItemId: line.id, field: `lineItems[${index}]` };
    const mapped = storeLineId(line, store);
    const raw = store && mapped ? store.lineItems.find((l) => l.id === mapped.id) : undefined;
    let storeLine: StoreLineView | null | undefined;
    if (store) {
      storeLine = raw
        ? {
            id: raw.id,
            ...(raw.sku ? { sku: raw.sku } : {}),
            kind: raw.kind,
            ...(raw.preorderId ? { preorderId: raw.preorderId } : {}),
            quantity: raw.quantity,
            refundedQuantity: raw.refundedQuantity,
          }
        : null;
    }
    const sku = line.product.sku ?? line.aliases.find((a) => a.aliasType === ALIAS_SKU)?.aliasId ?? undefined;

    const orderedQty = line.amount ?? storeLine?.quantity ?? null;
    let bwpRefundedQty = 0;
    let bwpMoney = ZERO;
    for (const r of settled) {
      for (const [i, entry] of (r.refundFor?.orderLineItems ?? []).entries()) {
        if (entry.lineItem.id !== line.id) continue;
        if (typeof entry.amount === 'number' && entry.amount > 0) bwpRefundedQty += entry.amount;
        const money = readAmount(entry.refundAmount, currency, problems, {
          lineItemId: line.id,
          field: `refunds[${r.id}].refundFor.orderLineItems[${i}].refundAmount`,
        });
        if (money !== undefined) bwpMoney = add(bwpMoney, money);
      }
    }
    const refundedAnywhere = Math.max(bwpRefundedQty, storeLine?.refundedQuantity ?? 0);
    const refundedQty = orderedQty === null ? refundedAnywhere : Math.min(orderedQty, refundedAnywhere);
    let remainingQty = orderedQty === null ? null : orderedQty - refundedQty;
    if (remainingQty !== null && storeLine) {
      // The store is the truth for what is left: units removed there cannot be refunded by line any more.
      remainingQty = Math.max(0, Math.min(remainingQty, storeLine.quantity - storeLine.refundedQuantity));
    }
    const consumedQty = orderedQty === null || remainingQty === null ? refundedQty : orderedQty - remainingQty;

    const unitPrice =
      readAmount(line.product.price, currency, problems, { ...where, field: `${where.field}.product.price` }) ?? null;
    const lineDiscount = sumAmounts(line.discounts, currency, problems, {
      ...where,
      field: `${where.field}.discounts`,
    });
    const lineTax = sumAmounts(line.taxes, currency, problems, { ...where, field: `${where.field}.taxes` });
    let storeTax: Minor | undefined;
    if (raw?.refundedTax !== undefined && store) {
      try {
        storeTax = parseDecimal(raw.refundedTax, currency);
      } catch (e) {
        problems.push(
          problem('INVALID_ORDER_DATA', `Store line ${raw.id} refundedTax: ${(e as Error).message}.`, where),
        );
      }
    }
    const relinked = !!storeLine?.sku && !!sku && storeLine.sku !== sku;
    const title = line.product.title ?? undefined;
    const view: Omit<LineView, 'nextUnitValue'> = {
      lineItemId: line.id,
      ...(mapped ? { storeLineId: mapped.id, storeLineVia: mapped.via } : {}),
      ...(sku !== undefined ? { sku } : {}),
      ...(title !== undefined ? { title } : {}),
      currency,
      orderedQty,
      refundedQty,
      remainingQty,
      unitPrice,
      unitDiscount: ZERO,
      unitTax: ZERO,
      lineDiscount,
      lineTax,
      paidTotal: null,
      refundedAmount: bwpMoney,
      remainingAmount: null,
      taxRefunded: storeTax ?? ZERO,
      ...(storeLine !== undefined ? { storeLine } : {}),
      relinked,
      consumedQty,
    };
    return { view, bwpMoney, ...(storeTax !== undefined ? { storeTax } : {}) };
  });

  // Order-level discounts reduce what each line paid, in proportion to the line's value after its own discounts.
  const orderDiscount = sumAmounts(order.discounts, currency, problems, { field: 'discounts' });
  const gross = drafts.map(({ view: v }) =>
    v.unitPrice === null || v.orderedQty === null
      ? ZERO
      : max(ZERO, sub(mulInt(v.unitPrice, v.orderedQty), v.lineDiscount)),
  );
  const grossTotal = sum(gross);
  if (orderDiscount > grossTotal) {
    problems.push(
      problem('INVALID_ORDER_DATA', 'The order-level discounts exceed the value of its lines.', { field: 'discounts' }),
    );
  }
  const discountShares = allocate(min(orderDiscount, grossTotal), gross, gross);

  const lines: LineView[] = drafts.map(({ view: draft, bwpMoney, storeTax }, i) => {
    const v: LineView = { ...draft, lineDiscount: add(draft.lineDiscount, discountShares[i]!), nextUnitValue: null };
    if (v.unitPrice !== null && v.orderedQty !== null && v.orderedQty > 0) {
      const q = v.orderedQty;
      const paid = add(sub(mulInt(v.unitPrice, q), v.lineDiscount), v.lineTax);
      if (isNegative(paid)) {
        problems.push(
          problem('INVALID_ORDER_DATA', `Line ${v.lineItemId} has more discount than value.`, {
            lineItemId: v.lineItemId,
          }),
        );
      }
      v.paidTotal = max(ZERO, paid);
      v.unitDiscount = prorate(v.lineDiscount, 1, q);
      v.unitTax = prorate(v.lineTax, 1, q);
      v.taxRefunded = min(v.lineTax, max(prorate(v.lineTax, v.refundedQty, q), storeTax ?? ZERO));
      // Each source is a lower bound of what left the line; the largest is the best estimate without double counting.
      const unitsRefunded = add(principalShare(v, v.refundedQty), v.taxRefunded);
      v.refundedAmount = min(v.paidTotal, max(unitsRefunded, bwpMoney));
      v.remainingAmount = max(ZERO, sub(v.paidTotal, v.refundedAmount));
    }
    v.nextUnitValue = v.remainingQty !== null && v.remainingQty > 0 ? valueOfUnits(v, 1) : null;
    return v;
  });

  // Shipping is one bucket per order: refunded by an earlier BwP refund or on the store, it is gone.
  let shippingAmount = ZERO;
  if (order.shipping) {
    shippingAmount = add(
      readAmount(order.shipping.amount, currency, problems, { field: 'shipping.amount' }) ?? ZERO,
      readAmount(order.shipping.tax, currency, problems, { field: 'shipping.tax' }) ?? ZERO,
    );
  }
  const shippingRefunded = settled.some((r) => r.refundFor?.shipping === true) || (store?.shipping.refunded ?? false);
  const shipping: ShippingView = {
    amount: shippingAmount,
    refunded: shippingRefunded,
    remaining: shippingRefunded ? ZERO : shippingAmount,
  };

  const grandTotal = readAmount(order.totals.grandTotal, currency, problems, { field: 'totals.grandTotal' }) ?? ZERO;
  const fromBwp = sum(
    settled.map(
      (r) =>
        readAmount(r.refundTotal?.totalAmount, currency, problems, { field: `refunds[${r.id}].refundTotal` }) ?? ZERO,
    ),
  );
  let fromStore = ZERO;
  if (store && store.currency === currency) {
    try {
      fromStore = parseDecimal(store.refundedTotal, currency);
    } catch (e) {
      problems.push(problem('INVALID_ORDER_DATA', `Store order refundedTotal: ${(e as Error).message}.`));
    }
  }
  const fromLines = add(sum(lines.map((l) => l.refundedAmount)), shippingRefunded ? shippingAmount : ZERO);
  const refunded = max(max(fromBwp, fromStore), fromLines);
  const storeOrderId = storeOrderIdOf(order);
  return {
    orderId: order.id,
    ...(storeOrderId !== undefined ? { storeOrderId } : {}),
    currency,
    lines,
    shipping,
    grandTotal,
    refunded,
    remaining: max(ZERO, sub(grandTotal, refunded)),
    problems,
    readable: true,
  };
}

/** The context as a schema, so that validation can read whatever it is given without throwing. */
export const RefundContextSchema = z.object({
  order: BwpOrder,
  refundId: z.string(),
  storeOrder: StoreOrder.nullable().optional(),
  policy: PolicySchema,
});
