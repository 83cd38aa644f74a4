import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { type Sandbox } from '../../sandbox';
import { type RequestRecord } from '../../sandbox/http';
import {
  adminGet,
  adminPost,
  BUSINESS_PRODUCT,
  BWP_TOKEN,
  gql,
  ORDER_BY_ID,
  refundUpdate,
  seedScenario,
  startSandbox,
  UPDATE_ORDER,
} from './helpers';

let sandbox: Sandbox;
const logLines: string[] = [];

before(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  sandbox = await startSandbox({ logger: pino({ level: 'trace' }, sink) });
});
after(() => sandbox.close());

void describe('BwP simulator: credentials and headers', () => {
  const query = '{ order(orderId: "nope") { id } }';

  void it('rejects a request without a bearer token with 401 AccessDeniedError', async () => {
    const res = await gql(sandbox, query, {}, { authorization: undefined });
    assert.equal(res.status, 401);
    assert.equal(res.body.errors[0].extensions.code, 'AccessDeniedError');
  });

  void it('rejects a wrong bearer token with 401 AccessDeniedError', async () => {
    const res = await gql(sandbox, query, {}, { authorization: 'Bearer not-the-token' });
    assert.equal(res.status, 401);
    assert.equal(res.body.errors[0].extensions.code, 'AccessDeniedError');
  });

  void it('rejects the right token sent as Basic with 401', async () => {
    const res = await gql(sandbox, query, {}, { authorization: `Basic ${BWP_TOKEN}` });
    assert.equal(res.status, 401);
  });

  void it('rejects another business product in x-api-target-id with 403 AccessDeniedError', async () => {
    const res = await gql(sandbox, query, {}, { 'x-api-target-id': 'someone-elses-product' });
    assert.equal(res.status, 403);
    assert.equal(res.body.errors[0].extensions.code, 'AccessDeniedError');
  });

  void it('rejects a missing x-api-target-id with 403', async () => {
    const res = await gql(sandbox, query, {}, { 'x-api-target-id': undefined });
    assert.equal(res.status, 403);
  });

  void it('rejects a missing x-api-version with 400 ValidationError', async () => {
    const res = await gql(sandbox, query, {}, { 'x-api-version': undefined });
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].extensions.code, 'ValidationError');
  });

  void it('never writes the bearer token to its log', async () => {
    await gql(sandbox, query);
    await gql(sandbox, query, {}, { authorization: 'Bearer wrong-token-value' });
    assert.ok(logLines.length > 0, 'the sandbox logged something');
    assert.ok(!logLines.join('').includes(BWP_TOKEN));
    assert.ok(!logLines.join('').includes('wrong-token-value'));
  });
});

void describe('BwP simulator: the order query', () => {
  void it('returns the order by orderId exactly as seeded', async () => {
    const fixture = await seedScenario(sandbox, 'healthy-multi-sku');
    const res = await gql(sandbox, ORDER_BY_ID, { orderId: fixture.bwpOrder.id });
    assert.equal(res.status, 200);
    assert.equal(res.body.errors, undefined);
    assert.deepEqual(res.body.data.order, fixture.bwpOrder);
  });

  void it('finds the same order by its EXTERNAL_ID alias (the store order id)', async () => {
    const fixture = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await gql(
      sandbox,
      `query ($alias: AliasInput!) { order(orderIdentifier: { alias: $alias }) { id aliases { aliasType aliasId } } }`,
      { alias: { aliasType: 'EXTERNAL_ID', aliasId: fixture.storeOrder.id } },
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.data.order.id, fixture.bwpOrder.id);
  });

  void it('answers data.order null, without errors, for an unknown order', async () => {
    const res = await gql(sandbox, ORDER_BY_ID, { orderId: 'no-such-order' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { data: { order: null } });
  });

  void it('answers data.order null for an alias no order carries', async () => {
    const res = await gql(
      sandbox,
      `{ order(orderIdentifier: { alias: { aliasType: "EXTERNAL_ID", aliasId: "x" } }) { id } }`,
    );
    assert.deepEqual(res.body, { data: { order: null } });
  });

  void it('rejects orderId together with orderIdentifier with a ValidationError', async () => {
    const res = await gql(
      sandbox,
      `{ order(orderId: "a", orderIdentifier: { alias: { aliasType: "EXTERNAL_ID", aliasId: "b" } }) { id } }`,
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.data.order, null);
    assert.equal(res.body.errors[0].extensions.code, 'ValidationError');
  });

  void it('rejects an order query with neither orderId nor orderIdentifier with a ValidationError', async () => {
    const res = await gql(sandbox, '{ order { id } }');
    assert.equal(res.body.data.order, null);
    assert.equal(res.body.errors[0].extensions.code, 'ValidationError');
  });

  void it('answers 400 ValidationError to a field the schema does not have', async () => {
    const res = await gql(sandbox, '{ order(orderId: "a") { id secretField } }');
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].extensions.code, 'ValidationError');
    assert.match(res.body.errors[0].message, /secretField/);
  });

  void it('answers 400 ValidationError to a query that does not parse', async () => {
    const res = await gql(sandbox, '{ order(orderId: "a") { id ');
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].extensions.code, 'ValidationError');
  });

  void it('answers 400 ValidationError to a body that is not JSON', async () => {
    const res = await fetch(sandbox.bwpUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${BWP_TOKEN}`,
        'x-api-target-id': BUSINESS_PRODUCT,
        'x-api-version': '2024-11-01',
      },
      body: '{"query": ',
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
    assert.equal(body.errors[0]?.extensions.code, 'ValidationError');
  });
});

void describe('BwP simulator: throttling', () => {
  void it('answers 429 ThrottlingError with Retry-After above the configured rate, and passes again after it', async () => {
    const limited = await startSandbox({ bwpRatePerSecond: 2, bwpRateBurst: 2 });
    try {
      const query = '{ order(orderId: "x") { id } }';
      const first = await gql(limited, query);
      const second = await gql(limited, query);
      const third = await gql(limited, query);
      assert.deepEqual([first.status, second.status], [200, 200]);
      assert.equal(third.status, 429);
      assert.deepEqual(third.body, { errors: [{ message: 'Rate exceeded', extensions: { code: 'ThrottlingError' } }] });
      const retryAfter = Number(third.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After is whole seconds, got ${retryAfter}`);
      await new Promise((r) => setTimeout(r, retryAfter * 1000));
      assert.equal((await gql(limited, query)).status, 200);
    } finally {
      await limited.close();
    }
  });

  void it('throttles exactly the next N requests during a throttle burst, with the configured Retry-After', async () => {
    const set = await adminPost(sandbox.bwpAdminUrl, '/faults', { throttleBurst: 2, retryAfterSeconds: 7 });
    assert.equal(set.status, 200);
    const query = '{ order(orderId: "x") { id } }';
    const answers = [await gql(sandbox, query), await gql(sandbox, query), await gql(sandbox, query)];
    assert.deepEqual(
      answers.map((a) => a.status),
      [429, 429, 200],
    );
    assert.equal(answers[0]!.headers.get('retry-after'), '7');
    assert.equal(answers[0]!.body.errors[0].extensions.code, 'ThrottlingError');
  });
});

