import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeOrder, valueOfUnits } from '../../domain/context';
import { sum } from '../../domain/money';
import { THREE_SKUS, context, m } from './fixtures';

void describe('describeOrder: the per-line view every rule reads', () => {
  void test('a healthy order: ids on both sides, quantities, unit and line money, shipping and order totals', () => {
    const view = describeOrder(context());
    assert.equal(view.currency, 'USD');
    assert.equal(view.storeOrderId, 'store-order-1');
    const [l1, l2, l3] = view.lines;
    assert.deepEqual(
      [l1!.lineItemId, l1!.storeLineId, l1!.storeLineVia, l1!.sku, l1!.title],
      ['L1', 'sl-1', 'EXTERNAL_ITEM_ID', 'MUG-BLUE', 'Blue mug'],
    );
    assert.deepEqual([l1!.orderedQty, l1!.refundedQty, l1!.remainingQty], [2, 0, 2]);
    assert.deepEqual([l1!.unitPrice, l1!.unitTax, l1!.unitDiscount], [m(19.99), m(1.6), m(0)]);
    assert.deepEqual([l1!.paidTotal, l1!.remainingAmount, l1!.nextUnitValue], [m(43.18), m(43.18), m(21.59)]);
    assert.deepEqual([l2!.unitDiscount, l2!.paidTotal], [m(5), m(22)]);
    assert.equal(l3!.nextUnitValue, m(10.8));
    assert.deepEqual(view.shipping, { amount: m(5), refunded: false, remaining: m(5), storeAmount: m(5) });
    // The store's own view of a line: what it refunds per unit, tax included.
    assert.deepEqual(
      [l1!.storeLine?.unitPrice, l1!.storeLine?.unitTax, l1!.storeLine?.refundedTax],
      [m(21.59), m(1.6), undefined],
    );
    assert.deepEqual([view.grandTotal, view.refunded, view.remaining], [m(102.58), m(0), m(102.58)]);
    assert.deepEqual(view.problems, []);
  });

  void test('already refunded counts the larger of BwP refunds and the store (refunds made elsewhere)', () => {
    const ctx = context({
      refunds: [{}, { id: 'refund-0', state: 'PARTIAL', lines: [{ id: 'L3', qty: 1 }], total: 10.8 }],
      store: { lines: { L3: { refundedQuantity: 2 } }, refundedTotal: '21.60' },
    });
    const l3 = describeOrder(ctx).lines[2]!;
    assert.deepEqual([l3.refundedQty, l3.remainingQty], [2, 1]);
    assert.deepEqual([l3.refundedAmount, l3.remainingAmount, l3.taxRefunded], [m(21.6), m(10.8), m(1.6)]);
  });

  void test('the refund being validated does not count as already refunded', () => {
    const ctx = context({ refunds: [{ state: 'PENDING', lines: [{ id: 'L1', qty: 2 }] }] });
    assert.equal(describeOrder(ctx).lines[0]!.refundedQty, 0);
  });

  void test('shipping refunded by an earlier BwP refund or on the store leaves nothing to refund', () => {
    const earlier = context({ refunds: [{}, { id: 'refund-0', state: 'SUCCESS', shipping: true, total: 5 }] });
    assert.deepEqual(describeOrder(earlier).shipping, {
      amount: m(5),
      refunded: true,
      remaining: m(0),
      storeAmount: m(5),
    });
    const onStore = context({ store: { shippingRefunded: true } });
    assert.equal(describeOrder(onStore).shipping.refunded, true);
  });

  void test('tax refunded on the store reduces the line without refunding its units', () => {
    const ctx = context({ store: { lines: { L1: { refundedTax: '3.20' } }, refundedTotal: '3.20' } });
    const l1 = describeOrder(ctx).lines[0]!;
    assert.deepEqual([l1.remainingQty, l1.taxRefunded, l1.remainingAmount], [2, m(3.2), m(39.98)]);
    assert.equal(l1.nextUnitValue, m(19.99));
  });

  void test('order-level discounts are shared over the lines in proportion to their value, exactly', () => {
    const view = describeOrder(context({ orderDiscount: 10 }));
    const paid = view.lines.map((l) => l.paidTotal!);
    // 10.00 over 39.98 / 20.00 / 30.00 of goods: 4.44, 2.22 and 3.34 (the largest remainder takes the last cent).
    assert.deepEqual(paid, [m(38.74), m(19.78), m(29.06)]);
    assert.equal(sum(paid), m(87.58));
    assert.equal(view.grandTotal, m(92.58));
  });

  void test('units are valued by cumulative shares: one by one or all at once, the same total, to the cent', () => {
    // 3 units at 10.00 with 1.00 tax on the line: shares of 0.33, 0.33, 0.34.
    const lines = [{ id: 'L1', sku: 'A', storeLineId: 's1', qty: 3, price: 10, tax: 1 }];
    const view = describeOrder(context({ lines }));
    const line = view.lines[0]!;
    assert.deepEqual(
      [1, 2, 3].map((n) => valueOfUnits(line, n)),
      [m(10.33), m(20.66), m(31)],
    );
  });

  void test('a store line with another SKU is marked re-linked; a removed one is null', () => {
    const view = describeOrder(context({ store: { lines: { L1: { sku: 'OTHER' } }, removed: ['L2'] } }));
    assert.equal(view.lines[0]!.relinked, true);
    assert.equal(view.lines[1]!.storeLine, null);
    assert.equal(describeOrder(context({ noStore: true })).lines[0]!.storeLine, undefined);
  });

  void test('a blank price leaves the money unknown (null), not zero', () => {
    const lines = THREE_SKUS.map((l) => (l.id === 'L2' ? { ...l, price: null } : l));
    const l2 = describeOrder(context({ lines })).lines[1]!;
    assert.deepEqual([l2.unitPrice, l2.paidTotal, l2.remainingAmount, l2.nextUnitValue], [null, null, null, null]);
  });

  void test('an amount in another currency on a line is a CURRENCY_MISMATCH problem of that line', () => {
    const ctx = context();
    ctx.order.lineItems[0]!.taxes = [{ amount: { amount: 3.2, currencyCode: 'EUR' } }];
    const view = describeOrder(ctx);
    assert.deepEqual(
      view.problems.map((p) => [p.code, p.lineItemId]),
      [['CURRENCY_MISMATCH', 'L1']],
    );
  });
});
