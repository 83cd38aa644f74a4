import { type z } from 'zod';
import {
  type LineView,
  type OrderView,
  estimateTolerancePerLine,
  readAmount,
  readQuantity,
  valueOfUnits,
} from '../context';
import {
  type Minor,
  MoneyError,
  ZERO,
  add,
  formatMoney,
  isPositive,
  minor,
  mulInt,
  parseDecimal,
  sub,
  sum,
} from '../money';
import { type Problem, problem } from '../problems';
import { checkMerchantReason, mapReason } from '../reasons';
import { type RefundDetails } from '../schemas/bwp';
import { RepairInput, type RepairMode } from '../schemas/repair';
import { type Prepared, fieldOf } from './prepare';

/**
 * A BwP refund and an operator's repair are both read as an `Ask`: lines with quantity, amount and reason, shipping,
 * the mode, and the total they must add up to. Every rule then runs on the Ask, so both go through the same checks.
 */

/** How an ask line's money is known. */
export type AskAmount = { kind: 'given'; value: Minor } | { kind: 'units' } | { kind: 'invalid' };

/** Where each part of an ask line came from, so that every problem names its field. */
export type AskLineFields = {
  /** The line as a whole (ticking it, or naming it in the refund). */
  line: string;
  quantity: string;
  amount: string;
  reason: string;
};

export type AskLine = {
  lineItemId: string;
  /** Null when left blank, or unreadable (`quantityInvalid`: its problem is already reported). */
  quantity: number | null;
  quantityInvalid?: boolean;
  amount: AskAmount;
  /** Merchant reason; null when its problem is already reported. */
  reason: string | null;
  fields: AskLineFields;
};

export type Intended = {
  /** What the lines (and shipping) must add up to. */
  total: Minor;
  field: string;
  /** Amazon's estimate (docs/domain.md rule 15) or the total an operator typed (rule 14, exact). */
  source: 'estimate' | 'operator';
  /** How far the lines may be from `total` and still be what was intended. */
  tolerance: Minor;
};

export type Ask = {
  lines: AskLine[];
  shipping: boolean;
  shippingField: string;
  mode: RepairMode;
  intended?: Intended;
  /**
   * What a repair may cover (rule 17): the lines and shipping of the Buy with Prime refund. Absent when anything goes
   * (the refund itself, a refund that names neither lines nor shipping, or REPAIR_ALLOW_ADDITIONS).
   */
  scope?: { lineItemIds: ReadonlySet<string>; shipping: boolean };
};

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

/** A line of the order by its BwP id, or by the store's line id (BwP refunds may name either). */
export function lineById(view: OrderView, id: string): LineView | undefined {
  return view.lines.find((l) => l.lineItemId === id) ?? view.lines.find((l) => l.storeLineId === id);
}

/** The tolerance against Amazon's estimate for `lines` refunded lines (rule 15). */
export function estimateTolerance(prepared: Prepared, lines: number): Minor {
  return mulInt(minor(estimateTolerancePerLine(prepared.ctx.policy)), lines);
}

/** Whether `a` and `b` differ by at most `tolerance`. */
export function within(a: Minor, b: Minor, tolerance: Minor): boolean {
  return (a >= b ? sub(a, b) : sub(b, a)) <= tolerance;
}

/**
 * Reads a BwP refund as an Ask. Buy with Prime publishes the refunded lines and their quantities, never money per line
 * nor a shipping flag (docs/domain.md, "What Buy with Prime publishes"): each line is worth its units, and shipping is
 * included when the estimate equals the lines' value plus the store's shipping charge (within the estimate's
 * tolerance; only when the store order was read). A refund with no lines is a shipping-only refund when the estimate is
 * exactly the remaining shipping, otherwise a flat amount without item detail.
 */
export function askFromRefund(prepared: Prepared, refund: RefundDetails): RefundAsk {
  const { view, ctx } = prepared;
  const problems: Problem[] = [];
  const mapped = mapReason(refund.refundRequestReason, ctx.policy.reasons);
  if (!mapped.ok) problems.push(problem(mapped.code, mapped.message, { field: 'refundRequestReason' }));
  const reason = mapped.ok ? mapped.reason : null;

  const estimate = readAmount(refund.refundTotal?.totalAmount, view.currency, problems, { field: 'refundTotal' });

  // Several entries for one line are one line of the refund.
  const merged = new Map<string, { quantity: number | null; invalid: boolean; index: number }>();
  (refund.refundFor?.orderLineItems ?? []).forEach((entry, index) => {
    const id = entry.lineItem.id;
    const field = `refundFor.orderLineItems[${index}].amount`;
    const quantity = readQuantity(entry.amount, problems, { lineItemId: id, field });
    const invalid = quantity === null && entry.amount !== null && entry.amount !== undefined;
    const seen = merged.get(id);
    if (!seen) merged.set(id, { quantity, invalid, index });
    else {
      seen.quantity = seen.quantity === null || quantity === null ? null : seen.quantity + quantity;
      seen.invalid ||= invalid;
    }
  });
  const lines: AskLine[] = [...merged.entries()].map(([lineItemId, m]) => {
    const at = `refundFor.orderLineItems[${m.index}]`;
    return {
      lineItemId,
      quantity: m.quantity,
      ...(m.invalid ? { quantityInvalid: true } : {}),
      amount: { kind: 'units' },
      reason,
      fields: {
        line: `${at}.lineItem.id`,
        quantity: `${at}.amount`,
        amount: 'refundTotal',
        reason: 'refundRequestReason',
      },
    };
  });

  const result = { problems, ...(estimate !== undefined ? { estimate } : {}), ...(reason ? { reason } : {}) };
  const overOrder = estimate !== undefined && view.totalKnown && estimate > view.remaining;
  if (overOrder) {
    problems.push(
      problem(
        'AMOUNT_EXCEEDS_ORDER_REMAINING',
        `The refund asks ${formatMoney(estimate, view.currency)} but only ${formatMoney(view.remaining, view.currency)} remains refundable on the order.`,
        { field: 'refundTotal' },
      ),
    );
  }
  const tolerance = estimateTolerance(prepared, lines.length);
  const intended: Intended | undefined =
    estimate !== undefined && !overOrder
      ? { total: estimate, field: 'refundTotal', source: 'estimate', tolerance }
      : undefined;
  const base = { shippingField: 'refundTotal', mode: 'auto' as const, ...(intended ? { intended } : {}) };

  if (lines.length === 0) {
    const shippingOnly =
      estimate !== undefined && isPositive(view.shipping.remaining) && estimate === view.shipping.remaining;
    if (shippingOnly) return { ...result, shippingAsked: true, ask: { ...base, lines, shipping: true } };
    if (estimate !== undefined && isPositive(estimate)) {
      problems.push(
        problem(
          'MISSING_ITEM_DETAIL',
          `The refund is a flat ${formatMoney(estimate, view.currency)} with no line items; each refunded SKU needs a quantity and an amount.`,
          { field: 'refundFor.orderLineItems' },
        ),
      );
    } else if (!overOrder) {
      problems.push(
        problem('EMPTY_REFUND', 'The refund names no line items, no shipping and no amount.', {
          field: 'refundFor.orderLineItems',
        }),
      );
    }
    return { ...result, shippingAsked: false };
  }

  let shipping = false;
  if (estimate !== undefined && isPositive(view.shipping.amount)) {
    const items = lineValues(view, lines);
    // An estimate equal to the lines plus the shipping charge means shipping was asked for (even when it is gone).
    if (items !== undefined && within(estimate, add(items, view.shipping.amount), tolerance)) shipping = true;
  }
  return { ...result, shippingAsked: shipping, ask: { ...base, lines, shipping } };
}

