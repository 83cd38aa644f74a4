import { type LineView, type RefundContext, taxRefundedBeyondUnits, valueOfUnits } from './context';
import {
  type Minor,
  MoneyError,
  ZERO,
  add,
  allocate,
  formatDecimal,
  formatMoney,
  isPositive,
  min,
  sub,
  sum,
} from './money';
import { type Problem, type ProblemCode } from './problems';
import { fallbackReason } from './reasons';
import { type RepairInput, type RepairLine } from './schemas/repair';
import { type AskLine, askFromRefund, prepare, validateRepair } from './validate';
import { estimateTolerance, within } from './validate/ask';
import { goesAsLineItems } from './validate/mode';

export type Suggestion = { repair: RepairInput; explanation: string[] };

/**
 * Problems with a safe default: applying it never refunds more than the refund asked for, nor more than remains.
 * Anything else (a line gone from the store, a re-linked SKU, a pre-order mix, a currency mismatch...) needs a person,
 * so no suggestion is made.
 */
export const FIXABLE_PROBLEMS: ReadonlySet<ProblemCode> = new Set<ProblemCode>([
  'MISSING_ITEM_DETAIL',
  'MISSING_QUANTITY',
  'TOTALS_DO_NOT_ADD_UP',
  'REASON_MISSING',
  'REASON_UNKNOWN',
  'REASON_UNMAPPED',
  'SHIPPING_ALREADY_REFUNDED',
  'TAX_ALREADY_REFUNDED',
  'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND',
  'AMOUNT_EXCEEDS_LINE_REMAINING',
  'AMOUNT_EXCEEDS_ORDER_REMAINING',
]);

/** Lines that can take money in a spread: known value left, still on the store order under the same SKU. */
function refundable(l: LineView): boolean {
  return (
    l.storeLineId !== undefined &&
    l.storeLine !== null &&
    !l.relinked &&
    l.remainingAmount !== null &&
    isPositive(l.remainingAmount)
  );
}

/** Units whose value is exactly `target`, else the remaining quantity (a blank quantity is "what is left"). */
function inferQuantity(l: LineView, target: Minor | undefined): number {
  const left = l.remainingQty ?? 0;
  if (target !== undefined) {
    for (let n = 1; n <= Math.min(left, 10_000); n++) if (valueOfUnits(l, n) === target) return n;
  }
  return left;
}

/**
 * A repair the operator can accept as is, for a refund whose problems all have a safe default:
 * - a flat amount is spread over the refundable SKUs in proportion to what remains on each, exact to the minor unit
 *   (`allocate` with each line's remainder as its cap); a SKU whose share is its whole remainder refunds its units;
 * - a blank quantity is the one whose value matches the line's amount, else what is left on the line;
 * - a reason that is blank, unknown or unmapped becomes the configured default (else "Other");
 * - shipping or tax already refunded is left out, quantities are cut to what is left, amounts to what remains;
 * - a lump sum over several SKUs is split in proportion to their value.
 * The suggestion is validated with validateRepair before it is offered; undefined when it would not pass (or when
 * nothing is wrong).
 */
export function suggestRepair(ctx: RefundContext, problems: readonly Problem[]): Suggestion | undefined {
  if (problems.length === 0 || problems.some((p) => !FIXABLE_PROBLEMS.has(p.code))) return undefined;
  try {
    const suggestion = draftRepair(ctx);
    if (!suggestion) return undefined;
    const check = validateRepair(ctx, suggestion.repair);
    return check.problems.length === 0 && check.plan ? suggestion : undefined;
  } catch (e) {
    // A spread that cannot be made exactly is simply not suggested.
    if (e instanceof MoneyError) return undefined;
    throw e;
  }
}

/**
 * The suggestion before its final validation (exported for tests, which check that the safety net rarely has to
 * catch anything). Use suggestRepair.
 */
