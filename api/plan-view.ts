import { formatDecimal } from '../domain/money';
import type { PlanLine, RefundPlan } from '../domain/plan';

/**
 * A plan as the API answers it: every amount a decimal string in the plan's currency ("10.00", "1000", "1.500"), as
 * everywhere else on the API, so that a client never needs to know a currency's decimal places. Inside the workflow a
 * plan keeps integer minor units.
 */
export type PlanBody = Omit<RefundPlan, 'report'> & {
  report: Omit<RefundPlan['report'], 'total' | 'lines' | 'estimateTolerance'> & {
    total: string;
    lines: (Omit<PlanLine, 'amount'> & { amount: string })[];
    estimateTolerance?: string;
  };
};

export function planBody(plan: RefundPlan): PlanBody {
  const { currency, shipping, estimateTolerance } = plan.report;
  return {
    ...plan,
    report: {
      currency,
      shipping,
      total: formatDecimal(plan.report.total, currency),
      lines: plan.report.lines.map((l) => ({ ...l, amount: formatDecimal(l.amount, currency) })),
      ...(estimateTolerance !== undefined ? { estimateTolerance: formatDecimal(estimateTolerance, currency) } : {}),
    },
  };
}
