import { type z } from 'zod';
import {
  type LineView,
  type OrderView,
  type Policy,
  type RefundContext,
  RefundContextSchema,
  describeOrder,
  findRefund,
  readAmount,
  taxRefundedBeyondUnits,
  valueOfUnits,
} from './context';
import { type Minor, MoneyError, ZERO, add, formatDecimal, isPositive, isZero, parseDecimal, sum } from './money';
import { type PlanLine, type RefundPlan } from './plan';
import { type Problem, problem } from './problems';
import { checkMerchantReason, mapReason } from './reasons';
import { type RefundDetails } from './schemas/bwp';
import { RepairInput, type RepairMode } from './schemas/repair';
import { checkStoreRequest, type StoreRefundBody } from './store-request';

/**
 * The rules of DOMAIN.md "Validation rules", implemented once. A BwP refund and an operator's repair are both turned
 * into an `Ask` (lines with quantity, amount and reason, shipping, mode, intended total) and go through the same checks
 * and the same plan builder. Every problem is returned at once; nothing here throws on arbitrary input.
 */

export type ValidationResult = { problems: Problem[]; plan?: RefundPlan };
export type PlanOptions = { revision?: number };

/** How an ask line's money is known. */
type AskAmount = { kind: 'given'; value: Minor } | { kind: 'units' } | { kind: 'invalid' };

export type AskLine = {
  lineItemId: string;
  /** Null when left blank. */
  quantity: number | null;
  amount: AskAmount;
  /** Merchant reason; null when its problem is already reported. */
  reason: string | null;
  field: string;
  quantityField: string;
};

export type Ask = {
  lines: AskLine[];
  shipping: boolean;
  shippingField: string;
  mode: RepairMode;
  /** What the lines (and shipping) must add up to: the BwP estimate or the operator's total. */
  intended?: { total: Minor; field: string };
};

/** The context read and checked, ready for the rules. */
export type Prepared = { ctx: RefundContext; view: OrderView; refund?: RefundDetails; problems: Problem[] };

function guard(run: () => ValidationResult): ValidationResult {
  try {
    return run();
  } catch (e) {
    // A defect must not fail a workflow task forever; it parks the refund with a problem that says so.
    const message = e instanceof Error ? e.message : 'unknown error';
    return {
      problems: [problem('INTERNAL_ERROR', `Validation failed unexpectedly (${message}); report this defect.`)],
    };
  }
}