export function draftRepair(raw: RefundContext): Suggestion | undefined {
  const prepared = prepare(raw);
  if (!prepared.ok || !prepared.value.refund) return undefined;
  const { view, refund, ctx } = prepared.value;
  const asked = askFromRefund(prepared.value, refund);
  const explanation: string[] = [];
  const money = (m: Minor) => formatMoney(m, view.currency);

  let reason = asked.reason;
  if (reason === undefined) {
    reason = fallbackReason(ctx.policy.reasons);
    if (reason === undefined) return undefined;
    explanation.push(
      `The refund's reason ${refund.refundRequestReason ? `"${refund.refundRequestReason}"` : '(blank)'} does not map; using ${reason}.`,
    );
  }

  const shippingOk = asked.shippingAsked && !view.shipping.refunded && isPositive(view.shipping.amount);
  if (asked.shippingAsked && !shippingOk) explanation.push('Shipping was already refunded, so it is left out.');
  // What the refund meant for the items: the estimate less the shipping charge it counted.
  const estimate = asked.estimate;
  const itemsTarget =
    estimate === undefined
      ? undefined
      : asked.shippingAsked && isPositive(view.shipping.amount)
        ? sub(estimate, view.shipping.amount)
        : estimate;
  if (itemsTarget !== undefined && !isPositive(itemsTarget) && !shippingOk) return undefined;

  let picked: Picked[];
  let includeShipping = shippingOk;
  const askLines = asked.ask?.lines ?? [];
  if (askLines.length === 0 && !asked.shippingAsked) {
    if (itemsTarget === undefined) return undefined;
    const spread = spreadFlat(view.lines, itemsTarget, view.shipping.remaining, reason, explanation, money);
    picked = spread.lines;
    includeShipping = spread.shipping;
  } else {
    const tolerance = estimateTolerance(prepared.value, askLines.length);
    const fromLines = fromRefundLines(view.lines, askLines, reason, explanation, money, itemsTarget, tolerance);
    if (!fromLines) return undefined;
    picked = fromLines;
  }
  // Money refunded outside any line (the store's refunded total) can leave the order with less than its lines.
  let orderRoom = sub(view.remaining, includeShipping ? view.shipping.remaining : ZERO);
  const items = sum(picked.map((p) => p.amount));
  if (items > orderRoom && includeShipping) {
    // Scaled amounts would make an appeasement, which cannot carry shipping.
    includeShipping = false;
    orderRoom = view.remaining;
    explanation.push('Shipping is left out: what remains on the order does not cover it.');
  }
  if (items > orderRoom) {
    if (!isPositive(orderRoom)) return undefined;
    const amounts = picked.map((p) => p.amount);
    const shares = allocate(orderRoom, amounts, amounts);
    picked = picked
      .map((p, i) => {
        const share = shares[i] ?? ZERO;
        return { ...p, line: { ...p.line, amount: formatDecimal(share, view.currency) }, amount: share };
      })
      .filter((p) => isPositive(p.amount));
    explanation.push(`Only ${money(orderRoom)} remains refundable on the order; the amounts are scaled down to it.`);
  }
  if (includeShipping && !picked.every(wholeUnits)) {
    // Partial amounts go as an appeasement, which cannot carry shipping: refunding less is the safe side.
    includeShipping = false;
    explanation.push('Shipping is left out: partial amounts go as an appeasement, which cannot include shipping.');
  }
  if (picked.length === 0 && !includeShipping) return undefined;

  const total = add(sum(picked.map((p) => p.amount)), includeShipping ? view.shipping.amount : ZERO);
  const repair: RepairInput = {
    lines: picked.map((p) => p.line),
    ...(includeShipping ? { shipping: true } : {}),
    mode: 'auto',
    total: formatDecimal(total, view.currency),
    note: 'Suggested by refund-orchestrator',
  };
  explanation.push(`Refund ${money(total)} in all.`);
  return { repair, explanation };
}

type Picked = { line: RepairLine; amount: Minor; lv: LineView };

function spreadFlat(
  all: readonly LineView[],
  target: Minor,
  shippingLeft: Minor,
  reason: string,
  explanation: string[],
  money: (m: Minor) => string,
): { lines: Picked[]; shipping: boolean } {
  const lines = all.flatMap((l) =>
    refundable(l) && l.remainingAmount !== null ? [{ l, cap: l.remainingAmount }] : [],
  );
  const caps = lines.map((x) => x.cap);
  const room = sum(caps);
  let itemsTarget = target;
  let shipping = false;
  if (isPositive(shippingLeft) && target === add(room, shippingLeft)) {
    itemsTarget = room;
    shipping = true;
    explanation.push('The amount is every remaining SKU plus the shipping charge: a full refund.');
  } else if (target > room) {
    itemsTarget = room;
    explanation.push(`${money(target)} is more than the ${money(room)} left on the SKUs; suggesting ${money(room)}.`);
  }
  const shares = allocate(itemsTarget, caps, caps);
  explanation.push(
    `The flat ${money(itemsTarget)} is spread over ${lines.length} SKU(s) in proportion to what remains on each.`,
  );
  const picked = lines.flatMap(({ l }, i) => {
    const share = shares[i] ?? ZERO;
    if (!isPositive(share)) return [];
    // A share that is exactly the value of every remaining unit refunds those units; otherwise it is money only.
    const units = l.remainingQty ?? 0;
    const quantity = units > 0 && valueOfUnits(l, units) === share ? units : 0;
    return [pick(l, quantity, share, reason)];
  });
  return { lines: picked, shipping };
}

