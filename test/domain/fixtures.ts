/**
 * Order fixtures for the domain tests, after the scenarios of the connector's "Refund failed" help articles. Builders
 * return parsed BwP / store objects (schema defaults applied), so tests see what the activities hand the workflow.
 *
 * The BwP order has the shape of the 2024-11-01 reference (sandbox/bwp/schema.graphql): no shipping and no totals on
 * the order, quantities as `Amount { unit, value }`, taxes and discounts as `{ summary }`, and refunds that name their
 * lines and refunded quantities but no money per line and no shipping flag. The shipping charge is the store's
 * (`StoreSpec.shipping`); a context without the store order (`noStore`) has an unknown shipping charge.
 */
import { type Policy, type RefundContext, orderCurrency } from '../../domain/context';
import { type Minor, add, formatDecimal, fromBwpAmount, prorate, sub, sum } from '../../domain/money';
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
  /** Ordered quantity (`amount.value`; the reference makes it required, so it cannot be left blank). */
  qty: number;
  /** Unit price; null = left blank. */
  price: number | null;
  /** Total tax on the line (its `taxes.summary.collectableTaxAmount`). */
  tax?: number;
  /** Total discount on the line (its `discounts.summary.amount`). */
  discount?: number;
  /** The line's discounts as `details` only (no summary). */
  discountDetails?: number[];
  title?: string;
  /** Link to the store by SKU alias only (no EXTERNAL_ITEM_ID). */
  skuAliasOnly?: boolean;
};

/**
 * A healthy three-SKU USD order:
 * - L1 MUG-BLUE: 2 × 19.99, tax 3.20        -> paid 43.18 (a unit is 21.59)
 * - L2 TEE-M:    1 × 25.00, discount 5.00, tax 2.00 -> paid 22.00
 * - L3 CAP-RED:  3 × 10.00, tax 2.40        -> paid 32.40 (a unit is 10.80)
 * - shipping 5.00 (the store's charge); grand total 102.58
 */
export const THREE_SKUS: readonly LineSpec[] = [
  { id: 'L1', sku: 'MUG-BLUE', storeLineId: 'sl-1', qty: 2, price: 19.99, tax: 3.2, title: 'Blue mug' },
  { id: 'L2', sku: 'TEE-M', storeLineId: 'sl-2', qty: 1, price: 25, tax: 2, discount: 5, title: 'T-shirt M' },
  { id: 'L3', sku: 'CAP-RED', storeLineId: 'sl-3', qty: 3, price: 10, tax: 2.4, title: 'Red cap' },
];

/** A refunded line: its id and the refunded quantity (`amount.value`; null = left blank; default 1). */
export type RefundLineSpec = { id: string; qty?: number | null };

export type RefundSpec = {
  id?: string;
  state?: RefundState;
  reason?: string | null;
  /** Amazon's estimate; null = none. */
  total?: number | null;
  totalCurrency?: string;
  lines?: RefundLineSpec[];
  /** Money already reported on the refund (`paymentDetails[].amount`). */
  payments?: number[];
};

export type OrderSpec = {
  lines?: readonly LineSpec[];
  /** The refund under test (id REFUND_ID unless given) and any others. */
  refunds?: RefundSpec[];
  currency?: string;
  /** Order-level discount (`discounts.summary.amount`). */
  orderDiscount?: number;
  /** Order-level discounts as `details` only (no summary). */
  orderDiscountDetails?: number[];
  /** null = no EXTERNAL_ID alias. */
  storeOrderId?: string | null;
};

export const money = (amount: number, currency = 'USD') => ({ amount, currencyCode: currency });

/** Minor units of a BwP number, through the module under test (the fixtures do no float arithmetic). */
export const m = (amount: number, currency = 'USD'): Minor => fromBwpAmount(money(amount, currency));
export const dec = (x: Minor, currency = 'USD') => formatDecimal(x, currency);