function fieldOf(path: readonly PropertyKey[], root?: string): string {
  let out = root ?? '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** Reads the context defensively and checks rules 1, 2, 11 (currency) and 13 (pre-orders). */
export function prepare(raw: unknown): { ok: true; value: Prepared } | { ok: false; problems: Problem[] } {
  const given = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  if (given.order === null || given.order === undefined) {
    return { ok: false, problems: [problem('UNKNOWN_ORDER', 'Buy with Prime returned no order for this refund.')] };
  }
  const parsed = RefundContextSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const [head] = issue.path;
        const field = fieldOf(issue.path);
        if (head === 'order' || head === 'storeOrder') {
          return problem('INVALID_ORDER_DATA', `The order data is unreadable at ${field}: ${issue.message}.`, {
            field,
          });
        }
        if (head === 'refundId') return problem('UNKNOWN_REFUND', 'No refund id was given.', { field });
        return problem('INVALID_INPUT', `${field || 'The context'}: ${issue.message}.`, { field });
      }),
    };
  }
  const ctx: RefundContext = parsed.data;
  const view = describeOrder(ctx);
  if (!view.readable) return { ok: false, problems: view.problems };
  const problems: Problem[] = view.problems.filter((p) => p.lineItemId === undefined);
  const { order, refundId, storeOrder } = ctx;

  const refund = findRefund(order, refundId);
  if (!refund) {
    const near = order.refunds.details.find((r) => r.id.trim().toLowerCase() === refundId.trim().toLowerCase());
    problems.push(
      problem(
        'UNKNOWN_REFUND',
        near
          ? `Refund "${refundId}" is not on order ${order.id}; "${near.id}" is. Refund ids must be copied exactly.`
          : `Refund "${refundId}" is not on order ${order.id}.`,
        { field: 'refundId' },
      ),
    );
  } else if (refund.state !== 'PENDING') {
    problems.push(
      problem('REFUND_NOT_PENDING', `Refund ${refund.id} is ${refund.state}, not PENDING: it was settled elsewhere.`, {
        field: 'state',
      }),
    );
  }

  if (view.storeOrderId === undefined) {
    problems.push(
      problem('NO_STORE_ORDER_ALIAS', `Order ${order.id} has no EXTERNAL_ID alias naming the store's order.`, {
        field: 'aliases',
      }),
    );
  }
  if (storeOrder === null) {
    problems.push(problem('UNKNOWN_ORDER', `The store has no order ${view.storeOrderId ?? '(no id)'}.`));
  } else if (storeOrder) {
    if (view.storeOrderId !== undefined && storeOrder.id !== view.storeOrderId) {
      problems.push(
        problem(
          'UNKNOWN_ORDER',
          `The store order read is ${storeOrder.id} but the BwP order names ${view.storeOrderId}.`,
          { field: 'storeOrder.id' },
        ),
      );
    }
    if (storeOrder.currency !== view.currency) {
      problems.push(
        problem(
          'CURRENCY_MISMATCH',
          `The store order is in ${storeOrder.currency} but the BwP order is in ${view.currency}.`,
          { field: 'storeOrder.currency' },
        ),
      );
    }
    // The endpoint refuses any refund on such orders (500 REFUND_FAILED, 501), so they go to a person.
    const kinds = new Set(storeOrder.lineItems.map((l) => l.kind));
    if (kinds.has('checkout') && kinds.has('preorder')) {
      problems.push(
        problem(
          'MIXED_PREORDER_CHECKOUT',
          `Store order ${storeOrder.id} mixes checkout and pre-order lines; the store cannot refund it automatically.`,
        ),
      );
    }
    const preorders = new Set(
      storeOrder.lineItems.flatMap((l) => (l.kind === 'preorder' && l.preorderId ? [l.preorderId] : [])),
    );
    if (preorders.size > 1) {
      problems.push(
        problem(
          'MULTIPLE_PREORDERS',
          `Store order ${storeOrder.id} spans ${preorders.size} pre-orders (${[...preorders].join(', ')}); the store does not support refunding it.`,
        ),
      );
    }
  }
  return { ok: true, value: { ctx, view, ...(refund ? { refund } : {}), problems } };
}

export type RefundAsk = {
  ask?: Ask;
  problems: Problem[];
  /** Amazon's estimate, when readable. */
  estimate?: Minor;
  /** Whether the refund asks for shipping (flag or estimate heuristic), even if shipping is gone already. */
  shippingAsked: boolean;
  /** The refund's merchant reason when it maps. */
  reason?: string;
};

function lineById(view: OrderView, id: string): LineView | undefined {
  return view.lines.find((l) => l.lineItemId === id) ?? view.lines.find((l) => l.storeLineId === id);
}

/**
 * Reads a BwP refund as an Ask. Shipping is included when `refundFor.shipping` is true or, since Amazon-created
 * requests may not set the flag, when the estimate equals the lines' value plus the order's shipping charge (a
 * heuristic: only an exact match to the minor unit counts). A refund with no lines is a shipping-only refund when the
 * estimate is exactly the remaining shipping, otherwise a flat amount without item detail.
 */
