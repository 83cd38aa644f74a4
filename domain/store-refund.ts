import { type Minor, MoneyError, ZERO, allocate, formatMoney, max, parseDecimal, sub, sum } from './money';
import { type RefundPlan } from './plan';
import { type Problem, problem } from './problems';

/**
 * After every 2xx of `POST /refund`: did the store refund what the plan says (docs/domain.md rule 18)? The store prices
 * line items itself, so its answer, not the plan, is what moved. On a mismatch the refund is flagged for attention and
 * the report to Buy with Prime tells what really happened: its total is what the store refunded, split over the plan's
 * lines (and shipping) in proportion to their planned amounts, to the minor unit (largest remainder), so that the
 * lines add up to the total.
 */

export type StoreRefundCheck =
  | { matches: true }
  | {
      matches: false;
      problem: Problem;
      /** The plan's report restated with what the store refunded (unchanged when the answer cannot be read). */
      report: RefundPlan['report'];
    };

export function checkStoreRefund(plan: RefundPlan, refunded: { amount: string; currency: string }): StoreRefundCheck {
  const { report } = plan;
  const planned = formatMoney(report.total, report.currency);
  if (refunded.currency !== report.currency) {
    return {
      matches: false,
      problem: problem(
        'REFUND_AMOUNT_MISMATCH',
        `The store refunded ${refunded.amount} ${refunded.currency}, in another currency than the plan's ${planned}; check the store's refund before anything else.`,
        { field: 'refunded.currency' },
      ),
      report,
    };
  }
  let amount: Minor;
  try {
    amount = parseDecimal(refunded.amount, refunded.currency);
  } catch (e) {
    if (!(e instanceof MoneyError)) throw e;
    return {
      matches: false,
      problem: problem(
        'REFUND_AMOUNT_MISMATCH',
        `The store answered an amount that cannot be read (${e.message}); the plan was ${planned}.`,
        { field: 'refunded.amount' },
      ),
      report,
    };
  }
  if (amount === report.total) return { matches: true };

  // The shipping charge is the part of the total that no line carries; it takes its share like a line.
  const lineAmounts = report.lines.map((l) => l.amount);
  const shippingPart = report.shipping ? [max(ZERO, sub(report.total, sum(lineAmounts)))] : [];
  const weights = [...lineAmounts, ...shippingPart];
  const shares = weights.length > 0 ? allocate(amount, weights) : [];
  return {
    matches: false,
    problem: problem(
      'REFUND_AMOUNT_MISMATCH',
      `The store refunded ${formatMoney(amount, report.currency)} but the plan was ${planned}; the report to Buy with Prime says what the store refunded.`,
      { field: 'refunded.amount' },
    ),
    report: {
      ...report,
      total: amount,
      lines: report.lines.map((l, i) => ({ ...l, amount: shares[i] ?? ZERO })),
    },
  };
}
