import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BwpOrder, type RefundDetails } from '../../domain/schemas/bwp';
import { type BwpLedgerEntry, type Sandbox } from '../../sandbox';
import {
  adminGet,
  adminPost,
  bwpOrderOf,
  gql,
  ORDER_BY_ID,
  refundUpdate,
  seedScenario,
  startSandbox,
  UPDATE_ORDER,
  usd,
  type HttpAnswer,
} from './helpers';

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox();
});
after(() => sandbox.close());

function report(orderId: string, refunds: Record<string, unknown>[]) {
  return gql(sandbox, UPDATE_ORDER, { input: { orderId, refunds } });
}

async function refundOf(orderId: string, refundId: string): Promise<RefundDetails> {
  const refund = (await bwpOrderOf(sandbox, orderId)).refunds.details.find((r) => r.id === refundId);
  assert.ok(refund, `refund ${refundId} is on order ${orderId}`);
  return refund;
}

/** The order's entries of GET /admin/ledger. */
async function ledgerOf(orderId: string): Promise<BwpLedgerEntry[]> {
  const res = await adminGet(sandbox.bwpAdminUrl, '/ledger');
  return (res.body.entries as BwpLedgerEntry[]).filter((e) => e.orderId === orderId);
}

/** Asserts the BwP answer to a rejected updateOrder: HTTP 200, data.updateOrder null, one ValidationError with reason. */
function assertRejected(res: HttpAnswer, reason: string) {
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.data, { updateOrder: null });
  assert.equal(res.body.errors.length, 1);
  assert.deepEqual(res.body.errors[0].extensions, { code: 'ValidationError', reason });
}

