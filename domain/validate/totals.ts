import { type OrderView } from '../context';
import { type Minor, ZERO, add, formatMoney, isPositive, sum } from '../money';
import { type Problem, problem } from '../problems';
import { type Ask, lineValues, within } from './ask';
import { type DecidedLine } from './lines';

/**
 * The rules about buckets and totals: shipping is one bucket per order (docs/domain.md rule 9), a refund is not empty
 * (rule 12), never more than what remains on the order (rule 7), and the lines add up to what was intended: Amazon's
 * estimate within its tolerance (rule 15), where a partial refund needs a per-SKU amount on a multi-SKU order (rule 8),
 * or the operator's total exactly (rule 14).
 */

export type CheckedTotals = {
  problems: Problem[];
  /**
   * The lines as they go out: the same as given, except that a partial estimate on a single-SKU order becomes that
   * SKU's amount (rule 8 applies to multi-SKU orders only).
   */
  decided: DecidedLine[];
};

export function checkShipping(view: OrderView, ask: Ask): Problem[] {
  const problems: Problem[] = [];
  const field = ask.shippingField;
  if (ask.shipping) {
    if (ask.scope && !ask.scope.shipping) {
      problems.push(
        problem(
          'NOT_IN_BWP_REFUND',
          'The Buy with Prime refund does not ask for shipping; a repair may only cover what it asked for (REPAIR_ALLOW_ADDITIONS allows more).',
          { field },
        ),
      );
    }
    if (!view.shipping.known) {
      problems.push(
        problem(
          'SHIPPING_AMOUNT_UNKNOWN',
          "The order's shipping charge is unknown: Buy with Prime publishes none and the store order was not read (STORE_ORDER_URL). Refund the lines without shipping.",
          { field },
        ),
      );
    } else if (!isPositive(view.shipping.amount)) {
      problems.push(problem('NO_SHIPPING_CHARGE', 'The order has no shipping charge to refund.', { field }));
    } else if (view.shipping.refunded) {
      problems.push(
        problem(
          'SHIPPING_ALREADY_REFUNDED',
          `Shipping (${formatMoney(view.shipping.amount, view.currency)}) was already refunded on this order; it can be refunded only once.`,
          { field },
        ),
      );
    }
  }
  if (ask.lines.length === 0 && !ask.shipping) {
    problems.push(
      problem('EMPTY_REFUND', 'Nothing is ticked: tick at least one line or shipping.', { field: 'lines' }),
    );
  }
  return problems;
}

/** Checks the totals of lines whose money is all known; `prior` says what was already reported. */
export function checkTotals(
  view: OrderView,
  ask: Ask,
  decided: DecidedLine[],
  prior: readonly Problem[],
): CheckedTotals {
  const money = (m: Minor) => formatMoney(m, view.currency);
  const problems: Problem[] = [];
  const askedShipping = ask.shipping ? view.shipping.amount : ZERO;
  let lines = decided;
  const intended = ask.intended;
  const total = add(sum(lines.map((d) => d.amount)), askedShipping);

  if (intended && !within(total, intended.total, intended.tolerance)) {
    const gross = lineValues(view, ask.lines, { includeRefundedTax: true });
    const countsRefundedTax =
      gross !== undefined && within(add(gross, askedShipping), intended.total, intended.tolerance);
    const multiSku = view.lines.length > 1;
    const [only] = lines;
    if (countsRefundedTax) {
      problems.push(
        problem(
          'TAX_ALREADY_REFUNDED',
          `${money(intended.total)} counts tax that was already refunded; the lines are worth ${money(total)} without it.`,
          { field: intended.field },
        ),
      );
    } else if (
      intended.source === 'estimate' &&
      !multiSku &&
      !ask.shipping &&
      only &&
      lines.length === 1 &&
      only.ask.amount.kind === 'units' &&
      isPositive(intended.total) &&
      intended.total < only.amount
    ) {
      // A partial refund of the order's only SKU: its amount is the estimate, a per-SKU breakdown Amazon can take.
      lines = [{ ...only, amount: intended.total }];
    } else {
      problems.push(
        problem(
          'TOTALS_DO_NOT_ADD_UP',
          intended.source === 'estimate' && multiSku
            ? `The refund's ${money(intended.total)} is not what its ${ask.lines.length} line(s) of this multi-SKU order add up to (${money(total)}); a partial refund on a multi-product order needs an amount per SKU.`
            : intended.source === 'estimate'
              ? `The refund's ${money(intended.total)} is more than what it asks for is worth (${money(total)}).`
              : ask.lines.length > 1
                ? `The total ${money(intended.total)} is not what the ${ask.lines.length} SKUs add up to (${money(total)}); a partial refund needs an amount per SKU.`
                : `The total ${money(intended.total)} is not what the lines add up to (${money(total)}).`,
          { field: intended.field },
        ),
      );
    }
  }

  // Never more than what remains on the order (shipping already refunded is counted by its own problem).
  const leaving = add(sum(lines.map((d) => d.amount)), ask.shipping ? view.shipping.remaining : ZERO);
  const alreadySaid = prior.some((p) => p.code === 'AMOUNT_EXCEEDS_ORDER_REMAINING');
  if (view.totalKnown && leaving > view.remaining && !alreadySaid) {
    problems.push(
      problem(
        'AMOUNT_EXCEEDS_ORDER_REMAINING',
        `${money(leaving)} is more than the ${money(view.remaining)} that remains refundable on the order.`,
        { field: intended?.field ?? 'lines' },
      ),
    );
  }
  return { problems, decided: lines };
}

/** The plan's total: its lines and, with line items, the shipping charge. */
export function planTotal(view: OrderView, decided: readonly DecidedLine[], shipping: boolean): Minor {
  return add(sum(decided.map((d) => d.amount)), shipping ? view.shipping.amount : ZERO);
}
