import express, { type Request, type Response } from 'express';
import type { z } from 'zod';
import { TERMINAL_STATUSES, type OperatorAction } from '../../workflows/refund.contract';
import { requireRole } from '../auth';
import { optionalJsonBody, requireJsonBody } from '../http-body';
import { HttpProblem, parseOr400 } from '../problem';
import { detailOf } from '../refund-detail';
import { CancelInput, DeclineInput, RecheckInput, ResolveInput, ResubmitVerifiedInput } from '../schemas';
import { recordOf, sleep, whoOf, workflowIdOf, type RouteDeps, type Who } from './shared';
import { sendUpdate } from './updates';

/**
 * Decisions on one refund (decline, resolve, cancel: followed until carried out) and the actions recorded for the
 * refund to carry out on its own (re-check now, resubmit after verifying). docs/protocol.md says what each does in
 * every status.
 */
export function decisionRoutes(deps: RouteDeps): express.Router {
  const router = express.Router();
  const decide = decision(deps);
  const record = recorded(deps);
  router.post('/refunds/:id/decline', requireRole('operator'), decide('decline', 'decline', DeclineInput));
  router.post('/refunds/:id/resolve', requireRole('operator'), decide('resolve', 'resolve', ResolveInput));
  // Cancelling reports nothing to Buy with Prime and leaves the refund to be handled elsewhere: admins only.
  router.post('/refunds/:id/cancel', requireRole('admin'), decide('cancel', 'cancel', CancelInput));
  router.post('/refunds/:id/recheck', requireRole('operator'), record('recheck', 'recheck', RecheckInput, true));
  // A new idempotency key on a person's word that no money moved under the one in doubt: admins only (docs/security.md).
  router.post(
    '/refunds/:id/resubmit-verified',
    requireRole('admin'),
    record('resubmit-verified', 'resubmitVerified', ResubmitVerifiedInput, false),
  );
  return router;
}

/**
 * decline, resolve and cancel: the update answers at once that the decision was recorded; the route then follows the
 * refund's memo until the workflow has carried it out (200 with the final state), refused it after all (409: money
 * moved meanwhile), or decisionWaitMs passed (202: poll GET /refunds/:id).
 */
const decision =
  (deps: RouteDeps) =>
  <S extends z.ZodType>(route: string, action: OperatorAction, schema: S) =>
    async function decide(req: Request, res: Response) {
      const workflowId = workflowIdOf(req);
      const who = whoOf(req, res);
      const input = parseOr400(schema, optionalJsonBody(req), 'body', `The ${route} is not valid: see each field.`);
      const record = await recordOf(deps, workflowId);
      const accepted = await sendUpdate(deps, { record, route, action, who, input });
      res.setHeader('Idempotency-Key', who.requestId);
      const done = await followDecision(deps, workflowId, who);
      if (done) {
        res.json({ workflowId, accepted: true, finished: true, next: accepted.next, state: done });
        return;
      }
      res
        .status(202)
        .setHeader('Location', `/refunds/${encodeURIComponent(workflowId)}`)
        .json({ workflowId, accepted: true, finished: false, next: accepted.next, view: accepted.view });
    };

/** The refund's detail once the decision is carried out; undefined when the wait is over first; 409 when refused. */
async function followDecision(deps: RouteDeps, workflowId: string, who: Who) {
  const deadline = Date.now() + deps.decisionWaitMs;
  for (;;) {
    const record = await recordOf(deps, workflowId);
    const refused = record.trail.audit.find(
      (a) => a.requestId === who.requestId && a.via === 'workflow' && !a.accepted,
    );
    if (refused) {
      const problems = refused.problems ?? [];
      throw new HttpProblem('notAllowed', problems.map((p) => p.message).join(' ') || 'Refused.', { problems });
    }
    if (record.view.result || TERMINAL_STATUSES.includes(record.view.status)) return detailOf(record);
    if (Date.now() >= deadline) return undefined;
    await sleep(200);
  }
}

/** Re-check now, or resubmit after verifying: recorded at once; the refund moves on its own (poll GET /refunds/:id). */
const recorded =
  (deps: RouteDeps) =>
  <S extends z.ZodType>(route: string, action: OperatorAction, schema: S, optionalBody: boolean) =>
    async function record(req: Request, res: Response) {
      const workflowId = workflowIdOf(req);
      const who = whoOf(req, res);
      const raw = optionalBody ? optionalJsonBody(req) : requireJsonBody(req);
      const input = parseOr400(schema, raw, 'body', `The ${route} is not valid: see each field.`);
      const refund = await recordOf(deps, workflowId);
      const accepted = await sendUpdate(deps, { record: refund, route, action, who, input });
      res
        .status(202)
        .setHeader('Idempotency-Key', who.requestId)
        .setHeader('Location', `/refunds/${encodeURIComponent(workflowId)}`)
        .json({ workflowId, accepted: true, finished: false, next: accepted.next, view: accepted.view });
    };