void describe('BwP simulator: updateOrder reports a refund', () => {
  void it('stores the cumulative total, appends the delta, moves the state and records the update in the ledger', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await report(f.bwpOrder.id, [
      refundUpdate(f.refundId, {
        state: 'SUCCESS',
        total: 12.96,
        delta: [12.96],
        aliases: [{ aliasType: 'EXTERNAL_REFUND_ID', aliasId: 'store-refund-1' }],
        refundFor: { orderLineItems: [{ lineItemId: 'bwp-line-socks', amount: 1, refundAmount: usd(12.96) }] },
      }),
    ]);
    assert.equal(res.status, 200);
    assert.equal(res.body.errors, undefined);
    const refund = BwpOrder.parse(res.body.data.updateOrder.order).refunds.details.find((r) => r.id === f.refundId)!;
    assert.equal(refund.state, 'SUCCESS');
    assert.deepEqual(refund.refundTotal, { totalAmount: usd(12.96) });
    assert.deepEqual(refund.paymentDetails, [{ amount: usd(12.96) }]);
    assert.deepEqual(refund.aliases, [{ aliasType: 'EXTERNAL_REFUND_ID', aliasId: 'store-refund-1' }]);
    assert.deepEqual(refund.refundFor?.orderLineItems, [
      { lineItem: { id: 'bwp-line-socks' }, amount: 1, refundAmount: usd(12.96) },
    ]);
    assert.equal(refund.refundRequestReason, 'DAMAGED_DEFECTIVE_ITEM', 'the request reason is untouched');
    assert.notEqual(refund.updatedAt, f.bwpOrder.refunds.details[0]!.updatedAt);

    const [entry, ...more] = await ledgerOf(f.bwpOrder.id);
    assert.ok(entry);
    assert.equal(more.length, 0);
    assert.deepEqual(
      {
        refundId: entry.refundId,
        fromState: entry.fromState,
        state: entry.state,
        refundTotal: entry.refundTotal,
        delta: entry.delta,
        refundFor: entry.refundFor,
        aliases: entry.aliases,
      },
      {
        refundId: f.refundId,
        fromState: 'PENDING',
        state: 'SUCCESS',
        refundTotal: usd(12.96),
        delta: [usd(12.96)],
        refundFor: {
          orderLineItems: [{ lineItemId: 'bwp-line-socks', amount: 1, refundAmount: usd(12.96) }],
          shipping: null,
        },
        aliases: [{ aliasType: 'EXTERNAL_REFUND_ID', aliasId: 'store-refund-1' }],
      },
    );
  });

  void it('keeps refundTotal cumulative and paymentDetails as the sum of deltas over PARTIAL then SUCCESS', async () => {
    const f = await seedScenario(sandbox, 'healthy-partial-qty');
    const first = await report(f.bwpOrder.id, [
      refundUpdate(f.refundId, {
        state: 'PARTIAL',
        total: 25.92,
        delta: [25.92],
        refundStatusReason: 'PARTIALLY_DECLINED',
        refundFor: { orderLineItems: [{ lineItemId: 'bwp-line-socks', amount: 2, refundAmount: usd(25.92) }] },
      }),
    ]);
    assert.equal(first.body.errors, undefined);
    const second = await report(f.bwpOrder.id, [
      refundUpdate(f.refundId, {
        state: 'SUCCESS',
        total: 50.22,
        delta: [24.3],
        refundFor: { orderLineItems: [{ lineItemId: 'bwp-line-bottle', amount: 1, refundAmount: usd(24.3) }] },
      }),
    ]);
    assert.equal(second.body.errors, undefined);

    const refund = await refundOf(f.bwpOrder.id, f.refundId);
    assert.equal(refund.state, 'SUCCESS');
    assert.deepEqual(refund.refundTotal?.totalAmount, usd(50.22));
    assert.deepEqual(refund.paymentDetails, [{ amount: usd(25.92) }, { amount: usd(24.3) }]);
    assert.equal(refund.refundStatusReason, 'PARTIALLY_DECLINED');
    assert.deepEqual(
      refund.refundFor?.orderLineItems.map((l) => [l.lineItem.id, l.amount]),
      [
        ['bwp-line-socks', 2],
        ['bwp-line-bottle', 1],
      ],
      'lines reported in either update are on the refund',
    );

    const ledger = await ledgerOf(f.bwpOrder.id);
    assert.deepEqual(
      ledger.map((e) => [e.fromState, e.state, e.refundTotal.amount, e.delta.map((d) => d.amount)]),
      [
        ['PENDING', 'PARTIAL', 25.92, [25.92]],
        ['PARTIAL', 'SUCCESS', 50.22, [24.3]],
      ],
    );
  });

  void it('overwrites an alias of a type the refund has and appends an alias of a new type', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    await report(f.bwpOrder.id, [
      refundUpdate(f.refundId, {
        state: 'PENDING',
        total: 12.96,
        aliases: [{ aliasType: 'EXTERNAL_REFUND_ID', aliasId: 'first' }],
      }),
    ]);
    const res = await report(f.bwpOrder.id, [
      refundUpdate(f.refundId, {
        state: 'SUCCESS',
        total: 12.96,
        aliases: [
          { aliasType: 'EXTERNAL_REFUND_ID', aliasId: 'second' },
          { aliasType: 'MERCHANT_NOTE', aliasId: 'n-1' },
        ],
      }),
    ]);
    assert.equal(res.body.errors, undefined);
    assert.deepEqual((await refundOf(f.bwpOrder.id, f.refundId)).aliases, [
      { aliasType: 'EXTERNAL_REFUND_ID', aliasId: 'second' },
      { aliasType: 'MERCHANT_NOTE', aliasId: 'n-1' },
    ]);
  });

  void it('records shipping reported in refundFor', async () => {
    const f = await seedScenario(sandbox, 'healthy-multi-sku');
    await report(f.bwpOrder.id, [
      refundUpdate(f.refundId, {
        state: 'SUCCESS',
        total: 99.41,
        delta: [99.41],
        refundFor: { orderLineItems: [], shipping: true },
      }),
    ]);
    const refund = await refundOf(f.bwpOrder.id, f.refundId);
    assert.equal(refund.refundFor?.shipping, true);
    assert.equal(refund.refundFor?.orderLineItems.length, 3, 'the lines BwP requested stay');
  });

  void it('accepts the unchanged request reason on a BwP-requested refund', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await report(f.bwpOrder.id, [
      refundUpdate(f.refundId, { state: 'SUCCESS', total: 12.96, refundRequestReason: 'DAMAGED_DEFECTIVE_ITEM' }),
    ]);
    assert.equal(res.body.errors, undefined);
  });

  void it('lets the merchant change the request reason of a refund it created outside BwP', async () => {
    const f = await seedScenario(sandbox, 'line-already-refunded');
    const external = f.externalRefundIds[0]!;
    const res = await report(f.bwpOrder.id, [
      refundUpdate(external, { state: 'SUCCESS', total: 12.96, refundRequestReason: 'WRONG_ITEM_RECEIVED' }),
    ]);
    assert.equal(res.body.errors, undefined);
    assert.equal((await refundOf(f.bwpOrder.id, external)).refundRequestReason, 'WRONG_ITEM_RECEIVED');
  });

  void it('updates several refunds of an order in one call', async () => {
    const f = await seedScenario(sandbox, 'line-already-refunded');
    const res = await report(f.bwpOrder.id, [
      refundUpdate(f.externalRefundIds[0], { state: 'SUCCESS', total: 12.96 }),
      refundUpdate(f.refundId, { state: 'FAILURE', total: 0, refundStatusReason: 'REFUND_ALREADY_PROCESSED' }),
    ]);
    assert.equal(res.body.errors, undefined);
    assert.equal((await ledgerOf(f.bwpOrder.id)).length, 2);
    assert.equal((await refundOf(f.bwpOrder.id, f.refundId)).state, 'FAILURE');
  });
});

