import express from 'express';
import { requireRole } from '../auth';
import { requireJsonBody } from '../http-body';
import { HttpProblem, parseOr400 } from '../problem';
import { StartRefundInput } from '../schemas';
import { startOrJoinRefund } from '../start-refund';
import { temporalCall, whoOf, type RouteDeps } from './shared';

/**
 * POST /refunds: a refund whose event was lost upstream, started by order and refund id: the same workflow id and the
 * same start as an event's, so it is idempotent (again: joins the running one, or says it finished) and a late event
 * joins it too.
 */
export function startRoutes(deps: RouteDeps): express.Router {
  const router = express.Router();
  router.post('/refunds', requireRole('operator'), async (req, res) => {
    const input = parseOr400(StartRefundInput, requireJsonBody(req), 'body', 'Name the order and the refund to start.');
    const who = whoOf(req, res);
    const result = await temporalCall(
      deps,
      '(start)',
      () =>
        startOrJoinRefund(deps.client, {
          orderId: input.orderId,
          refundId: input.refundId,
          businessProductId: deps.start.businessProductId,
          eventId: `operator:${who.requestId}`,
          descriptor: 'OPERATOR_START',
          taskQueue: deps.taskQueue,
          startedBy: `Started by operator ${who.operator} (POST /refunds, request ${who.requestId})`,
          operator: { operator: who.operator, requestId: who.requestId },
        }),
      { field: 'body' },
    );
    if (result.outcome === 'elsewhere') {
      throw new HttpProblem(
        'notAllowed',
        `The refund's workflow id ${result.workflowId} is held by another deployment's workflow (another type or task queue); nothing was started or sent.`,
        {
          problems: [{ code: 'ACTION_NOT_ALLOWED', message: 'workflow id held by another deployment', field: 'body' }],
        },
      );
    }
    req.log.info(
      { ...result, orderId: input.orderId, refundId: input.refundId, operator: who.operator },
      'refund started by an operator',
    );
    res
      .status(result.outcome === 'started' ? 201 : 200)
      .setHeader('Location', `/refunds/${encodeURIComponent(result.workflowId)}`)
      .json({
        workflowId: result.workflowId,
        orderId: input.orderId,
        refundId: input.refundId,
        outcome: result.outcome,
      });
  });
  return router;
}