function fromRefundLines(
  all: readonly LineView[],
  askLines: readonly AskLine[],
  reason: string,
  explanation: string[],
  money: (m: Minor) => string,
  itemsTarget: Minor | undefined,
  tolerance: Minor,
): Picked[] | undefined {
  const single = askLines.length === 1;
  type Draft = { l: LineView; quantity: number; amount: Minor; remaining: Minor };
  const drafts: Draft[] = [];
  for (const a of askLines) {
    const l = all.find((x) => x.lineItemId === a.lineItemId);
    // A line whose value is unknown has no safe default: leave the whole refund to a person.
    if (!l || l.remainingQty === null || l.remainingAmount === null) return undefined;
    const given = a.amount.kind === 'given' ? a.amount.value : undefined;
    let quantity = a.quantity;
    if (quantity === null) {
      quantity = inferQuantity(l, given ?? (single ? itemsTarget : undefined));
      explanation.push(`Line ${label(l)}: the blank quantity is set to ${quantity}.`);
    }
    if (quantity > l.remainingQty) {
      explanation.push(
        `Line ${label(l)}: only ${l.remainingQty} of ${l.orderedQty ?? '?'} left to refund (the rest was refunded already); asking ${l.remainingQty}.`,
      );
      quantity = l.remainingQty;
    }
    if (quantity < 0) return undefined;
    const units = valueOfUnits(l, quantity) ?? ZERO;
    let amount = given ?? units;
    if (amount > l.remainingAmount) {
      explanation.push(`Line ${label(l)}: ${money(amount)} is more than the ${money(l.remainingAmount)} that remains.`);
      amount = l.remainingAmount;
    }
    if (quantity > 0 && isPositive(taxRefundedBeyondUnits(l)) && amount > units) {
      explanation.push(`Line ${label(l)}: its tax was already refunded, so the amount is ${money(units)} without it.`);
      amount = units;
    }
    // Nothing to refund, or units worth nothing (their discount took all): a zero refund is no refund.
    if (!isPositive(amount) && !(quantity > 0 && goesAsLineItems(l, quantity, amount))) {
      explanation.push(`Line ${label(l)} has nothing left to refund and is left out.`);
      continue;
    }
    drafts.push({ l, quantity, amount, remaining: l.remainingAmount });
  }
  const items = sum(drafts.map((d) => d.amount));
  // Within the estimate's tolerance the lines' own values are the refund (docs/domain.md rule 15).
  const close = itemsTarget !== undefined && within(itemsTarget, items, tolerance);
  if (itemsTarget !== undefined && !close && isPositive(itemsTarget) && itemsTarget < items && drafts.length > 0) {
    // A lump sum below the lines' value: split it in proportion to each SKU's value, never above it.
    const weights = drafts.map((d) => d.amount);
    const shares = allocate(itemsTarget, weights, weights);
    drafts.forEach((d, i) => (d.amount = shares[i] ?? ZERO));
    explanation.push(`The refund's ${money(itemsTarget)} is split over the SKUs in proportion to their value.`);
  } else if (itemsTarget !== undefined && !close && itemsTarget > items) {
    explanation.push(`The refund asked ${money(itemsTarget)}; the SKUs are worth ${money(items)}, which is suggested.`);
  }
  return drafts.map((d) => pick(d.l, d.quantity, min(d.amount, d.remaining), reason));
}

function label(l: LineView): string {
  return l.sku ? `${l.lineItemId} (SKU ${l.sku})` : l.lineItemId;
}

function pick(l: LineView, quantity: number, amount: Minor, reason: string): Picked {
  return {
    line: { lineItemId: l.lineItemId, ticked: true, quantity, reason, amount: formatDecimal(amount, l.currency) },
    amount,
    lv: l,
  };
}

/** Whether the line can go as line items (whole units at their value, priced so by the store), with shipping. */
function wholeUnits(p: Picked): boolean {
  return goesAsLineItems(p.lv, p.line.quantity, p.amount);
}