void describe('BwP simulator: faults', () => {
  void it('with errorRate 1 answers 500 InternalServerError and applies nothing', async () => {
    const faulty = await startSandbox();
    try {
      const fixture = await seedScenario(faulty, 'healthy-single-sku');
      faulty.state.bwp.setFaults({ errorRate: 1 });
      const res = await gql(faulty, UPDATE_ORDER, {
        input: {
          orderId: fixture.bwpOrder.id,
          refunds: [refundUpdate(fixture.refundId, { state: 'SUCCESS', total: 12.96 })],
        },
      });
      assert.equal(res.status, 500);
      assert.equal(res.body.errors[0].extensions.code, 'InternalServerError');
      assert.equal(faulty.state.bwp.ledger().length, 0);
      assert.equal(faulty.state.bwp.refund(fixture.bwpOrder.id, fixture.refundId)?.state, 'PENDING');
    } finally {
      await faulty.close();
    }
  });

  void it('adds latencyMs to every answer', async () => {
    const slow = await startSandbox();
    try {
      await adminPost(slow.bwpAdminUrl, '/faults', { latencyMs: 200 });
      const started = Date.now();
      const res = await gql(slow, '{ order(orderId: "x") { id } }');
      assert.equal(res.status, 200);
      assert.ok(Date.now() - started >= 190, 'the answer came after the latency');
    } finally {
      await slow.close();
    }
  });

  void it('rejects an unknown fault with 400 naming it', async () => {
    const res = await adminPost(sandbox.bwpAdminUrl, '/faults', { explode: true });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /explode/);
  });

  void it('lists every request that reached /graphql with its status', async () => {
    const counted = await startSandbox();
    try {
      await gql(counted, '{ order(orderId: "x") { id } }');
      await gql(counted, '{ order(orderId: "x") { id } }', {}, { authorization: undefined });
      const res = await adminGet(counted.bwpAdminUrl, '/requests');
      assert.deepEqual(
        (res.body.requests as RequestRecord[]).map((r) => r.status),
        [200, 401],
      );
    } finally {
      await counted.close();
    }
  });

  void it('forgets orders, ledger and faults on reset', async () => {
    const resettable = await startSandbox();
    try {
      const fixture = await seedScenario(resettable, 'healthy-single-sku');
      await gql(resettable, UPDATE_ORDER, {
        input: {
          orderId: fixture.bwpOrder.id,
          refunds: [refundUpdate(fixture.refundId, { state: 'SUCCESS', total: 12.96 })],
        },
      });
      resettable.state.bwp.setFaults({ latencyMs: 5 });
      const res = await adminPost(resettable.bwpAdminUrl, '/reset');
      assert.equal(res.status, 200);
      assert.equal((await gql(resettable, ORDER_BY_ID, { orderId: fixture.bwpOrder.id })).body.data.order, null);
      assert.deepEqual((await adminGet(resettable.bwpAdminUrl, '/ledger')).body.entries, []);
      assert.equal(resettable.state.bwp.faults().latencyMs, 0);
    } finally {
      await resettable.close();
    }
  });
});
