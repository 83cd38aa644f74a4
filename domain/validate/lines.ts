import { type LineView, type OrderView, storeValueOfUnits, taxRefundedBeyondUnits, valueOfUnits } from '../context';
import { type Minor, add, formatMoney, isPositive, isZero } from '../money';
import { type Problem, problem } from '../problems';
import { type Ask, type AskLine, lineById } from './ask';

/**
 * The rules about each line (docs/domain.md rules 3–7, the tax bucket of rule 9, and the repair's scope of rule 17):
 * the line exists on both orders under the same SKU, its quantity is whole and left to refund, its amount is known and
 * within what remains, and it does not count tax already refunded.
 */

/** A line whose quantity and amount are settled; the plan is built from these. */
export type DecidedLine = {
  ask: AskLine;
  lv: LineView;
  quantity: number;
  amount: Minor;
  /** What those units are worth on the BwP order (valueOfUnits); null for money without units or when unknown. */
  unitValue: Minor | null;
  /**
   * What the store itself would refund for those units as line items (rule 16): undefined when the store order was
   * not read, null when the store cannot refund them by line.
   */
  storeValue: Minor | null | undefined;
};

export type CheckedLines = {
  decided: DecidedLine[];
  problems: Problem[];
  /** Every touched line's money is known: totals can be checked. */
  complete: boolean;
};

function labelOf(lv: LineView): string {
  return lv.sku ? `Line ${lv.lineItemId} (SKU ${lv.sku})` : `Line ${lv.lineItemId}`;
}

export function checkLines(view: OrderView, ask: Ask): CheckedLines {
  const problems: Problem[] = [];
  const decided: DecidedLine[] = [];
  let complete = true;
  const seen = new Set<string>();

  for (const line of ask.lines) {
    const lv = lineById(view, line.lineItemId);
    if (!lv) {
      problems.push(
        problem('UNKNOWN_LINE_ITEMS', `Line ${line.lineItemId} is not on BwP order ${view.orderId}.`, {
          lineItemId: line.lineItemId,
          field: line.fields.line,
        }),
      );
      complete = false;
      continue;
    }
    if (seen.has(lv.lineItemId)) {
      problems.push(
        problem('INVALID_LINE_ITEMS', `Line ${line.lineItemId} is listed more than once.`, {
          lineItemId: line.lineItemId,
          field: line.fields.line,
        }),
      );
      complete = false;
      continue;
    }
    seen.add(lv.lineItemId);
    const result = checkLine(view, ask, line, lv);
    problems.push(...result.problems);
    if (result.decided) decided.push(result.decided);
    else complete = false;
  }
  return { decided, problems, complete };
}

