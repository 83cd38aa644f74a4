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
  payment,
  refundUpdate,
  report as reportTo,
  seedScenario,
  startSandbox,
  UPDATE_ORDER,
  usd,
  type HttpAnswer,
} from './helpers';

/**
 * updateOrder's refund rules as Buy with Prime publishes them ("BWP:x" is
 * https://documents.buywithprime.amazon.com/bwp-api/docs/x): BWP:order-objects-refunddetailsinput (cumulative
 * refundTotal, paymentDetails as this update's delta), BWP:update-refund-details (the state table, aliases),
 * BWP:troubleshoot-refund-errors (the seven ValidationError codes), BWP:best-practices-for-refunds.
 */

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox();
});
after(() => sandbox.close());

const report = (orderId: string, details: Record<string, unknown>[]) => reportTo(sandbox, orderId, details);

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

/** A rejected updateOrder: HTTP 200, data.updateOrder null, one error with its published Error Type and Code. */
function assertRejected(res: HttpAnswer, errorCode: string | undefined, errorType = 'ValidationError') {
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body.data, { updateOrder: null });
  assert.equal(res.body.errors.length, 1);
  assert.deepEqual(res.body.errors[0].extensions, errorCode ? { errorType, errorCode } : { errorType });
  assert.deepEqual(res.body.errors[0].path, ['updateOrder']);
  assert.equal(typeof res.body.errors[0].message, 'string');
}

const AMAZON_PAY = { type: 'AMAZON_PAY', displayString: 'Amazon Pay' };

