import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { WorkflowNotFoundError } from '@temporalio/client';
import pino from 'pino';
import { toEventBridge } from '../../sandbox/bwp/events';
import { refundWorkflowId, RefundStatus } from '../../workflows/refund.contract';
import { waitForState } from '../helpers/harness';
import { uniqueId } from '../helpers/temporal';
import { createApiHarness, problemOf, WEBHOOK, type ApiHarness } from './api-harness';

/** The first example of BwP's "Get Refund Details" page, verbatim: it has a stray trailing comma. */
const REFERENCE_RAW = readFileSync(path.join(__dirname, 'fixtures', 'reference-refund-requested.txt'), 'utf8');

interface Accepted {
  event: { type: string; eventId: string; form: string };
  outcome: 'accepted' | 'ignored';
  reason?: string;
  refunds: { workflowId: string; orderId: string; refundId: string; outcome: string }[];
  ignored: { resource: string; reason: string }[];
}

/** The 2023 EventBridge schema: nothing in `detail`, the refund only in `resources`. */
function thinEnvelope(resources: string[], detailType = 'REFUND_REQUESTED') {
  return {
    version: '0',
    id: uniqueId('eb'),
    'detail-type': detailType,
    source: 'aws.partner/buywithprime/partner-event-source-name',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources,
    detail: {},
  };
}

function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n'))
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

