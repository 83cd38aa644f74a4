import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildRefundedUpdate, reportedRefund } from '../../domain/bwp-report';
import { findRefund } from '../../domain/context';
import { validateRefund } from '../../domain/validate';
import { type LineSpec, THREE_SKUS, codes, context, m, policy, STORE_ORDER_ID } from './fixtures';

/**
 * docs/domain.md rule 15 (Amazon's `refundTotal` is an estimate, with a tolerance of ESTIMATE_TOLERANCE_PER_LINE minor
 * units per line) and rule 8 (a partial refund needs a per-SKU amount on a multi-SKU order only).
 */

/** Tea in threes: a line's tax does not split evenly, so a unit carries 0.33 or 0.66 of it (floor shares). */
const GREEN: LineSpec = { id: 'T1', sku: 'TEA-GREEN', storeLineId: 'st-1', qty: 3, price: 10, tax: 1 };
const BLACK: LineSpec = { id: 'T2', sku: 'TEA-BLACK', storeLineId: 'st-2', qty: 3, price: 20, tax: 2 };

void describe('rule 15: the estimate tolerance', () => {
  void test('an estimate one cent above the floor-rounded value of one line is the refund asked: the exact value goes out', () => {
    const ctx = context({ lines: [GREEN], refunds: [{ lines: [{ id: 'T1', qty: 1 }], total: 10.34 }] });
    const { problems, plan } = validateRefund(ctx);
    assert.deepEqual(problems, []);
    assert.equal(plan?.mode, 'line-items');
    assert.equal(plan?.report.total, m(10.33), 'the plan refunds the value of the unit, not the estimate');
    assert.deepEqual(
      plan?.report.lines.map((l) => l.amount),
      [m(10.33)],
    );
    assert.deepEqual(plan?.storeRequest, { order: STORE_ORDER_ID, line_items: [{ id: 'st-1', quantity: 1 }] });
    assert.equal(plan?.report.estimateTolerance, m(0.01));
  });

  void test('the tolerance is per line: two lines may be two cents off in all', () => {
    const ctx = context({
      lines: [GREEN, BLACK],
      refunds: [
        {
          lines: [
            { id: 'T1', qty: 1 },
            { id: 'T2', qty: 1 },
          ],
          total: 31.01,
        },
      ],
    });
    const { problems, plan } = validateRefund(ctx);
    assert.deepEqual(problems, []);
    assert.equal(plan?.report.total, m(30.99));
  });

  void test('beyond the tolerance the rules about totals apply', () => {
    const one = context({ lines: [GREEN], refunds: [{ lines: [{ id: 'T1', qty: 1 }], total: 10.35 }] });
    assert.deepEqual(codes(validateRefund(one).problems), ['TOTALS_DO_NOT_ADD_UP']);
    const two = context({
      lines: [GREEN, BLACK],
      refunds: [
        {
          lines: [
            { id: 'T1', qty: 1 },
            { id: 'T2', qty: 1 },
          ],
          total: 31.02,
        },
      ],
    });
    assert.deepEqual(codes(validateRefund(two).problems), ['TOTALS_DO_NOT_ADD_UP']);
  });

  void test('ESTIMATE_TOLERANCE_PER_LINE=0 is strict: a one-cent difference waits for repair', () => {
    const ctx = context({
      lines: [GREEN],
      refunds: [{ lines: [{ id: 'T1', qty: 1 }], total: 10.34 }],
      policy: policy({ estimateTolerancePerLine: 0 }),
    });
    const { problems } = validateRefund(ctx);
    assert.deepEqual(codes(problems), ['TOTALS_DO_NOT_ADD_UP']);
    assert.equal(problems[0]?.field, 'refundTotal');
  });

  void test('the shipping heuristic (lines plus the shipping charge) takes the same tolerance', () => {
    const ctx = context({ lines: [GREEN], refunds: [{ lines: [{ id: 'T1', qty: 1 }], total: 15.34 }] });
    const { problems, plan } = validateRefund(ctx);
    assert.deepEqual(problems, []);
    assert.equal(plan?.report.shipping, true);
    assert.equal(plan?.report.total, m(15.33));
  });

  void test('the shipping heuristic needs the store’s shipping charge: without the store order it does not apply', () => {
    const ctx = context({ lines: [GREEN], noStore: true, refunds: [{ lines: [{ id: 'T1', qty: 1 }], total: 15.34 }] });
    const { problems, plan } = validateRefund(ctx);
    assert.equal(plan, undefined);
    assert.deepEqual(codes(problems), ['TOTALS_DO_NOT_ADD_UP']);
  });

  void test('within the tolerance the report to Buy with Prime settles the refund (SUCCESS), with the exact amount', () => {
    const ctx = context({ lines: [GREEN], refunds: [{ lines: [{ id: 'T1', qty: 1 }], total: 10.34 }] });
    const { plan } = validateRefund(ctx);
    assert.ok(plan);
    const refund = findRefund(ctx.order, ctx.refundId);
    assert.ok(refund);
    const args = { orderId: ctx.order.id, refund, refunded: { amount: '10.33', currency: 'USD' }, storeRefundId: 'k' };
    const update = reportedRefund(buildRefundedUpdate({ ...args, plan }));
    assert.equal(update.state, 'SUCCESS');
    assert.equal(update.refundStatusReason, undefined);
    assert.deepEqual(update.refundTotal.totalAmount, { amount: 10.33, currencyCode: 'USD' });
    // The same refund reported without a tolerance would be a partial one.
    const strict = buildRefundedUpdate({
      ...args,
      plan: { ...plan, report: { ...plan.report, estimateTolerance: m(0) } },
    });
    assert.equal(reportedRefund(strict).state, 'PARTIAL');
    assert.equal(reportedRefund(strict).refundStatusReason, 'PARTIALLY_DECLINED');
  });
});