void describe('BwP simulator: updateOrder applies a refund report', () => {
  void it('stores the cumulative total, appends the delta, moves the state and records the update in the ledger', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await report(f.bwpOrder.id, [
      refundUpdate(f.refundId, {
        state: 'SUCCESS',
        total: 12.96,
        paymentDetails: [payment(12.96, 'store-refund-1')],
        aliases: [{ aliasType: 'EXTERNAL_REFUND_ID', aliasId: 'store-refund-1' }],
        refundFor: { orderLineItems: [{ lineItemId: { lineItemId: 'bwp-line-socks' } }] },
      }),
    ]);
    assert.equal(res.status, 200);
    assert.equal(res.body.errors, undefined);
    const refund = BwpOrder.parse(res.body.data.updateOrder.order).refunds.details.find((r) => r.id === f.refundId)!;
    assert.equal(refund.state, 'SUCCESS');
    assert.deepEqual(refund.refundTotal, { totalAmount: usd(12.96) });
    assert.deepEqual(refund.paymentDetails, [
      { id: 'store-refund-1', amount: usd(12.96), paymentMethod: AMAZON_PAY, state: 'SUCCESS' },
    ]);
    assert.deepEqual(refund.aliases, [{ aliasType: 'EXTERNAL_REFUND_ID', aliasId: 'store-refund-1' }]);
    assert.deepEqual(
      refund.refundFor?.orderLineItems,
      [{ lineItem: { id: 'bwp-line-socks' }, amount: { unit: 'ONE', value: 1 } }],
      'a line BwP already named keeps its quantity',
    );
    assert.equal(refund.refundRequestReason, 'DAMAGED_DEFECTIVE_ITEM', 'the request reason is untouched');
    assert.notEqual(refund.updatedAt, f.bwpOrder.refunds.details[0]!.updatedAt);

    const [entry, ...more] = await ledgerOf(f.bwpOrder.id);
    assert.ok(entry);
    assert.equal(more.length, 0);
    const { seq, at, ...rest } = entry;
    assert.ok(seq >= 1 && !Number.isNaN(Date.parse(at)));
    assert.deepEqual(rest, {
      orderId: f.bwpOrder.id,
      refundId: f.refundId,
      fromState: 'PENDING',
      state: 'SUCCESS',
      refundTotal: usd(12.96),
      delta: [{ id: 'store-refund-1', amount: usd(12.96), paymentMethod: AMAZON_PAY, state: 'SUCCESS' }],
      refundFor: { lineItemIds: ['bwp-line-socks'] },
      aliases: [{ aliasType: 'EXTERNAL_REFUND_ID', aliasId: 'store-refund-1' }],
      refundStatusReason: null,
    });
  });

  void it('keeps refundTotal cumulative and paymentDetails as the list of deltas over PARTIAL then SUCCESS', async () => {
    const f = await seedScenario(sandbox, 'healthy-partial-qty');
    const first = await report(f.bwpOrder.id, [
      refundUpdate(f.refundId, {
        state: 'PARTIAL',
        total: 25.92,
        delta: [25.92],
        refundStatusReason: 'PARTIALLY_DECLINED',
        refundFor: { orderLineItems: [{ lineItemId: { lineItemId: 'bwp-line-socks' } }] },
      }),
    ]);
    assert.equal(first.body.errors, undefined);
    const second = await report(f.bwpOrder.id, [
      refundUpdate(f.refundId, { state: 'SUCCESS', total: 50.22, delta: [24.3] }),
    ]);
    assert.equal(second.body.errors, undefined);

    const refund = await refundOf(f.bwpOrder.id, f.refundId);
    assert.equal(refund.state, 'SUCCESS');
    assert.deepEqual(refund.refundTotal?.totalAmount, usd(50.22), 'the total replaces, it does not add');
    assert.deepEqual(
      refund.paymentDetails.map((p) => p.amount),
      [usd(25.92), usd(24.3)],
      'each update appends its own payments',
    );
    assert.equal(refund.refundStatusReason, 'PARTIALLY_DECLINED');

    const ledger = await ledgerOf(f.bwpOrder.id);
    assert.deepEqual(
      ledger.map((e) => [e.fromState, e.state, e.refundTotal.amount, e.delta.map((d) => d.amount.amount), e.refundFor]),
      [
        ['PENDING', 'PARTIAL', 25.92, [25.92], { lineItemIds: ['bwp-line-socks'] }],
        ['PARTIAL', 'SUCCESS', 50.22, [24.3], null],
      ],
    );
  });

  void it('merges lines named in refundFor into the refund: a new line is added without a quantity', async () => {
    const f = await seedScenario(sandbox, 'healthy-partial-qty');
    const patched = structuredClone(f);
    patched.bwpOrder.refunds.details[0]!.refundFor = {
      orderLineItems: [{ lineItem: { id: 'bwp-line-socks' }, amount: { unit: 'ONE', value: 2 } }],
    };
    await sandbox.seed(patched);
    const res = await report(f.bwpOrder.id, [
      refundUpdate(f.refundId, {
        state: 'PENDING',
        total: 50.22,
        refundFor: {
          orderLineItems: [
            { lineItemId: { lineItemId: 'bwp-line-bottle' } },
            { lineItemId: { lineItemId: 'bwp-line-socks' } },
          ],
        },
      }),
    ]);
    assert.equal(res.body.errors, undefined);
    assert.deepEqual((await refundOf(f.bwpOrder.id, f.refundId)).refundFor?.orderLineItems, [
      { lineItem: { id: 'bwp-line-socks' }, amount: { unit: 'ONE', value: 2 } },
      { lineItem: { id: 'bwp-line-bottle' }, amount: null },
    ]);
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

  void it('leaves the state as it is when the update sends none (RefundDetailsInput.state is optional)', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await report(f.bwpOrder.id, [refundUpdate(f.refundId, { total: 5, delta: [5] })]);
    assert.equal(res.body.errors, undefined);
    const refund = await refundOf(f.bwpOrder.id, f.refundId);
    assert.equal(refund.state, 'PENDING');
    assert.deepEqual(refund.refundTotal?.totalAmount, usd(5));
  });

  void it('finds the order by its alias (orderIdentifier.alias)', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await gql(sandbox, UPDATE_ORDER, {
      orderIdentifier: { alias: { aliasType: 'EXTERNAL_ID', aliasId: f.storeOrder.id } },
      input: { refunds: { details: [refundUpdate(f.refundId, { state: 'SUCCESS', total: 12.96 })] } },
    });
    assert.equal(res.body.errors, undefined);
    assert.equal(res.body.data.updateOrder.order.id, f.bwpOrder.id);
    assert.equal((await refundOf(f.bwpOrder.id, f.refundId)).state, 'SUCCESS');
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

  void it('lets a refund report again the alias it already carries', async () => {
    const f = await seedScenario(sandbox, 'line-already-refunded');
    const own = f.bwpOrder.refunds.details.find((r) => r.id === f.externalRefundIds[0])!.aliases[0]!;
    const res = await report(f.bwpOrder.id, [
      refundUpdate(f.externalRefundIds[0], { state: 'SUCCESS', total: 12.96, aliases: [own] }),
    ]);
    assert.equal(res.body.errors, undefined);
  });

  void it('appends order aliases (UpdateOrderInput.aliases), at most 5 in all', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const aliases = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ aliasType: 'EXTERNAL_DISPLAY_ID', aliasId: `#${i}` }));
    const ok = await gql(sandbox, UPDATE_ORDER, {
      orderIdentifier: { orderId: f.bwpOrder.id },
      input: { aliases: aliases(4) },
    });
    assert.equal(ok.body.errors, undefined);
    assert.equal(ok.body.data.updateOrder.order.aliases.length, 5);
    const tooMany = await gql(sandbox, UPDATE_ORDER, {
      orderIdentifier: { orderId: f.bwpOrder.id },
      input: { aliases: [{ aliasType: 'OMS_ORDER_ID', aliasId: 'x' }] },
    });
    assertRejected(tooMany, undefined);
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

  void it('DuplicateAliasId: two refunds of the same request given the same aliasId', async () => {
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

  void it('InvalidAliasId: an aliasId another refund of the order already carries', async () => {
    const f = await seedScenario(sandbox, 'line-already-refunded');
    const taken = f.bwpOrder.refunds.details.find((r) => r.id === f.externalRefundIds[0])!.aliases[0]!;
    assertRejected(
      await report(f.bwpOrder.id, [refundUpdate(f.refundId, { state: 'SUCCESS', total: 12.96, aliases: [taken] })]),
      'InvalidAliasId',
    );
  });

  void it('InvalidRefundStateTransition: SUCCESS back to PENDING', async () => {
    const f = await seedScenario(sandbox, 'line-already-refunded');
    assertRejected(
      await report(f.bwpOrder.id, [refundUpdate(f.externalRefundIds[0], { state: 'PENDING', total: 12.96 })]),
      'InvalidRefundStateTransition',
    );
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

  void it('a line that is not on the order: a ValidationError without an Error Code (not published)', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    assertRejected(
      await report(f.bwpOrder.id, [
        refundUpdate(f.refundId, {
          state: 'SUCCESS',
          total: 12.96,
          refundFor: { orderLineItems: [{ lineItemId: { lineItemId: 'bwp-line-elsewhere' } }] },
        }),
      ]),
      undefined,
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
          refundFor: { orderLineItems: [{ lineItemId: { lineItemId: 'bwp-line-bottle' } }] },
        }),
        refundUpdate(f.externalRefundIds[0], { state: 'PENDING', total: 1 }),
      ]),
      'InvalidRefundStateTransition',
    );
    const afterwards = (await gql(sandbox, ORDER_BY_ID, { orderId: f.bwpOrder.id })).body.data.order;
    assert.deepEqual(afterwards, before);
    assert.deepEqual(await ledgerOf(f.bwpOrder.id), []);
  });

  void it('ResourceNotFoundError for an order it does not know, by id or by alias', async () => {
    assertRejected(
      await report('no-such-order', [refundUpdate('r', { state: 'SUCCESS', total: 1 })]),
      undefined,
      'ResourceNotFoundError',
    );
    const byAlias = await gql(sandbox, UPDATE_ORDER, {
      orderIdentifier: { alias: { aliasType: 'EXTERNAL_ID', aliasId: 'no-such-store-order' } },
      input: { refunds: { details: [refundUpdate('r', { state: 'SUCCESS', total: 1 })] } },
    });
    assertRejected(byAlias, undefined, 'ResourceNotFoundError');
  });

  void it('a ValidationError when orderIdentifier gives both orderId and alias, or neither', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const input = { refunds: { details: [refundUpdate(f.refundId, { state: 'SUCCESS', total: 12.96 })] } };
    const both = await gql(sandbox, UPDATE_ORDER, {
      orderIdentifier: { orderId: f.bwpOrder.id, alias: { aliasType: 'EXTERNAL_ID', aliasId: f.storeOrder.id } },
      input,
    });
    assertRejected(both, undefined);
    assertRejected(await gql(sandbox, UPDATE_ORDER, { orderIdentifier: {}, input }), undefined);
    assert.equal((await refundOf(f.bwpOrder.id, f.refundId)).state, 'PENDING');
  });

  void it('answers 400 (never executed) when the input misses a field the schema requires (refundTotal)', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await report(f.bwpOrder.id, [{ id: f.refundId, state: 'SUCCESS' }]);
    assert.equal(res.status, 400);
    assert.equal('data' in res.body, false);
    assert.equal(res.body.errors[0].extensions.errorType, 'ValidationError');
  });

  void it('answers 400 to the pre-2024 signature (orderId inside the input)', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    const res = await gql(
      sandbox,
      `mutation ($input: UpdateOrderInput!) { updateOrder(input: $input) { order { id } } }`,
      {
        input: {
          orderId: f.bwpOrder.id,
          refunds: { details: [refundUpdate(f.refundId, { state: 'SUCCESS', total: 12.96 })] },
        },
      },
    );
    assert.equal(res.status, 400);
    assert.equal('data' in res.body, false);
  });
});

