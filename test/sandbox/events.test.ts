import assert from 'node:assert/strict';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EventBridgeEnvelope, InboundRefundEvent, RefundRequestedEvent } from '../../domain/schemas/bwp';
import { type Delivery, type Sandbox } from '../../sandbox';
import { adminPost, BUSINESS_PRODUCT, seedScenario, startSandbox } from './helpers';

/** A tiny webhook receiver on a free port that keeps what it got and answers a chosen status. */
interface Received {
  headers: http.IncomingHttpHeaders;
  /** The delivered JSON, read loosely: each test parses it with the shared event schemas. */
  body: Record<string, unknown> & { eventId?: string; idempotencyKey?: string; eventTime?: string; id?: string };
}
let received: Received[] = [];
let answerStatus = 202;
let receiver: http.Server;
let receiverUrl: string;

const WEBHOOK_USER = 'bwp';
const WEBHOOK_PASSWORD = 'test-webhook-password';

let sandbox: Sandbox;

before(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(answerStatus).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/bwp`;
  sandbox = await startSandbox({
    webhook: { url: receiverUrl, basicUser: WEBHOOK_USER, basicPassword: WEBHOOK_PASSWORD },
  });
});

after(async () => {
  await sandbox.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

function reset() {
  received = [];
  answerStatus = 202;
}

void describe('BwP simulator: REFUND_REQUESTED events to the webhook', () => {
  void it('sends an event the service schema accepts, naming the refund, with the order and its refunds', async () => {
    reset();
    const f = await seedScenario(sandbox, 'healthy-partial-qty');
    const res = await adminPost(sandbox.bwpAdminUrl, '/events', { orderId: f.bwpOrder.id, refundId: f.refundId });
    assert.equal(res.status, 200);
    assert.deepEqual(
      (res.body.deliveries as Delivery[]).map((d) => [d.orderId, d.refundId, d.status, d.attempt, d.envelope]),
      [[f.bwpOrder.id, f.refundId, 202, 1, 'webhook']],
    );

    assert.equal(received.length, 1);
    const event = RefundRequestedEvent.parse(received[0]!.body);
    const resource = `businessProduct/${BUSINESS_PRODUCT}/order/${f.bwpOrder.id}/refund/${f.refundId}`;
    assert.deepEqual(event.resources, [
      { resource, businessProductId: BUSINESS_PRODUCT, orderId: f.bwpOrder.id, refundId: f.refundId },
    ]);
    assert.equal(event.eventDescriptor, 'REFUND_REQUESTED');
    assert.equal(event.apiVersion, '2024-11-01');
    assert.equal(event.data?.order?.id, f.bwpOrder.id);
    assert.deepEqual(event.data?.order?.aliases, f.bwpOrder.aliases);
    const refund = event.data?.order?.refunds?.details.find((r) => r.id === f.refundId);
    assert.equal(refund?.state, 'PENDING');
    const seeded = f.bwpOrder.refunds.details[0]!;
    // The published refund shape (REFUND_COMPLETED prints it whole): lines by id only, no aliases, no payments.
    assert.deepEqual(received[0]!.body.data, {
      order: {
        id: f.bwpOrder.id,
        aliases: f.bwpOrder.aliases,
        refunds: {
          details: [
            {
              id: f.refundId,
              createdAt: seeded.createdAt,
              updatedAt: seeded.updatedAt,
              state: 'PENDING',
              refundRequestReason: seeded.refundRequestReason,
              refundStatusReason: null,
              refundTotal: { totalAmount: seeded.refundTotal!.totalAmount },
              refundFor: {
                orderLineItems: [{ lineItem: { id: 'bwp-line-socks' } }, { lineItem: { id: 'bwp-line-bottle' } }],
              },
            },
          ],
        },
      },
    });
  });

  void it('has the keys of the published REFUND_REQUESTED example (sandbox/events/reference-example.json), level by level', async () => {
    reset();
    const f = await seedScenario(sandbox, 'reference-example');
    await sandbox.sendRefundRequested({ refunds: [{ orderId: f.bwpOrder.id, refundId: f.refundId }] });
    const published = JSON.parse(
      readFileSync(path.join(__dirname, '../../sandbox/events/reference-example.json'), 'utf8'),
    ) as Record<string, unknown>;
    const keys = (value: unknown, at = ''): string[] => {
      if (Array.isArray(value)) return value.length ? keys(value[0], `${at}[]`) : [];
      if (value && typeof value === 'object') {
        return Object.entries(value).flatMap(([k, v]) => [`${at}.${k}`, ...keys(v, `${at}.${k}`)]);
      }
      return [];
    };
    assert.deepEqual(keys(received[0]!.body).sort(), keys(published).sort());
  });

  void it('authenticates with the configured HTTP Basic credentials', async () => {
    reset();
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    await sandbox.sendRefundRequested({ refunds: [{ orderId: f.bwpOrder.id, refundId: f.refundId }] });
    const expected = `Basic ${Buffer.from(`${WEBHOOK_USER}:${WEBHOOK_PASSWORD}`).toString('base64')}`;
    assert.equal(received[0]!.headers.authorization, expected);
    assert.equal(received[0]!.headers['content-type'], 'application/json');
  });

  void it('authenticates with a bearer token when one is configured', async () => {
    reset();
    const bearer = await startSandbox({ webhook: { url: receiverUrl, bearer: 'webhook-bearer-token-123' } });
    try {
      const f = await seedScenario(bearer, 'healthy-single-sku');
      await bearer.sendRefundRequested({ refunds: [{ orderId: f.bwpOrder.id, refundId: f.refundId }] });
      assert.equal(received[0]!.headers.authorization, 'Bearer webhook-bearer-token-123');
    } finally {
      await bearer.close();
    }
  });

  void it('delivers an event N times on request, always with the same eventId and idempotencyKey', async () => {
    reset();
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const deliveries = await sandbox.sendRefundRequested({
      refunds: [{ orderId: f.bwpOrder.id, refundId: f.refundId }],
      duplicates: 3,
    });
    assert.deepEqual(
      deliveries.map((d) => d.attempt),
      [1, 2, 3],
    );
    assert.equal(received.length, 3);
    assert.equal(new Set(received.map((r) => r.body.eventId)).size, 1);
    assert.equal(new Set(received.map((r) => r.body.idempotencyKey)).size, 1);
  });

  void it('delivers a batch out of order on request: newest event first', async () => {
    reset();
    const fixtures = [
      await seedScenario(sandbox, 'healthy-single-sku'),
      await seedScenario(sandbox, 'healthy-multi-sku'),
      await seedScenario(sandbox, 'healthy-partial-qty'),
    ];
    await sandbox.sendRefundRequested({
      refunds: fixtures.map((f) => ({ orderId: f.bwpOrder.id, refundId: f.refundId })),
      outOfOrder: true,
    });
    const order = received.map((r) => RefundRequestedEvent.parse(r.body).resources[0]!.refundId);
    assert.deepEqual(order, fixtures.map((f) => f.refundId).reverse());
    const times = received.map((r) => Date.parse(r.body.eventTime!));
    assert.ok(times[0]! > times[1]! && times[1]! > times[2]!, 'each delivery is older than the one before');
  });

  void it('in order by default: deliveries follow the batch and eventTime rises', async () => {
    reset();
    const a = await seedScenario(sandbox, 'healthy-single-sku');
    const b = await seedScenario(sandbox, 'healthy-single-sku');
    await sandbox.sendRefundRequested({
      refunds: [
        { orderId: a.bwpOrder.id, refundId: a.refundId },
        { orderId: b.bwpOrder.id, refundId: b.refundId },
      ],
    });
    assert.deepEqual(
      received.map((r) => RefundRequestedEvent.parse(r.body).resources[0]!.refundId),
      [a.refundId, b.refundId],
    );
    assert.ok(Date.parse(received[0]!.body.eventTime!) < Date.parse(received[1]!.body.eventTime!));
  });

  void it('wraps the same body in an EventBridge envelope on request', async () => {
    reset();
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    await adminPost(sandbox.bwpAdminUrl, '/events', {
      orderId: f.bwpOrder.id,
      refundId: f.refundId,
      envelope: 'eventbridge',
      duplicates: 2,
    });
    const envelope = EventBridgeEnvelope.parse(received[0]!.body);
    assert.equal(envelope['detail-type'], 'REFUND_REQUESTED');
    assert.equal(envelope.source, `aws.partner/buywithprime/${BUSINESS_PRODUCT}`);
    assert.deepEqual(envelope.detail.resources[0], {
      resource: `businessProduct/${BUSINESS_PRODUCT}/order/${f.bwpOrder.id}/refund/${f.refundId}`,
      businessProductId: BUSINESS_PRODUCT,
      orderId: f.bwpOrder.id,
      refundId: f.refundId,
    });
    assert.equal(InboundRefundEvent.parse(received[0]!.body).eventId, envelope.detail.eventId);
    assert.equal(received[1]!.body.id, received[0]!.body.id, 'a redelivered envelope keeps its id');
  });

  void it('sends the thin EventBridge form on request: detail {}, the refund only in resources', async () => {
    reset();
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    await adminPost(sandbox.bwpAdminUrl, '/events', {
      orderId: f.bwpOrder.id,
      refundId: f.refundId,
      envelope: 'eventbridge-thin',
    });
    const body = received[0]!.body as unknown as { detail: unknown; resources: string[]; 'detail-type': string };
    assert.deepEqual(body.detail, {});
    assert.equal(body['detail-type'], 'REFUND_REQUESTED');
    assert.deepEqual(body.resources, [
      `businessProduct/${BUSINESS_PRODUCT}/order/${f.bwpOrder.id}/refund/${f.refundId}`,
    ]);
  });

  void it('shows the refund as it is when sent: a refund resolved elsewhere is no longer PENDING', async () => {
    reset();
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    sandbox.state.bwp.setRefundState({ orderId: f.bwpOrder.id, refundId: f.refundId, state: 'SUCCESS' });
    await sandbox.sendRefundRequested({ refunds: [{ orderId: f.bwpOrder.id, refundId: f.refundId }] });
    const event = RefundRequestedEvent.parse(received[0]!.body);
    assert.equal(event.data?.order?.refunds?.details[0]?.state, 'SUCCESS');
  });

  void it("reports the receiver's answer, and a receiver that cannot be reached, in each delivery", async () => {
    reset();
    answerStatus = 500;
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const [rejected] = await sandbox.sendRefundRequested({
      refunds: [{ orderId: f.bwpOrder.id, refundId: f.refundId }],
    });
    assert.equal(rejected!.status, 500);

    const [unreachable] = await sandbox.sendRefundRequested({
      refunds: [{ orderId: f.bwpOrder.id, refundId: f.refundId }],
      url: 'http://127.0.0.1:9/nothing-listens-here',
    });
    assert.equal(unreachable!.status, null);
    assert.ok(unreachable!.error);
    assert.ok(sandbox.state.events.deliveries().length >= 2);
  });

  void it('answers 404 and sends nothing for a refund it does not know', async () => {
    reset();
    const res = await adminPost(sandbox.bwpAdminUrl, '/events', { orderId: 'nope', refundId: 'nope' });
    assert.equal(res.status, 404);
    assert.equal(received.length, 0);
  });

  void it('answers 400 when no webhook URL is configured or given', async () => {
    const silent = await startSandbox();
    try {
      const f = await seedScenario(silent, 'healthy-single-sku');
      const res = await adminPost(silent.bwpAdminUrl, '/events', { orderId: f.bwpOrder.id, refundId: f.refundId });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'NO_WEBHOOK');
    } finally {
      await silent.close();
    }
  });
});