void describe('rule 8: the partial-refund rule is about multi-SKU orders', () => {
  void test('on a multi-SKU order, a lump sum that matches no per-SKU amounts waits for repair', () => {
    const { problems } = validateRefund(
      context({
        refunds: [
          {
            lines: [
              { id: 'L1', qty: 2 },
              { id: 'L3', qty: 1 },
            ],
            total: 30,
          },
        ],
      }),
    );
    assert.deepEqual(codes(problems), ['TOTALS_DO_NOT_ADD_UP']);
    assert.match(problems[0]?.message ?? '', /multi-product order needs an amount per SKU/);
  });

  void test('on a multi-SKU order even one line refunded for less needs its per-SKU amount', () => {
    const { problems } = validateRefund(
      context({ lines: THREE_SKUS, refunds: [{ lines: [{ id: 'L3', qty: 1 }], total: 8 }] }),
    );
    assert.deepEqual(codes(problems), ['TOTALS_DO_NOT_ADD_UP']);
  });

  void test('on a single-SKU order a partial estimate is that SKU’s amount: an appeasement with the per-SKU split', () => {
    const ctx = context({ lines: [GREEN], refunds: [{ lines: [{ id: 'T1', qty: 1 }], total: 8 }] });
    const { problems, plan } = validateRefund(ctx);
    assert.deepEqual(problems, []);
    assert.equal(plan?.mode, 'appeasement');
    assert.deepEqual(plan?.storeRequest, { order: STORE_ORDER_ID, amount: '8.00', currency: 'USD' });
    assert.deepEqual(
      plan?.report.lines.map((l) => [l.lineItemId, l.quantity, l.amount]),
      [['T1', 1, m(8)]],
    );
  });

  void test('on a single-SKU order a partial estimate waits for repair when appeasements are off', () => {
    const ctx = context({
      lines: [GREEN],
      refunds: [{ lines: [{ id: 'T1', qty: 1 }], total: 8 }],
      policy: policy({ allowAppeasement: false }),
    });
    assert.deepEqual(codes(validateRefund(ctx).problems), ['APPEASEMENT_NOT_ALLOWED']);
  });

  void test('on a single-SKU order an estimate above what the units are worth is not a partial refund', () => {
    const { problems } = validateRefund(
      context({ lines: [GREEN], refunds: [{ lines: [{ id: 'T1', qty: 1 }], total: 12 }] }),
    );
    assert.deepEqual(codes(problems), ['TOTALS_DO_NOT_ADD_UP']);
    assert.doesNotMatch(problems[0]?.message ?? '', /multi-product/);
  });
});
