import { ALIAS_EXTERNAL_ID, ALIAS_EXTERNAL_ITEM_ID, ALIAS_SKU, discountAmounts, taxAmount } from './bwp-values';
import type { BwpAmount, BwpOrder, LineItem, PaymentMethodType, RefundDetails } from './schemas/bwp';
import type { StoreOrder } from './schemas/store';
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

/** Default of `Policy.estimateTolerancePerLine` (ESTIMATE_TOLERANCE_PER_LINE): one minor unit per line. */
export const DEFAULT_ESTIMATE_TOLERANCE_PER_LINE = 1;

/**
 * What the merchant allows; built from config (REASON_MAP, DEFAULT_MERCHANT_REASON, ALLOW_APPEASEMENT,
 * ESTIMATE_TOLERANCE_PER_LINE, REPAIR_ALLOW_ADDITIONS). The last two are optional so that a policy carried by a refund
 * started before they existed still reads; absent means the default.
 */
export type Policy = {
  reasons: ReasonPolicy;
  allowAppeasement: boolean;
  /**
   * How many minor units per refunded line the plan may differ from Amazon's estimate (`refundTotal`) and still be
   * the refund Buy with Prime asked for (docs/domain.md rule 15); 0 is strict.
   */
  estimateTolerancePerLine?: number;
  /** Whether a repair may cover lines (or shipping) the Buy with Prime refund did not ask for (rule 17). */
  allowRepairAdditions?: boolean;
  /** Whether the reason rules park a refund (REASON_RULES_BLOCK); absent or false: they are advisory (rule 10). */
  reasonRulesBlock?: boolean;
  /** How the store pays refunds back, as reported to Buy with Prime (BWP_PAYMENT_METHOD); absent: Amazon Pay. */
  paymentMethod?: { type: PaymentMethodType; displayString?: string };
};

/**
 * Everything the rules look at, read fresh before each decision.
 * `storeOrder`: undefined when the store order was not read (store checks are skipped); null when the store said it
 * has no such order.
 */
export type RefundContext = { order: BwpOrder; refundId: string; storeOrder?: StoreOrder | null; policy: Policy };

/** The policy's tolerance against Amazon's estimate, in minor units per line. */
export function estimateTolerancePerLine(policy: Policy): number {
  return policy.estimateTolerancePerLine ?? DEFAULT_ESTIMATE_TOLERANCE_PER_LINE;
}

/** Refund states whose money has left (or partly left) the merchant. */
const REFUNDED_STATES: ReadonlySet<string> = new Set(['PARTIAL', 'SUCCESS']);

/** A line of the store's order (GET /orders/:id), its money in minor units of the order's currency. */
export type StoreLineView = {
  id: string;
  sku?: string;
  kind: 'checkout' | 'preorder';
  preorderId?: string;
  quantity: number;
  refundedQuantity: number;
  /** What the store refunds for one unit, tax included (docs/domain.md rule 16). */
  unitPrice: Minor;
  /** The tax in that price. */
  unitTax: Minor;
  /** Tax of the line already refunded, when the store keeps the line's tax bucket; undefined when it does not say. */
  refundedTax?: Minor;
};

/**
 * What the store itself refunds for `n` more units of one of its lines when sent as line items (docs/domain.md rule
 * 16): each unit at its unit price, tax included, except that a store which keeps the line's tax bucket
 * (`refundedTax`) refunds no more tax than the bucket has left. Null when `n` units are not left on the line.
 */
export function storeValueOfUnits(sl: StoreLineView, n: number): Minor | null {
  if (!Number.isSafeInteger(n) || n < 0 || n > sl.quantity - sl.refundedQuantity) return null;
  const full = mulInt(sl.unitPrice, n);
  if (sl.refundedTax === undefined) return full;
  const taxLeft = max(ZERO, sub(mulInt(sl.unitTax, sl.quantity), sl.refundedTax));
  const taxOfUnits = mulInt(sl.unitTax, n);
  return sub(full, max(ZERO, sub(taxOfUnits, taxLeft)));
}

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
  /** Tax of this line already refunded: the refunded units' share, or more when the store or BwP says so. */
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