void describe('BwP simulator: updateOrder errors (HTTP 200, data.updateOrder null, nothing applied)', () => {
  void it('MissingRefundId: a refund update without an id', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    assertRejected(
      await report(f.bwpOrder.id, [refundUpdate(undefined, { state: 'SUCCESS', total: 12.96 })]),
      'MissingRefundId',
    );
  });

  void it('InvalidRefundId: a refund id that is not on the order', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const other = await seedScenario(sandbox, 'healthy-single-sku');
    assertRejected(
      await report(f.bwpOrder.id, [refundUpdate(other.refundId, { state: 'SUCCESS', total: 12.96 })]),
      'InvalidRefundId',
    );
  });

  void it('DuplicateRefundId: the same refund twice in one call', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    assertRejected(
      await report(f.bwpOrder.id, [
        refundUpdate(f.refundId, { state: 'PENDING', total: 12.96 }),
        refundUpdate(f.refundId, { state: 'SUCCESS', total: 12.96 }),
      ]),
      'DuplicateRefundId',
    );
  });

  void it('DuplicateAliasId: an EXTERNAL_REFUND_ID another refund of the order already carries', async () => {
    const f = await seedScenario(sandbox, 'line-already-refunded');
    const taken = f.bwpOrder.refunds.details.find((r) => r.id === f.externalRefundIds[0])!.aliases[0]!;
    assertRejected(
      await report(f.bwpOrder.id, [refundUpdate(f.refundId, { state: 'SUCCESS', total: 12.96, aliases: [taken] })]),
      'DuplicateAliasId',
    );
  });

  void it('DuplicateAliasId: two refunds given the same EXTERNAL_REFUND_ID in one call', async () => {
    const f = await seedScenario(sandbox, 'tax-already-refunded');
    const alias = { aliasType: 'EXTERNAL_REFUND_ID', aliasId: 'same-store-refund' };
    assertRejected(
      await report(f.bwpOrder.id, [
        refundUpdate(f.externalRefundIds[0], { state: 'SUCCESS', total: 1.92, aliases: [alias] }),
        refundUpdate(f.refundId, { state: 'SUCCESS', total: 24, aliases: [alias] }),
      ]),
      'DuplicateAliasId',
    );
  });

  void it('lets a refund report again the EXTERNAL_REFUND_ID it already carries', async () => {
    const f = await seedScenario(sandbox, 'line-already-refunded');
    const own = f.bwpOrder.refunds.details.find((r) => r.id === f.externalRefundIds[0])!.aliases[0]!;
    const res = await report(f.bwpOrder.id, [
      refundUpdate(f.externalRefundIds[0], { state: 'SUCCESS', total: 12.96, aliases: [own] }),
    ]);
    assert.equal(res.body.errors, undefined);
  });

  void it('InvalidRefundRequestReasonUpdate: a different request reason on a refund BwP requested', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    assertRejected(
      await report(f.bwpOrder.id, [
        refundUpdate(f.refundId, { state: 'SUCCESS', total: 12.96, refundRequestReason: 'OTHERS' }),
      ]),
      'InvalidRefundRequestReasonUpdate',
    );
  });

  void it('InvalidRefundRequestReasonUpdate: setting a reason BwP left blank', async () => {
    const f = await seedScenario(sandbox, 'reason-blank');
    assertRejected(
      await report(f.bwpOrder.id, [
        refundUpdate(f.refundId, { state: 'SUCCESS', total: 12.96, refundRequestReason: 'DAMAGED_DEFECTIVE_ITEM' }),
      ]),
      'InvalidRefundRequestReasonUpdate',
    );
  });

  void it('applies nothing when a later refund of the same call fails (the mutation is atomic)', async () => {
    const f = await seedScenario(sandbox, 'line-already-refunded');
    const before = (await gql(sandbox, ORDER_BY_ID, { orderId: f.bwpOrder.id })).body.data.order;
    assertRejected(
      await report(f.bwpOrder.id, [
        refundUpdate(f.refundId, {
          state: 'SUCCESS',
          total: 12.96,
          delta: [12.96],
          aliases: [{ aliasType: 'EXTERNAL_REFUND_ID', aliasId: 'new-one' }],
        }),
        refundUpdate('not-a-refund', { state: 'SUCCESS', total: 1 }),
      ]),
      'InvalidRefundId',
    );
    const afterwards = (await gql(sandbox, ORDER_BY_ID, { orderId: f.bwpOrder.id })).body.data.order;
    assert.deepEqual(afterwards, before);
    assert.deepEqual(await ledgerOf(f.bwpOrder.id), []);
  });

  void it('answers ResourceNotFoundError for an order it does not know', async () => {
    const res = await report('no-such-order', [refundUpdate('r', { state: 'SUCCESS', total: 1 })]);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, { updateOrder: null });
    assert.equal(res.body.errors[0].extensions.code, 'ResourceNotFoundError');
  });

  void it('answers 400 ValidationError when the input misses a field the schema requires (state)', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await report(f.bwpOrder.id, [{ id: f.refundId, refundTotal: { totalAmount: usd(1) } }]);
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].extensions.code, 'ValidationError');
  });
});

