import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type BwpOrder } from '../../domain/schemas/bwp';
import { AdminRequestError } from '../admin';
import { BwpRequestError, type BwpSimulator } from './simulator';

/**
 * REFUND_REQUESTED deliveries to the service's webhook, shaped like Buy with Prime's published example
 * (https://documents.buywithprime.amazon.com/bwp-api/docs/refund_requested, the same payload on
 * https://documents.buywithprime.amazon.com/bwp-api/docs/get-refund-details), in the plain webhook form or wrapped in an
 * EventBridge envelope, with the redeliveries and reorderings real delivery has.
 */

export interface WebhookTarget {
  url: string;
  basicUser?: string;
  basicPassword?: string;
  /** Sent as `Authorization: Bearer …`; takes precedence over Basic credentials. */
  bearer?: string;
}

export const SendEventsRequest = z
  .object({
    /** The refunds to announce, one event each, in this order. */
    refunds: z.array(z.object({ orderId: z.string().min(1), refundId: z.string().min(1) })).min(1),
    /** How many times each event is delivered (redeliveries keep the eventId and idempotencyKey). */
    duplicates: z.number().int().min(1).max(20).default(1),
    /** Deliver the batch newest first, so a receiver sees every pair of events in the wrong order. */
    outOfOrder: z.boolean().default(false),
    /** 'eventbridge-thin': the 2023 envelope, `detail: {}`, the refund named only in `resources`. */
    envelope: z.enum(['webhook', 'eventbridge', 'eventbridge-thin']).default('webhook'),
    /** Overrides the configured webhook URL (credentials stay those of the configuration). */
    url: z.url().optional(),
  })
  .strict();
export type SendEventsRequest = z.input<typeof SendEventsRequest>;

export type EventEnvelope = 'webhook' | 'eventbridge' | 'eventbridge-thin';

export interface Delivery {
  eventId: string;
  orderId: string;
  refundId: string;
  envelope: EventEnvelope;
  /** 1 for the first delivery of an event, 2.. for its duplicates. */
  attempt: number;
  at: string;
  /** The receiver's HTTP status, or null when it could not be reached. */
  status: number | null;
  error?: string;
}

/**
 * A refund as the event carries it. The REFUND_REQUESTED example is cut off after `state`; the REFUND_COMPLETED example
 * (https://documents.buywithprime.amazon.com/bwp-api/docs/refund_completed) shows the whole refund: these fields, with
 * `refundFor.orderLineItems[].lineItem.id` only (no quantity, no aliases, no paymentDetails).
 */
export interface EventRefund {
  id: string;
  createdAt: string | null;
  updatedAt: string | null;
  state: string;
  refundRequestReason: string | null;
  refundStatusReason: string | null;
  refundTotal: { totalAmount: { amount: number; currencyCode: string } | null } | null;
  refundFor: { orderLineItems: { lineItem: { id: string } }[] } | null;
}

export interface RefundRequestedBody {
  idempotencyKey: string;
  eventDescriptor: 'REFUND_REQUESTED';
  resources: string[];
  eventId: string;
  apiVersion: string;
  subscriptionId: string;
  eventTime: string;
  /** `data.order { id, aliases, refunds { details [...] } }`, as in the published example. */
  data: { order: { id: string; aliases: BwpOrder['aliases']; refunds: { details: EventRefund[] } } };
}

export const BWP_EVENT_API_VERSION = '2024-11-01';

/** The published event shape of one refund of the order. */
export function eventRefund(refund: BwpOrder['refunds']['details'][number]): EventRefund {
  return {
    id: refund.id,
    createdAt: refund.createdAt ?? null,
    updatedAt: refund.updatedAt ?? null,
    state: refund.state,
    refundRequestReason: refund.refundRequestReason ?? null,
    refundStatusReason: refund.refundStatusReason ?? null,
    refundTotal: refund.refundTotal ? { totalAmount: refund.refundTotal.totalAmount ?? null } : null,
    refundFor: refund.refundFor
      ? { orderLineItems: refund.refundFor.orderLineItems.map((l) => ({ lineItem: { id: l.lineItem.id } })) }
      : null,
  };
}

