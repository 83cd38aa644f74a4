import type { AuditEntry, RefundDetailMemo, RefundView, SubmissionAttempt } from '../workflows/refund.contract';
import { planBody, type PlanBody } from './plan-view';
import type { RefundRecord } from './refund-reads';

/** GET /refunds/:id: the refund's memo (view, plan, trail) with the execution it belongs to. */
export type RefundDetail = Omit<RefundView, 'v'> &
  Omit<RefundDetailMemo, 'plan'> & {
    plan?: PlanBody;
    workflowId: string;
    runId: string;
    execution: RefundRecord['execution'];
    /** The latest attempts and audit entries (the full trail: the `state` query, or the history). */
    attempts: SubmissionAttempt[];
    audit: AuditEntry[];
  };

/** GET /refunds/:id's body: the view, the plan with its amounts as decimal strings, and the latest trail. */
export function detailOf({ workflowId, runId, execution, view, detail, trail }: RefundRecord): RefundDetail {
  const { v: _v, ...rest } = view;
  return {
    workflowId,
    runId,
    execution,
    ...rest,
    ...(detail.plan ? { plan: planBody(detail.plan) } : {}),
    ...(detail.suggestion ? { suggestion: detail.suggestion } : {}),
    ...(detail.submission ? { submission: detail.submission } : {}),
    attempts: trail.attempts,
    audit: trail.audit,
  };
}
