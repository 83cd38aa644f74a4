/**
 * Order fixtures for the domain tests, after the scenarios of the connector's "Refund failed" help articles. Builders
 * return parsed BwP / store objects (schema defaults applied), so tests see what the activities hand the workflow.
 */
import { type Policy, type RefundContext } from '../../domain/context';
import {
  type Minor,
  ZERO,
  add,
  formatDecimal,
  fromBwpAmount,
  mulInt,
  prorate,
  sub,
  sum,
  toBwpAmount,
} from '../../domain/money';
import { DEFAULT_MERCHANT_REASONS, DEFAULT_REASON_MAP } from '../../domain/reasons';
import { type RepairInput } from '../../domain/schemas/repair';
import {
  ALIAS_EXTERNAL_ID,
  ALIAS_EXTERNAL_ITEM_ID,
  ALIAS_SKU,
  BwpOrder,
  type RefundState,
} from '../../domain/schemas/bwp';
import { StoreOrder } from '../../domain/schemas/store';

export const ORDER_ID = 'bwp-order-1';
export const STORE_ORDER_ID = 'store-order-1';
export const REFUND_ID = 'refund-1';

export type LineSpec = {
  id: string;
  sku: string;
  storeLineId: string;
  /** Ordered quantity; null = left blank. */
  qty: number | null;
  /** Unit price; null = left blank. */
  price: number | null;
  /** Total tax on the line. */
  tax?: number;
  /** Total discount on the line. */
  discount?: number;
  title?: string;
  /** Link to the store by SKU alias only (no EXTERNAL_ITEM_ID). */
  skuAliasOnly?: boolean;
};

/**
 * A healthy three-SKU USD order:
 * - L1 MUG-BLUE: 2 × 19.99, tax 3.20        -> paid 43.18 (a unit is 21.59)
 * - L2 TEE-M:    1 × 25.00, discount 5.00, tax 2.00 -> paid 22.00
 * - L3 CAP-RED:  3 × 10.00, tax 2.40        -> paid 32.40 (a unit is 10.80)
 * - shipping 5.00; grand total 102.58
 */
export const THREE_SKUS: readonly LineSpec[] = [
  { id: 'L1', sku: 'MUG-BLUE', storeLineId: 'sl-1', qty: 2, price: 19.99, tax: 3.2, title: 'Blue mug' },
  { id: 'L2', sku: 'TEE-M', storeLineId: 'sl-2', qty: 1, price: 25, tax: 2, discount: 5, title: 'T-shirt M' },
  { id: 'L3', sku: 'CAP-RED', storeLineId: 'sl-3', qty: 3, price: 10, tax: 2.4, title: 'Red cap' },
];

export type RefundLineSpec = { id: string; qty?: number | null; amount?: number };

export type RefundSpec = {
  id?: string;
  state?: RefundState;
  reason?: string | null;
  /** Amazon's estimate; null = none. */
  total?: number | null;
  totalCurrency?: string;
  lines?: RefundLineSpec[];
  shipping?: boolean;
};

export type OrderSpec = {
  lines?: readonly LineSpec[];
  /** The refund under test (id REFUND_ID unless given) and any others. */
  refunds?: RefundSpec[];
  shipping?: number | null;
  currency?: string;
  orderDiscount?: number;
  /** null = no EXTERNAL_ID alias. */
  storeOrderId?: string | null;
};

export const money = (amount: number, currency = 'USD') => ({ amount, currencyCode: currency });

/** Minor units of a BwP number, through the module under test (the fixtures do no float arithmetic). */
export const m = (amount: number, currency = 'USD'): Minor => fromBwpAmount(money(amount, currency));
export const dec = (x: Minor, currency = 'USD') => formatDecimal(x, currency);

function linePaid(l: LineSpec, currency: string): Minor {
  if (l.price === null || l.qty === null) return ZERO;
  return add(sub(mulInt(m(l.price, currency), l.qty), m(l.discount ?? 0, currency)), m(l.tax ?? 0, currency));
}

