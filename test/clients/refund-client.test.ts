import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { createRefundClient, createStoreOrderClient, type RefundClient } from '../../activities/clients';
import { refundRequest, refundSuccess, storeOrder } from './fixtures';
import { captureLines, closedPortUrl, startStub, type Reply, type StubServer } from './stub-server';

const TOKEN = 'store-secret-token-123';
// Generous: under a loaded CI machine a healthy answer must never look like a timeout.
const TIMEOUT_MS = 1500;
const PATH = '/admin/api/v1/refund';
/** Purple Dot answers every call in `{ meta: { success }, data }`; where an error's code sits is not published. */
const storeError = (status: number, code: string, headers?: Record<string, string>): Reply => ({
  status,
  headers,
  body: { meta: { success: false }, data: { error: { code, message: `${code} (from the stub)` } } },
});
const success = { meta: { success: true }, data: refundSuccess };

void describe('refund client over real HTTP', () => {
  let stub: StubServer;
  let client: RefundClient;
  /** What the stub answers next; each test sets it. */
  let next: Reply;

  before(async () => {
    stub = await startStub(() => next);
    client = createRefundClient({ url: stub.url, token: TOKEN, timeoutMs: TIMEOUT_MS });
  });
  after(() => stub.close());
  beforeEach(() => {
    stub.requests.length = 0;
  });

  void it('submits POST /admin/api/v1/refund with X-Purple-Dot-Access-Token and reads the envelope', async () => {
    next = { status: 201, body: success };
    const outcome = await client.submitRefund(refundRequest);
    assert.deepEqual(outcome, { kind: 'success', value: refundSuccess });
    const [sent] = stub.requests;
    assert.equal(sent?.method, 'POST');
    assert.equal(sent?.path, PATH);
    assert.equal(sent?.headers['x-purple-dot-access-token'], TOKEN);
    assert.equal(sent?.headers['x-access-token'], undefined);
    assert.match(String(sent?.headers['content-type']), /application\/json/);
    assert.deepEqual(JSON.parse(sent?.body ?? ''), refundRequest);
  });

  const rejections: [number, string, boolean | undefined][] = [
    [400, 'INVALID_REFUND_REQUEST', undefined],
    [400, 'INVALID_LINE_ITEMS', undefined],
    [400, 'CURRENCY_MISMATCH', undefined],
    [400, 'SHIPPING_ALREADY_REFUNDED', undefined],
    [400, 'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND', undefined],
    [404, 'UNKNOWN_ORDER', undefined],
    [404, 'UNKNOWN_LINE_ITEMS', undefined],
    [409, 'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH', undefined],
    [500, 'REFUND_FAILED', true],
    [501, 'MULTIPLE_PREORDERS_NOT_SUPPORTED', undefined],
  ];
  for (const [status, code, retryable] of rejections) {
    void it(`reports ${status} ${code} as a definitive rejection${retryable ? ' worth retrying with the same key' : ''}`, async () => {
      next = storeError(status, code);
      const outcome = await client.submitRefund(refundRequest);
      const expected = { kind: 'rejected', code, status, message: `${code} (from the stub)` };
      assert.deepEqual(outcome, retryable ? { ...expected, retryable } : expected);
    });
  }

  for (const status of [401, 403]) {
    void it(`reports ${status} as rejected UNAUTHORIZED (misconfigured token)`, async () => {
      next = { status, body: { error: { code: 'FORBIDDEN', message: 'bad token' } } };
      const outcome = await client.submitRefund(refundRequest);
      assert.equal(outcome.kind === 'rejected' && outcome.code, 'UNAUTHORIZED');
    });
  }

  void it('reports 429 with Retry-After in seconds as throttled for that long', async () => {
    next = storeError(429, 'RATE_LIMITED', { 'retry-after': '3' });
    assert.deepEqual(await client.submitRefund(refundRequest), {
      kind: 'throttled',
      retryAfterMs: 3_000,
      message: 'POST /refund throttled (429): RATE_LIMITED (from the stub)',
    });
  });

  void it('reports 429 with Retry-After as an HTTP-date as throttled until then', async () => {
    // HTTP-dates have whole seconds, so the delay is between 9 and 10 s depending on the current millisecond.
    next = storeError(429, 'RATE_LIMITED', { 'retry-after': new Date(Date.now() + 10_000).toUTCString() });
    const outcome = await client.submitRefund(refundRequest);
    assert.equal(outcome.kind, 'throttled');
    const ms = outcome.kind === 'throttled' ? (outcome.retryAfterMs ?? -1) : -1;
    assert.ok(ms > 8_000 && ms <= 10_000, `retryAfterMs ${ms}`);
  });

  void it('reports 429 without Retry-After as throttled with no delay of its own (the workflow backs off)', async () => {
    next = { status: 429 };
    const outcome = await client.submitRefund(refundRequest);
    assert.equal(outcome.kind, 'throttled');
    assert.equal(outcome.kind === 'throttled' && outcome.retryAfterMs, undefined);
  });

  void it('reads an error code given beside meta or bare, too (the error shape is not published)', async () => {
    next = { status: 400, body: { meta: { success: false }, error: { code: 'INVALID_LINE_ITEMS', message: 'x' } } };
    assert.equal((await client.submitRefund(refundRequest)).kind === 'rejected' && 'ok', 'ok');
    next = { status: 400, body: { error: { code: 'INVALID_LINE_ITEMS', message: 'x' } } };
    const outcome = await client.submitRefund(refundRequest);
    assert.equal(outcome.kind === 'rejected' && outcome.code, 'INVALID_LINE_ITEMS');
  });

  void it('calls a 2xx whose envelope says success false unknown (it may have been applied)', async () => {
    next = { status: 200, body: { meta: { success: false }, data: refundSuccess } };
    assert.equal((await client.submitRefund(refundRequest)).kind, 'unknown');
  });

  void it('gives up on a slow answer at the timeout and calls the outcome unknown', async () => {
    next = { status: 201, body: success, delayMs: TIMEOUT_MS * 4 };
    const started = Date.now();
    const outcome = await client.submitRefund(refundRequest);
    const took = Date.now() - started;
    assert.equal(outcome.kind, 'unknown');
    assert.match(outcome.kind === 'unknown' ? outcome.message : '', /timed out/);
    assert.ok(took < TIMEOUT_MS * 3, `took ${took} ms`);
  });

  void it('calls a connection reset unknown (the refund may have been applied)', async () => {
    next = { fault: 'reset' };
    const outcome = await client.submitRefund(refundRequest);
    assert.equal(outcome.kind, 'unknown');
    assert.match(outcome.kind === 'unknown' ? outcome.message : '', /^POST \/admin\/api\/v1\/refund got no answer/);
  });

  void it('calls a hang-up before any answer unknown', async () => {
    next = { fault: 'hangup' };
    assert.equal((await client.submitRefund(refundRequest)).kind, 'unknown');
  });

  void it('calls a 2xx cut off mid-body unknown, keeping the status', async () => {
    next = { fault: 'cut-body', status: 201 };
    const outcome = await client.submitRefund(refundRequest);
    assert.equal(outcome.kind, 'unknown');
    assert.equal(outcome.kind === 'unknown' && outcome.status, 201);
  });

  void it('calls a 502 from a gateway unknown', async () => {
    next = { status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad Gateway</html>' };
    assert.deepEqual(await client.submitRefund(refundRequest), {
      kind: 'unknown',
      status: 502,
      message: 'POST /refund answered 502: <html>Bad Gateway</html>',
    });
  });

  void it('calls a 2xx with a broken body unknown, not success', async () => {
    next = { status: 200, body: '{"id":"refund-1:rev-1","refunded":' };
    const outcome = await client.submitRefund(refundRequest);
    assert.equal(outcome.kind, 'unknown');
    assert.equal(outcome.kind === 'unknown' && outcome.status, 200);
  });

  void it('calls a 2xx of the wrong shape unknown', async () => {
    next = { status: 200, body: { ok: true } };
    assert.equal((await client.submitRefund(refundRequest)).kind, 'unknown');
  });

  void it('does not follow a redirect (it could re-send or drop the refund)', async () => {
    next = { status: 307, headers: { location: '/elsewhere' } };
    const outcome = await client.submitRefund(refundRequest);
    assert.equal(outcome.kind, 'unknown');
    assert.equal(stub.requests.length, 1);
  });

  void it('calls the outcome unknown when the caller aborts (activity cancelled)', async () => {
    next = { status: 201, body: success, delayMs: TIMEOUT_MS * 4 };
    const outcome = await client.submitRefund(refundRequest, { signal: AbortSignal.timeout(20) });
    assert.equal(outcome.kind, 'unknown');
    // On a loaded machine the aborted request can reach the stub after this test ended and be counted by the next one:
    // wait (bounded) until it has arrived. It may never arrive, if the abort came before it was sent.
    for (const until = Date.now() + 3000; stub.requests.length === 0 && Date.now() < until;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  void it('throws on a malformed request and sends nothing (a programmer error, not an answer)', async () => {
    await assert.rejects(client.submitRefund({ ...refundRequest, id: '' }));
    assert.equal(stub.requests.length, 0);
  });
});

void describe("the merchant's order-facts endpoint (STORE_ORDER_URL)", () => {
  let stub: StubServer;
  let next: Reply;
  before(async () => {
    stub = await startStub(() => next);
  });
  after(() => stub.close());
  beforeEach(() => {
    stub.requests.length = 0;
  });
  const client = () =>
    createStoreOrderClient({ url: `${stub.url}/orders/`, token: 'order-token', timeoutMs: TIMEOUT_MS });

  void it('reads the store order with its bearer token', async () => {
    next = { status: 200, body: storeOrder };
    assert.deepEqual(await client().getStoreOrder('store-order-1'), { kind: 'success', value: storeOrder });
    assert.equal(stub.requests[0]?.method, 'GET');
    assert.equal(stub.requests[0]?.path, '/orders/store-order-1');
    assert.equal(stub.requests[0]?.headers.authorization, 'Bearer order-token');
  });

  void it('encodes the order id into the path', async () => {
    next = { status: 200, body: storeOrder };
    await client().getStoreOrder('gid://shopify/Order/1');
    assert.equal(stub.requests[0]?.path, '/orders/gid%3A%2F%2Fshopify%2FOrder%2F1');
  });

  void it('returns null for an order the endpoint does not know (404 UNKNOWN_ORDER)', async () => {
    next = { status: 404, body: { error: { code: 'UNKNOWN_ORDER', message: 'no' } } };
    assert.deepEqual(await client().getStoreOrder('nope'), { kind: 'success', value: null });
  });

  void it('reports a throttled read with its delay, and refused credentials as UNAUTHORIZED', async () => {
    next = { status: 429, headers: { 'retry-after': '2' } };
    const throttled = await client().getStoreOrder('store-order-1');
    assert.equal(throttled.kind === 'throttled' && throttled.retryAfterMs, 2_000);
    next = { status: 401 };
    const refused = await client().getStoreOrder('store-order-1');
    assert.equal(refused.kind === 'rejected' && refused.code, 'UNAUTHORIZED');
  });
});

void describe('refund client configuration and logging', () => {
  void it('calls a refused connection unknown', async () => {
    const client = createRefundClient({ url: await closedPortUrl(), token: TOKEN, timeoutMs: 1_000 });
    const outcome = await client.submitRefund(refundRequest);
    assert.equal(outcome.kind, 'unknown');
    assert.match(outcome.kind === 'unknown' ? outcome.message : '', /ECONNREFUSED/);
  });

  void it('appends the /admin/api/v1 prefix to the base URL a merchant copies, keeping a base path', async () => {
    const stub = await startStub(() => ({ status: 201, body: success }));
    try {
      const client = createRefundClient({ url: `${stub.url}/shop/`, token: TOKEN, timeoutMs: 1_000 });
      await client.submitRefund(refundRequest);
      assert.equal(stub.requests[0]?.path, '/shop/admin/api/v1/refund');
    } finally {
      await stub.close();
    }
  });

  void it('logs method, path, status, duration and outcome, and never the token', async () => {
    let calls = 0;
    const stub = await startStub(() =>
      ++calls === 1 ? { status: 201, body: success } : storeError(429, 'RATE_LIMITED', { 'retry-after': '1' }),
    );
    const { lines, stream } = captureLines();
    try {
      const client = createRefundClient({
        url: stub.url,
        token: TOKEN,
        timeoutMs: 1_000,
        logger: pino({ level: 'debug' }, stream),
      });
      await client.submitRefund(refundRequest);
      await client.submitRefund(refundRequest);
    } finally {
      await stub.close();
    }
    assert.equal(lines.length, 2);
    const [submitted, read] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(submitted?.method, 'POST');
    assert.equal(submitted?.path, PATH);
    assert.equal(submitted?.status, 201);
    assert.equal(submitted?.outcome, 'success');
    assert.equal(submitted?.idempotencyKey, refundRequest.id);
    assert.equal(typeof submitted?.durationMs, 'number');
    assert.equal(read?.outcome, 'throttled');
    assert.equal(read?.retryAfterMs, 1_000);
    for (const line of lines) assert.ok(!line.includes(TOKEN), `token leaked: ${line}`);
  });

  void it('refuses bad options at construction', () => {
    assert.throws(() => createRefundClient({ url: 'not a url', token: TOKEN, timeoutMs: 1 }), /url/);
    assert.throws(() => createRefundClient({ url: 'http://x', token: '', timeoutMs: 1 }), /token/);
    assert.throws(() => createRefundClient({ url: 'http://x', token: TOKEN, timeoutMs: 0 }), /timeoutMs/);
  });
});