export function askFromRefund(prepared: Prepared, refund: RefundDetails): RefundAsk {
  const { view, ctx } = prepared;
  const problems: Problem[] = [];
  const mapped = mapReason(refund.refundRequestReason, ctx.policy.reasons);
  if (!mapped.ok) problems.push(problem(mapped.code, mapped.message, { field: 'refundRequestReason' }));
  const reason = mapped.ok ? mapped.reason : null;

  const estimate = readAmount(refund.refundTotal?.totalAmount, view.currency, problems, { field: 'refundTotal' });
  const flagged = refund.refundFor?.shipping === true;

  // Several entries for one line are one line of the refund.
  const merged = new Map<string, { quantity: number | null; amounts: (Minor | undefined)[]; index: number }>();
  (refund.refundFor?.orderLineItems ?? []).forEach((entry, index) => {
    const id = entry.lineItem.id;
    const amount = readAmount(entry.refundAmount, view.currency, problems, {
      lineItemId: id,
      field: `refundFor.orderLineItems[${index}].refundAmount`,
    });
    const quantity = typeof entry.amount === 'number' ? entry.amount : null;
    const seen = merged.get(id);
    if (!seen) merged.set(id, { quantity, amounts: [entry.refundAmount ? (amount ?? ZERO) : undefined], index });
    else {
      seen.quantity = seen.quantity === null || quantity === null ? null : seen.quantity + quantity;
      seen.amounts.push(entry.refundAmount ? (amount ?? ZERO) : undefined);
    }
  });
  const lines: AskLine[] = [...merged.entries()].map(([lineItemId, m]) => {
    const given = m.amounts.every((a) => a !== undefined)
      ? sum(m.amounts.filter((a): a is Minor => a !== undefined))
      : undefined;
    return {
      lineItemId,
      quantity: m.quantity,
      amount: given !== undefined ? { kind: 'given', value: given } : { kind: 'units' },
      reason,
      field: `refundFor.orderLineItems[${m.index}]`,
      quantityField: `refundFor.orderLineItems[${m.index}].amount`,
    };
  });

  const result = { problems, ...(estimate !== undefined ? { estimate } : {}), ...(reason ? { reason } : {}) };
  const overOrder = estimate !== undefined && estimate > view.remaining;
  if (overOrder) {
    problems.push(
      problem(
        'AMOUNT_EXCEEDS_ORDER_REMAINING',
        `The refund asks ${fmt(estimate, view)} but only ${fmt(view.remaining, view)} remains refundable on the order.`,
        { field: 'refundTotal' },
      ),
    );
  }
  const intended = estimate !== undefined && !overOrder ? { total: estimate, field: 'refundTotal' } : undefined;
  const base = { shippingField: 'refundFor.shipping', mode: 'auto' as const, ...(intended ? { intended } : {}) };

  if (lines.length === 0) {
    const shippingOnly =
      flagged ||
      (estimate !== undefined && isPositive(view.shipping.remaining) && estimate === view.shipping.remaining);
    if (shippingOnly) return { ...result, shippingAsked: true, ask: { ...base, lines, shipping: true } };
    if (estimate !== undefined && isPositive(estimate)) {
      problems.push(
        problem(
          'MISSING_ITEM_DETAIL',
          `The refund is a flat ${fmt(estimate, view)} with no line items; each refunded SKU needs a quantity and an amount.`,
          { field: 'refundFor.orderLineItems' },
        ),
      );
    } else if (!overOrder) {
      problems.push(problem('EMPTY_REFUND', 'The refund names no line items, no shipping and no amount.'));
    }
    return { ...result, shippingAsked: false };
  }

  let shipping = flagged;
  if (!flagged && estimate !== undefined && isPositive(view.shipping.amount)) {
    const items = lineValues(view, lines);
    // An estimate equal to the lines plus the shipping charge means shipping was asked for (even when it is gone).
    if (items !== undefined && estimate === add(items, view.shipping.amount)) shipping = true;
  }
  return { ...result, shippingAsked: shipping, ask: { ...base, lines, shipping } };
}

/** Sum of the lines' money as asked, or undefined when some is unknown. */
function lineValues(view: OrderView, lines: readonly AskLine[], opts: { includeRefundedTax?: boolean } = {}) {
  const values: Minor[] = [];
  for (const line of lines) {
    if (line.amount.kind === 'given') {
      values.push(line.amount.value);
      continue;
    }
    const lv = lineById(view, line.lineItemId);
    const value = lv && line.quantity !== null ? valueOfUnits(lv, line.quantity, opts) : null;
    if (value === null || value === undefined || line.amount.kind === 'invalid') return undefined;
    values.push(value);
  }
  return sum(values);
}

function fmt(m: Minor, view: { currency: string }): string {
  return `${formatDecimal(m, view.currency)} ${view.currency}`;
}