void describe('BwP simulator: refund state transitions (BWP:update-refund-details)', () => {
  const STATES = ['PENDING', 'PARTIAL', 'SUCCESS', 'FAILURE', 'REJECTED'] as const;
  // The published table, written out here rather than imported so the test checks the simulator against the page.
  // REJECTED has no row and no column in it.
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
        const res = await report(f.bwpOrder.id, [refundUpdate(f.refundId, { state: to, total: 12.96, delta: [1] })]);
        if (allowed) {
          assert.equal(res.body.errors, undefined);
          assert.equal((await refundOf(f.bwpOrder.id, f.refundId)).state, to);
        } else {
          assertRejected(res, 'InvalidRefundStateTransition');
          const refund = await refundOf(f.bwpOrder.id, f.refundId);
          assert.equal(refund.state, from);
          assert.deepEqual(refund.paymentDetails, [], 'nothing of the rejected update was kept');
        }
      });
    }
  }

  void it('a REJECTED refund takes no update at all, not even one without a state', async () => {
    const f = await seedScenario(sandbox, 'healthy-single-sku');
    sandbox.state.bwp.setRefundState({ orderId: f.bwpOrder.id, refundId: f.refundId, state: 'REJECTED' });
    assertRejected(
      await report(f.bwpOrder.id, [refundUpdate(f.refundId, { total: 0, refundStatusReason: 'OTHERS' })]),
      'InvalidRefundStateTransition',
    );
  });
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
