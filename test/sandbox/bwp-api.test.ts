import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { type Sandbox } from '../../sandbox';
import { type RequestRecord } from '../../sandbox/http';
import {
  accessToken,
  adminGet,
  adminPost,
  CLIENT_SECRET,
  gql,
  ORDER_BY_ID,
  ORDER_FIELDS,
  refundUpdate,
  report,
  requestToken,
  seedScenario,
  startSandbox,
  withoutNulls,
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

const ANY_ORDER = '{ order(orderIdentifier: { orderId: "nope" }) { id } }';

void describe('BwP simulator: the gateway (token, target, version)', () => {
  void it('rejects a request without a bearer token with 401 AccessDeniedError', async () => {
    const res = await gql(sandbox, ANY_ORDER, {}, { authorization: undefined });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body.errors[0].extensions, { errorType: 'AccessDeniedError' });
    assert.equal('data' in res.body, false);
  });

  void it('rejects a token it never issued with 401 AccessDeniedError', async () => {
    const res = await gql(sandbox, ANY_ORDER, {}, { authorization: 'Bearer not-a-token-it-issued' });
    assert.equal(res.status, 401);
    assert.equal(res.body.errors[0].extensions.errorType, 'AccessDeniedError');
  });

  void it('rejects the client secret used as a bearer token, and a valid token sent as Basic, with 401', async () => {
    assert.equal((await gql(sandbox, ANY_ORDER, {}, { authorization: `Bearer ${CLIENT_SECRET}` })).status, 401);
    const token = await accessToken(sandbox);
    assert.equal((await gql(sandbox, ANY_ORDER, {}, { authorization: `Basic ${token}` })).status, 401);
  });

  void it('rejects another business product in x-api-target-id with 403 AccessDeniedError', async () => {
    const res = await gql(sandbox, ANY_ORDER, {}, { 'x-api-target-id': 'someone-elses-product' });
    assert.equal(res.status, 403);
    assert.equal(res.body.errors[0].extensions.errorType, 'AccessDeniedError');
  });

  void it('rejects a missing x-api-target-id with 403', async () => {
    assert.equal((await gql(sandbox, ANY_ORDER, {}, { 'x-api-target-id': undefined })).status, 403);
  });

  for (const [what, value] of [
    ['a missing', undefined],
    ['a non-date', 'latest'],
    ['an impossible date as', '2024-13-01'],
  ] as const) {
    void it(`rejects ${what} x-api-version with 400 ValidationError`, async () => {
      const res = await gql(sandbox, ANY_ORDER, {}, { 'x-api-version': value });
      assert.equal(res.status, 400);
      assert.equal(res.body.errors[0].extensions.errorType, 'ValidationError');
    });
  }

  void it('checks the token before the target and the version', async () => {
    const res = await gql(
      sandbox,
      ANY_ORDER,
      {},
      { authorization: undefined, 'x-api-target-id': 'x', 'x-api-version': undefined },
    );
    assert.equal(res.status, 401);
  });

  void it('never writes a credential or an access token to its log', async () => {
    const token = await accessToken(sandbox);
    await gql(sandbox, ANY_ORDER);
    await gql(sandbox, ANY_ORDER, {}, { authorization: 'Bearer wrong-token-value' });
    await requestToken(sandbox, { clientSecret: 'wrong-secret-value' });
    assert.ok(logLines.length > 0, 'the sandbox logged something');
    const log = logLines.join('');
    for (const secret of [token, CLIENT_SECRET, 'wrong-token-value', 'wrong-secret-value']) {
      assert.ok(!log.includes(secret), 'no credential in the log');
    }
  });
});

