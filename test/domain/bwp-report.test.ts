import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_PAYMENT_METHOD,
  buildDeclinedUpdate,
  buildRefundedUpdate,
  reportedRefund,
  reportedSoFar,
} from '../../domain/bwp-report';
import { type RefundContext, findRefund } from '../../domain/context';
import { type RefundPlan } from '../../domain/plan';
import { ALIAS_EXTERNAL_REFUND_ID, type RefundDetails, UpdateOrderInput } from '../../domain/schemas/bwp';
import { validateRefund, validateRepair } from '../../domain/validate';
import { ORDER_ID, REFUND_ID, type RefundSpec, context, m, repair, repairLine } from './fixtures';

/**
 * The variables of `updateOrder(orderIdentifier:, input:)` that report a refund back to Buy with Prime: the refund by
 * its id, its cumulative total, this update's payment with the payment method, the refunded lines by
 * LineItemIdentifierInput (no quantity or money per line), and a decline as FAILURE (PARTIAL once money was reported).
 */

/** Both mugs and one cap: 43.18 + 10.80. */
const WHOLE_UNITS: RefundSpec = {
  lines: [
    { id: 'L1', qty: 2 },
    { id: 'L3', qty: 1 },
  ],
  total: 53.98,
};

function planned(spec: RefundSpec): { ctx: RefundContext; refund: RefundDetails; plan: RefundPlan } {
  const ctx = context({ refunds: [spec] });
  const { problems, plan } = validateRefund(ctx);
  assert.deepEqual(problems, []);
  assert.ok(plan);
  const refund = findRefund(ctx.order, ctx.refundId);
  assert.ok(refund);
  return { ctx, refund, plan };
}

function refunded(spec: RefundSpec, amount: string, extra: Partial<Parameters<typeof buildRefundedUpdate>[0]> = {}) {
  const { ctx, refund, plan } = planned(spec);
  const update = buildRefundedUpdate({
    orderId: ctx.order.id,
    refund,
    plan,
    refunded: { amount, currency: 'USD' },
    storeRefundId: 'store-refund-9',
    ...extra,
  });
  // Every update is a valid UpdateOrder variables object (the schema is strict: no field the reference lacks).
  assert.deepEqual(UpdateOrderInput.parse(update), update);
  return update;
}

