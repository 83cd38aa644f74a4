import { type LineView, type OrderView, type Policy, storeValueOfUnits, valueOfUnits } from '../context';
import { type Minor, formatMoney, isPositive, sum } from '../money';
import { type RefundPlan } from '../plan';
import { type Problem, problem } from '../problems';
import { type Ask } from './ask';
import { type DecidedLine } from './lines';

/**
 * Line items or an appeasement, never both (docs/domain.md rule 11), and line items only at the store's own price
 * (rule 16): the store prices line items itself, so a line goes as line items only when it refunds whole units, worth
 * on the BwP order exactly its amount, and the store's own price for those units is that same amount. Anything else is
 * an appeasement of the plan's amount (the per-SKU split stays in the report), allowed only by policy.
 */

/** Whether the store, sent these units as line items, refunds exactly the line's amount. */
function storeAgrees(d: DecidedLine): boolean {
  // Without the store's order its price is unknown: BwP's valuation stands, and rule 18 checks the answer.
  return d.storeValue === undefined || d.storeValue === d.amount;
}

/** Whole units at their value on the BwP order. */
function wholeUnits(d: DecidedLine): boolean {
  return d.quantity > 0 && d.unitValue !== null && d.amount === d.unitValue;
}

/** Whether `quantity` units of a line refunding `amount` can go as line items (for suggestions made ahead). */
export function goesAsLineItems(lv: LineView, quantity: number, amount: Minor): boolean {
  if (quantity <= 0 || valueOfUnits(lv, quantity) !== amount) return false;
  return lv.storeLine === undefined || (lv.storeLine !== null && storeValueOfUnits(lv.storeLine, quantity) === amount);
}

export function decideMode(
  view: OrderView,
  ask: Ask,
  decided: readonly DecidedLine[],
  policy: Policy,
  /** Problems found so far (an appeasement of zero is reported only when no amount was already found invalid). */
  already: readonly Problem[],
): { mode: RefundPlan['mode']; problems: Problem[] } {
  const money = (m: Minor) => formatMoney(m, view.currency);
  const problems: Problem[] = [];
  const priceMessage = (d: DecidedLine, tail: string) =>
    `Line ${d.lv.lineItemId}: the store prices ${d.quantity} unit(s) at ${d.storeValue === null || d.storeValue === undefined ? 'an unknown amount' : money(d.storeValue)}, not ${money(d.amount)}; ${tail}`;

  const partial = decided.filter((d) => !(wholeUnits(d) && storeAgrees(d)));
  if (ask.mode === 'line-items') {
    for (const d of partial) {
      const at = { lineItemId: d.lv.lineItemId, field: d.ask.fields.amount };
      problems.push(
        wholeUnits(d)
          ? problem(
              'STORE_PRICE_MISMATCH',
              priceMessage(d, 'as line items it would refund its own price; choose appeasement.'),
              at,
            )
          : problem(
              'MIXED_LINES_AND_APPEASEMENT',
              d.unitValue === null
                ? `Line ${d.lv.lineItemId}: money without units cannot go as line items; choose appeasement.`
                : `Line ${d.lv.lineItemId}: ${money(d.amount)} is not the value of ${d.quantity} unit(s) (${money(d.unitValue)}); line items refund whole units.`,
              at,
            ),
      );
    }
    return { mode: 'line-items', problems };
  }
  if (ask.mode !== 'appeasement' && partial.length === 0) return { mode: 'line-items', problems };

  if (ask.shipping) {
    problems.push(
      problem(
        'MIXED_LINES_AND_APPEASEMENT',
        'Shipping can only be refunded with line items, but the amounts make this an appeasement; refund shipping separately or refund whole units.',
        { field: ask.shippingField },
      ),
    );
  }
  if (!policy.allowAppeasement) {
    // Whole units the store prices differently are named as such; other partial amounts need an appeasement anyway.
    const priced = partial.filter(wholeUnits);
    const amounts = partial.filter((d) => !wholeUnits(d));
    for (const d of priced) {
      problems.push(
        problem(
          'STORE_PRICE_MISMATCH',
          priceMessage(
            d,
            'line items would refund the wrong amount, and policy does not allow the appeasement that would refund it exactly.',
          ),
          { lineItemId: d.lv.lineItemId, field: d.ask.fields.amount },
        ),
      );
    }
    const [first] = amounts;
    if (first || priced.length === 0) {
      problems.push(
        problem(
          'APPEASEMENT_NOT_ALLOWED',
          first
            ? `Lines ${amounts.map((d) => d.lv.lineItemId).join(', ')} refund an amount that is not the value of whole units, which needs an appeasement, and policy does not allow appeasements.`
            : 'Policy does not allow appeasements.',
          first ? { lineItemId: first.lv.lineItemId, field: first.ask.fields.amount } : { field: 'mode' },
        ),
      );
    }
  }
  if (
    !isPositive(sum(decided.map((d) => d.amount))) &&
    ask.lines.length > 0 &&
    ![...already, ...problems].some((p) => p.code === 'INVALID_AMOUNT')
  ) {
    problems.push(problem('INVALID_AMOUNT', 'An appeasement must refund more than zero.', { field: 'lines' }));
  }
  return { mode: 'appeasement', problems };
}
