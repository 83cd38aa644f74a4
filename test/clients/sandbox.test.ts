import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  createBwpClient,
  createBwpTokenSource,
  createRefundClient,
  createStoreOrderClient,
  type BwpClient,
  type Outcome,
  type RefundClient,
  type StoreOrderClient,
} from '../../activities/clients';
import type { UpdateOrderInput } from '../../domain/schemas/bwp';
import type { RefundRequest } from '../../domain/schemas/store';
import { createSandbox, uniqueFixture, type Fixture, type Sandbox } from '../../sandbox';
import { bwpOrder, storeOrder } from './fixtures';

/**
 * The production clients against the real simulators (sandbox/), over HTTP on port 0: each classification as the
 * service will meet it, with the store's ledger as the witness of whether money moved.
 */

const BWP_CLIENT = { id: 'client-tests', secret: 'client-tests-secret' };
const REFUND_TOKEN = 'sandbox-refund-token-for-client-tests';
const BP = 'bp-client-tests';
// Generous: under a loaded CI machine a healthy answer must never look like a timeout.
const TIMEOUT_MS = 2000;

const base: Fixture = {
  name: 'client-tests',
  description: 'One mug of two ordered, refund pending',
  businessProductId: BP,
  bwpOrder,
  storeOrder,
  refundId: 'refund-1',
  externalRefundIds: [],
};

const kindOf = (o: Outcome<unknown>) => (o.kind === 'rejected' ? `rejected ${o.code}` : o.kind);