/** An `Amount` (a quantity with its unit). */
export const quantity = (value: number) => ({ unit: 'ONE', value });

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
    paymentDetails: (spec.payments ?? []).map((amount, i) => ({
      id: `payment-${i + 1}`,
      amount: money(amount, currency),
      paymentMethod: { type: 'AMAZON_PAY', displayString: 'Amazon Pay' },
      state: 'SUCCESS',
    })),
    refundFor: {
      orderLineItems: (spec.lines ?? []).map((l) => {
        const qty = l.qty === undefined ? 1 : l.qty;
        return { lineItem: { id: l.id }, amount: qty === null ? null : quantity(qty) };
      }),
    },
  };
}

/** `DiscountAllocations` with a summary, or with details only. */
function discounts(total: number | undefined, details: number[] | undefined, currency: string) {
  if (details) return { summary: null, details: details.map((d) => ({ amount: money(d, currency) })) };
  return total ? { summary: { amount: money(total, currency) }, details: [] } : null;
}

export function bwpOrder(spec: OrderSpec = {}): BwpOrder {
  const currency = spec.currency ?? 'USD';
  const lines = spec.lines ?? THREE_SKUS;
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
      amount: quantity(l.qty),
      product: { title: l.title ?? l.sku, price: l.price === null ? null : money(l.price, currency) },
      taxes: l.tax ? { summary: { collectableTaxAmount: money(l.tax, currency) } } : null,
      discounts: discounts(l.discount, l.discountDetails, currency),
    })),
    discounts: discounts(spec.orderDiscount, spec.orderDiscountDetails, currency),
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
  /** The store's shipping charge (the only source of the order's shipping); 5 unless told, 0 for none. */
  shipping?: number;
  shippingRefunded?: boolean;
  refundedTotal?: string;
};

/** One unit as the store prices it: price − its discount share + its tax share (floor shares, as BwP's valuation). */
function storeUnitPrice(l: LineSpec, currency: string): Minor {
  const qty = l.qty;
  const discount = l.discountDetails ? sum(l.discountDetails.map((d) => m(d, currency))) : m(l.discount ?? 0, currency);
  return add(sub(m(l.price ?? 0, currency), prorate(discount, 1, qty)), prorate(m(l.tax ?? 0, currency), 1, qty));
}

/** The store's view of the same order (every line present, nothing refunded) unless told otherwise. */
export function storeOrder(order: BwpOrder, spec: StoreSpec = {}, lines: readonly LineSpec[] = THREE_SKUS): StoreOrder {
  const currency = spec.currency ?? orderCurrency(order) ?? 'USD';
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
          quantity: s.quantity ?? l.qty,
          refundedQuantity: s.refundedQuantity ?? 0,
          // The store prices a unit itself, tax included: its share of the line's discount and tax (rounded down).
          unitPrice: s.unitPrice ?? (l.price === null ? '0' : formatDecimal(storeUnitPrice(l, currency), currency)),
          unitTax: s.unitTax ?? formatDecimal(prorate(m(l.tax ?? 0, currency), 1, l.qty), currency),
          ...(s.refundedTax !== undefined ? { refundedTax: s.refundedTax } : {}),
          kind: s.kind ?? 'checkout',
          ...(s.preorderId !== undefined ? { preorderId: s.preorderId } : {}),
        };
      }),
    shipping: {
      amount: formatDecimal(m(spec.shipping ?? 5, currency), currency),
      refunded: spec.shippingRefunded ?? false,
    },
    refundedTotal: spec.refundedTotal ?? formatDecimal(m(0, currency), currency),
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
    ...(overrides.reasonRulesBlock !== undefined ? { reasonRulesBlock: overrides.reasonRulesBlock } : {}),
    ...(overrides.paymentMethod !== undefined ? { paymentMethod: overrides.paymentMethod } : {}),
  };
}

/**
 * A context with the store order read, unless `noStore` (then the shipping charge and the order's total are unknown);
 * `store: null` is a store that does not know the order.
 */
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
