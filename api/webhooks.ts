import type { Client } from '@temporalio/client';
import express from 'express';
import type { Config } from '../common/config';
import { EventBridgeEnvelope, RefundRequestedEvent } from '../domain/schemas/bwp';
import { webhookAuth } from './auth';
import { parseOr400 } from './problem';
import { requireJsonBody } from './refunds';
import { startOrJoinRefund } from './start-refund';
import { toHttpProblem } from './temporal-errors';

/**
 * Buy with Prime's REFUND_REQUESTED events, as a webhook body or wrapped in the EventBridge envelope. Each refund the
 * event names starts its workflow, or reaches the running one as a re-check; duplicates and late events are harmless
 * because the workflow id is derived from the refund. A body that is not such an event starts nothing and gets a 400.
 */

/** Either form, parsed with the schema of the form it claims to be, so the errors name the right fields. */
export function parseRefundEvent(body: unknown): RefundRequestedEvent {
  const isEnvelope = typeof body === 'object' && body !== null && 'detail' in body && 'detail-type' in body;
  const detail =
    'The body is not a REFUND_REQUESTED event (webhook body or EventBridge envelope); nothing was started.';
  if (isEnvelope) return parseOr400(EventBridgeEnvelope, body, 'body', detail).detail;
  return parseOr400(RefundRequestedEvent, body, 'body', detail);
}

export function webhookRoutes(deps: {
  client: Client;
  config: Config;
  json: express.RequestHandler;
  /** How long starting (or signalling) the workflows may take before BwP gets a 503 and delivers again. */
  timeoutMs?: number;
}): express.Router {
  const { client, config, json } = deps;
  const timeoutMs = deps.timeoutMs ?? 15_000;
  const router = express.Router();

  router.post('/webhooks/bwp', webhookAuth(config), json, async (req, res) => {
    const event = parseRefundEvent(requireJsonBody(req));
    const unique = new Map(event.resources.map((r) => [`${r.orderId}\u0000${r.refundId}`, r]));
    const refunds = await Promise.all(
      [...unique.values()].map(async (r) => {
        try {
          const result = await client.withDeadline(Date.now() + timeoutMs, () =>
            startOrJoinRefund(client, {
              orderId: r.orderId,
              refundId: r.refundId,
              businessProductId: r.businessProductId,
              eventId: event.eventId,
              descriptor: event.eventDescriptor,
              taskQueue: config.TEMPORAL_TASK_QUEUE,
            }),
          );
          return { workflowId: result.workflowId, orderId: r.orderId, refundId: r.refundId, outcome: result.outcome };
        } catch (err) {
          // Temporal unreachable: 503, so BwP delivers the event again later.
          throw toHttpProblem(err, `refund:${r.orderId}:${r.refundId}`) ?? err;
        }
      }),
    );
    req.log.info({ eventId: event.eventId, refunds }, 'REFUND_REQUESTED accepted');
    res.status(202).json({ refunds });
  });

  return router;
}