export function bwpRefund(spec: RefundSpec = {}, currency = 'USD') {
  return {
    id: spec.id ?? REFUND_ID,
    aliases: [],
    state: spec.state ?? 'PENDING',
    refundRequestReason: spec.reason === undefined ? 'RETURN_RECEIVED' : spec.reason,
    refundStatusReason: null,
    refundTotal:
      spec.total === null || spec.total === undefined
        ? null
        : { totalAmount: money(spec.total, spec.totalCurrency ?? currency) },
    paymentDetails: [],
    refundFor: {
      orderLineItems: (spec.lines ?? []).map((l) => ({
        lineItem: { id: l.id },
        amount: l.qty === undefined ? 1 : l.qty,
        ...(l.amount !== undefined ? { refundAmount: money(l.amount, currency) } : {}),
      })),
      ...(spec.shipping !== undefined ? { shipping: spec.shipping } : {}),
    },
  };
}

export function bwpOrder(spec: OrderSpec = {}): BwpOrder {
  const currency = spec.currency ?? 'USD';
  const lines = spec.lines ?? THREE_SKUS;
  const shipping = spec.shipping === undefined ? 5 : spec.shipping;
  const grand = sub(
    add(sum(lines.map((l) => linePaid(l, currency))), shipping === null ? ZERO : m(shipping, currency)),
    m(spec.orderDiscount ?? 0, currency),
  );
  const storeOrderId = spec.storeOrderId === undefined ? STORE_ORDER_ID : spec.storeOrderId;
  return BwpOrder.parse({
    id: ORDER_ID,
    aliases: storeOrderId === null ? [] : [{ aliasType: ALIAS_EXTERNAL_ID, aliasId: storeOrderId }],
    lineItems: lines.map((l) => ({
      id: l.id,
      aliases: l.skuAliasOnly
        ? [{ aliasType: ALIAS_SKU, aliasId: l.sku }]
        : [
            { aliasType: ALIAS_EXTERNAL_ITEM_ID, aliasId: l.storeLineId },
            { aliasType: ALIAS_SKU, aliasId: l.sku },
          ],
      amount: l.qty,
      product: { title: l.title ?? l.sku, sku: l.sku, price: l.price === null ? null : money(l.price, currency) },
      taxes: l.tax ? [{ amount: money(l.tax, currency) }] : [],
      discounts: l.discount ? [{ amount: money(l.discount, currency) }] : [],
    })),
    shipping: shipping === null ? null : { amount: money(shipping, currency) },
    discounts: spec.orderDiscount ? [{ amount: money(spec.orderDiscount, currency) }] : [],
    totals: { grandTotal: toBwpAmount(grand, currency) },
    refunds: { details: (spec.refunds ?? [{}]).map((r) => bwpRefund(r, currency)) },
  });
}

export type StoreLineSpec = {
  sku?: string | null;
  quantity?: number;
  refundedQuantity?: number;
  refundedTax?: string;
  /** The store's own unit price (tax included) and its tax, when they are not BwP's. */
  unitPrice?: string;
  unitTax?: string;
  kind?: 'checkout' | 'preorder';
  preorderId?: string | null;
};

export type StoreSpec = {
  id?: string;
  currency?: string;
  /** Lines removed from the store order, by BwP line id. */
  removed?: string[];
  lines?: Record<string, StoreLineSpec>;
  shippingRefunded?: boolean;
  /** The store's own shipping charge, when it is not BwP's. */
  shippingAmount?: string;
  refundedTotal?: string;
};

/** One unit as the store prices it: price − its discount share + its tax share (floor shares, as BwP's valuation). */
function storeUnitPrice(l: LineSpec, currency: string): Minor {
  const qty = l.qty ?? 1;
  return add(
    sub(m(l.price ?? 0, currency), prorate(m(l.discount ?? 0, currency), 1, qty)),
    prorate(m(l.tax ?? 0, currency), 1, qty),
  );
}

