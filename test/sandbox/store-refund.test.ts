import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RefundErrorBody, RefundSuccess, StoreEnvelope, StoreOrder } from '../../domain/schemas/store';
import { type Sandbox } from '../../sandbox';
import {
  getStoreOrder,
  postRefund,
  REFUND_TOKEN,
  seedScenario,
  startSandbox,
  STORE_ORDER_TOKEN,
  storeOrderOf,
  type HttpAnswer,
} from './helpers';

/**
 * Purple Dot's private API v1, `POST /admin/api/v1/refund`
 * (https://docs.getpurpledot.com/docs/purple-dot-apis/private-api/refund), and the merchant's own order endpoint.
 */

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox();
});
after(() => sandbox.close());

const el = (id: string) => ({ id, quantity: 1 });
let keys = 0;
const key = () => `refund-key-${++keys}`;

function ledgerOf(order: string) {
  return sandbox.state.store.ledger().filter((e) => e.key.order === order);
}

/** Asserts a documented error answer, in the envelope, and that it moved no money on the order. */
async function assertRejected(res: HttpAnswer, status: number, code: string, order?: string): Promise<void> {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.deepEqual(StoreEnvelope.parse(res.body).meta, { success: false });
  assert.equal(RefundErrorBody.parse(res.data).error.code, code);
  assert.equal(typeof res.data.error.message, 'string');
  if (order) assert.deepEqual(ledgerOf(order), [], 'nothing was refunded');
}

void describe('Purple Dot: the X-Purple-Dot-Access-Token header ("in all requests")', () => {
  void it('rejects a refund without the header with 401 UNAUTHORIZED, in the envelope', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await postRefund(sandbox, { id: key(), order: f.storeOrder.id, shipping: true }, { token: null });
    await assertRejected(res, 401, 'UNAUTHORIZED', f.storeOrder.id);
  });

  void it('rejects a wrong token with 401 UNAUTHORIZED', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await postRefund(sandbox, { id: key(), order: f.storeOrder.id, shipping: true }, { token: 'nope' });
    await assertRejected(res, 401, 'UNAUTHORIZED', f.storeOrder.id);
  });

  void it('rejects the right token in the old X-Access-Token header, or as a bearer token, with 401', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const body = { id: key(), order: f.storeOrder.id, shipping: true };
    const old = await postRefund(sandbox, body, { token: null, headers: { 'x-access-token': REFUND_TOKEN } });
    await assertRejected(old, 401, 'UNAUTHORIZED', f.storeOrder.id);
    const bearer = await postRefund(sandbox, body, {
      token: null,
      headers: { authorization: `Bearer ${REFUND_TOKEN}` },
    });
    await assertRejected(bearer, 401, 'UNAUTHORIZED', f.storeOrder.id);
  });
});

void describe('Purple Dot: only POST /admin/api/v1/refund exists ("all endpoints use the /admin/api/v1/ namespace")', () => {
  for (const path of ['/refund', '/admin/api/v2/refund', '/admin/api/refund', '/admin/api/v1/refunds']) {
    void it(`POST ${path} is 404 and refunds nothing`, async () => {
      const f = await seedScenario(sandbox, 'healthy-single-sku');
      const res = await postRefund(sandbox, { id: key(), order: f.storeOrder.id, shipping: true }, { path });
      assert.equal(res.status, 404);
      assert.deepEqual(ledgerOf(f.storeOrder.id), []);
    });
  }

  void it('answers 404 in the envelope to other endpoints and methods under /admin/api/v1/', async () => {
    for (const [method, path] of [
      ['GET', '/admin/api/v1/refund'],
      ['GET', '/admin/api/v1/pre-orders'],
      ['POST', '/admin/api/v1/fulfillment'],
    ] as const) {
      const res = await fetch(`${sandbox.storeUrl}${path}`, {
        method,
        headers: { 'x-purple-dot-access-token': REFUND_TOKEN },
      });
      assert.equal(res.status, 404, `${method} ${path}`);
      const body = (await res.json()) as { meta: { success: boolean }; data: { error: { code: string } } };
      assert.deepEqual(body.meta, { success: false });
      assert.equal(body.data.error.code, 'NOT_FOUND');
    }
  });

  void it('the old GET /orders/:id is gone too', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await fetch(`${sandbox.storeUrl}/orders/${f.storeOrder.id}`, {
      headers: { 'x-access-token': REFUND_TOKEN },
    });
    assert.equal(res.status, 404);
  });
});