/** Sum of the lines' money as asked, or undefined when some is unknown. */
export function lineValues(
  view: OrderView,
  lines: readonly AskLine[],
  opts: { includeRefundedTax?: boolean } = {},
): Minor | undefined {
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

/**
 * What a repair may cover (rule 17): the lines and shipping the Buy with Prime refund asked for. A refund that names
 * neither (a flat amount without item detail) leaves the choice to the operator, as the connector's dialog does.
 */
function repairScope(prepared: Prepared): Ask['scope'] {
  const { refund, view, ctx } = prepared;
  if (!refund || ctx.policy.allowRepairAdditions === true) return undefined;
  const asked = askFromRefund(prepared, refund);
  const lines = asked.ask?.lines ?? [];
  if (lines.length === 0 && !asked.shippingAsked) return undefined;
  const ids = lines.map((l) => lineById(view, l.lineItemId)?.lineItemId ?? l.lineItemId);
  return { lineItemIds: new Set(ids), shipping: asked.shippingAsked };
}

/** Reads an operator's repair as an Ask; a repair that does not parse is reported field by field. */
export function askFromRepair(prepared: Prepared, input: unknown): { ask?: Ask; problems: Problem[] } {
  const { view, ctx } = prepared;
  const policy = ctx.policy;
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
    const at = `lines[${i}]`;
    const fields = { line: `${at}.ticked`, quantity: `${at}.quantity`, amount: `${at}.amount`, reason: `${at}.reason` };
    const where = { lineItemId: line.lineItemId };
    const checked = checkMerchantReason(line.reason, policy.reasons);
    if (!checked.ok) {
      problems.push(
        problem(checked.code, `Line ${line.lineItemId}: ${checked.message}`, { ...where, field: fields.reason }),
      );
    }
    let amount: AskAmount;
    try {
      amount = { kind: 'given', value: parseDecimal(line.amount, view.currency) };
    } catch (e) {
      if (!(e instanceof MoneyError)) throw e;
      problems.push(
        problem('INVALID_AMOUNT', `Line ${line.lineItemId}: ${e.message}.`, { ...where, field: fields.amount }),
      );
      amount = { kind: 'invalid' };
    }
    lines.push({
      lineItemId: line.lineItemId,
      quantity: line.quantity,
      amount,
      reason: checked.ok ? checked.reason : null,
      fields,
    });
  });
  let intended: Intended | undefined;
  if (repair.total !== undefined) {
    try {
      const total = parseDecimal(repair.total, view.currency);
      intended = { total, field: 'total', source: 'operator', tolerance: ZERO };
    } catch (e) {
      if (!(e instanceof MoneyError)) throw e;
      problems.push(problem('INVALID_AMOUNT', `The total: ${e.message}.`, { field: 'total' }));
    }
  }
  const scope = repairScope(prepared);
  return {
    problems,
    ask: {
      lines,
      shipping: repair.shipping ?? false,
      shippingField: 'shipping',
      mode: repair.mode ?? 'auto',
      ...(intended ? { intended } : {}),
      ...(scope ? { scope } : {}),
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
  const field = fieldOf(path) || 'repair';
  const last = path[path.length - 1];
  const value = valueAt(input, path);
  const blank = value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
  const lineItemId =
    path[0] === 'lines' && typeof path[1] === 'number' ? valueAt(input, ['lines', path[1], 'lineItemId']) : undefined;
  const where = { ...(typeof lineItemId === 'string' ? { lineItemId } : {}), field };
  const who = typeof lineItemId === 'string' ? `Line ${lineItemId}: ` : path.length > 0 ? `${field}: ` : '';
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
        path.length > 0 ? `${field}: ${issue.message}.` : `The repair must be an object with lines: ${issue.message}.`,
        where,
      );
  }
}