/** The store's view of the same order (every line present, nothing refunded) unless told otherwise. */
export function storeOrder(order: BwpOrder, spec: StoreSpec = {}, lines: readonly LineSpec[] = THREE_SKUS): StoreOrder {
  const currency = spec.currency ?? order.totals.grandTotal.currencyCode;
  return StoreOrder.parse({
    id: spec.id ?? STORE_ORDER_ID,
    currency,
    lineItems: lines
      .filter((l) => !(spec.removed ?? []).includes(l.id))
      .map((l) => {
        const s = spec.lines?.[l.id] ?? {};
        return {
          id: l.skuAliasOnly ? `${l.storeLineId}` : l.storeLineId,
          sku: s.sku === undefined ? l.sku : s.sku,
          quantity: s.quantity ?? l.qty ?? 1,
          refundedQuantity: s.refundedQuantity ?? 0,
          // The store prices a unit itself, tax included: its share of the line's discount and tax (rounded down).
          unitPrice: s.unitPrice ?? (l.price === null ? '0' : formatDecimal(storeUnitPrice(l, currency), currency)),
          unitTax: s.unitTax ?? formatDecimal(prorate(m(l.tax ?? 0, currency), 1, l.qty ?? 1), currency),
          ...(s.refundedTax !== undefined ? { refundedTax: s.refundedTax } : {}),
          kind: s.kind ?? 'checkout',
          ...(s.preorderId !== undefined ? { preorderId: s.preorderId } : {}),
        };
      }),
    shipping: {
      amount:
        spec.shippingAmount ??
        (order.shipping
          ? formatDecimal(fromBwpAmount(order.shipping.amount), currency)
          : formatDecimal(ZERO, currency)),
      refunded: spec.shippingRefunded ?? false,
    },
    refundedTotal: spec.refundedTotal ?? formatDecimal(ZERO, currency),
  });
}

export function policy(
  overrides: Partial<Policy> & { defaultReason?: string; map?: Record<string, string> } = {},
): Policy {
  return {
    reasons: {
      map: { ...DEFAULT_REASON_MAP, ...overrides.map },
      merchantReasons: DEFAULT_MERCHANT_REASONS,
      ...(overrides.defaultReason !== undefined ? { defaultReason: overrides.defaultReason } : {}),
      ...overrides.reasons,
    },
    allowAppeasement: overrides.allowAppeasement ?? true,
    ...(overrides.estimateTolerancePerLine !== undefined
      ? { estimateTolerancePerLine: overrides.estimateTolerancePerLine }
      : {}),
    ...(overrides.allowRepairAdditions !== undefined ? { allowRepairAdditions: overrides.allowRepairAdditions } : {}),
  };
}

/** A context with the store order read (unless `store: undefined` is passed explicitly as `noStore`). */
export function context(
  spec: OrderSpec & { store?: StoreSpec | null; noStore?: boolean; policy?: Policy; refundId?: string } = {},
): RefundContext {
  const order = bwpOrder(spec);
  const ctx: RefundContext = {
    order,
    refundId: spec.refundId ?? REFUND_ID,
    policy: spec.policy ?? policy(),
  };
  if (!spec.noStore)
    ctx.storeOrder = spec.store === null ? null : storeOrder(order, spec.store ?? {}, spec.lines ?? THREE_SKUS);
  return ctx;
}

/** A repair line, ticked, with a merchant reason. */
export function repairLine(lineItemId: string, quantity: number, amount: string, reason = 'CustomerReturn') {
  return { lineItemId, ticked: true, quantity, reason, amount };
}

export function repair(lines: RepairInput['lines'], extra: Omit<RepairInput, 'lines'> = {}): RepairInput {
  return { lines, ...extra };
}

export const codes = (problems: readonly { code: string }[]) => problems.map((p) => p.code).sort();