void describe("the merchant's order endpoint GET /merchant/orders/:id (not Purple Dot's)", () => {
  void it('returns the store order as seeded, bare, in the shared StoreOrder shape', async () => {
    const f = await seedScenario(sandbox, 'healthy-multi-sku');
    const res = await getStoreOrder(sandbox, f.storeOrder.id);
    assert.equal(res.status, 200);
    assert.equal(res.body.meta, undefined, "not in Purple Dot's envelope");
    assert.deepEqual(StoreOrder.parse(res.body), f.storeOrder);
  });

  void it('answers 404 UNKNOWN_ORDER for an order it does not have', async () => {
    const res = await getStoreOrder(sandbox, 'no-such-order');
    assert.equal(res.status, 404);
    assert.deepEqual(Object.keys(res.body), ['error']);
    assert.equal(res.body.error.code, 'UNKNOWN_ORDER');
  });

  void it('answers 401 without the bearer token, with a wrong one, and with the Purple Dot token', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    for (const token of [null, 'nope', REFUND_TOKEN]) {
      const res = await getStoreOrder(sandbox, f.storeOrder.id, token);
      assert.equal(res.status, 401, String(token));
      assert.equal(res.body.error.code, 'UNAUTHORIZED');
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    }
    const purpleDotHeader = await fetch(`${sandbox.storeOrderUrl}/${f.storeOrder.id}`, {
      headers: { 'x-purple-dot-access-token': STORE_ORDER_TOKEN },
    });
    assert.equal(purpleDotHeader.status, 401);
  });

  void it('uses the default token sandbox-store-order-token when none is configured', async () => {
    const plain = await startSandbox({ storeOrderToken: undefined });
    try {
      const f = await seedScenario(plain, 'healthy-single-sku');
      assert.equal((await getStoreOrder(plain, f.storeOrder.id, 'sandbox-store-order-token')).status, 200);
    } finally {
      await plain.close();
    }
  });
});