void describe('BwP simulator: the order query serves exactly the published schema', () => {
  void it('returns the order by orderIdentifier.orderId exactly as seeded', async () => {
    const fixture = await seedScenario(sandbox, 'healthy-multi-sku');
    const res = await gql(sandbox, ORDER_BY_ID, { orderId: fixture.bwpOrder.id });
    assert.equal(res.status, 200);
    assert.equal(res.body.errors, undefined);
    assert.deepEqual(withoutNulls(res.body.data.order), withoutNulls(fixture.bwpOrder));
  });

  void it('finds the same order by orderIdentifier.alias (EXTERNAL_ID: the store order id)', async () => {
    const fixture = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await gql(
      sandbox,
      `query ($alias: AliasInput!) { order(orderIdentifier: { alias: $alias }) { id aliases { aliasType aliasId } } }`,
      { alias: { aliasType: 'EXTERNAL_ID', aliasId: fixture.storeOrder.id } },
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.data.order.id, fixture.bwpOrder.id);
  });

  void it('resolves a refunded line to the order line (RefundedOrderLineItem.lineItem is a LineItem)', async () => {
    const fixture = await seedScenario(sandbox, 'healthy-partial-qty');
    const res = await gql(
      sandbox,
      `query ($id: ID!) { order(orderIdentifier: { orderId: $id }) {
        refunds { details { refundFor { orderLineItems { lineItem { id amount { value } product { title } } amount { value } } } } }
      } }`,
      { id: fixture.bwpOrder.id },
    );
    assert.equal(res.body.errors, undefined);
    assert.deepEqual(res.body.data.order.refunds.details[0].refundFor.orderLineItems[0], {
      lineItem: { id: 'bwp-line-socks', amount: { value: 3 }, product: { title: 'Trail running socks' } },
      amount: { value: 2 },
    });
  });

  void it('answers data.order null, without errors, for an unknown order or alias', async () => {
    assert.deepEqual((await gql(sandbox, ORDER_BY_ID, { orderId: 'no-such-order' })).body, { data: { order: null } });
    const res = await gql(
      sandbox,
      `{ order(orderIdentifier: { alias: { aliasType: "EXTERNAL_ID", aliasId: "x" } }) { id } }`,
    );
    assert.deepEqual(res.body, { data: { order: null } });
  });

  void it('refuses both orderId and alias in orderIdentifier with a ValidationError (HTTP 200, order null)', async () => {
    const res = await gql(
      sandbox,
      `{ order(orderIdentifier: { orderId: "a", alias: { aliasType: "EXTERNAL_ID", aliasId: "b" } }) { id } }`,
    );
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, { order: null });
    assert.deepEqual(res.body.errors[0].extensions, { errorType: 'ValidationError' });
    assert.deepEqual(res.body.errors[0].path, ['order']);
  });

  void it('refuses an empty orderIdentifier with a ValidationError', async () => {
    const res = await gql(sandbox, '{ order(orderIdentifier: {}) { id } }');
    assert.deepEqual(res.body.data, { order: null });
    assert.equal(res.body.errors[0].extensions.errorType, 'ValidationError');
  });

  void it('refuses the pre-2024 order(orderId:) with graphql-js’s own validation error: HTTP 400, no data', async () => {
    const res = await gql(sandbox, '{ order(orderId: "bwp-order-1") { id } }');
    assert.equal(res.status, 400);
    assert.equal('data' in res.body, false);
    const messages = (res.body.errors as { message: string }[]).map((e) => e.message);
    assert.ok(messages.includes('Unknown argument "orderId" on field "Query.order".'), messages.join(' | '));
    assert.ok(
      messages.includes(
        'Field "order" argument "orderIdentifier" of type "OrderIdentifierInput!" is required, but it was not provided.',
      ),
      messages.join(' | '),
    );
    assert.ok(res.body.errors[0].locations, 'graphql-js locates the error in the document');
  });

  const unpublished: [string, string][] = [
    ['a field no type has', 'id secretField'],
    ['the old line quantity (amount as a number)', 'lineItems { amount }'],
    ['a product SKU (not published on PurchasedProductView)', 'lineItems { product { sku } }'],
    ['an order total (not published)', 'totals { grandTotal { amount } }'],
    ['an order shipping charge (not published)', 'shipping { amount { amount } }'],
    [
      'a per-line refund amount (not published)',
      'refunds { details { refundFor { orderLineItems { refundAmount { amount } } } } }',
    ],
    ['a shipping flag on refundFor (not published)', 'refunds { details { refundFor { shipping } } }'],
  ];
  for (const [what, selection] of unpublished) {
    void it(`refuses ${what} with HTTP 400 and no data`, async () => {
      const res = await gql(sandbox, `{ order(orderIdentifier: { orderId: "a" }) { ${selection} } }`);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal('data' in res.body, false);
      assert.equal(res.body.errors[0].extensions.errorType, 'ValidationError');
    });
  }

  void it('accepts a document selecting every field of the schema it serves', async () => {
    const res = await gql(sandbox, `{ order(orderIdentifier: { orderId: "x" }) { ${ORDER_FIELDS} } }`);
    assert.deepEqual(res.body, { data: { order: null } });
  });

  void it('answers 400 to a document that does not parse, and to a body that is not JSON', async () => {
    const res = await gql(sandbox, '{ order(orderIdentifier: { orderId: "a" }) { id ');
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].extensions.errorType, 'ValidationError');
    const raw = await fetch(sandbox.bwpUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await accessToken(sandbox)}`,
        'x-api-target-id': sandbox.businessProductId,
        'x-api-version': '2024-11-01',
      },
      body: '{"query": ',
    });
    assert.equal(raw.status, 400);
    const body = (await raw.json()) as { errors: { extensions: { errorType: string } }[] };
    assert.equal(body.errors[0]?.extensions.errorType, 'ValidationError');
  });

  void it('refuses a Decimal that is not a JSON number (variables are coerced before anything runs)', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await report(sandbox, f.bwpOrder.id, [
      { id: f.refundId, state: 'SUCCESS', refundTotal: { totalAmount: { amount: '12.96', currencyCode: 'USD' } } },
    ]);
    assert.equal(res.status, 400);
    assert.equal('data' in res.body, false);
    assert.equal(sandbox.state.bwp.ledger().filter((e) => e.orderId === f.bwpOrder.id).length, 0);
  });
});

void describe('BwP simulator: throttling', () => {
  void it('answers 429 ThrottlingError with Retry-After above the configured rate, and passes again after it', async () => {
    const limited = await startSandbox({ bwpRatePerSecond: 2, bwpRateBurst: 2 });
    try {
      await accessToken(limited); // the token endpoint is not rate limited
      const first = await gql(limited, ANY_ORDER);
      const second = await gql(limited, ANY_ORDER);
      const third = await gql(limited, ANY_ORDER);
      assert.deepEqual([first.status, second.status], [200, 200]);
      assert.equal(third.status, 429);
      assert.deepEqual(third.body, {
        errors: [
          {
            message: 'User made too many requests to the Buy with Prime API.',
            extensions: { errorType: 'ThrottlingError' },
          },
        ],
      });
      const retryAfter = Number(third.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After is whole seconds, got ${retryAfter}`);
      await new Promise((r) => setTimeout(r, retryAfter * 1000));
      assert.equal((await gql(limited, ANY_ORDER)).status, 200);
    } finally {
      await limited.close();
    }
  });

  void it('throttles exactly the next N requests during a throttle burst, with the configured Retry-After', async () => {
    const set = await adminPost(sandbox.bwpAdminUrl, '/faults', { throttleBurst: 2, retryAfterSeconds: 7 });
    assert.equal(set.status, 200);
    await accessToken(sandbox);
    const answers = [await gql(sandbox, ANY_ORDER), await gql(sandbox, ANY_ORDER), await gql(sandbox, ANY_ORDER)];
    assert.deepEqual(
      answers.map((a) => a.status),
      [429, 429, 200],
    );
    assert.equal(answers[0]!.headers.get('retry-after'), '7');
    assert.equal(answers[0]!.body.errors[0].extensions.errorType, 'ThrottlingError');
  });

  void it('answers 429 without Retry-After when omitRetryAfter is set (BwP documents only exponential backoff)', async () => {
    await adminPost(sandbox.bwpAdminUrl, '/faults', { throttleBurst: 1, omitRetryAfter: true });
    try {
      const res = await gql(sandbox, ANY_ORDER);
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), null);
      assert.equal(res.body.errors[0].extensions.errorType, 'ThrottlingError');
    } finally {
      await adminPost(sandbox.bwpAdminUrl, '/faults', { omitRetryAfter: false });
    }
  });
});