void describe('buildRefundedUpdate: the updateOrder variables after the store refunded', () => {
  void test('names the order and the refund, records the store refund as an alias, and settles the refund', () => {
    const update = refunded(WHOLE_UNITS, '53.98');
    assert.deepEqual(update.orderIdentifier, { orderId: ORDER_ID });
    assert.equal(update.input.refunds.details.length, 1);
    assert.equal(reportedRefund(update), update.input.refunds.details[0]);
    assert.deepEqual(reportedRefund(update), {
      id: REFUND_ID,
      aliases: [{ aliasType: ALIAS_EXTERNAL_REFUND_ID, aliasId: 'store-refund-9' }],
      refundTotal: { totalAmount: { amount: 53.98, currencyCode: 'USD' } },
      paymentDetails: [
        {
          id: 'store-refund-9',
          amount: { amount: 53.98, currencyCode: 'USD' },
          paymentMethod: { type: 'AMAZON_PAY', displayString: 'Amazon Pay' },
          state: 'SUCCESS',
        },
      ],
      refundFor: { orderLineItems: [{ lineItemId: { lineItemId: 'L1' } }, { lineItemId: { lineItemId: 'L3' } }] },
      state: 'SUCCESS',
    });
  });

  void test('the total is cumulative over the refund’s updates; the payment is only this update’s delta', () => {
    // 20.00 was reported earlier on the same refund; the store now refunded the remaining 33.98.
    const update = reportedRefund(refunded({ ...WHOLE_UNITS, payments: [20] }, '33.98'));
    assert.deepEqual(update.refundTotal.totalAmount, { amount: 53.98, currencyCode: 'USD' });
    assert.deepEqual(
      update.paymentDetails?.map((p) => p.amount),
      [{ amount: 33.98, currencyCode: 'USD' }],
    );
    assert.equal(update.state, 'SUCCESS');
  });

  void test('short of the estimate (beyond its tolerance) the refund is PARTIAL, PARTIALLY_DECLINED', () => {
    const update = reportedRefund(refunded(WHOLE_UNITS, '43.18'));
    assert.deepEqual(update.refundTotal.totalAmount, { amount: 43.18, currencyCode: 'USD' });
    assert.equal(update.state, 'PARTIAL');
    assert.equal(update.refundStatusReason, 'PARTIALLY_DECLINED');
  });

  void test('the payment method is the one the store pays back by (BWP_PAYMENT_METHOD); Amazon Pay by default', () => {
    assert.deepEqual(DEFAULT_PAYMENT_METHOD, { type: 'AMAZON_PAY', displayString: 'Amazon Pay' });
    const paymentMethod = { type: 'SHOPIFY_PAYMENTS' as const, displayString: 'Shopify Payments' };
    const update = reportedRefund(refunded(WHOLE_UNITS, '53.98', { paymentMethod }));
    assert.deepEqual(update.paymentDetails?.[0]?.paymentMethod, paymentMethod);
    assert.deepEqual(update.paymentDetails?.[0]?.amount, { amount: 53.98, currencyCode: 'USD' });
    // The caller's object is copied, not shared.
    assert.notEqual(update.paymentDetails?.[0]?.paymentMethod, paymentMethod);
    const bare = reportedRefund(refunded(WHOLE_UNITS, '53.98', { paymentMethod: { type: 'CARD' } }));
    assert.deepEqual(bare.paymentDetails?.[0]?.paymentMethod, { type: 'CARD' });
  });

  void test('each planned line is one LineItemIdentifierInput, with no quantity or money per line', () => {
    const update = reportedRefund(refunded(WHOLE_UNITS, '53.98'));
    for (const line of update.refundFor?.orderLineItems ?? []) assert.deepEqual(Object.keys(line), ['lineItemId']);
    // Money-only lines of an appeasement are named too.
    const ctx = context({ refunds: [{ lines: [], total: 10 }] });
    const lines = [repairLine('L1', 0, '4.43'), repairLine('L2', 0, '2.25'), repairLine('L3', 0, '3.32')];
    const { plan } = validateRepair(ctx, repair(lines, { total: '10.00' }));
    assert.ok(plan);
    const refund = findRefund(ctx.order, ctx.refundId)!;
    const appeasement = reportedRefund(
      buildRefundedUpdate({
        orderId: ORDER_ID,
        refund,
        plan,
        refunded: { amount: '10.00', currency: 'USD' },
        storeRefundId: 'k',
      }),
    );
    assert.deepEqual(
      appeasement.refundFor?.orderLineItems.map((l) => l.lineItemId.lineItemId),
      ['L1', 'L2', 'L3'],
    );
    assert.equal(appeasement.state, 'SUCCESS');
  });

  void test('a shipping-only refund names no lines (no refundFor)', () => {
    const update = reportedRefund(refunded({ lines: [], total: 5 }, '5.00'));
    assert.equal('refundFor' in update, false);
    assert.deepEqual(update.refundTotal.totalAmount, { amount: 5, currencyCode: 'USD' });
    assert.equal(update.state, 'SUCCESS');
  });

  void test('a refund without an estimate is settled by what the store refunded', () => {
    const update = reportedRefund(refunded({ lines: [{ id: 'L2', qty: 1 }], total: null }, '22.00'));
    assert.equal(update.state, 'SUCCESS');
    assert.deepEqual(update.refundTotal.totalAmount, { amount: 22, currencyCode: 'USD' });
  });
});

void describe('buildDeclinedUpdate: a merchant’s decline', () => {
  function declined(spec: RefundSpec) {
    const ctx = context({ refunds: [spec] });
    const refund = findRefund(ctx.order, ctx.refundId);
    assert.ok(refund);
    const update = buildDeclinedUpdate({
      orderId: ctx.order.id,
      refund,
      currency: 'USD',
      statusReason: 'RETURN_WINDOW_EXPIRED',
    });
    assert.deepEqual(UpdateOrderInput.parse(update), update);
    return update;
  }

  void test('with no money reported it is FAILURE with the operator’s status reason, never REJECTED', () => {
    const update = declined(WHOLE_UNITS);
    assert.deepEqual(update.orderIdentifier, { orderId: ORDER_ID });
    assert.deepEqual(reportedRefund(update), {
      id: REFUND_ID,
      refundTotal: { totalAmount: { amount: 0, currencyCode: 'USD' } },
      state: 'FAILURE',
      refundStatusReason: 'RETURN_WINDOW_EXPIRED',
    });
  });

  void test('with money already reported it stays PARTIAL, its total what was reported', () => {
    const update = reportedRefund(declined({ ...WHOLE_UNITS, payments: [10, 5.5] }));
    assert.equal(update.state, 'PARTIAL');
    assert.deepEqual(update.refundTotal.totalAmount, { amount: 15.5, currencyCode: 'USD' });
    assert.equal(update.refundStatusReason, 'RETURN_WINDOW_EXPIRED');
    assert.equal(update.paymentDetails, undefined, 'a decline carries no payment');
  });

  void test('what was reported counts payments in the order’s currency only', () => {
    const { refund } = planned({ ...WHOLE_UNITS, payments: [10] });
    const mixed: RefundDetails = {
      ...refund,
      paymentDetails: [...refund.paymentDetails, { amount: { amount: 3, currencyCode: 'EUR' } }],
    };
    assert.equal(reportedSoFar(mixed, 'USD'), m(10));
  });
});