void describe('Purple Dot: POST /admin/api/v1/refund successes', () => {
  void it('refunds line items, one element per unit, at the unit price with tax, and answers 201', async () => {
    const f = await seedScenario(sandbox, 'healthy-partial-qty');
    const id = key();
    const res = await postRefund(sandbox, {
      id,
      order: f.storeOrder.id,
      line_items: [el('shop-line-socks'), el('shop-line-socks'), el('shop-line-bottle')],
    });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.meta, { success: true }, 'the documented envelope: { meta: { success }, data }');
    assert.deepEqual(RefundSuccess.parse(res.data), {
      id,
      order: f.storeOrder.id,
      refunded: { amount: '50.22', currency: 'USD' },
    });

    const order = await storeOrderOf(sandbox, f.storeOrder.id);
    assert.deepEqual(
      order.lineItems.map((l) => [l.id, l.refundedQuantity]),
      [
        ['shop-line-socks', 2],
        ['shop-line-bottle', 1],
      ],
    );
    assert.equal(order.refundedTotal, '50.22');
    assert.equal(order.shipping.refunded, false);

    const [entry, ...more] = ledgerOf(f.storeOrder.id);
    assert.equal(more.length, 0);
    assert.deepEqual(entry!.key, { id, order: f.storeOrder.id });
    assert.equal(entry!.mode, 'line_items');
    assert.deepEqual(entry!.refunded, { amount: '50.22', currency: 'USD' });
    assert.deepEqual(entry!.lineItems, [
      { id: 'shop-line-socks', amount: '12.96', tax: '0.96' },
      { id: 'shop-line-socks', amount: '12.96', tax: '0.96' },
      { id: 'shop-line-bottle', amount: '24.30', tax: '1.80' },
    ]);
    assert.deepEqual(entry!.shipping, { refunded: false, amount: null });
    assert.ok(!Number.isNaN(Date.parse(entry!.at)));
  });

  void it('refunds line items and shipping together', async () => {
    const f = await seedScenario(sandbox, 'healthy-multi-sku');
    const res = await postRefund(sandbox, {
      id: key(),
      order: f.storeOrder.id,
      line_items: [el('shop-line-socks'), el('shop-line-socks'), el('shop-line-bottle'), el('shop-line-headlamp')],
      shipping: true,
    });
    assert.equal(res.status, 201);
    assert.deepEqual(res.data.refunded, { amount: '99.41', currency: 'USD' });
    assert.deepEqual(ledgerOf(f.storeOrder.id)[0]!.shipping, { refunded: true, amount: '5.99' });
    assert.equal((await storeOrderOf(sandbox, f.storeOrder.id)).shipping.refunded, true);
  });

  void it('refunds shipping alone', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await postRefund(sandbox, { id: key(), order: f.storeOrder.id, shipping: true });
    assert.equal(res.status, 201);
    assert.deepEqual(res.data.refunded, { amount: '5.99', currency: 'USD' });
  });

  void it('refunds an appeasement in the order currency', async () => {
    const f = await seedScenario(sandbox, 'flat-goodwill-10-usd');
    const res = await postRefund(sandbox, { id: key(), order: f.storeOrder.id, amount: '10.00', currency: 'USD' });
    assert.equal(res.status, 201);
    assert.deepEqual(res.data.refunded, { amount: '10.00', currency: 'USD' });
    const entry = ledgerOf(f.storeOrder.id)[0]!;
    assert.equal(entry.mode, 'appeasement');
    assert.deepEqual(entry.lineItems, []);
    const order = await storeOrderOf(sandbox, f.storeOrder.id);
    assert.equal(order.refundedTotal, '10.00');
    assert.ok(order.lineItems.every((l) => l.refundedQuantity === 0));
  });

  void it('accepts an appeasement of exactly what remains on the order', async () => {
    const f = await seedScenario(sandbox, 'amount-above-order');
    const res = await postRefund(sandbox, { id: key(), order: f.storeOrder.id, amount: '18.95', currency: 'USD' });
    assert.equal(res.status, 201);
  });

  void it('never refunds a tax twice: a unit whose tax was refunded already refunds its price without it', async () => {
    // The socks' 1.92 tax (0.96 a unit) went back earlier; each unit is 12.96 with its tax, 12.00 without.
    const f = await seedScenario(sandbox, 'tax-already-refunded');
    assert.equal(f.storeOrder.lineItems[0]?.refundedTax, '1.92');
    const res = await postRefund(sandbox, {
      id: key(),
      order: f.storeOrder.id,
      line_items: [el('shop-line-socks'), el('shop-line-socks')],
    });
    assert.equal(res.status, 201);
    assert.deepEqual(res.data.refunded, { amount: '24.00', currency: 'USD' });
    const order = await storeOrderOf(sandbox, f.storeOrder.id);
    assert.equal(order.refundedTotal, '25.92', 'the tax earlier, the units now: what the line was paid');
    assert.equal(order.lineItems[0]?.refundedQuantity, 2);
    assert.equal(order.lineItems[0]?.refundedTax, '1.92', 'the line never refunds more tax than it had');
    assert.deepEqual(ledgerOf(f.storeOrder.id)[0]?.lineItems, [
      { id: 'shop-line-socks', amount: '12.00', tax: '0.00' },
      { id: 'shop-line-socks', amount: '12.00', tax: '0.00' },
    ]);
  });

  void it('takes a unit’s tax from what the tax bucket has left, and counts it there', async () => {
    const f = await seedScenario(sandbox, 'healthy-partial-qty');
    const socks = f.storeOrder.lineItems.find((l) => l.id === 'shop-line-socks');
    assert.ok(socks);
    // A store that keeps the bucket, with one unit's tax (0.96) of the socks' 2.88 refunded on its own earlier.
    await sandbox.seed({
      ...f,
      storeOrder: {
        ...f.storeOrder,
        lineItems: f.storeOrder.lineItems.map((l) => (l.id === socks.id ? { ...l, refundedTax: '0.96' } : l)),
      },
    });
    const res = await postRefund(sandbox, {
      id: key(),
      order: f.storeOrder.id,
      line_items: [el(socks.id), el(socks.id), el(socks.id)],
    });
    assert.equal(res.status, 201);
    // Two units with their tax, the third without: the bucket had 1.92 left.
    assert.deepEqual(res.data.refunded, { amount: '37.92', currency: 'USD' });
    const order = await storeOrderOf(sandbox, f.storeOrder.id);
    assert.equal(order.lineItems.find((l) => l.id === socks.id)?.refundedTax, '2.88');
  });
});

