import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { toEventBridge } from '../../sandbox/bwp/events';
import { refundWorkflowId, RefundStatus } from '../../workflows/refund.contract';
import { waitForState } from '../helpers/harness';
import { uniqueId } from '../helpers/temporal';
import { createApiHarness, problemOf, WEBHOOK, type ApiHarness } from './api-harness';

/** The first example of BwP's "Get Refund Details" page, verbatim: it has a stray trailing comma. */
const REFERENCE_RAW = readFileSync(path.join(__dirname, 'fixtures', 'reference-refund-requested.txt'), 'utf8');

interface Accepted {
  refunds: { workflowId: string; orderId: string; refundId: string; outcome: string }[];
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

  it('when BwP authenticates with the configured bearer token instead, it is accepted', async () => {
    const fixture = await api.seed('healthy-single-sku');
    const res = await api.postEvent(api.eventFor(fixture), { headers: { Authorization: `Bearer ${WEBHOOK.bearer}` } });
    assert.equal(res.status, 202);
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
    const raw = REFERENCE_RAW.replaceAll('/order/order-id/', `/order/${orderId}/`);
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
    const fixed = REFERENCE_RAW.replaceAll('/order/order-id/', `/order/${orderId}/`).replace(/},\s*}\s*$/, '}\n}\n');
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
    const envelope = toEventBridge(
      { ...api.eventFor(fixture), eventDescriptor: 'REFUND_COMPLETED' as 'REFUND_REQUESTED' },
      'bp',
    );
    const problem = await problemOf(await api.postEvent(envelope));
    assert.equal(problem.status, 400);
    assert.ok(problem.errors?.some((e) => e.field === 'body.detail.eventDescriptor'));
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