void describe('BwP simulator: refund state transitions', () => {
  const STATES = ['PENDING', 'PARTIAL', 'SUCCESS', 'FAILURE', 'REJECTED'] as const;
  // docs/domain.md, "Reporting to Buy with Prime", written out here rather than imported so the test checks the simulator against the documentation.
  const ALLOWED = new Set([
    'PENDING>PENDING',
    'PENDING>PARTIAL',
    'PENDING>FAILURE',
    'PENDING>SUCCESS',
    'FAILURE>PARTIAL',
    'FAILURE>FAILURE',
    'FAILURE>SUCCESS',
    'PARTIAL>PARTIAL',
    'PARTIAL>SUCCESS',
    'SUCCESS>SUCCESS',
  ]);

  for (const from of STATES) {
    for (const to of STATES) {
      const allowed = ALLOWED.has(`${from}>${to}`);
      void it(`${from} -> ${to} is ${allowed ? 'accepted' : 'rejected with InvalidRefundStateTransition'}`, async () => {
        const f = await seedScenario(sandbox, 'healthy-single-sku');
        const moved = await adminPost(sandbox.bwpAdminUrl, '/refunds/state', {
          orderId: f.bwpOrder.id,
          refundId: f.refundId,
          state: from,
        });
        assert.equal(moved.status, 200);
        const res = await report(f.bwpOrder.id, [refundUpdate(f.refundId, { state: to, total: 12.96 })]);
        if (allowed) {
          assert.equal(res.body.errors, undefined);
          assert.equal((await refundOf(f.bwpOrder.id, f.refundId)).state, to);
        } else {
          assertRejected(res, 'InvalidRefundStateTransition');
          assert.equal((await refundOf(f.bwpOrder.id, f.refundId)).state, from);
        }
      });
    }
  }
});

void describe('BwP simulator: a refund moved outside updateOrder', () => {
  void it('shows a refund resolved elsewhere in the order query, without a ledger entry', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await adminPost(sandbox.bwpAdminUrl, '/refunds/state', {
      orderId: f.bwpOrder.id,
      refundId: f.refundId,
      state: 'SUCCESS',
      refundStatusReason: 'REFUND_ALREADY_PROCESSED',
    });
    assert.equal(res.status, 200);
    const refund = await refundOf(f.bwpOrder.id, f.refundId);
    assert.equal(refund.state, 'SUCCESS');
    assert.equal(refund.refundStatusReason, 'REFUND_ALREADY_PROCESSED');
    assert.deepEqual(await ledgerOf(f.bwpOrder.id), []);
  });

  void it('answers 404 for a refund it does not know', async () => {
    const res = await adminPost(sandbox.bwpAdminUrl, '/refunds/state', {
      orderId: 'x',
      refundId: 'y',
      state: 'SUCCESS',
    });
    assert.equal(res.status, 404);
  });
});