/**
 * The order's shipping, known only from the store's order: Buy with Prime publishes no delivery charge on an order
 * (docs/domain.md, "What Buy with Prime publishes"). Unknown (`known: false`) when the store order was not read: then
 * `amount` and `remaining` are zero and nothing can be planned on it.
 */
export type ShippingView = {
  /** The store's shipping charge (what it refunds for `shipping: true`); zero when there is none or it is unknown. */
  amount: Minor;
  refunded: boolean;
  remaining: Minor;
  known: boolean;
};

export type OrderView = {
  orderId: string;
  storeOrderId?: string;
  currency: string;
  lines: LineView[];
  shipping: ShippingView;
  /** What the shopper paid: every line's paid total plus shipping (order-level discounts are in the lines' shares). */
  grandTotal: Minor;
  /** The largest among: other BwP refunds' totals, the store's refunded total, and the lines + shipping refunded. */
  refunded: Minor;
  remaining: Minor;
  /**
   * Whether grandTotal (so remaining) is the whole order: false when a line's value or the shipping charge is unknown
   * (a blank price, the store order not read). The order-level rules then stand aside; each line's own rules still hold.
   */
  totalKnown: boolean;
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
  // Without the store order the SKU alias is taken as the line id; with it, a store line whose id or unique SKU matches
  // is preferred.
  if (!store) return { id: skuAlias, via: 'SKU' as const };
  const byId = store.lineItems.find((l) => l.id === skuAlias);
  if (byId) return { id: byId.id, via: 'SKU' as const };
  const bySku = store.lineItems.filter((l) => l.sku === skuAlias);
  const [only] = bySku;
  return only && bySku.length === 1 ? { id: only.id, via: 'SKU' as const } : { id: skuAlias, via: 'SKU' as const };
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

type Where = { lineItemId?: string; field: string };

/** Reads a BwP amount in the order currency; records a problem and returns undefined when it cannot. */
export function readAmount(
  a: BwpAmount | null | undefined,
  currency: string,
  problems: Problem[],
  where: Where,
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

/** Reads a store decimal string in the order currency; records a problem and returns undefined when it cannot. */
function readStoreAmount(value: string, currency: string, problems: Problem[], where: Where): Minor | undefined {
  try {
    return parseDecimal(value, currency);
  } catch (e) {
    if (!(e instanceof MoneyError)) throw e;
    problems.push(problem('INVALID_ORDER_DATA', `${where.field}: ${e.message}.`, where));
    return undefined;
  }
}

function sumAmounts(list: readonly BwpAmount[], currency: string, problems: Problem[], where: Where): Minor {
  return sum(
    list.map(
      (x, i) =>
        readAmount(x, currency, problems, list.length === 1 ? where : { ...where, field: `${where.field}[${i}]` }) ??
        ZERO,
    ),
  );
}

/**
 * A quantity (`Amount { unit, value }`) as a whole number of units; null (with a problem) when it is not one. The
 * reference leaves `unit` free ("ONE" in its examples); a fraction or a negative value cannot be refunded by line.
 */
export function readQuantity(
  q: { unit?: string | null; value: number } | null | undefined,
  problems: Problem[],
  where: Where,
): number | null {
  if (q === null || q === undefined) return null;
  if (!Number.isSafeInteger(q.value) || q.value < 0) {
    problems.push(
      problem(
        'INVALID_ORDER_DATA',
        `${where.field}: ${q.value} ${q.unit ?? ''} is not a whole number of units.`.replace(' .', '.'),
        where,
      ),
    );
    return null;
  }
  return q.value;
}

/** The part of a line that values its units (price, quantity, discounts). */
type Valued = Pick<LineView, 'unitPrice' | 'lineDiscount' | 'orderedQty'>;

/** Money of `m` units counted from the first unit of a line: m × price − discount share. Zero when unknown. */
function principalShare(l: Valued, m: number): Minor {
  if (l.unitPrice === null || l.orderedQty === null || l.orderedQty === 0) return ZERO;
  return sub(mulInt(l.unitPrice, m), prorate(l.lineDiscount, m, l.orderedQty));
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

function emptyView(order: BwpOrder, currency: string, problems: Problem[]): OrderView {
  const storeOrderId = storeOrderIdOf(order);
  return {
    orderId: order.id,
    ...(storeOrderId !== undefined ? { storeOrderId } : {}),
    currency,
    lines: [],
    shipping: { amount: ZERO, refunded: false, remaining: ZERO, known: false },
    grandTotal: ZERO,
    refunded: ZERO,
    remaining: ZERO,
    totalKnown: false,
    problems,
    readable: false,
  };
}

/**
 * The order's currency: the BwP order carries no currency of its own, so it is that of its money (the lines' prices,
 * then its refunds' totals), else the store order's. Undefined when nothing says.
 */
export function orderCurrency(order: BwpOrder, store?: StoreOrder | null): string | undefined {
  return currencySource(order, store)?.currency;
}

/** The order's currency and the field it was read from. */
function currencySource(order: BwpOrder, store?: StoreOrder | null): { currency: string; field: string } | undefined {
  for (const [i, line] of order.lineItems.entries())
    if (line.product.price)
      return { currency: line.product.price.currencyCode, field: `lineItems[${i}].product.price` };
  for (const r of order.refunds.details)
    if (r.refundTotal?.totalAmount)
      return { currency: r.refundTotal.totalAmount.currencyCode, field: `refunds[${r.id}].refundTotal` };
  return store ? { currency: store.currency, field: 'storeOrder.currency' } : undefined;
}

/**
 * Builds the per-line view of the order that every rule reads: ids on both sides, quantities and money ordered,
 * refunded and remaining, shipping, and what remains on the order. Pure and total: unreadable amounts become
 * `problems` and unknown values null; it does not throw on a parsed order.
 */
export function describeOrder(ctx: RefundContext): OrderView {
  const source = currencySource(ctx.order, ctx.storeOrder);
  const currency = source?.currency;
  if (currency === undefined) {
    return emptyView(ctx.order, 'XXX', [
      problem('INVALID_ORDER_DATA', `Order ${ctx.order.id} shows no price or total to read its currency from.`, {
        field: 'lineItems',
      }),
    ]);
  }
  if (!isKnownCurrency(currency)) {
    return emptyView(ctx.order, currency, [
      problem('UNSUPPORTED_CURRENCY', `The order's currency ${currency} is not supported.`, {
        field: source!.field,
      }),
    ]);
  }
  try {
    return buildView(ctx, currency);
  } catch (e) {
    // Only sums beyond 2^53 minor units get here; such an order cannot be refunded exactly.
    if (!(e instanceof MoneyError)) throw e;
    return emptyView(ctx.order, currency, [
      problem('INVALID_ORDER_DATA', `The order's amounts are unusable: ${e.message}.`, { field: 'order' }),
    ]);
  }
}

/** A BwP line's own money, read once: what the order-level discount split and the line's view both need. */
type LineMoney = {
  line: LineItem;
  where: { lineItemId: string; field: string };
  orderedQty: number | null;
  unitPrice: Minor | null;
  /** The line's own discounts (without its share of order-level discounts). */
  ownDiscount: Minor;
  lineTax: Minor;
};

function readLineMoney(line: LineItem, index: number, ctx: ReadCtx): LineMoney {
  const where = { lineItemId: line.id, field: `lineItems[${index}]` };
  const { currency, problems } = ctx;
  const raw = storeLineOf(line, ctx.store);
  const tax = taxAmount(line.taxes);
  return {
    line,
    where,
    orderedQty:
      readQuantity(line.amount, problems, { ...where, field: `${where.field}.amount` }) ?? raw?.quantity ?? null,
    unitPrice:
      readAmount(line.product.price, currency, problems, { ...where, field: `${where.field}.product.price` }) ?? null,
    ownDiscount: sumAmounts(discountAmounts(line.discounts), currency, problems, {
      ...where,
      field: `${where.field}.discounts.summary.amount`,
    }),
    lineTax: sumAmounts(tax ? [tax] : [], currency, problems, {
      ...where,
      field: `${where.field}.taxes.summary.collectableTaxAmount`,
    }),
  };
}

type ReadCtx = {
  currency: string;
  problems: Problem[];
  store: StoreOrder | null | undefined;
  settled: RefundDetails[];
};

function storeLineOf(line: LineItem, store: StoreOrder | null | undefined) {
  const mapped = storeLineId(line, store);
  return store && mapped ? store.lineItems.find((l) => l.id === mapped.id) : undefined;
}

/** The store's line as the rules see it; undefined when the store was not read, null when the line is not on it. */
function storeLineView(line: LineItem, ctx: ReadCtx): StoreLineView | null | undefined {
  if (!ctx.store) return undefined;
  const raw = storeLineOf(line, ctx.store);
  if (!raw) return null;
  const index = ctx.store.lineItems.indexOf(raw);
  const at = (f: string) => ({ lineItemId: line.id, field: `storeOrder.lineItems[${index}].${f}` });
  const unitPrice = readStoreAmount(raw.unitPrice, ctx.currency, ctx.problems, at('unitPrice')) ?? ZERO;
  const unitTax = readStoreAmount(raw.unitTax, ctx.currency, ctx.problems, at('unitTax')) ?? ZERO;
  const refundedTax =
    raw.refundedTax === undefined
      ? undefined
      : readStoreAmount(raw.refundedTax, ctx.currency, ctx.problems, at('refundedTax'));
  return {
    id: raw.id,
    ...(raw.sku ? { sku: raw.sku } : {}),
    kind: raw.kind,
    ...(raw.preorderId ? { preorderId: raw.preorderId } : {}),
    quantity: raw.quantity,
    refundedQuantity: raw.refundedQuantity,
    unitPrice,
    unitTax,
    ...(refundedTax !== undefined ? { refundedTax } : {}),
  };
}

/** One line's complete view, from its money and its share of the order-level discounts. */
function lineView(input: LineMoney, orderDiscountShare: Minor, ctx: ReadCtx): LineView {
  const { line, where, orderedQty, unitPrice, lineTax } = input;
  const { currency, problems } = ctx;
  const mapped = storeLineId(line, ctx.store);
  const storeLine = storeLineView(line, ctx);
  // No SKU field is published on the order's line (docs/domain.md): the SKU is the merchant's SKU alias, if set.
  const sku = line.aliases.find((a) => a.aliasType === ALIAS_SKU)?.aliasId;
  const title = line.product.title ?? undefined;
  const lineDiscount = add(input.ownDiscount, orderDiscountShare);

  // What other refunds of the order took from this line: units (Buy with Prime publishes no money per refunded line).
  let bwpRefundedQty = 0;
  for (const r of ctx.settled) {
    for (const [i, entry] of (r.refundFor?.orderLineItems ?? []).entries()) {
      if (entry.lineItem.id !== line.id) continue;
      const units = readQuantity(entry.amount, problems, {
        lineItemId: line.id,
        field: `refunds[${r.id}].refundFor.orderLineItems[${i}].amount`,
      });
      if (units !== null && units > 0) bwpRefundedQty += units;
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
  const valued: Valued = { unitPrice, lineDiscount, orderedQty };

  let paidTotal: Minor | null = null;
  let unitDiscount = ZERO;
  let unitTax = ZERO;
  let taxRefunded = storeLine?.refundedTax ?? ZERO;
  let refundedAmount = ZERO;
  let remainingAmount: Minor | null = null;
  if (unitPrice !== null && orderedQty !== null && orderedQty > 0) {
    const q = orderedQty;
    const paid = add(sub(mulInt(unitPrice, q), lineDiscount), lineTax);
    if (isNegative(paid)) {
      problems.push(problem('INVALID_ORDER_DATA', `Line ${line.id} has more discount than value.`, where));
    }
    paidTotal = max(ZERO, paid);
    unitDiscount = prorate(lineDiscount, 1, q);
    unitTax = prorate(lineTax, 1, q);
    // Tax refunded: the refunded units' share, or what the store's tax bucket says when that is more.
    taxRefunded = min(lineTax, max(prorate(lineTax, refundedQty, q), storeLine?.refundedTax ?? ZERO));
    // What left the line: the refunded units' share and the tax refunded (a lower bound of what was refunded).
    refundedAmount = min(paidTotal, add(principalShare(valued, refundedQty), taxRefunded));
    remainingAmount = max(ZERO, sub(paidTotal, refundedAmount));
  }
  const view: LineView = {
    lineItemId: line.id,
    ...(mapped ? { storeLineId: mapped.id, storeLineVia: mapped.via } : {}),
    ...(sku !== undefined ? { sku } : {}),
    ...(title !== undefined ? { title } : {}),
    currency,
    orderedQty,
    refundedQty,
    remainingQty,
    unitPrice,
    unitDiscount,
    unitTax,
    lineDiscount,
    lineTax,
    paidTotal,
    refundedAmount,
    remainingAmount,
    taxRefunded,
    nextUnitValue: null,
    ...(storeLine !== undefined ? { storeLine } : {}),
    relinked: !!storeLine?.sku && !!sku && storeLine.sku !== sku,
    consumedQty,
  };
  return { ...view, nextUnitValue: remainingQty !== null && remainingQty > 0 ? valueOfUnits(view, 1) : null };
}

function buildView(ctx: RefundContext, currency: string): OrderView {
  const { order, refundId } = ctx;
  const store = ctx.storeOrder;
  const problems: Problem[] = [];
  const read: ReadCtx = { currency, problems, store, settled: settledRefunds(order, refundId) };

  // Order-level discounts reduce what each line paid, in proportion to the line's value after its own discounts;
  // the split needs every line's money first, then each line's view is built once, whole.
  const money = order.lineItems.map((line, index) => readLineMoney(line, index, read));
  const orderDiscount = sumAmounts(discountAmounts(order.discounts), currency, problems, {
    field: 'discounts.summary.amount',
  });
  const gross = money.map((l) =>
    l.unitPrice === null || l.orderedQty === null
      ? ZERO
      : max(ZERO, sub(mulInt(l.unitPrice, l.orderedQty), l.ownDiscount)),
  );
  const grossTotal = sum(gross);
  if (orderDiscount > grossTotal) {
    problems.push(
      problem('INVALID_ORDER_DATA', 'The order-level discounts exceed the value of its lines.', { field: 'discounts' }),
    );
  }
  const discountShares = allocate(min(orderDiscount, grossTotal), gross, gross);
  const lines = money.map((l, i) => lineView(l, discountShares[i] ?? ZERO, read));

  // Shipping is one bucket per order, known only from the store (Buy with Prime publishes no delivery charge).
  const storeShipping =
    store && store.currency === currency
      ? readStoreAmount(store.shipping.amount, currency, problems, { field: 'storeOrder.shipping.amount' })
      : undefined;
  const shippingRefunded = store?.shipping.refunded ?? false;
  const shippingAmount = storeShipping ?? ZERO;
  const shipping: ShippingView = {
    amount: shippingAmount,
    refunded: shippingRefunded,
    remaining: shippingRefunded ? ZERO : shippingAmount,
    known: storeShipping !== undefined,
  };

  // What the shopper paid: the lines (net of their discounts, order-level ones included, plus tax) and shipping.
  const totalKnown = shipping.known && lines.every((l) => l.paidTotal !== null);
  const grandTotal = add(sum(lines.map((l) => l.paidTotal ?? ZERO)), shippingAmount);
  const fromBwp = sum(
    read.settled.map(
      (r) =>
        readAmount(r.refundTotal?.totalAmount, currency, problems, { field: `refunds[${r.id}].refundTotal` }) ?? ZERO,
    ),
  );
  const fromStore =
    store && store.currency === currency
      ? (readStoreAmount(store.refundedTotal, currency, problems, { field: 'storeOrder.refundedTotal' }) ?? ZERO)
      : ZERO;
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
    totalKnown,
    problems,
    readable: true,
  };
}