/** The event BwP sends for one refund, with the order's refunds as they are now. */
export function buildRefundRequestedEvent(
  order: BwpOrder,
  refundId: string,
  businessProductId: string,
  eventTime: Date,
): RefundRequestedBody {
  return {
    idempotencyKey: randomUUID(),
    eventDescriptor: 'REFUND_REQUESTED',
    resources: [`businessProduct/${businessProductId}/order/${order.id}/refund/${refundId}`],
    eventId: `evt-${randomUUID()}`,
    apiVersion: BWP_EVENT_API_VERSION,
    subscriptionId: `sandbox-subscription-${businessProductId}`,
    eventTime: eventTime.toISOString(),
    data: {
      order: {
        id: order.id,
        aliases: structuredClone(order.aliases),
        refunds: { details: order.refunds.details.map(eventRefund) },
      },
    },
  };
}

/**
 * The same body as an EventBridge partner event (detail = the webhook body). The envelope's fields follow the published
 * EventBridge example (`"source": "aws.partner/buywithprime/partner-event-source-name"`, refund_requested page).
 */
export function toEventBridge(body: RefundRequestedBody, businessProductId: string) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': body.eventDescriptor,
    source: `aws.partner/buywithprime/${businessProductId}`,
    account: '000000000000',
    time: body.eventTime,
    region: 'us-east-1',
    resources: body.resources,
    detail: body,
  };
}

function authorization(target: WebhookTarget): string | undefined {
  if (target.bearer) return `Bearer ${target.bearer}`;
  if (target.basicUser !== undefined) {
    return `Basic ${Buffer.from(`${target.basicUser}:${target.basicPassword ?? ''}`).toString('base64')}`;
  }
  return undefined;
}

export class BwpEventSender {
  private log: Delivery[] = [];

  constructor(
    private readonly deps: {
      sim: BwpSimulator;
      businessProductId: string;
      webhook?: WebhookTarget;
      timeoutMs?: number;
    },
  ) {}

  /** Builds one event per refund and delivers them one after another; answers what each delivery got back. */
  async send(request: SendEventsRequest): Promise<Delivery[]> {
    const req = SendEventsRequest.parse(request);
    const url = req.url ?? this.deps.webhook?.url;
    if (!url) throw new AdminRequestError(400, 'NO_WEBHOOK', 'No webhook URL is configured; pass one as `url`');

    const start = Date.now() - (req.refunds.length - 1) * 1000;
    const events = req.refunds.map(({ orderId, refundId }, index) => {
      const order = this.deps.sim.order(orderId);
      if (!order?.refunds.details.some((r) => r.id === refundId)) {
        throw new BwpRequestError('ResourceNotFoundError', `Refund ${refundId} of order ${orderId} was not found`);
      }
      // Events of a batch are one second apart, in the order asked for.
      return buildRefundRequestedEvent(order, refundId, this.deps.businessProductId, new Date(start + index * 1000));
    });
    const ordered = req.outOfOrder ? [...events].reverse() : events;

    const deliveries: Delivery[] = [];
    for (const event of ordered) {
      // A redelivery is the same bytes: same eventId, idempotencyKey and envelope id.
      const body =
        req.envelope === 'webhook'
          ? event
          : req.envelope === 'eventbridge'
            ? toEventBridge(event, this.deps.businessProductId)
            : { ...toEventBridge(event, this.deps.businessProductId), detail: {} };
      for (let attempt = 1; attempt <= req.duplicates; attempt++) {
        deliveries.push(await this.deliver(url, event, body, req.envelope, attempt));
      }
    }
    return deliveries;
  }

  /** Every delivery made so far, oldest first. */
  deliveries(): readonly Delivery[] {
    return this.log.map((d) => ({ ...d }));
  }

  reset(): void {
    this.log = [];
  }

  private async deliver(
    url: string,
    event: RefundRequestedBody,
    body: unknown,
    envelope: EventEnvelope,
    attempt: number,
  ): Promise<Delivery> {
    const resource = event.resources[0] ?? '';
    const [, , , orderId = '', , refundId = ''] = resource.split('/');
    const delivery: Delivery = {
      eventId: event.eventId,
      orderId,
      refundId,
      envelope,
      attempt,
      at: new Date().toISOString(),
      status: null,
    };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const auth = this.deps.webhook ? authorization(this.deps.webhook) : undefined;
    if (auth) headers.authorization = auth;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.deps.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer();
      delivery.status = res.status;
    } catch (err) {
      delivery.error = err instanceof Error ? err.message : String(err);
    }
    this.log.push(delivery);
    return delivery;
  }
}