/** Reads an operator's repair as an Ask; a repair that does not parse is reported field by field. */
export function askFromRepair(view: OrderView, policy: Policy, input: unknown): { ask?: Ask; problems: Problem[] } {
  const parsed = RepairInput.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => repairIssue(i, input));
    // Reasons are checked even when other fields do not parse, so the operator sees every problem at once.
    const rawLines = valueAt(input, ['lines']);
    (Array.isArray(rawLines) ? (rawLines as unknown[]) : []).forEach((raw, i) => {
      const line = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
      if (line.ticked !== true || typeof line.reason !== 'string') return;
      const checked = checkMerchantReason(line.reason, policy.reasons);
      const lineItemId = typeof line.lineItemId === 'string' ? line.lineItemId : undefined;
      if (!checked.ok) {
        problems.push(
          problem(checked.code, `Line ${lineItemId ?? i}: ${checked.message}`, {
            ...(lineItemId !== undefined ? { lineItemId } : {}),
            field: `lines[${i}].reason`,
          }),
        );
      }
    });
    return { problems };
  }
  const repair = parsed.data;
  const problems: Problem[] = [];
  const lines: AskLine[] = [];
  repair.lines.forEach((line, i) => {
    if (!line.ticked) return;
    const field = `lines[${i}]`;
    const where = { lineItemId: line.lineItemId };
    const checked = checkMerchantReason(line.reason, policy.reasons);
    if (!checked.ok) {
      problems.push(
        problem(checked.code, `Line ${line.lineItemId}: ${checked.message}`, { ...where, field: `${field}.reason` }),
      );
    }
    const reason = checked.ok ? checked.reason : null;
    let amount: AskAmount;
    try {
      amount = { kind: 'given', value: parseDecimal(line.amount, view.currency) };
    } catch (e) {
      if (!(e instanceof MoneyError)) throw e;
      problems.push(
        problem('INVALID_AMOUNT', `Line ${line.lineItemId}: ${e.message}.`, { ...where, field: `${field}.amount` }),
      );
      amount = { kind: 'invalid' };
    }
    lines.push({
      lineItemId: line.lineItemId,
      quantity: line.quantity,
      amount,
      reason,
      field,
      quantityField: `${field}.quantity`,
    });
  });
  let intended: Ask['intended'];
  if (repair.total !== undefined) {
    try {
      intended = { total: parseDecimal(repair.total, view.currency), field: 'total' };
    } catch (e) {
      if (!(e instanceof MoneyError)) throw e;
      problems.push(problem('INVALID_AMOUNT', `The total: ${e.message}.`, { field: 'total' }));
    }
  }
  return {
    problems,
    ask: {
      lines,
      shipping: repair.shipping ?? false,
      shippingField: 'shipping',
      mode: repair.mode ?? 'auto',
      ...(intended ? { intended } : {}),
    },
  };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function repairIssue(issue: z.core.$ZodIssue, input: unknown): Problem {
  const path = issue.path;
  const field = fieldOf(path) || undefined;
  const last = path[path.length - 1];
  const value = valueAt(input, path);
  const blank = value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
  const lineItemId =
    path[0] === 'lines' && typeof path[1] === 'number' ? valueAt(input, ['lines', path[1], 'lineItemId']) : undefined;
  const where = { ...(typeof lineItemId === 'string' ? { lineItemId } : {}), ...(field ? { field } : {}) };
  const who = typeof lineItemId === 'string' ? `Line ${lineItemId}: ` : field ? `${field}: ` : '';
  switch (last) {
    case 'quantity':
      return blank
        ? problem('MISSING_QUANTITY', `${who}the quantity is blank.`, where)
        : problem('INVALID_LINE_ITEMS', `${who}the quantity ${issue.message.toLowerCase()}.`, where);
    case 'amount':
      return blank
        ? problem('MISSING_PRICE', `${who}the amount is blank.`, where)
        : problem('INVALID_AMOUNT', `${who}the amount ${issue.message}.`, where);
    case 'total':
      return problem('INVALID_AMOUNT', `The total ${issue.message}.`, where);
    case 'reason':
      return blank
        ? problem('REASON_MISSING', `${who}the reason is blank.`, where)
        : problem('INVALID_INPUT', `${who}the reason ${issue.message}.`, where);
    case 'lineItemId':
      return problem('INVALID_LINE_ITEMS', `${who}the line item id ${issue.message.toLowerCase()}.`, where);
    default:
      return problem(
        'INVALID_INPUT',
        field ? `${field}: ${issue.message}.` : `The repair must be an object with lines: ${issue.message}.`,
        where,
      );
  }
}

type Decided = { line: AskLine; lv: LineView; quantity: number; amount: Minor; unitValue: Minor | null };

