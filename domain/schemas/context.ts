import { z } from 'zod';
import type { Policy, RefundContext } from '../context';
import { problem, type Problem } from '../problems';
import { fieldOf } from '../validate/prepare';
import { BwpOrder, PaymentMethodType } from './bwp';
import { StoreOrder } from './store';

/**
 * A refund context read from outside the service (a file, a tool, a property test): parsed with the clients' own
 * schemas, each unreadable part a problem. The service itself validates contexts the clients already parsed (the
 * workflow's activity, the history the API reads), so domain/validate takes a `RefundContext` and the workflow bundle
 * never builds these schemas (docs/operations.md, "Workflow CPU").
 */

export const PolicySchema = z.object({
  reasons: z.object({
    map: z.record(z.string(), z.string()),
    defaultReason: z.string().optional(),
    merchantReasons: z.array(z.string()).readonly(),
  }),
  allowAppeasement: z.boolean(),
  estimateTolerancePerLine: z.number().int().nonnegative().optional(),
  allowRepairAdditions: z.boolean().optional(),
  reasonRulesBlock: z.boolean().optional(),
  paymentMethod: z.object({ type: PaymentMethodType, displayString: z.string().optional() }).optional(),
}) satisfies z.ZodType<Policy>;

export const RefundContextSchema = z.object({
  order: BwpOrder,
  refundId: z.string(),
  storeOrder: StoreOrder.nullable().optional(),
  policy: PolicySchema,
}) satisfies z.ZodType<RefundContext>;

/** Any JSON as a refund context, or the problems that keep it from being one (never throws). */
export function readRefundContext(raw: unknown): { ok: true; ctx: RefundContext } | { ok: false; problems: Problem[] } {
  const given = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  if (given.order === null || given.order === undefined) {
    return {
      ok: false,
      problems: [problem('UNKNOWN_ORDER', 'Buy with Prime returned no order for this refund.', { field: 'order' })],
    };
  }
  const parsed = RefundContextSchema.safeParse(raw);
  if (parsed.success) return { ok: true, ctx: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => {
      const [head] = issue.path;
      const field = fieldOf(issue.path) || 'context';
      if (head === 'order' || head === 'storeOrder') {
        return problem('INVALID_ORDER_DATA', `The order data is unreadable at ${field}: ${issue.message}.`, { field });
      }
      if (head === 'refundId') return problem('UNKNOWN_REFUND', 'No refund id was given.', { field });
      return problem('INVALID_INPUT', `${field}: ${issue.message}.`, { field });
    }),
  };
}