void describe('Purple Dot: POST /admin/api/v1/refund rejections (documented status and code, no money moved)', () => {
  void it('400 INVALID_REFUND_REQUEST: line items mixed with an appeasement', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await postRefund(sandbox, {
      id: key(),
      order: f.storeOrder.id,
      line_items: [el('shop-line-socks')],
      amount: '1.00',
      currency: 'USD',
    });
    await assertRejected(res, 400, 'INVALID_REFUND_REQUEST', f.storeOrder.id);
  });

  void it('400 INVALID_REFUND_REQUEST: shipping mixed with an amount', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await postRefund(sandbox, { id: key(), order: f.storeOrder.id, shipping: true, amount: '1.00' });
    await assertRejected(res, 400, 'INVALID_REFUND_REQUEST', f.storeOrder.id);
  });

  void it('400 INVALID_REFUND_REQUEST: neither line items nor an appeasement', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    await assertRejected(
      await postRefund(sandbox, { id: key(), order: f.storeOrder.id }),
      400,
      'INVALID_REFUND_REQUEST',
    );
  });

  void it('400 INVALID_REFUND_REQUEST: an empty line-item refund', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    await assertRejected(
      await postRefund(sandbox, { id: key(), order: f.storeOrder.id, line_items: [] }),
      400,
      'INVALID_REFUND_REQUEST',
    );
    await assertRejected(
      await postRefund(sandbox, { id: key(), order: f.storeOrder.id, line_items: [], shipping: false }),
      400,
      'INVALID_REFUND_REQUEST',
      f.storeOrder.id,
    );
  });

  const badAppeasements: [string, Record<string, unknown>][] = [
    ['a missing amount', { currency: 'USD' }],
    ['a missing currency', { amount: '1.00' }],
    ['an amount sent as a number', { amount: 1, currency: 'USD' }],
    ['an amount that is not a decimal', { amount: '1,00', currency: 'USD' }],
    ['a negative amount', { amount: '-1.00', currency: 'USD' }],
    ['a zero amount', { amount: '0.00', currency: 'USD' }],
    ['more decimals than the currency has', { amount: '1.005', currency: 'USD' }],
    ['a currency that is not an ISO code', { amount: '1.00', currency: 'dollars' }],
    ['more than remains refundable on the order', { amount: '18.96', currency: 'USD' }],
  ];
  for (const [what, fields] of badAppeasements) {
    void it(`400 INVALID_REFUND_REQUEST: an appeasement with ${what}`, async () => {
      const f = await seedScenario(sandbox, 'amount-above-order');
      const res = await postRefund(sandbox, { id: key(), order: f.storeOrder.id, ...fields });
      await assertRejected(res, 400, 'INVALID_REFUND_REQUEST', f.storeOrder.id);
    });
  }

  void it('400 INVALID_REFUND_REQUEST: an appeasement above what remains after earlier refunds', async () => {
    const f = await seedScenario(sandbox, 'shipping-already-refunded');
    // $18.95 paid, $5.99 already refunded: $12.96 remains.
    await assertRejected(
      await postRefund(sandbox, { id: key(), order: f.storeOrder.id, amount: '12.97', currency: 'USD' }),
      400,
      'INVALID_REFUND_REQUEST',
      f.storeOrder.id,
    );
    assert.equal(
      (await postRefund(sandbox, { id: key(), order: f.storeOrder.id, amount: '12.96', currency: 'USD' })).status,
      201,
    );
  });

  void it('400 INVALID_REFUND_REQUEST: a missing id or order, or a body that is not JSON', async () => {
    await assertRejected(await postRefund(sandbox, { order: 'o', shipping: true }), 400, 'INVALID_REFUND_REQUEST');
    await assertRejected(await postRefund(sandbox, { id: key(), shipping: true }), 400, 'INVALID_REFUND_REQUEST');
    await assertRejected(await postRefund(sandbox, '{"id": "x", '), 400, 'INVALID_REFUND_REQUEST');
  });

  const badElements: [string, unknown][] = [
    ['no id', { quantity: 1 }],
    ['an empty id', { id: '', quantity: 1 }],
    ['no quantity', { id: 'shop-line-socks' }],
    ['quantity 2', { id: 'shop-line-socks', quantity: 2 }],
    ['quantity 0', { id: 'shop-line-socks', quantity: 0 }],
    ['quantity as a string', { id: 'shop-line-socks', quantity: '1' }],
  ];
  for (const [what, element] of badElements) {
    void it(`400 INVALID_LINE_ITEMS: an element with ${what}`, async () => {
      const f = await seedScenario(sandbox, 'healthy-partial-qty');
      const res = await postRefund(sandbox, {
        id: key(),
        order: f.storeOrder.id,
        line_items: [el('shop-line-socks'), element],
      });
      await assertRejected(res, 400, 'INVALID_LINE_ITEMS', f.storeOrder.id);
    });
  }

  void it("400 CURRENCY_MISMATCH: an appeasement in another currency than the order's", async () => {
    const f = await seedScenario(sandbox, 'currency-mismatch');
    const res = await postRefund(sandbox, { id: key(), order: f.storeOrder.id, amount: '12.96', currency: 'USD' });
    await assertRejected(res, 400, 'CURRENCY_MISMATCH', f.storeOrder.id);
  });

  void it('400 SHIPPING_ALREADY_REFUNDED: shipping asked again', async () => {
    const f = await seedScenario(sandbox, 'shipping-already-refunded');
    const res = await postRefund(sandbox, {
      id: key(),
      order: f.storeOrder.id,
      line_items: [el('shop-line-socks')],
      shipping: true,
    });
    await assertRejected(res, 400, 'SHIPPING_ALREADY_REFUNDED', f.storeOrder.id);
  });

  void it('400 SHIPPING_ALREADY_REFUNDED: shipping refunded a second time by this endpoint', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    assert.equal((await postRefund(sandbox, { id: key(), order: f.storeOrder.id, shipping: true })).status, 201);
    await assertRejected(
      await postRefund(sandbox, { id: key(), order: f.storeOrder.id, shipping: true }),
      400,
      'SHIPPING_ALREADY_REFUNDED',
    );
    assert.equal(ledgerOf(f.storeOrder.id).length, 1);
  });

  void it('400 NOT_ENOUGH_ITEMS_LEFT_TO_REFUND: a unit already refunded elsewhere', async () => {
    const f = await seedScenario(sandbox, 'line-already-refunded');
    const res = await postRefund(sandbox, { id: key(), order: f.storeOrder.id, line_items: [el('shop-line-socks')] });
    await assertRejected(res, 400, 'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND', f.storeOrder.id);
  });

  void it('400 NOT_ENOUGH_ITEMS_LEFT_TO_REFUND: more elements for a line than units left', async () => {
    const f = await seedScenario(sandbox, 'healthy-partial-qty');
    const res = await postRefund(sandbox, {
      id: key(),
      order: f.storeOrder.id,
      line_items: [el('shop-line-bottle'), el('shop-line-bottle'), el('shop-line-bottle')],
    });
    await assertRejected(res, 400, 'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND', f.storeOrder.id);
  });

  void it('400 NOT_ENOUGH_ITEMS_LEFT_TO_REFUND: units left counts refunds made earlier on this endpoint', async () => {
    const f = await seedScenario(sandbox, 'healthy-partial-qty');
    const two = [el('shop-line-bottle'), el('shop-line-bottle')];
    assert.equal((await postRefund(sandbox, { id: key(), order: f.storeOrder.id, line_items: two })).status, 201);
    await assertRejected(
      await postRefund(sandbox, { id: key(), order: f.storeOrder.id, line_items: [el('shop-line-bottle')] }),
      400,
      'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND',
    );
  });

  void it('404 UNKNOWN_ORDER: an order the store does not have', async () => {
    await assertRejected(
      await postRefund(sandbox, { id: key(), order: 'no-such-order', shipping: true }),
      404,
      'UNKNOWN_ORDER',
    );
  });

  void it('404 UNKNOWN_LINE_ITEMS: a line removed from the store order', async () => {
    const f = await seedScenario(sandbox, 'line-removed-from-store');
    const res = await postRefund(sandbox, {
      id: key(),
      order: f.storeOrder.id,
      line_items: [el('shop-line-socks'), el('shop-line-bottle')],
    });
    await assertRejected(res, 404, 'UNKNOWN_LINE_ITEMS', f.storeOrder.id);
    assert.match(res.data.error.message, /shop-line-bottle/);
  });

  void it('500 REFUND_FAILED: an order mixing checkout and pre-order lines', async () => {
    const f = await seedScenario(sandbox, 'mixed-preorder-checkout');
    const res = await postRefund(sandbox, { id: key(), order: f.storeOrder.id, line_items: [el('shop-line-socks')] });
    await assertRejected(res, 500, 'REFUND_FAILED', f.storeOrder.id);
  });

  void it('501 MULTIPLE_PREORDERS_NOT_SUPPORTED: an order spanning several pre-orders', async () => {
    const f = await seedScenario(sandbox, 'multiple-preorders');
    const res = await postRefund(sandbox, { id: key(), order: f.storeOrder.id, line_items: [el('shop-line-socks')] });
    await assertRejected(res, 501, 'MULTIPLE_PREORDERS_NOT_SUPPORTED', f.storeOrder.id);
  });

  void it('500 REFUND_FAILED: a configured payment failure moves no money, and the same key succeeds afterwards', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const body = { id: key(), order: f.storeOrder.id, line_items: [el('shop-line-socks')] };
    sandbox.state.store.setFaults({ paymentFailure: 1 });
    await assertRejected(await postRefund(sandbox, body), 500, 'REFUND_FAILED', f.storeOrder.id);
    assert.equal((await storeOrderOf(sandbox, f.storeOrder.id)).lineItems[0]!.refundedQuantity, 0);
    const retry = await postRefund(sandbox, body);
    assert.equal(retry.status, 201);
    assert.equal(ledgerOf(f.storeOrder.id).length, 1);
  });
});

