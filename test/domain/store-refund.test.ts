import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildRefundedUpdate, reportedRefund } from '../../domain/bwp-report';
import { findRefund } from '../../domain/context';
import { sum } from '../../domain/money';
import { type RefundPlan } from '../../domain/plan';
import { checkStoreRefund } from '../../domain/store-refund';
import { validateRefund, validateRepair } from '../../domain/validate';
import { context, m, repair, repairLine } from './fixtures';

/** docs/domain.md rule 18: after every 2xx, what the store refunded is compared with the plan and reported as it is. */

function planOf(result: { plan?: RefundPlan }): RefundPlan {
  assert.ok(result.plan);
  return result.plan;
}

void describe('rule 18: what the store refunded against the plan', () => {
  const ctx = context({ refunds: [{ lines: [{ id: 'L1', qty: 2 }], total: 43.18 }] });
  const plan = planOf(validateRefund(ctx));

  void test('the store refunding the plan’s total matches', () => {
    assert.deepEqual(checkStoreRefund(plan, { amount: '43.18', currency: 'USD' }), { matches: true });
  });

  void test('another amount is REFUND_AMOUNT_MISMATCH; the report’s total is what the store refunded, and so are its lines', () => {
    const check = checkStoreRefund(plan, { amount: '46.38', currency: 'USD' });
    assert.equal(check.matches, false);
    if (check.matches) return;
    assert.equal(check.problem.code, 'REFUND_AMOUNT_MISMATCH');
    assert.equal(check.problem.field, 'refunded.amount');
    assert.equal(check.report.total, m(46.38));
    assert.deepEqual(
      check.report.lines.map((l) => l.amount),
      [m(46.38)],
    );
    // Reported to Buy with Prime: the total and this update's payment are what the store refunded, the line is named
    // (the reference publishes no money per line).
    const refund = findRefund(ctx.order, ctx.refundId);
    assert.ok(refund);
    const update = reportedRefund(
      buildRefundedUpdate({
        orderId: ctx.order.id,
        refund,
        plan: { ...plan, report: check.report },
        refunded: { amount: '46.38', currency: 'USD' },
        storeRefundId: 'k',
      }),
    );
    assert.deepEqual(update.refundTotal.totalAmount, { amount: 46.38, currencyCode: 'USD' });
    assert.deepEqual(
      update.paymentDetails?.map((p) => p.amount),
      [{ amount: 46.38, currencyCode: 'USD' }],
    );
    assert.deepEqual(update.refundFor, { orderLineItems: [{ lineItemId: { lineItemId: 'L1' } }] });
  });

  void test('a difference is spread over the lines by largest remainder, exactly', () => {
    const flat = context({ refunds: [{ lines: [], total: 10 }] });
    const lines = [repairLine('L1', 0, '3.00'), repairLine('L2', 0, '3.00'), repairLine('L3', 0, '3.00')];
    const three = planOf(validateRepair(flat, repair(lines)));
    const check = checkStoreRefund(three, { amount: '10.00', currency: 'USD' });
    assert.equal(check.matches, false);
    if (check.matches) return;
    assert.deepEqual(
      check.report.lines.map((l) => l.amount),
      [m(3.34), m(3.33), m(3.33)],
    );
    assert.equal(sum(check.report.lines.map((l) => l.amount)), check.report.total);
  });

  void test('with shipping, the shipping charge takes its share and the lines the rest', () => {
    const shipped = planOf(
      // The estimate is the cap plus the shipping charge: shipping is included (the estimate heuristic).
      validateRefund(context({ refunds: [{ lines: [{ id: 'L3', qty: 1 }], total: 15.8 }] })),
    );
    assert.equal(shipped.report.shipping, true);
    assert.equal(shipped.report.total, m(15.8));
    const check = checkStoreRefund(shipped, { amount: '31.60', currency: 'USD' });
    assert.equal(check.matches, false);
    if (check.matches) return;
    assert.equal(check.report.total, m(31.6));
    assert.deepEqual(
      check.report.lines.map((l) => l.amount),
      [m(21.6)],
      'the line’s share; shipping took 10.00',
    );
  });

  void test('an answer in another currency or an unreadable amount is flagged, the plan’s report kept', () => {
    for (const refunded of [
      { amount: '43.18', currency: 'EUR' },
      { amount: '43.185', currency: 'USD' },
    ]) {
      const check = checkStoreRefund(plan, refunded);
      assert.equal(check.matches, false);
      if (check.matches) continue;
      assert.equal(check.problem.code, 'REFUND_AMOUNT_MISMATCH');
      assert.deepEqual(check.report, plan.report);
    }
  });
});
