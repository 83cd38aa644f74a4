import express from 'express';
import { z } from 'zod';
import type { OrderSnapshot } from '../../workflows/refund.contract';
import type { Policy } from '../../domain/context';
import { RefundStatus, type MessageAccepted } from '../../workflows/refund.contract';
import { admissionFacts, admitRepair } from '../../workflows/refund-admission';
import { requireRole } from '../auth';
import { optionalJsonBody, requireJsonBody } from '../http-body';
import { planBody } from '../plan-view';
import { fieldErrors, HttpProblem, parseOr400 } from '../problem';
import type { RefundRecord } from '../refund-reads';
import { repairForm } from '../repair-form';
import { AcceptSuggestion, AcceptSuggestionInput, RepairInput, type RepairCheckBody } from '../schemas';
import { recordOf, temporalCall, whoOf, workflowIdOf, type RouteDeps } from './shared';
import { sendUpdate } from './updates';

/**
 * The repair of one refund: the form (what the dialog shows), the check as the operator types (the workflow's own
 * admission rule, nothing sent), the repair itself and accepting the workflow's suggestion (updates).
 */
export function repairRoutes(deps: RouteDeps): express.Router {
  const router = express.Router();

  router.get('/refunds/:id/repair', requireRole('viewer'), async (req, res) => {
    const record = await recordOf(deps, workflowIdOf(req));
    const ctx = await orderOf(deps, record);
    res.json(repairForm(record, ctx, deps.policy));
  });

  router.post('/refunds/:id/repair/check', requireRole('viewer'), async (req, res) => {
    const workflowId = workflowIdOf(req);
    const body = requireJsonBody(req);
    rejectOverCaps(body);
    res.json(await checkRepair(deps, await recordOf(deps, workflowId), body));
  });

  router.post('/refunds/:id/repair', requireRole('operator'), async (req, res) => {
    const workflowId = workflowIdOf(req);
    const who = whoOf(req, res);
    const body = requireJsonBody(req);
    // The workflow owns its suggestion: it accepts (or refuses) it itself, e.g. after a 409 it refuses.
    const accepting = typeof body === 'object' && body !== null && 'acceptSuggestion' in body;
    const input = accepting
      ? acceptInput(
          parseOr400(
            AcceptSuggestion,
            body,
            'body',
            'To accept the suggested repair, send { "acceptSuggestion": true }.',
          ),
        )
      : parseOr400(RepairInput, body, 'body', 'The repair is not valid: see each field.');
    const record = await recordOf(deps, workflowId);
    const action = accepting ? 'acceptSuggestion' : 'repair';
    const accepted = await sendUpdate(deps, { record, route: 'repair', action, who, input });
    res.setHeader('Idempotency-Key', who.requestId).json(withPlan(accepted));
  });

  router.post('/refunds/:id/accept-suggestion', requireRole('operator'), async (req, res) => {
    const workflowId = workflowIdOf(req);
    const who = whoOf(req, res);
    const input = parseOr400(AcceptSuggestionInput, optionalJsonBody(req), 'body', 'The note is not valid.');
    const record = await recordOf(deps, workflowId);
    const accepted = await sendUpdate(deps, {
      record,
      route: 'accept-suggestion',
      action: 'acceptSuggestion',
      who,
      input,
    });
    res.setHeader('Idempotency-Key', who.requestId).json(withPlan(accepted));
  });

  return router;
}

const acceptInput = (accept: z.output<typeof AcceptSuggestion>) => (accept.note ? { note: accept.note } : {});

/** The update's answer, its plan's amounts as decimal strings. */
const withPlan = (accepted: MessageAccepted) => ({
  ...accepted,
  ...(accepted.plan ? { plan: planBody(accepted.plan) } : {}),
});

/** The order as the workflow last read it; 409 not-ready while it has not read it yet (it retries its reads itself). */
async function orderOf(deps: RouteDeps, record: RefundRecord): Promise<OrderSnapshot & { policy?: Policy }> {
  const read = await temporalCall(deps, record.workflowId, () => deps.orders.read(deps.client, record));
  if (!read.orders) {
    throw new HttpProblem('notReady', 'The refund has not read its order yet. Try again shortly.', {
      headers: { 'Retry-After': '5' },
    });
  }
  return { ...read.orders, ...(read.policy ? { policy: read.policy } : {}) };
}

/**
 * The workflow's own admission rule (workflows/refund-admission.ts) on the facts its memo shows, against the order and
 * policy it last read (its history), so the dialog lists the problems the repair update would answer as the operator
 * types. Always 200: the answer is the list of problems.
 */
async function checkRepair(deps: RouteDeps, record: RefundRecord, body: unknown): Promise<RepairCheckBody> {
  const { view, detail } = record;
  const facts = admissionFacts(view, detail.suggestion?.repair);
  // The order is read (from the history) only when the rule would get as far as validating against it.
  const needsOrder = !facts.finished && !facts.inDoubt && !facts.busy && view.status === RefundStatus.AWAITING_REPAIR;
  const ctx = needsOrder ? await orderOf(deps, record) : undefined;
  const against = ctx?.order
    ? { order: ctx.order, refundId: view.refundId, storeOrder: ctx.storeOrder, policy: ctx.policy ?? deps.policy }
    : undefined;
  const admission = admitRepair(facts, 'repair', against, { repair: body }, view.revision);
  return {
    ok: admission.accepted,
    problems: admission.accepted ? [] : admission.problems,
    ...(admission.advisories?.length ? { advisories: admission.advisories } : {}),
    ...(admission.accepted && admission.plan ? { plan: planBody(admission.plan) } : {}),
  };
}

/** The schema issues that are the repair route's caps, not a repair's problems: unknown keys and sizes. */
const CAP_ISSUES: ReadonlySet<string> = new Set(['unrecognized_keys', 'too_big']);

/**
 * The check answers a repair's problems (types, amounts) as problems, as the repair update would; but it has the repair
 * route's caps, as a 400 naming the field: a key it does not know (a misspelt field must not be checked as if it were
 * absent), a body that is not an object, and every size the repair's strict schema caps (a 250 KB amount is not work
 * for the server).
 */
function rejectOverCaps(body: unknown): void {
  const parsed = RepairInput.safeParse(body);
  if (parsed.success) return;
  const caps = parsed.error.issues.filter((i) => CAP_ISSUES.has(i.code) || i.path.length === 0);
  if (caps.length === 0) return;
  throw new HttpProblem('invalidRequest', 'The repair to check is not valid: see each field.', {
    errors: fieldErrors(new z.ZodError(caps), 'body'),
  });
}