void describe('BwP simulator: faults and admin', () => {
  void it('with errorRate 1 answers 500 InternalServerError and applies nothing', async () => {
    const faulty = await startSandbox();
    try {
      const fixture = await seedScenario(faulty, 'healthy-single-sku');
      await accessToken(faulty);
      faulty.state.bwp.setFaults({ errorRate: 1 });
      const res = await report(faulty, fixture.bwpOrder.id, [
        refundUpdate(fixture.refundId, { state: 'SUCCESS', total: 12.96 }),
      ]);
      assert.equal(res.status, 500);
      assert.equal(res.body.errors[0].extensions.errorType, 'InternalServerError');
      assert.equal(faulty.state.bwp.ledger().length, 0);
      assert.equal(faulty.state.bwp.refund(fixture.bwpOrder.id, fixture.refundId)?.state, 'PENDING');
    } finally {
      await faulty.close();
    }
  });

  void it('adds latencyMs to every answer', async () => {
    const slow = await startSandbox();
    try {
      await accessToken(slow);
      await adminPost(slow.bwpAdminUrl, '/faults', { latencyMs: 200 });
      const started = Date.now();
      const res = await gql(slow, ANY_ORDER);
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

  void it('lists every request that reached the API, token requests included, with its status', async () => {
    const counted = await startSandbox();
    try {
      await gql(counted, ANY_ORDER);
      await gql(counted, ANY_ORDER, {}, { authorization: undefined });
      const res = await adminGet(counted.bwpAdminUrl, '/requests');
      assert.deepEqual(
        (res.body.requests as RequestRecord[]).map((r) => [r.method, r.path, r.status]),
        [
          ['POST', '/token', 200],
          ['POST', '/graphql', 200],
          ['POST', '/graphql', 401],
        ],
      );
    } finally {
      await counted.close();
    }
  });

  void it('forgets orders, ledger, faults and issued tokens on reset', async () => {
    const resettable = await startSandbox();
    try {
      const fixture = await seedScenario(resettable, 'healthy-single-sku');
      const token = await accessToken(resettable);
      await report(resettable, fixture.bwpOrder.id, [
        refundUpdate(fixture.refundId, { state: 'SUCCESS', total: 12.96 }),
      ]);
      resettable.state.bwp.setFaults({ latencyMs: 5 });
      const res = await adminPost(resettable.bwpAdminUrl, '/reset');
      assert.equal(res.status, 200);
      assert.equal((await gql(resettable, ANY_ORDER, {}, { authorization: `Bearer ${token}` })).status, 401);
      assert.equal((await gql(resettable, ORDER_BY_ID, { orderId: fixture.bwpOrder.id })).body.data.order, null);
      assert.deepEqual((await adminGet(resettable.bwpAdminUrl, '/ledger')).body.entries, []);
      assert.equal(resettable.state.bwp.faults().latencyMs, 0);
    } finally {
      await resettable.close();
    }
  });
});
