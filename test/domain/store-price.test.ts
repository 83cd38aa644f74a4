import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeOrder, storeValueOfUnits } from '../../domain/context';
import { validateRefund, validateRepair } from '../../domain/validate';
import { codes, context, m, policy, repair, repairLine, STORE_ORDER_ID } from './fixtures';

/**
 * docs/domain.md rule 16: the store prices line items itself (its unit price, tax included, and no more tax than its
 * tax bucket has left), so a line goes as line items only where the store's own price for those units is the plan's
 * amount; otherwise the plan's amount goes as an appeasement, or waits for repair when appeasements are off.
 */

/** Both mugs (L1, 2 × 21.59 with 3.20 tax), their tax refunded earlier by a tax-only BwP refund of 3.20. */
const TAX_REFUNDED_EARLIER = [
  { lines: [{ id: 'L1', qty: 2 }], total: 39.98 },
  { id: 'refund-0', state: 'SUCCESS' as const, lines: [{ id: 'L1', qty: 0, amount: 3.2 }], total: 3.2 },
];

void describe('rule 16: line items only at the store’s own price', () => {
  void test('the store’s price of units: unit price, tax included, the tax taken only from what its bucket has left', () => {
    const sl = {
      id: 's',
      kind: 'checkout' as const,
      quantity: 3,
      refundedQuantity: 0,
      unitPrice: m(10.8),
      unitTax: m(0.8),
    };
    assert.equal(storeValueOfUnits(sl, 2), m(21.6), 'no tax bucket kept: the unit price');
    assert.equal(storeValueOfUnits({ ...sl, refundedTax: m(0) }, 3), m(32.4));
    // 1.60 of the 2.40 tax already refunded: 0.80 left, so three units refund 3 × 10.00 + 0.80.
    assert.equal(storeValueOfUnits({ ...sl, refundedTax: m(1.6) }, 3), m(30.8));
    assert.equal(storeValueOfUnits({ ...sl, refundedTax: m(2.4) }, 1), m(10));
    assert.equal(storeValueOfUnits({ ...sl, refundedQuantity: 2 }, 2), null, 'only one unit is left');
  });

  void test('a store that keeps the tax bucket prices units without the tax already refunded: line items', () => {
    const ctx = context({
      refunds: [TAX_REFUNDED_EARLIER[0]!],
      store: { lines: { L1: { refundedTax: '3.20' } }, refundedTotal: '3.20' },
    });
    const { problems, plan } = validateRefund(ctx);
    assert.deepEqual(problems, []);
    assert.equal(plan?.mode, 'line-items');
    assert.equal(plan?.report.total, m(39.98));
    assert.equal(describeOrder(ctx).lines[0]?.storeLine?.refundedTax, m(3.2));
  });

  void test('a store that does not keep it would refund the tax again: the plan’s amount goes as an appeasement', () => {
    const ctx = context({ refunds: TAX_REFUNDED_EARLIER, store: { refundedTotal: '3.20' } });
    const { problems, plan } = validateRefund(ctx);
    assert.deepEqual(problems, []);
    assert.equal(plan?.mode, 'appeasement');
    assert.deepEqual(plan?.storeRequest, { order: STORE_ORDER_ID, amount: '39.98', currency: 'USD' });
    assert.deepEqual(
      plan?.report.lines.map((l) => [l.lineItemId, l.quantity, l.amount]),
      [['L1', 2, m(39.98)]],
    );
  });

  void test('with appeasements off it waits for repair with STORE_PRICE_MISMATCH on the line’s amount', () => {
    const ctx = context({
      refunds: TAX_REFUNDED_EARLIER,
      store: { refundedTotal: '3.20' },
      policy: policy({ allowAppeasement: false }),
    });
    const { problems } = validateRefund(ctx);
    assert.deepEqual(codes(problems), ['STORE_PRICE_MISMATCH']);
    assert.equal(problems[0]?.field, 'refundFor.orderLineItems[0].refundAmount');
    assert.equal(problems[0]?.lineItemId, 'L1');
    assert.match(problems[0]?.message ?? '', /43\.18 USD, not 39\.98 USD/);
  });

  void test('a store that changed its price since the order: an appeasement of what Buy with Prime values', () => {
    const ctx = context({
      refunds: [{ lines: [{ id: 'L3', qty: 1 }], total: 10.8 }],
      store: { lines: { L3: { unitPrice: '11.80' } } },
    });
    const { problems, plan } = validateRefund(ctx);
    assert.deepEqual(problems, []);
    assert.equal(plan?.mode, 'appeasement');
    assert.equal(plan?.storeRequest.amount, '10.80');
  });

  void test('without the store order its price is unknown: line items at Buy with Prime’s value (rule 18 checks)', () => {
    const ctx = context({ refunds: TAX_REFUNDED_EARLIER, noStore: true });
    const { problems, plan } = validateRefund(ctx);
    assert.deepEqual(problems, []);
    assert.equal(plan?.mode, 'line-items');
  });

  void test('a repair forced to line items at a price the store does not charge is STORE_PRICE_MISMATCH', () => {
    const ctx = context({ refunds: [{ lines: [], total: 10 }], store: { lines: { L3: { unitPrice: '11.80' } } } });
    const { problems } = validateRepair(ctx, repair([repairLine('L3', 1, '10.80')], { mode: 'line-items' }));
    assert.deepEqual(codes(problems), ['STORE_PRICE_MISMATCH']);
    assert.equal(problems[0]?.field, 'lines[0].amount');
  });

  void test('shipping whose charge on the store differs from Buy with Prime’s is STORE_PRICE_MISMATCH on shipping', () => {
    const ctx = context({ refunds: [{ lines: [], shipping: true, total: 5 }], store: { shippingAmount: '6.00' } });
    const { problems } = validateRefund(ctx);
    assert.deepEqual(codes(problems), ['STORE_PRICE_MISMATCH']);
    assert.equal(problems[0]?.field, 'refundFor.shipping');
  });
});
