import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { createRefundClient, DEFAULT_RETRY_AFTER_MS, type RefundClient } from '../../activities/clients';
import { refundRequest, refundSuccess, storeOrder } from './fixtures';
import { captureLines, closedPortUrl, startStub, type Reply, type StubServer } from './stub-server';

const TOKEN = 'store-secret-token-123';
// Generous: under a loaded CI machine a healthy answer must never look like a timeout.
const TIMEOUT_MS = 1500;
const storeError = (status: number, code: string, headers?: Record<string, string>): Reply => ({
  status,
  headers,
  body: { error: { code, message: `${code} (from the stub)` } },
});

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

  void it('submits the refund with the access token and returns what the store refunded', async () => {
    next = { status: 201, body: refundSuccess };
    const outcome = await client.submitRefund(refundRequest);
    assert.deepEqual(outcome, { kind: 'success', value: refundSuccess });
    const [sent] = stub.requests;
    assert.equal(sent?.method, 'POST');
    assert.equal(sent?.path, '/refund');
    assert.equal(sent?.headers['x-access-token'], TOKEN);
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
    const ms = outcome.kind === 'throttled' ? outcome.retryAfterMs : -1;
    assert.ok(ms > 8_000 && ms <= 10_000, `retryAfterMs ${ms}`);
  });

  void it('reports 429 without Retry-After as throttled for the default delay', async () => {
    next = { status: 429 };
    const outcome = await client.submitRefund(refundRequest);
    assert.equal(outcome.kind === 'throttled' && outcome.retryAfterMs, DEFAULT_RETRY_AFTER_MS);
  });

  void it('gives up on a slow answer at the timeout and calls the outcome unknown', async () => {
    next = { status: 201, body: refundSuccess, delayMs: TIMEOUT_MS * 4 };
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
    assert.match(outcome.kind === 'unknown' ? outcome.message : '', /^POST \/refund got no answer/);
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
    next = { status: 201, body: refundSuccess, delayMs: TIMEOUT_MS * 4 };
    const outcome = await client.submitRefund(refundRequest, { signal: AbortSignal.timeout(20) });
    assert.equal(outcome.kind, 'unknown');
    // On a loaded machine the aborted request can reach the stub after this test ended and be counted by the next one:
    // wait (bounded) until it has arrived. It may never arrive, if the abort came before it was sent.
    for (const until = Date.now() + 3000; stub.requests.length === 0 && Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  void it('throws on a malformed request and sends nothing (a programmer error, not an answer)', async () => {
    await assert.rejects(client.submitRefund({ ...refundRequest, id: '' }));
    assert.equal(stub.requests.length, 0);
  });

  void it('reads the store order', async () => {
    next = { status: 200, body: storeOrder };
    assert.deepEqual(await client.getStoreOrder('store-order-1'), { kind: 'success', value: storeOrder });
    assert.equal(stub.requests[0]?.method, 'GET');
    assert.equal(stub.requests[0]?.path, '/orders/store-order-1');
    assert.equal(stub.requests[0]?.headers['x-access-token'], TOKEN);
  });

  void it('encodes the order id into the path', async () => {
    next = { status: 200, body: storeOrder };
    await client.getStoreOrder('gid://shopify/Order/1');
    assert.equal(stub.requests[0]?.path, '/orders/gid%3A%2F%2Fshopify%2FOrder%2F1');
  });

  void it('returns null for an order the store does not know', async () => {
    next = storeError(404, 'UNKNOWN_ORDER');
    assert.deepEqual(await client.getStoreOrder('nope'), { kind: 'success', value: null });
  });

  void it('reports a throttled order read with its delay', async () => {
    next = storeError(429, 'RATE_LIMITED', { 'retry-after': '2' });
    assert.equal((await client.getStoreOrder('store-order-1')).kind, 'throttled');
  });
});

void describe('refund client configuration and logging', () => {
  void it('calls a refused connection unknown', async () => {
    const client = createRefundClient({ url: await closedPortUrl(), token: TOKEN, timeoutMs: 1_000 });
    const outcome = await client.submitRefund(refundRequest);
    assert.equal(outcome.kind, 'unknown');
    assert.match(outcome.kind === 'unknown' ? outcome.message : '', /ECONNREFUSED/);
  });

  void it('keeps a base path and ignores a trailing slash', async () => {
    const stub = await startStub(() => ({ status: 201, body: refundSuccess }));
    try {
      const client = createRefundClient({ url: `${stub.url}/api/v1/`, token: TOKEN, timeoutMs: 1_000 });
      await client.submitRefund(refundRequest);
      assert.equal(stub.requests[0]?.path, '/api/v1/refund');
    } finally {
      await stub.close();
    }
  });

  void it('logs method, path, status, duration and outcome, and never the token', async () => {
    const stub = await startStub((req) =>
      req.path === '/refund'
        ? { status: 201, body: refundSuccess }
        : storeError(429, 'RATE_LIMITED', { 'retry-after': '1' }),
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
      await client.getStoreOrder('store-order-1');
    } finally {
      await stub.close();
    }
    assert.equal(lines.length, 2);
    const [submitted, read] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(submitted?.method, 'POST');
    assert.equal(submitted?.path, '/refund');
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