void describe('clients against the sandbox', () => {
  let sandbox: Sandbox;
  let bwp: BwpClient;
  let refunds: RefundClient;
  let storeOrders: StoreOrderClient;
  const tokens = (secret = BWP_CLIENT.secret) =>
    createBwpTokenSource({
      url: sandbox.bwpTokenUrl,
      clientId: BWP_CLIENT.id,
      clientSecret: secret,
      timeoutMs: TIMEOUT_MS,
    });

  before(async () => {
    sandbox = await createSandbox({
      bwpPort: 0,
      storePort: 0,
      bwpClientId: BWP_CLIENT.id,
      bwpClientSecret: BWP_CLIENT.secret,
      refundToken: REFUND_TOKEN,
      storeOrderToken: 'client-tests-order-token',
      businessProductId: BP,
    });
    bwp = createBwpClient({
      url: sandbox.bwpUrl,
      tokens: tokens(),
      targetId: BP,
      apiVersion: '2024-11-01',
      timeoutMs: TIMEOUT_MS,
    });
    refunds = createRefundClient({ url: sandbox.storeUrl, token: REFUND_TOKEN, timeoutMs: TIMEOUT_MS });
    storeOrders = createStoreOrderClient({
      url: sandbox.storeOrderUrl,
      token: 'client-tests-order-token',
      timeoutMs: TIMEOUT_MS,
    });
  });
  after(() => sandbox.close());
  afterEach(() => {
    // Faults are global to the sandbox; every test starts from none.
    sandbox.state.store.setFaults({
      latencyMs: 0,
      errorRate: 0,
      throttleBurst: 0,
      paymentFailure: 0,
      commitThenFail: { count: 0 },
    });
    sandbox.state.bwp.setFaults({ latencyMs: 0, errorRate: 0, throttleBurst: 0 });
  });

  /** A fresh copy of the fixture (unique ids), seeded on both sides; `change` edits it first. */
  async function seeded(change?: (f: Fixture) => void): Promise<Fixture> {
    const f = uniqueFixture(base);
    change?.(f);
    await sandbox.seed(f);
    return f;
  }
  const ledgerFor = (f: Fixture) => sandbox.state.store.ledger().filter((e) => e.key.order === f.storeOrder.id);
  const oneMug = (f: Fixture, id = `${f.refundId}:rev-1`): RefundRequest => ({
    id,
    order: f.storeOrder.id,
    line_items: [{ id: 'store-line-1', quantity: 1 }],
  });

  void describe('Buy with Prime', () => {
    void it('reads the seeded order by id and by its EXTERNAL_ID alias', async () => {
      const f = await seeded();
      const byId = await bwp.getOrder(f.bwpOrder.id);
      assert.equal(byId.kind, 'success');
      assert.equal(byId.kind === 'success' && byId.value?.refunds.details[0]?.state, 'PENDING');
      const byAlias = await bwp.getOrderByExternalId(f.storeOrder.id);
      assert.equal(byAlias.kind === 'success' && byAlias.value?.id, f.bwpOrder.id);
    });

    void it('answers null for an unknown order', async () => {
      assert.deepEqual(await bwp.getOrder('no-such-order'), { kind: 'success', value: null });
      assert.deepEqual(await bwp.getOrderByExternalId('no-such-store-order'), { kind: 'success', value: null });
    });

    void it('reports a refund, then rejects an impossible state move and unknown or repeated refund ids', async () => {
      const f = await seeded();
      const report = (details: UpdateOrderInput['input']['refunds']['details']) =>
        bwp.updateOrder({ orderIdentifier: { orderId: f.bwpOrder.id }, input: { refunds: { details } } });
      const success = {
        id: f.refundId,
        state: 'SUCCESS' as const,
        refundTotal: { totalAmount: { amount: 13.5, currencyCode: 'USD' } },
        paymentDetails: [
          {
            id: 'payment-1',
            amount: { amount: 13.5, currencyCode: 'USD' },
            paymentMethod: { type: 'AMAZON_PAY' as const, displayString: 'Amazon Pay' },
            state: 'SUCCESS' as const,
          },
        ],
        refundFor: { orderLineItems: [{ lineItemId: { lineItemId: 'li-1' } }] },
      };
      const done = await report([success]);
      assert.equal(done.kind === 'success' && done.value.refunds.details[0]?.state, 'SUCCESS');

      assert.equal(kindOf(await report([{ ...success, state: 'PENDING' }])), 'rejected InvalidRefundStateTransition');
      assert.equal(kindOf(await report([{ ...success, id: 'not-a-refund' }])), 'rejected InvalidRefundId');
      assert.equal(kindOf(await report([success, success])), 'rejected DuplicateRefundId');
    });

    void it("gets a token at the token endpoint and a new one when the sandbox's tokens expire", async () => {
      const f = await seeded();
      const source = tokens();
      const client = createBwpClient({
        url: sandbox.bwpUrl,
        tokens: source,
        targetId: BP,
        apiVersion: '2024-11-01',
        timeoutMs: TIMEOUT_MS,
      });
      assert.equal((await client.getOrder(f.bwpOrder.id)).kind, 'success');
      sandbox.state.bwp.tokens.expireAll();
      assert.equal((await client.getOrder(f.bwpOrder.id)).kind, 'success', 'a 401 refreshes the token once');
      assert.equal(source.requests(), 2);
    });

    void it('reports a ThrottlingError 429 as throttled for its Retry-After', async () => {
      const f = await seeded();
      sandbox.state.bwp.setFaults({ throttleBurst: 1, retryAfterSeconds: 3 });
      const outcome = await bwp.getOrder(f.bwpOrder.id);
      assert.equal(outcome.kind === 'throttled' && outcome.retryAfterMs, 3_000);
      assert.equal((await bwp.getOrder(f.bwpOrder.id)).kind, 'success');
    });

    void it('calls an InternalServerError (500) and an answer past the timeout unknown', async () => {
      const f = await seeded();
      sandbox.state.bwp.setFaults({ errorRate: 1 });
      assert.equal(kindOf(await bwp.getOrder(f.bwpOrder.id)), 'unknown');
      sandbox.state.bwp.setFaults({ errorRate: 0, latencyMs: TIMEOUT_MS * 3 });
      assert.equal(kindOf(await bwp.getOrder(f.bwpOrder.id)), 'unknown');
    });

    void it('reports refused credentials or a wrong target as rejected UNAUTHORIZED', async () => {
      const opts = {
        url: sandbox.bwpUrl,
        tokens: tokens(),
        targetId: BP,
        apiVersion: '2024-11-01',
        timeoutMs: TIMEOUT_MS,
      };
      assert.equal(
        kindOf(await createBwpClient({ ...opts, tokens: tokens('wrong-secret') }).getOrder('x')),
        'rejected UNAUTHORIZED',
      );
      assert.equal(
        kindOf(await createBwpClient({ ...opts, targetId: 'other-bp' }).getOrder('x')),
        'rejected UNAUTHORIZED',
      );
    });
  });

  // Purple Dot answers in its { meta: { success }, data } envelope, behind X-Purple-Dot-Access-Token and /admin/api/v1/.
  {
    void describe('store refund endpoint (Purple Dot POST /admin/api/v1/refund)', () => {
      void it('refunds once, and a resend with the same key returns the same result without moving money again', async () => {
        const f = await seeded();
        const first = await refunds.submitRefund(oneMug(f));
        assert.deepEqual(first, {
          kind: 'success',
          value: { id: `${f.refundId}:rev-1`, order: f.storeOrder.id, refunded: { amount: '13.50', currency: 'USD' } },
        });
        assert.deepEqual(await refunds.submitRefund(oneMug(f)), first);
        assert.equal(ledgerFor(f).length, 1);
      });

      void it("reads the store order from the merchant's order endpoint, and null for an unknown one", async () => {
        const f = await seeded();
        const outcome = await storeOrders.getStoreOrder(f.storeOrder.id);
        assert.equal(outcome.kind === 'success' && outcome.value?.lineItems[0]?.quantity, 2);
        assert.deepEqual(await storeOrders.getStoreOrder('no-such-order'), { kind: 'success', value: null });
      });

      const rejections: [string, (f: Fixture) => RefundRequest, string][] = [
        [
          'a line not on the order',
          (f) => ({ ...oneMug(f), line_items: [{ id: 'nope', quantity: 1 }] }),
          'UNKNOWN_LINE_ITEMS',
        ],
        [
          'a quantity of 2',
          (f) => ({ ...oneMug(f), line_items: [{ id: 'store-line-1', quantity: 2 }] }),
          'INVALID_LINE_ITEMS',
        ],
        ['an unknown order', (f) => ({ ...oneMug(f), order: `${f.storeOrder.id}-missing` }), 'UNKNOWN_ORDER'],
        [
          'lines mixed with an appeasement',
          (f) => ({ ...oneMug(f), amount: '1.00', currency: 'USD' }),
          'INVALID_REFUND_REQUEST',
        ],
        [
          'an appeasement in another currency',
          (f) => ({ id: 'k', order: f.storeOrder.id, amount: '1.00', currency: 'EUR' }),
          'CURRENCY_MISMATCH',
        ],
        [
          'more units than are left',
          (f) => ({ ...oneMug(f), line_items: [1, 2, 3].map(() => ({ id: 'store-line-1', quantity: 1 })) }),
          'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND',
        ],
      ];
      for (const [name, request, code] of rejections) {
        void it(`rejects ${name} with ${code}, and nothing moves`, async () => {
          const f = await seeded();
          const outcome = await refunds.submitRefund(request(f));
          assert.equal(kindOf(outcome), `rejected ${code}`);
          assert.equal(ledgerFor(f).length, 0);
        });
      }

      void it('rejects shipping refunded twice with SHIPPING_ALREADY_REFUNDED', async () => {
        const f = await seeded();
        assert.equal(
          (await refunds.submitRefund({ id: 'ship-1', order: f.storeOrder.id, shipping: true })).kind,
          'success',
        );
        const again = await refunds.submitRefund({ id: 'ship-2', order: f.storeOrder.id, shipping: true });
        assert.equal(kindOf(again), 'rejected SHIPPING_ALREADY_REFUNDED');
        assert.equal(ledgerFor(f).length, 1);
      });

      void it('reports a reused key with another payload as the 409 alarm', async () => {
        const f = await seeded();
        await refunds.submitRefund(oneMug(f));
        const outcome = await refunds.submitRefund({ ...oneMug(f), shipping: true });
        assert.equal(kindOf(outcome), 'rejected IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH');
        assert.equal(outcome.kind === 'rejected' && outcome.status, 409);
        assert.equal(ledgerFor(f).length, 1);
      });

      void it('reports a failed payment as REFUND_FAILED worth retrying with the same key, which then succeeds', async () => {
        const f = await seeded();
        sandbox.state.store.setFaults({ paymentFailure: 1 });
        const failed = await refunds.submitRefund(oneMug(f));
        assert.deepEqual(kindOf(failed), 'rejected REFUND_FAILED');
        assert.equal(failed.kind === 'rejected' && failed.retryable, true);
        assert.equal(ledgerFor(f).length, 0);
        assert.equal((await refunds.submitRefund(oneMug(f))).kind, 'success');
      });

      void it('rejects mixed checkout/pre-order orders (500) and multi-pre-order orders (501)', async () => {
        const line = storeOrder.lineItems[0]!;
        const mixed = await seeded((f) => {
          f.storeOrder.lineItems.push({ ...line, id: 'pre-1', kind: 'preorder', preorderId: 'po-1' });
        });
        assert.equal(kindOf(await refunds.submitRefund(oneMug(mixed))), 'rejected REFUND_FAILED');
        const multi = await seeded((f) => {
          f.storeOrder.lineItems = [
            { ...line, kind: 'preorder', preorderId: 'po-1' },
            { ...line, id: 'pre-2', kind: 'preorder', preorderId: 'po-2' },
          ];
        });
        assert.equal(kindOf(await refunds.submitRefund(oneMug(multi))), 'rejected MULTIPLE_PREORDERS_NOT_SUPPORTED');
      });

      void it('reports a throttle burst as throttled for its Retry-After, then goes through', async () => {
        const f = await seeded();
        sandbox.state.store.setFaults({ throttleBurst: 1, retryAfterSeconds: 2 });
        const outcome = await refunds.submitRefund(oneMug(f));
        assert.equal(outcome.kind === 'throttled' && outcome.retryAfterMs, 2_000);
        assert.equal((await refunds.submitRefund(oneMug(f))).kind, 'success');
      });

      void it('calls a slow answer past the timeout unknown', async () => {
        const f = await seeded();
        sandbox.state.store.setFaults({ latencyMs: TIMEOUT_MS * 3 });
        const outcome = await refunds.submitRefund(oneMug(f));
        assert.equal(outcome.kind, 'unknown');
        assert.match(outcome.kind === 'unknown' ? outcome.message : '', /timed out/);
      });

      void it('calls an injected 503 unknown', async () => {
        const f = await seeded();
        sandbox.state.store.setFaults({ errorRate: 1 });
        assert.equal(kindOf(await refunds.submitRefund(oneMug(f))), 'unknown');
      });

      for (const mode of ['502', 'reset', 'timeout'] as const) {
        void it(`commit-then-fail (${mode}): unknown although money moved; the same key then confirms it, once`, async () => {
          const f = await seeded();
          sandbox.state.store.setFaults({ commitThenFail: { count: 1, mode, holdMs: TIMEOUT_MS * 3 } });
          assert.equal((await refunds.submitRefund(oneMug(f))).kind, 'unknown');
          assert.equal(ledgerFor(f).length, 1, 'the refund was applied behind the failure');
          const retried = await refunds.submitRefund(oneMug(f));
          assert.equal(retried.kind === 'success' && retried.value.refunded.amount, '13.50');
          assert.equal(ledgerFor(f).length, 1, 'the retry with the same key moved no more money');
        });
      }

      void it('reports a wrong access token as rejected UNAUTHORIZED, and nothing moves', async () => {
        const f = await seeded();
        const client = createRefundClient({ url: sandbox.storeUrl, token: 'wrong', timeoutMs: TIMEOUT_MS });
        assert.equal(kindOf(await client.submitRefund(oneMug(f))), 'rejected UNAUTHORIZED');
        assert.equal(ledgerFor(f).length, 0);
      });
    });
  }
});
