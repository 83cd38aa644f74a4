import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Sandbox, type StoreLedgerEntry } from '../../sandbox';
import {
  adminGet,
  adminPost,
  getStoreOrder,
  postRefund,
  REFUND_PATH,
  seedScenario,
  startSandbox,
  storeOrderOf,
} from './helpers';

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox();
});
after(() => sandbox.close());

const el = (id: string) => ({ id, quantity: 1 });
let keys = 0;
const key = () => `fault-key-${++keys}`;

function ledgerOf(s: Sandbox, order: string) {
  return s.state.store.ledger().filter((e) => e.key.order === order);
}

void describe('store simulator: per-account rate limit', () => {
  void it('answers 429 RATE_LIMITED with Retry-After once the burst is spent, without applying', async () => {
    const limited = await startSandbox({ storeRatePerSecond: 1, storeRateBurst: 3 });
    try {
      const f = await seedScenario(limited, 'healthy-multi-sku');
      const answers = [];
      for (let i = 0; i < 5; i++) {
        answers.push(
          await postRefund(limited, { id: key(), order: f.storeOrder.id, line_items: [el('shop-line-socks')] }),
        );
      }
      assert.deepEqual(
        answers.map((a) => a.status),
        [201, 201, 400, 429, 429],
        'two socks, then none left, then throttled',
      );
      const throttled = answers[3]!;
      // Purple Dot documents no rate limit: the 429 is a simulator extension, answered in the envelope all the same.
      assert.deepEqual(throttled.body.meta, { success: false });
      assert.equal(throttled.data.error.code, 'RATE_LIMITED');
      const retryAfter = Number(throttled.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After is whole seconds, got ${retryAfter}`);
      assert.equal(ledgerOf(limited, f.storeOrder.id).length, 2);

      await new Promise((r) => setTimeout(r, retryAfter * 1000));
      const later = await postRefund(limited, { id: key(), order: f.storeOrder.id, shipping: true });
      assert.equal(later.status, 201, 'after Retry-After the account may refund again');
    } finally {
      await limited.close();
    }
  });

  void it('records every request that reached the endpoint, so a test can prove the rate it let through', async () => {
    const perSecond = 5;
    const limited = await startSandbox({ storeRatePerSecond: perSecond, storeRateBurst: 1 });
    try {
      const f = await seedScenario(limited, 'healthy-single-sku');
      const started = Date.now();
      while (Date.now() - started < 1200) {
        await postRefund(limited, { id: key(), order: 'unknown-order', shipping: true });
      }
      const requests = limited.state.store.requests();
      const admitted = requests.filter((r) => r.status !== 429);
      const elapsedSeconds = (requests.at(-1)!.at - requests[0]!.at) / 1000;
      assert.ok(requests.length > admitted.length, 'some requests were throttled');
      assert.ok(
        admitted.length <= 1 + Math.ceil(elapsedSeconds * perSecond),
        `${admitted.length} admitted in ${elapsedSeconds}s at ${perSecond}/s`,
      );
      assert.ok(admitted.length >= 5, 'the limit admits the steady rate');
      assert.ok(requests.every((r) => r.path === REFUND_PATH && r.method === 'POST'));
      const viaAdmin = await adminGet(limited.storeAdminUrl, '/requests');
      assert.equal(viaAdmin.body.requests.length, requests.length);
      assert.equal(ledgerOf(limited, f.storeOrder.id).length, 0);
    } finally {
      await limited.close();
    }
  });

  void it('answers exactly the next N requests with 429 during a throttle burst', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const set = await adminPost(sandbox.storeAdminUrl, '/faults', { throttleBurst: 2, retryAfterSeconds: 4 });
    assert.equal(set.status, 200);
    assert.equal(set.body.throttleBurst, 2);
    const body = { id: key(), order: f.storeOrder.id, line_items: [el('shop-line-socks')] };
    const answers = [await postRefund(sandbox, body), await postRefund(sandbox, body), await postRefund(sandbox, body)];
    assert.deepEqual(
      answers.map((a) => a.status),
      [429, 429, 201],
    );
    assert.equal(answers[0]!.headers.get('retry-after'), '4');
    assert.deepEqual(answers[0]!.data.error.code, 'RATE_LIMITED');
    assert.equal(ledgerOf(sandbox, f.storeOrder.id).length, 1);
  });
});

void describe('store simulator: faults', () => {
  void it('with errorRate 1 answers 503 and applies nothing; the same request succeeds once it is off', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const body = { id: key(), order: f.storeOrder.id, line_items: [el('shop-line-socks')] };
    await adminPost(sandbox.storeAdminUrl, '/faults', { errorRate: 1 });
    try {
      const failed = await postRefund(sandbox, body);
      assert.equal(failed.status, 503);
      assert.deepEqual(failed.body, {
        meta: { success: false },
        data: { error: { code: 'SERVICE_UNAVAILABLE', message: 'Service unavailable, nothing was refunded' } },
      });
      assert.equal(ledgerOf(sandbox, f.storeOrder.id).length, 0);
    } finally {
      await adminPost(sandbox.storeAdminUrl, '/faults', { errorRate: 0 });
    }
    assert.equal((await postRefund(sandbox, body)).status, 201);
    assert.equal(ledgerOf(sandbox, f.storeOrder.id).length, 1);
  });

  void it('adds latencyMs to every answer', async () => {
    const slow = await startSandbox();
    try {
      slow.state.store.setFaults({ latencyMs: 200 });
      const started = Date.now();
      const res = await getStoreOrder(slow, 'x');
      assert.equal(res.status, 404);
      assert.ok(Date.now() - started >= 190);
    } finally {
      await slow.close();
    }
  });

  void it('rejects a fault it does not know with 400', async () => {
    const res = await adminPost(sandbox.storeAdminUrl, '/faults', { commitThenFail: { mode: 'explode' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'INVALID_ADMIN_REQUEST');
  });
});

void describe('store simulator: commit-then-fail (the refund is applied, the answer is lost)', () => {
  async function commitThenFail(mode: '502' | 'reset' | 'timeout', attempt: (body: object) => Promise<unknown>) {
    const f = await seedScenario(sandbox, 'healthy-partial-qty');
    const body = { id: key(), order: f.storeOrder.id, line_items: [el('shop-line-socks'), el('shop-line-bottle')] };
    const set = await adminPost(sandbox.storeAdminUrl, '/faults', { commitThenFail: { count: 1, mode, holdMs: 1500 } });
    assert.equal(set.status, 200);
    await attempt(body);

    assert.equal(ledgerOf(sandbox, f.storeOrder.id).length, 1, 'the money moved although the client saw a failure');
    const retry = await postRefund(sandbox, body);
    assert.equal(retry.status, 201, 'the retry with the same key gets the stored success');
    assert.deepEqual(retry.body.meta, { success: true });
    assert.deepEqual(retry.data, {
      id: body.id,
      order: f.storeOrder.id,
      refunded: { amount: '37.26', currency: 'USD' },
    });
    assert.equal(ledgerOf(sandbox, f.storeOrder.id).length, 1, 'and nothing is refunded twice');
    const order = await storeOrderOf(sandbox, f.storeOrder.id);
    assert.deepEqual(
      order.lineItems.map((l) => l.refundedQuantity),
      [1, 1],
    );
    assert.equal(order.refundedTotal, '37.26');
  }

  void it("mode '502': the client sees 502 Bad Gateway", async () => {
    await commitThenFail('502', async (body) => {
      const res = await postRefund(sandbox, body);
      assert.equal(res.status, 502);
      assert.deepEqual([res.body.meta.success, res.data.error.code], [false, 'BAD_GATEWAY']);
    });
  });

  void it("mode 'reset': the connection is dropped without an answer", async () => {
    await commitThenFail('reset', async (body) => {
      await assert.rejects(postRefund(sandbox, body));
    });
  });

  void it("mode 'timeout': the answer never comes before the client's timeout", async () => {
    await commitThenFail('timeout', async (body) => {
      await assert.rejects(postRefund(sandbox, body, { signal: AbortSignal.timeout(300) }), { name: 'TimeoutError' });
    });
  });

  void it("mode 'timeout': a client that waits longer sees the connection dropped after holdMs", async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    sandbox.state.store.setFaults({ commitThenFail: { count: 1, mode: 'timeout', holdMs: 200 } });
    const started = Date.now();
    await assert.rejects(postRefund(sandbox, { id: key(), order: f.storeOrder.id, shipping: true }));
    assert.ok(Date.now() - started >= 190);
    assert.equal(ledgerOf(sandbox, f.storeOrder.id).length, 1);
  });

  void it('spends the fault only on refunds that are applied, not on rejections or replays', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const ok = { id: key(), order: f.storeOrder.id, shipping: true };
    assert.equal((await postRefund(sandbox, ok)).status, 201);
    sandbox.state.store.setFaults({ commitThenFail: { count: 1, mode: '502' } });
    assert.equal((await postRefund(sandbox, { id: key(), order: f.storeOrder.id, line_items: [] })).status, 400);
    assert.equal((await postRefund(sandbox, ok)).status, 201, 'a replay is answered normally');
    assert.equal(sandbox.state.store.faults().commitThenFail.count, 1);
    const applied = await postRefund(sandbox, {
      id: key(),
      order: f.storeOrder.id,
      line_items: [el('shop-line-socks')],
    });
    assert.equal(applied.status, 502);
    assert.equal(sandbox.state.store.faults().commitThenFail.count, 0);
  });
});

void describe('store simulator: admin', () => {
  void it('lists every applied refund in GET /admin/ledger', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const id = key();
    await postRefund(sandbox, { id, order: f.storeOrder.id, shipping: true });
    const res = await adminGet(sandbox.storeAdminUrl, '/ledger');
    const mine = (res.body.entries as StoreLedgerEntry[]).filter((e) => e.key.order === f.storeOrder.id);
    assert.equal(mine.length, 1);
    assert.deepEqual(mine[0]!.request, { id, order: f.storeOrder.id, shipping: true });
    assert.deepEqual(mine[0]!.refunded, { amount: '5.99', currency: 'USD' });
  });

  void it('forgets orders, results, ledger and faults on reset', async () => {
    const resettable = await startSandbox();
    try {
      const f = await seedScenario(resettable, 'healthy-single-sku');
      await postRefund(resettable, { id: 'k', order: f.storeOrder.id, shipping: true });
      resettable.state.store.setFaults({ paymentFailure: 3 });
      assert.equal((await adminPost(resettable.storeAdminUrl, '/reset')).status, 200);
      assert.equal((await getStoreOrder(resettable, f.storeOrder.id)).status, 404);
      assert.deepEqual(resettable.state.store.ledger(), []);
      assert.equal(resettable.state.store.faults().paymentFailure, 0);
    } finally {
      await resettable.close();
    }
  });
});

void describe('Purple Dot: the envelope is always on', () => {
  void it('refuses the removed envelope fault with 400', async () => {
    const res = await adminPost(sandbox.storeAdminUrl, '/faults', { envelope: false });
    assert.equal(res.status, 400);
  });

  void it('answers a success and each kind of error in { meta: { success }, data }', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const id = key();
    const ok = await postRefund(sandbox, { id, order: f.storeOrder.id, line_items: [el('shop-line-socks')] });
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.body, {
      meta: { success: true },
      data: { id, order: f.storeOrder.id, refunded: { amount: '12.96', currency: 'USD' } },
    });
    const answers = [
      await postRefund(sandbox, { id: key(), order: f.storeOrder.id, line_items: [el('shop-line-socks')] }),
      await postRefund(sandbox, { id: key(), order: 'no-such-order', shipping: true }),
      await postRefund(sandbox, { id, order: f.storeOrder.id, shipping: true }),
      await postRefund(sandbox, '{"id": ', {}),
      await postRefund(sandbox, { id: key(), order: f.storeOrder.id, shipping: true }, { token: 'nope' }),
    ];
    assert.deepEqual(
      answers.map((a): unknown[] => [a.status, a.body.meta, a.data.error.code, typeof a.data.error.message]),
      [
        [400, { success: false }, 'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND', 'string'],
        [404, { success: false }, 'UNKNOWN_ORDER', 'string'],
        [409, { success: false }, 'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH', 'string'],
        [400, { success: false }, 'INVALID_REFUND_REQUEST', 'string'],
        [401, { success: false }, 'UNAUTHORIZED', 'string'],
      ],
    );
  });
});