function checkLine(
  view: OrderView,
  ask: Ask,
  line: AskLine,
  lv: LineView,
): { problems: Problem[]; decided?: DecidedLine } {
  const id = lv.lineItemId;
  const at = (field: string) => ({ lineItemId: id, field });
  const money = (m: Minor) => formatMoney(m, view.currency);
  const label = labelOf(lv);
  const problems: Problem[] = view.problems.filter((p) => p.lineItemId === id);

  if (ask.scope && !ask.scope.lineItemIds.has(id)) {
    problems.push(
      problem(
        'NOT_IN_BWP_REFUND',
        `${label} is not part of the Buy with Prime refund; a repair may only cover the lines it asked for (REPAIR_ALLOW_ADDITIONS allows more).`,
        at(line.fields.line),
      ),
    );
  }
  if (lv.storeLineId === undefined) {
    problems.push(
      problem(
        'NO_STORE_LINE_ALIAS',
        `${label} has no EXTERNAL_ITEM_ID or SKU alias naming the store's line.`,
        at(line.fields.line),
      ),
    );
  } else if (lv.storeLine === null) {
    problems.push(
      problem(
        'UNKNOWN_LINE_ITEMS',
        `${label} is no longer on the store order (store line ${lv.storeLineId} is gone).`,
        at(line.fields.line),
      ),
    );
  }
  if (lv.relinked) {
    problems.push(
      problem(
        'LINE_RELINKED',
        `${label} was ordered as SKU ${lv.sku ?? '?'} but store line ${lv.storeLineId ?? '?'} is now SKU ${lv.storeLine?.sku ?? '?'}.`,
        at(line.fields.line),
      ),
    );
  }

  const quantity = checkQuantity(line, lv, label, problems);
  const unitValue = quantity !== undefined && quantity > 0 ? valueOfUnits(lv, quantity) : null;

  let amount: Minor | null = null;
  if (line.amount.kind === 'given') amount = line.amount.value;
  else if (line.amount.kind === 'units') {
    if (lv.unitPrice === null) {
      problems.push(
        problem(
          'MISSING_PRICE',
          `${label}: the unit price was left blank, so the amount is unknown.`,
          at(line.fields.amount),
        ),
      );
    } else if (quantity !== undefined && lv.remainingAmount !== null) {
      amount = valueOfUnits(lv, quantity);
    }
  }
  if (amount === null || quantity === undefined) return { problems };

  const extraTax = taxRefundedBeyondUnits(lv);
  if (lv.remainingAmount !== null && amount > lv.remainingAmount) {
    const fitsWithTax = isPositive(extraTax) && amount <= add(lv.remainingAmount, extraTax);
    problems.push(
      fitsWithTax
        ? problem(
            'TAX_ALREADY_REFUNDED',
            `${label}: ${money(amount)} includes tax already refunded (${money(extraTax)}); at most ${money(lv.remainingAmount)} remains.`,
            at(line.fields.amount),
          )
        : problem(
            'AMOUNT_EXCEEDS_LINE_REMAINING',
            `${label}: ${money(amount)} is more than the ${money(lv.remainingAmount)} that remains refundable on the line.`,
            at(line.fields.amount),
          ),
    );
  } else if (unitValue !== null && isPositive(extraTax) && amount > unitValue) {
    problems.push(
      problem(
        'TAX_ALREADY_REFUNDED',
        `${label}: ${money(amount)} for ${quantity} unit(s) counts tax already refunded; without it they are worth ${money(unitValue)}.`,
        at(line.fields.amount),
      ),
    );
  }
  if (quantity === 0 && isZero(amount)) {
    problems.push(
      problem('INVALID_AMOUNT', `${label} is ticked but refunds no units and no money.`, at(line.fields.amount)),
    );
  }
  const storeValue =
    lv.storeLine === undefined ? undefined : lv.storeLine === null ? null : storeValueOfUnits(lv.storeLine, quantity);
  return { problems, decided: { ask: line, lv, quantity, amount, unitValue, storeValue } };
}

/** The line's quantity when it is whole and left to refund; undefined (with a problem) otherwise. */
function checkQuantity(line: AskLine, lv: LineView, label: string, problems: Problem[]): number | undefined {
  const q = line.quantity;
  const at = { lineItemId: lv.lineItemId, field: line.fields.quantity };
  // An unreadable quantity already has its problem (INVALID_ORDER_DATA); it is not also "blank".
  if (q === null && line.quantityInvalid) return undefined;
  if (q === null) {
    problems.push(problem('MISSING_QUANTITY', `${label}: the refunded quantity is blank.`, at));
    return undefined;
  }
  if (!Number.isSafeInteger(q) || q < 0) {
    problems.push(problem('INVALID_LINE_ITEMS', `${label}: quantity ${q} is not a whole number of units.`, at));
    return undefined;
  }
  if (lv.orderedQty === null) {
    problems.push(problem('MISSING_QUANTITY', `${label}: the order does not say how many were ordered.`, at));
    return undefined;
  }
  if (lv.remainingQty !== null && q > lv.remainingQty) {
    problems.push(
      problem(
        'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND',
        `${label}: ${q} asked but only ${lv.remainingQty} of ${lv.orderedQty} left to refund (${lv.refundedQty} already refunded).`,
        at,
      ),
    );
    return undefined;
  }
  return q;
}