/**
 * The shared checks (rules 3–9, 11, 12, 14) and the plan builder; `prior` are problems already found, and a plan is
 * built only when there are none. A line whose order price is blank can still be repaired with an explicit amount: its
 * units' value is unknown, so it goes as an appeasement (the store would otherwise price the units itself), bounded by
 * what remains on the order.
 */
export function planAsk(prepared: Prepared, ask: Ask, prior: Problem[], revision: number): ValidationResult {
  const { view, ctx } = prepared;
  const problems: Problem[] = [];
  const decided: Decided[] = [];
  let complete = true; // every touched line's money is known
  const seen = new Set<string>();

  for (const line of ask.lines) {
    const where = { lineItemId: line.lineItemId, field: line.field };
    const lv = lineById(view, line.lineItemId);
    if (!lv) {
      problems.push(
        problem('UNKNOWN_LINE_ITEMS', `Line ${line.lineItemId} is not on BwP order ${view.orderId}.`, where),
      );
      complete = false;
      continue;
    }
    if (seen.has(lv.lineItemId)) {
      problems.push(problem('INVALID_LINE_ITEMS', `Line ${line.lineItemId} is listed more than once.`, where));
      complete = false;
      continue;
    }
    seen.add(lv.lineItemId);
    const id = lv.lineItemId;
    const at = { lineItemId: id, field: line.field };
    problems.push(...view.problems.filter((p) => p.lineItemId === id));
    const label = lv.sku ? `Line ${id} (SKU ${lv.sku})` : `Line ${id}`;

    if (lv.storeLineId === undefined) {
      problems.push(
        problem('NO_STORE_LINE_ALIAS', `${label} has no EXTERNAL_ITEM_ID or SKU alias naming the store's line.`, at),
      );
    } else if (lv.storeLine === null) {
      problems.push(
        problem(
          'UNKNOWN_LINE_ITEMS',
          `${label} is no longer on the store order (store line ${lv.storeLineId} is gone).`,
          at,
        ),
      );
    }
    if (lv.relinked) {
      problems.push(
        problem(
          'LINE_RELINKED',
          `${label} was ordered as SKU ${lv.sku ?? '?'} but store line ${lv.storeLineId ?? '?'} is now SKU ${lv.storeLine?.sku ?? '?'}.`,
          at,
        ),
      );
    }

    const q = line.quantity;
    let quantityOk = false;
    if (q === null) {
      problems.push(
        problem('MISSING_QUANTITY', `${label}: the refunded quantity is blank.`, { ...at, field: line.quantityField }),
      );
    } else if (!Number.isSafeInteger(q) || q < 0) {
      problems.push(
        problem('INVALID_LINE_ITEMS', `${label}: quantity ${q} is not a whole number of units.`, {
          ...at,
          field: line.quantityField,
        }),
      );
    } else if (lv.orderedQty === null) {
      problems.push(problem('MISSING_QUANTITY', `${label}: the order does not say how many were ordered.`, at));
    } else if (lv.remainingQty !== null && q > lv.remainingQty) {
      problems.push(
        problem(
          'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND',
          `${label}: ${q} asked but only ${lv.remainingQty} of ${lv.orderedQty} left to refund (${lv.refundedQty} already refunded).`,
          { ...at, field: line.quantityField },
        ),
      );
    } else {
      quantityOk = true;
    }
    const quantity = quantityOk ? q! : 0;
    const unitValue = quantityOk && quantity > 0 ? valueOfUnits(lv, quantity) : null;

    let amount: Minor | null = null;
    if (line.amount.kind === 'given') amount = line.amount.value;
    else if (line.amount.kind === 'units') {
      if (lv.unitPrice === null) {
        problems.push(
          problem('MISSING_PRICE', `${label}: the unit price was left blank, so the amount is unknown.`, at),
        );
      } else if (quantityOk && lv.remainingAmount !== null) {
        amount = valueOfUnits(lv, quantity);
      }
    }
    if (amount === null || !quantityOk) {
      complete = false;
      continue;
    }

    const extraTax = taxRefundedBeyondUnits(lv);
    if (lv.remainingAmount !== null && amount > lv.remainingAmount) {
      const fitsWithTax = isPositive(extraTax) && amount <= add(lv.remainingAmount, extraTax);
      problems.push(
        fitsWithTax
          ? problem(
              'TAX_ALREADY_REFUNDED',
              `${label}: ${fmt(amount, view)} includes tax already refunded (${fmt(extraTax, view)}); at most ${fmt(lv.remainingAmount, view)} remains.`,
              at,
            )
          : problem(
              'AMOUNT_EXCEEDS_LINE_REMAINING',
              `${label}: ${fmt(amount, view)} is more than the ${fmt(lv.remainingAmount, view)} that remains refundable on the line.`,
              at,
            ),
      );
    } else if (unitValue !== null && isPositive(extraTax) && amount > unitValue) {
      problems.push(
        problem(
          'TAX_ALREADY_REFUNDED',
          `${label}: ${fmt(amount, view)} for ${quantity} unit(s) counts tax already refunded; without it they are worth ${fmt(unitValue, view)}.`,
          at,
        ),
      );
    }
    if (quantity === 0 && isZero(amount)) {
      problems.push(problem('INVALID_AMOUNT', `${label} is ticked but refunds no units and no money.`, at));
    }
    decided.push({ line, lv, quantity, amount, unitValue });
  }

  // Shipping: one bucket per order (rule 9).
  if (ask.shipping) {
    if (!isPositive(view.shipping.amount)) {
      problems.push(
        problem('NO_SHIPPING_CHARGE', 'The order has no shipping charge to refund.', { field: ask.shippingField }),
      );
    } else if (view.shipping.refunded) {
      problems.push(
        problem(
          'SHIPPING_ALREADY_REFUNDED',
          `Shipping (${fmt(view.shipping.amount, view)}) was already refunded on this order; it can be refunded only once.`,
          { field: ask.shippingField },
        ),
      );
    }
  }
  if (ask.lines.length === 0 && !ask.shipping) {
    problems.push(
      problem('EMPTY_REFUND', 'Nothing is ticked: tick at least one line or shipping.', { field: 'lines' }),
    );
  }

  const itemsTotal = sum(decided.map((d) => d.amount));
  const askedShipping = ask.shipping ? view.shipping.amount : ZERO;
  if (complete) {
    // Rule 7: never more than what remains on the order (shipping already refunded is counted by its own problem).
    const leaving = add(itemsTotal, ask.shipping ? view.shipping.remaining : ZERO);
    const alreadySaid = prior.some((p) => p.code === 'AMOUNT_EXCEEDS_ORDER_REMAINING');
    if (leaving > view.remaining && !alreadySaid) {
      problems.push(
        problem(
          'AMOUNT_EXCEEDS_ORDER_REMAINING',
          `${fmt(leaving, view)} is more than the ${fmt(view.remaining, view)} that remains refundable on the order.`,
        ),
      );
    }
    // Rule 14 (and rule 8 for a BwP lump sum): the per-SKU amounts add up to the intended total.
    const total = add(itemsTotal, askedShipping);
    if (ask.intended && total !== ask.intended.total) {
      const gross = lineValues(view, ask.lines, { includeRefundedTax: true });
      const countsRefundedTax = gross !== undefined && add(gross, askedShipping) === ask.intended.total;
      problems.push(
        countsRefundedTax
          ? problem(
              'TAX_ALREADY_REFUNDED',
              `${fmt(ask.intended.total, view)} counts tax that was already refunded; the lines are worth ${fmt(total, view)} without it.`,
              { field: ask.intended.field },
            )
          : problem(
              'TOTALS_DO_NOT_ADD_UP',
              ask.lines.length > 1
                ? `The total ${fmt(ask.intended.total, view)} is not what the ${ask.lines.length} SKUs add up to (${fmt(total, view)}); a partial refund needs an amount per SKU.`
                : `The total ${fmt(ask.intended.total, view)} is not what the lines add up to (${fmt(total, view)}).`,
              { field: ask.intended.field },
            ),
      );
    }
  }

  // Rule 11: line items XOR appeasement.
  let mode: RefundPlan['mode'] = 'line-items';
  if (complete) {
    const partial = decided.filter((d) => !(d.quantity > 0 && d.unitValue !== null && d.amount === d.unitValue));
    if (ask.mode === 'line-items') {
      for (const d of partial) {
        problems.push(
          problem(
            'MIXED_LINES_AND_APPEASEMENT',
            d.unitValue === null
              ? `Line ${d.lv.lineItemId}: money without units cannot go as line items; choose appeasement.`
              : `Line ${d.lv.lineItemId}: ${fmt(d.amount, view)} is not the value of ${d.quantity} unit(s) (${fmt(d.unitValue, view)}); line items refund whole units.`,
            { lineItemId: d.lv.lineItemId, field: `${d.line.field}.amount` },
          ),
        );
      }
    } else if (ask.mode === 'appeasement' || partial.length > 0) {
      mode = 'appeasement';
      if (ask.shipping) {
        problems.push(
          problem(
            'MIXED_LINES_AND_APPEASEMENT',
            'Shipping can only be refunded with line items, but the amounts make this an appeasement; refund shipping separately or refund whole units.',
            { field: ask.shippingField },
          ),
        );
      }
      if (!ctx.policy.allowAppeasement) {
        const which = partial.map((d) => d.lv.lineItemId).join(', ');
        problems.push(
          problem(
            'APPEASEMENT_NOT_ALLOWED',
            which
              ? `Lines ${which} refund an amount that is not the value of whole units, which needs an appeasement, and policy does not allow appeasements.`
              : 'Policy does not allow appeasements.',
          ),
        );
      }
      if (!isPositive(itemsTotal) && ask.lines.length > 0 && !problems.some((p) => p.code === 'INVALID_AMOUNT')) {
        problems.push(problem('INVALID_AMOUNT', 'An appeasement must refund more than zero.', { field: 'lines' }));
      }
    }
  }

  const all = dedupe([...prior, ...problems]);
  if (all.length > 0) return { problems: all };

  const lines: PlanLine[] = decided.map((d) => ({
    lineItemId: d.lv.lineItemId,
    storeLineId: d.lv.storeLineId!,
    ...(d.lv.sku !== undefined ? { sku: d.lv.sku } : {}),
    quantity: d.quantity,
    amount: d.amount,
    reason: d.line.reason!,
  }));
  const order = view.storeOrderId!;
  let storeRequest: StoreRefundBody;
  if (mode === 'appeasement') {
    storeRequest = { order, amount: formatDecimal(itemsTotal, view.currency), currency: view.currency };
  } else {
    const items = lines.flatMap((l) =>
      Array.from({ length: l.quantity }, () => ({ id: l.storeLineId, quantity: 1 as const })),
    );
    storeRequest = {
      order,
      ...(items.length > 0 ? { line_items: items } : {}),
      ...(ask.shipping ? { shipping: true } : {}),
    };
  }
  const selfCheck = checkStoreRequest(storeRequest, view.currency);
  if (selfCheck.length > 0) return { problems: selfCheck };
  const shipping = mode === 'line-items' && ask.shipping;
  return {
    problems: [],
    plan: {
      revision,
      mode,
      storeRequest,
      report: {
        currency: view.currency,
        total: shipping ? add(itemsTotal, askedShipping) : itemsTotal,
        lines,
        shipping,
      },
    },
  };
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.code}|${p.lineItemId ?? ''}|${p.field ?? ''}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Validates the BwP refund as requested and plans it. Returns every problem; never throws. */
export function validateRefund(ctx: RefundContext, opts: PlanOptions = {}): ValidationResult {
  return guard(() => {
    const prepared = prepare(ctx);
    if (!prepared.ok) return { problems: prepared.problems };
    const { refund, problems } = prepared.value;
    if (!refund) return { problems };
    const asked = askFromRefund(prepared.value, refund);
    const prior = [...problems, ...asked.problems];
    if (!asked.ask) return { problems: dedupe(prior) };
    return planAsk(prepared.value, asked.ask, prior, opts.revision ?? 1);
  });
}

/**
 * Validates an operator's repair (any JSON) against the current order and plans it. A repair that does not parse
 * yields problems naming each field; never throws.
 */
export function validateRepair(ctx: RefundContext, repair: unknown, opts: PlanOptions = {}): ValidationResult {
  return guard(() => {
    const prepared = prepare(ctx);
    if (!prepared.ok) return { problems: prepared.problems };
    const { problems, view } = prepared.value;
    const asked = askFromRepair(view, prepared.value.ctx.policy, repair);
    const prior = [...problems, ...asked.problems];
    if (!asked.ask) return { problems: dedupe(prior) };
    return planAsk(prepared.value, asked.ask, prior, opts.revision ?? 1);
  });
}
