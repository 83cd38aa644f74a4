import type { Client } from '@temporalio/client';
import express from 'express';
import { z } from 'zod';
import type { Config } from '../common/config';
import {
  BwpWebhookEvent,
  EventBridgeEvent,
  REFUND_EVENT_TYPES,
  RefundRequestedEvent,
  RefundResource,
  type RefundEventType,
} from '../domain/schemas/bwp';
import { refundWorkflowId } from '../workflows/refund.contract';
import type { WebhookAuth } from './auth';
import { parseOr400 } from './problem';
import { requireJsonBody } from './http-body';
import { recheckRefund, startOrJoinRefund } from './start-refund';
import { toHttpProblem } from './temporal-errors';

/**
 * Buy with Prime's events, in each form it sends them: the webhook body, the EventBridge envelope whose `detail` is
 * that body, and the thin 2023 envelope (`detail: {}`, the refunds only in `resources`). REFUND_REQUESTED starts each
 * refund's workflow (or reaches the running one as a re-check); REFUND_COMPLETED makes a running refund re-check now;
 * any other event type is acknowledged and ignored, so the sender neither retries nor drops it. The workflow id comes
 * from the refund, so duplicates and late events are harmless. A body that is not an event at all gets a 400.
 */

export type EventForm = 'webhook' | 'eventbridge' | 'eventbridge-thin';

export interface InboundEvent {
  form: EventForm;
  type: string;
  eventId: string;
  /** The resources, unparsed (their shape depends on the event type). */
  resources: string[];
  /** Where the resources sit in the body, for field errors. */
  resourcesField: string;
}

const NOT_AN_EVENT =
  'The body is not a Buy with Prime event (a webhook body, or an EventBridge envelope); nothing was started.';

const NOT_VALID_REQUEST = 'The body is not a valid REFUND_REQUESTED event; nothing was started.';

/**
 * A webhook body, parsed with the schema of its type: a REFUND_REQUESTED with the full schema (every field at fault is
 * named), any other type with the fields all events share.
 */
function parseWebhookBody(body: unknown, where: string) {
  const type =
    typeof body === 'object' && body !== null ? (body as { eventDescriptor?: unknown }).eventDescriptor : undefined;
  if (type === 'REFUND_REQUESTED') {
    const event = parseOr400(RefundRequestedEvent, body, where, NOT_VALID_REQUEST);
    return { ...event, resources: event.resources.map((r) => r.resource) };
  }
  return parseOr400(BwpWebhookEvent, body, where, NOT_AN_EVENT);
}

/** Which form the body is in, its type, id and resources; 400 naming the field when it is not an event at all. */
export function readEvent(body: unknown): InboundEvent {
  const isEnvelope = typeof body === 'object' && body !== null && ('detail-type' in body || 'detail' in body);
  if (!isEnvelope) {
    const event = parseWebhookBody(body, 'body');
    return {
      form: 'webhook',
      type: event.eventDescriptor,
      eventId: event.eventId,
      resources: event.resources ?? [],
      resourcesField: 'body.resources',
    };
  }
  const envelope = parseOr400(EventBridgeEvent, body, 'body', NOT_AN_EVENT);
  if (Object.keys(envelope.detail).length === 0) {
    return {
      form: 'eventbridge-thin',
      type: envelope['detail-type'],
      eventId: envelope.id,
      resources: envelope.resources ?? [],
      resourcesField: 'body.resources',
    };
  }
  const detail = parseWebhookBody(envelope.detail, 'body.detail');
  return {
    form: 'eventbridge',
    type: detail.eventDescriptor,
    eventId: detail.eventId,
    resources: detail.resources ?? [],
    resourcesField: 'body.detail.resources',
  };
}

const RefundResources = z.array(RefundResource).min(1, 'must name at least one refund');

const isRefundEvent = (type: string): type is RefundEventType =>
  (REFUND_EVENT_TYPES as readonly string[]).includes(type);

export type RefundOutcome = 'started' | 'joined' | 'finished' | 'rechecked' | 'notRunning' | 'elsewhere';

export interface WebhookAnswer {
  event: { type: string; eventId: string; form: EventForm };
  outcome: 'accepted' | 'ignored';
  reason?: string;
  refunds: { workflowId: string; orderId: string; refundId: string; outcome: RefundOutcome }[];
  ignored: { resource: string; reason: string }[];
}

export function webhookRoutes(deps: {
  client: Client;
  config: Config;
  json: express.RequestHandler;
  auth: WebhookAuth;
  /** How long starting (or signalling) the workflows may take before BwP gets a 503 and delivers again. */
  timeoutMs?: number;
}): express.Router {
  const { client, config, json } = deps;
  const timeoutMs = deps.timeoutMs ?? 15_000;
  const router = express.Router();

  router.post('/webhooks/bwp', deps.auth, json, async (req, res) => {
    const body = requireJsonBody(req);
    const event = readEvent(body);
    const answer: WebhookAnswer = {
      event: { type: event.type, eventId: event.eventId, form: event.form },
      outcome: 'accepted',
      refunds: [],
      ignored: [],
    };
    if (!isRefundEvent(event.type)) {
      answer.outcome = 'ignored';
      answer.reason = `${event.type} events are not acted on; only ${REFUND_EVENT_TYPES.join(' and ')}.`;
      req.log.info({ event: answer.event }, 'event ignored: not a refund event');
      res.status(202).json(answer);
      return;
    }
    const resources = parseOr400(
      RefundResources,
      event.resources,
      event.resourcesField,
      `The ${event.type} event does not name its refunds correctly; nothing was started.`,
    );

    const unique = new Map<string, RefundResource>();
    for (const r of resources) {
      if (r.businessProductId !== config.BWP_TARGET_ID) {
        const reason = `business product ${r.businessProductId} is not the one this service serves (BWP_TARGET_ID)`;
        answer.ignored.push({ resource: r.resource, reason });
        req.log.warn({ event: answer.event, resource: r.resource }, `event resource ignored: ${reason}`);
        continue;
      }
      unique.set(refundWorkflowId(r.orderId, r.refundId), r);
    }
    answer.refunds = await Promise.all(
      [...unique.entries()].map(async ([workflowId, r]) => {
        try {
          const result = await client.withDeadline<{ workflowId: string; outcome: RefundOutcome }>(
            Date.now() + timeoutMs,
            () =>
              event.type === 'REFUND_REQUESTED'
                ? startOrJoinRefund(client, {
                    orderId: r.orderId,
                    refundId: r.refundId,
                    businessProductId: r.businessProductId,
                    eventId: event.eventId,
                    descriptor: event.type,
                    taskQueue: config.TEMPORAL_TASK_QUEUE,
                  })
                : recheckRefund(client, {
                    orderId: r.orderId,
                    refundId: r.refundId,
                    eventId: event.eventId,
                    descriptor: event.type,
                    taskQueue: config.TEMPORAL_TASK_QUEUE,
                  }),
          );
          return { workflowId: result.workflowId, orderId: r.orderId, refundId: r.refundId, outcome: result.outcome };
        } catch (err) {
          // Temporal unreachable: 503, so BwP delivers the event again later.
          throw toHttpProblem(err, workflowId, { field: `${event.resourcesField}` }) ?? err;
        }
      }),
    );
    if (answer.refunds.length === 0) {
      answer.outcome = 'ignored';
      answer.reason = 'No resource of the event belongs to this service.';
    }
    req.log.info(
      { event: answer.event, refunds: answer.refunds, ignored: answer.ignored.length },
      `${event.type} handled`,
    );
    res.status(202).json(answer);
  });

  return router;
}