describe('POST /webhooks/bwp', () => {
  let api: ApiHarness;
  before(async () => {
    api = await createApiHarness({ bodyLimit: '64kb' });
  });
  after(async () => {
    await api?.close();
  });

  async function assertNotStarted(workflowId: string) {
    await assert.rejects(api.client.workflow.getHandle(workflowId).describe(), WorkflowNotFoundError);
  }

  it('when a valid refund is announced, it starts its workflow and answers 202 with the workflow id', async () => {
    const fixture = await api.seed('healthy-single-sku');
    const res = await api.postEvent(api.eventFor(fixture));
    assert.equal(res.status, 202);
    const body = (await res.json()) as Accepted;
    const workflowId = refundWorkflowId(fixture.bwpOrder.id, fixture.refundId);
    assert.deepEqual(body.refunds, [
      { workflowId, orderId: fixture.bwpOrder.id, refundId: fixture.refundId, outcome: 'started' },
    ]);
    assert.deepEqual(body.event.form, 'webhook');
    assert.equal(body.outcome, 'accepted');
    const result = await api.client.workflow.getHandle(workflowId).result();
    assert.equal(result.status, RefundStatus.REFUNDED);
  });

  it('when the same event arrives again (or in its EventBridge envelope), it joins the one workflow: duplicates are harmless', async () => {
    const fixture = await api.seed('flat-goodwill-10-usd');
    const event = api.eventFor(fixture);
    const first = (await (await api.postEvent(event)).json()) as Accepted;
    const again = await api.postEvent(event);
    assert.equal(again.status, 202);
    const second = (await again.json()) as Accepted;
    const viaEventBridge = await api.postEvent(toEventBridge(event, fixture.businessProductId));
    assert.equal(viaEventBridge.status, 202);
    const third = (await viaEventBridge.json()) as Accepted;
    assert.equal(first.refunds[0]!.outcome, 'started');
    assert.equal(second.refunds[0]!.outcome, 'joined');
    assert.equal(third.refunds[0]!.outcome, 'joined');
    assert.equal(second.refunds[0]!.workflowId, first.refunds[0]!.workflowId);
    // One run only, parked for repair.
    const handle = api.client.workflow.getHandle(first.refunds[0]!.workflowId);
    await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
    const { count } = await api.client.workflow.count(`WorkflowId = "${first.refunds[0]!.workflowId}"`);
    assert.equal(count, 1);
  });

  it('when one event names the same refund twice, it is started once', async () => {
    const fixture = await api.seed('healthy-single-sku');
    const event = api.eventFor(fixture);
    event.resources = [event.resources[0]!, event.resources[0]!];
    const body = (await (await api.postEvent(event)).json()) as Accepted;
    assert.equal(body.refunds.length, 1);
  });

  it('with WEBHOOK_AUTH=bearer it takes the bearer token and nothing else; with basic, Basic only: no fallback', async () => {
    const bearerUrl = await api.serve(api.configWith({ WEBHOOK_AUTH: 'bearer', WEBHOOK_BEARER_TOKEN: WEBHOOK.bearer }));
    const fixture = await api.seed('healthy-single-sku');
    const post = (url: string, authorization: string) =>
      fetch(`${url}/webhooks/bwp`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: authorization },
        body: JSON.stringify(api.eventFor(fixture)),
      });
    const basic = `Basic ${Buffer.from(`${WEBHOOK.user}:${WEBHOOK.password}`).toString('base64')}`;
    const refusedBasic = await post(bearerUrl, basic);
    assert.equal(refusedBasic.status, 401);
    assert.match(refusedBasic.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.match((await problemOf(refusedBasic)).errors![0]!.message, /takes a bearer token/);
    const refusedBearer = await post(api.url, `Bearer ${WEBHOOK.bearer}`);
    assert.equal(refusedBearer.status, 401);
    assert.match((await problemOf(refusedBearer)).errors![0]!.message, /takes HTTP Basic/);
    await assertNotStarted(refundWorkflowId(fixture.bwpOrder.id, fixture.refundId));
    assert.equal((await post(bearerUrl, `Bearer ${WEBHOOK.bearer}`)).status, 202);
  });

  it('when the credentials are missing or wrong, it answers 401 and starts nothing', async () => {
    const fixture = await api.seed('healthy-single-sku');
    const event = api.eventFor(fixture);
    const wrongPassword = `Basic ${Buffer.from(`${WEBHOOK.user}:not-the-password`).toString('base64')}`;
    for (const headers of [{ Authorization: '' }, { Authorization: wrongPassword }, { Authorization: 'Bearer nope' }]) {
      const res = await api.postEvent(event, { headers });
      assert.equal(res.status, 401);
      const problem = await problemOf(res);
      assert.equal(problem.type, '/problems/unauthorized');
      assert.match(res.headers.get('www-authenticate') ?? '', /Basic/);
    }
    await assertNotStarted(refundWorkflowId(fixture.bwpOrder.id, fixture.refundId));
  });

  it('when the body is the raw reference example with its trailing comma, it answers a clear 400 and starts nothing', async () => {
    const orderId = uniqueId('order-id');
    const raw = REFERENCE_RAW.replaceAll('/order/order-id/', `/order/${orderId}/`).replace(
      'businessProduct/business-product-id/',
      `businessProduct/${api.config.BWP_TARGET_ID}/`,
    );
    const res = await api.postEvent(undefined, { raw });
    assert.equal(res.status, 400);
    const problem = await problemOf(res);
    assert.equal(problem.type, '/problems/malformed-json');
    assert.match(problem.detail, /not .*JSON|JSON/);
    assert.match(problem.detail, /Nothing was started/);
    assert.equal(problem.errors?.[0]?.field, 'body');
    await assertNotStarted(refundWorkflowId(orderId, 'example-refund-id'));
  });

  it('when the reference example is fixed (trailing comma removed), it is accepted', async () => {
    const orderId = uniqueId('order-id');
    const fixed = REFERENCE_RAW.replaceAll('/order/order-id/', `/order/${orderId}/`)
      .replace('businessProduct/business-product-id/', `businessProduct/${api.config.BWP_TARGET_ID}/`)
      .replace(/},\s*}\s*$/, '}\n}\n');
    const res = await api.postEvent(undefined, { raw: fixed });
    assert.equal(res.status, 202);
    const body = (await res.json()) as Accepted;
    assert.equal(body.refunds[0]!.workflowId, refundWorkflowId(orderId, 'example-refund-id'));
    // The sandbox has no such order: the workflow parks with a problem; cancel it so it does not linger.
    await api.client.workflow.getHandle(body.refunds[0]!.workflowId).terminate('test cleanup');
  });

  it('when the body is not a REFUND_REQUESTED event, it answers 400 naming each field and starts nothing', async () => {
    const fixture = await api.seed('healthy-single-sku');
    const event = { ...api.eventFor(fixture), resources: ['order/123'], eventId: '' };
    const res = await api.postEvent(event);
    assert.equal(res.status, 400);
    const problem = await problemOf(res);
    assert.equal(problem.type, '/problems/invalid-request');
    const fields = problem.errors?.map((e) => e.field) ?? [];
    assert.ok(fields.includes('body.resources.0'), `fields: ${fields.join(', ')}`);
    assert.ok(fields.includes('body.eventId'), `fields: ${fields.join(', ')}`);
    assert.match(problem.errors!.find((e) => e.field === 'body.resources.0')!.message, /businessProduct\/<bp>\/order/);
    await assertNotStarted(refundWorkflowId(fixture.bwpOrder.id, fixture.refundId));
  });

  it('when an EventBridge envelope carries a bad detail, the error names the field inside the envelope', async () => {
    const fixture = await api.seed('healthy-single-sku');
    const envelope = toEventBridge({ ...api.eventFor(fixture), resources: ['order/1'] }, fixture.businessProductId);
    const problem = await problemOf(await api.postEvent(envelope));
    assert.equal(problem.status, 400);
    assert.ok(
      problem.errors?.some((e) => e.field === 'body.detail.resources.0'),
      JSON.stringify(problem.errors),
    );
    await assertNotStarted(refundWorkflowId(fixture.bwpOrder.id, fixture.refundId));
  });

  it('when the thin 2023 EventBridge event arrives (detail {}, the refund only in resources), the refund starts and completes from the order query', async () => {
    const fixture = await api.seed('healthy-single-sku');
    const resource = `businessProduct/${fixture.businessProductId}/order/${fixture.bwpOrder.id}/refund/${fixture.refundId}`;
    const res = await api.postEvent(thinEnvelope([resource]));
    assert.equal(res.status, 202);
    const body = (await res.json()) as Accepted;
    assert.equal(body.event.form, 'eventbridge-thin');
    assert.equal(body.event.type, 'REFUND_REQUESTED');
    const workflowId = refundWorkflowId(fixture.bwpOrder.id, fixture.refundId);
    assert.deepEqual(body.refunds, [
      { workflowId, orderId: fixture.bwpOrder.id, refundId: fixture.refundId, outcome: 'started' },
    ]);
    // Everything the refund needs came from Buy with Prime's order query: it is refunded in full.
    const result = await api.client.workflow.getHandle(workflowId).result();
    assert.equal(result.status, RefundStatus.REFUNDED);
    assert.equal(result.refunded?.amount, '12.96');
  });

  it('reads an ARN-style resource (arn:…:businessProduct/…) in the thin form as the same refund', async () => {
    const fixture = await api.seed('flat-goodwill-10-usd');
    const plain = `businessProduct/${fixture.businessProductId}/order/${fixture.bwpOrder.id}/refund/${fixture.refundId}`;
    const first = (await (await api.postEvent(api.eventFor(fixture))).json()) as Accepted;
    const arn = `arn:aws:buywithprime:us-east-1:000000000000:${plain}`;
    const again = (await (await api.postEvent(thinEnvelope([arn]))).json()) as Accepted;
    assert.equal(again.refunds[0]!.workflowId, first.refunds[0]!.workflowId);
    assert.equal(again.refunds[0]!.outcome, 'joined');
    await api.client.workflow.getHandle(first.refunds[0]!.workflowId).terminate('test cleanup');
  });

  it('answers 202 ignored to any other event type, in every form, and starts nothing', async () => {
    const fixture = await api.seed('healthy-single-sku');
    const resource = `businessProduct/${fixture.businessProductId}/order/${fixture.bwpOrder.id}`;
    const bodies = [
      { eventDescriptor: 'PACKAGE_DELIVERED', eventId: uniqueId('evt'), resources: [resource], data: { x: 1 } },
      toEventBridge(
        { ...api.eventFor(fixture), eventDescriptor: 'ORDER_CANCELLED' as 'REFUND_REQUESTED' },
        fixture.businessProductId,
      ),
      thinEnvelope([resource], 'RETURN_PACKAGE_DELIVERY_FAILED'),
    ];
    for (const body of bodies) {
      const res = await api.postEvent(body);
      assert.equal(res.status, 202);
      const answer = (await res.json()) as Accepted;
      assert.equal(answer.outcome, 'ignored');
      assert.deepEqual(answer.refunds, []);
      assert.match(answer.reason ?? '', /not acted on/);
    }
    await assertNotStarted(refundWorkflowId(fixture.bwpOrder.id, fixture.refundId));
  });

  it('a REFUND_COMPLETED event makes the running refund re-check at once; for an unknown refund it starts nothing', async () => {
    const fixture = await api.seed('flat-goodwill-10-usd');
    await api.postEvent(api.eventFor(fixture));
    const workflowId = refundWorkflowId(fixture.bwpOrder.id, fixture.refundId);
    const handle = api.client.workflow.getHandle(workflowId);
    await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
    // Refunded by someone else; the next timed re-check is 30 s away, so only the event can tell the workflow now.
    api.sandbox.state.bwp.setRefundState({
      orderId: fixture.bwpOrder.id,
      refundId: fixture.refundId,
      state: 'SUCCESS',
    });
    const completed = { ...api.eventFor(fixture), eventDescriptor: 'REFUND_COMPLETED', eventId: uniqueId('evt') };
    const res = await api.postEvent(toEventBridge(completed as never, fixture.businessProductId));
    const body = (await res.json()) as Accepted;
    assert.equal(res.status, 202);
    assert.equal(body.refunds[0]?.outcome, 'rechecked');
    const state = await waitForState(handle, (s) => s.status === RefundStatus.RESOLVED_ELSEWHERE, 15_000);
    assert.equal(state.bwpState, 'SUCCESS');

    const unknown = `businessProduct/${fixture.businessProductId}/order/${uniqueId('o')}/refund/r-1`;
    const none = (await (
      await api.postEvent({ eventDescriptor: 'REFUND_COMPLETED', eventId: uniqueId('evt'), resources: [unknown] })
    ).json()) as Accepted;
    assert.equal(none.refunds[0]?.outcome, 'notRunning');
    await assertNotStarted(none.refunds[0].workflowId);
  });

  it("an event for a refund whose workflow id another deployment's workflow holds (another task queue) sends it nothing: 'elsewhere'", async () => {
    const fixture = await api.seed('flat-goodwill-10-usd');
    const workflowId = refundWorkflowId(fixture.bwpOrder.id, fixture.refundId);
    // Another deployment's refund under the same id, on its own task queue (no worker serves it here).
    const other = await api.client.workflow.start('refundWorkflow', {
      workflowId,
      taskQueue: uniqueId('other-deployment'),
      args: [{ orderId: fixture.bwpOrder.id, refundId: fixture.refundId }],
    });
    try {
      for (const event of [
        api.eventFor(fixture),
        { ...api.eventFor(fixture), eventDescriptor: 'REFUND_COMPLETED', eventId: uniqueId('evt') },
      ]) {
        const res = await api.postEvent(event);
        assert.equal(res.status, 202);
        const body = (await res.json()) as Accepted;
        assert.equal(body.refunds[0]?.outcome, 'elsewhere', JSON.stringify(body));
      }
      const started = await api.operator('/refunds', {
        body: { orderId: fixture.bwpOrder.id, refundId: fixture.refundId },
      });
      assert.equal(started.status, 409);
      const history = await other.fetchHistory();
      assert.ok(
        !history.events?.some((e) => e.workflowExecutionSignaledEventAttributes),
        "the other deployment's workflow got no signal",
      );
    } finally {
      await other.terminate('test over');
    }
  });

  it('a resource of another business product is ignored with a warning, and nothing is started for it', async () => {
    const logs = memoryLogger();
    const url = await api.serve(api.config, { logger: logs.logger });
    const fixture = await api.seed('healthy-single-sku');
    const event = api.eventFor(fixture);
    const foreign = `businessProduct/someone-else/order/${fixture.bwpOrder.id}/refund/${fixture.refundId}`;
    const res = await fetch(`${url}/webhooks/bwp`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Basic ${Buffer.from(`${WEBHOOK.user}:${WEBHOOK.password}`).toString('base64')}`,
      },
      body: JSON.stringify({ ...event, resources: [foreign] }),
    });
    assert.equal(res.status, 202);
    const body = (await res.json()) as Accepted;
    assert.equal(body.outcome, 'ignored');
    assert.deepEqual(body.refunds, []);
    assert.deepEqual(
      body.ignored.map((i) => i.resource),
      [foreign],
    );
    assert.match(body.ignored[0]!.reason, /someone-else.*BWP_TARGET_ID/);
    const warning = logs.lines.find((l) => l.level === 40 && String(l.msg).includes('ignored'));
    assert.ok(warning, 'a warning is logged');
    assert.equal(warning.resource, foreign);
    await assertNotStarted(refundWorkflowId(fixture.bwpOrder.id, fixture.refundId));
  });

  it('checks order and refund ids (charset, length) and names the resource at fault', async () => {
    const bp = api.config.BWP_TARGET_ID;
    for (const [orderId, why] of [
      ['order with space', /may contain only/],
      ['ordér', /may contain only/],
      ['o'.repeat(129), /at most 128/],
    ] as const) {
      const problem = await problemOf(
        await api.postEvent({
          eventDescriptor: 'REFUND_REQUESTED',
          eventId: uniqueId('evt'),
          resources: [`businessProduct/${bp}/order/${orderId}/refund/r-1`],
        }),
      );
      assert.equal(problem.status, 400);
      const error = problem.errors?.find((e) => e.field === 'body.resources.0');
      assert.ok(error, JSON.stringify(problem.errors));
      assert.match(error.message, /order id/);
      assert.match(error.message, why);
    }
  });

  it('gives a:b/c and a/b:c two workflows (their ids used to collide), each found again by its own next event', async () => {
    const a = uniqueId('a');
    const bp = api.config.BWP_TARGET_ID;
    const pairs = [
      [`${a}:b`, 'c'],
      [a, 'b:c'],
    ] as const;
    const ids: string[] = [];
    for (const [orderId, refundId] of pairs) {
      const resource = `businessProduct/${bp}/order/${orderId}/refund/${refundId}`;
      const body = (await (
        await api.postEvent({ eventDescriptor: 'REFUND_REQUESTED', eventId: uniqueId('evt'), resources: [resource] })
      ).json()) as Accepted;
      assert.equal(body.refunds[0]!.outcome, 'started');
      ids.push(body.refunds[0]!.workflowId);
      const again = (await (
        await api.postEvent({ eventDescriptor: 'REFUND_REQUESTED', eventId: uniqueId('evt'), resources: [resource] })
      ).json()) as Accepted;
      assert.equal(again.refunds[0]!.outcome, 'joined');
      assert.equal(again.refunds[0]!.workflowId, body.refunds[0]!.workflowId);
    }
    assert.notEqual(ids[0], ids[1]);
    assert.deepEqual(ids, [`refund:${a}%3Ab:c`, `refund:${a}:b%3Ac`]);
    for (const id of ids) await api.client.workflow.getHandle(id).terminate('test cleanup');
  });

  it('when the body is not JSON at all, it answers 415 naming the content type', async () => {
    const res = await api.postEvent(undefined, { raw: 'eventId=1', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(res.status, 415);
    const problem = await problemOf(res);
    assert.equal(problem.errors?.[0]?.field, 'header.content-type');
  });

  it('when the body is larger than the limit, it answers 413 before reading it', async () => {
    const res = await api.postEvent(undefined, { raw: JSON.stringify({ padding: 'x'.repeat(70 * 1024) }) });
    assert.equal(res.status, 413);
    const problem = await problemOf(res);
    assert.equal(problem.type, '/problems/payload-too-large');
  });
});