void describe('store simulator: idempotency by (id, order)', () => {
  void it('answers a repeated identical request with the same status and body, and refunds once', async () => {
    const f = await seedScenario(sandbox, 'healthy-partial-qty');
    const body = { id: key(), order: f.storeOrder.id, line_items: [el('shop-line-socks')] };
    const first = await postRefund(sandbox, body);
    const second = await postRefund(sandbox, body);
    assert.equal(first.status, 201);
    assert.equal(second.status, first.status);
    assert.deepEqual(second.body, first.body);
    assert.equal(ledgerOf(f.storeOrder.id).length, 1);
    assert.equal((await storeOrderOf(sandbox, f.storeOrder.id)).lineItems[0]!.refundedQuantity, 1);
  });

  void it('treats the same payload with its keys in another order as the same request', async () => {
    const f = await seedScenario(sandbox, 'flat-goodwill-10-usd');
    const id = key();
    const first = await postRefund(sandbox, { id, order: f.storeOrder.id, amount: '10.00', currency: 'USD' });
    const second = await postRefund(
      sandbox,
      `{"currency":"USD","amount":"10.00","order":"${f.storeOrder.id}","id":"${id}"}`,
    );
    assert.equal(second.status, 201);
    assert.deepEqual(second.body, first.body);
    assert.equal(ledgerOf(f.storeOrder.id).length, 1);
  });

  void it('answers 409 IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH to the same id and order with another payload', async () => {
    const f = await seedScenario(sandbox, 'healthy-partial-qty');
    const id = key();
    assert.equal(
      (await postRefund(sandbox, { id, order: f.storeOrder.id, line_items: [el('shop-line-socks')] })).status,
      201,
    );
    const res = await postRefund(sandbox, { id, order: f.storeOrder.id, line_items: [el('shop-line-bottle')] });
    await assertRejected(res, 409, 'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH');
    assert.equal(ledgerOf(f.storeOrder.id).length, 1);
    assert.equal((await storeOrderOf(sandbox, f.storeOrder.id)).lineItems[1]!.refundedQuantity, 0);
  });

  void it('keys by id and order together: the same id on another order is another refund', async () => {
    const a = await seedScenario(sandbox, 'healthy-single-sku');
    const b = await seedScenario(sandbox, 'healthy-single-sku');
    const id = key();
    assert.equal((await postRefund(sandbox, { id, order: a.storeOrder.id, shipping: true })).status, 201);
    assert.equal((await postRefund(sandbox, { id, order: b.storeOrder.id, shipping: true })).status, 201);
    assert.equal(ledgerOf(a.storeOrder.id).length + ledgerOf(b.storeOrder.id).length, 2);
  });

  void it('keeps no result for a rejection: the same id with a corrected payload is refunded', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const id = key();
    const rejected = await postRefund(sandbox, {
      id,
      order: f.storeOrder.id,
      line_items: [{ id: 'shop-line-socks', quantity: 2 }],
    });
    assert.equal(rejected.status, 400);
    const corrected = await postRefund(sandbox, { id, order: f.storeOrder.id, line_items: [el('shop-line-socks')] });
    assert.equal(corrected.status, 201);
  });

  void it('keeps answering the stored result after the order changed, without refunding again', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const body = { id: key(), order: f.storeOrder.id, line_items: [el('shop-line-socks')] };
    const first = await postRefund(sandbox, body);
    // The only unit is now refunded, so a fresh request would be rejected; the replay is still the stored success.
    const replay = await postRefund(sandbox, body);
    assert.equal(replay.status, 201);
    assert.deepEqual(replay.body, first.body);
  });
});
