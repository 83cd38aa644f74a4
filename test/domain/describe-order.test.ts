import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeOrder, orderCurrency, readQuantity, valueOfUnits } from '../../domain/context';
import { sum } from '../../domain/money';
import { type Problem } from '../../domain/problems';
import { validateRefund } from '../../domain/validate';
import { THREE_SKUS, codes, context, m } from './fixtures';

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
    // Shipping is the store's charge (Buy with Prime publishes none on the order).
    assert.deepEqual(view.shipping, { amount: m(5), refunded: false, remaining: m(5), known: true });
    // The store's own view of a line: what it refunds per unit, tax included.
    assert.deepEqual(
      [l1!.storeLine?.unitPrice, l1!.storeLine?.unitTax, l1!.storeLine?.refundedTax],
      [m(21.59), m(1.6), undefined],
    );
    // The grand total is computed: every line's paid total (97.58) plus the store's shipping (5.00).
    assert.deepEqual([view.grandTotal, view.refunded, view.remaining], [m(102.58), m(0), m(102.58)]);
    assert.equal(view.totalKnown, true);
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

  void test('shipping refunded on the store leaves nothing to refund', () => {
    const onStore = context({ store: { shippingRefunded: true } });
    assert.deepEqual(describeOrder(onStore).shipping, { amount: m(5), refunded: true, remaining: m(0), known: true });
  });

  void test('shipping is known only from the store order: its charge, none, or unknown without it', () => {
    assert.deepEqual(describeOrder(context({ store: { shipping: 6 } })).shipping, {
      amount: m(6),
      refunded: false,
      remaining: m(6),
      known: true,
    });
    assert.deepEqual(describeOrder(context({ store: { shipping: 0 } })).shipping, {
      amount: m(0),
      refunded: false,
      remaining: m(0),
      known: true,
    });
    assert.deepEqual(describeOrder(context({ noStore: true })).shipping, {
      amount: m(0),
      refunded: false,
      remaining: m(0),
      known: false,
    });
    // An earlier Buy with Prime refund does not say whether it refunded shipping: only the store's flag does.
    const earlier = context({ refunds: [{}, { id: 'refund-0', state: 'SUCCESS', lines: [], total: 5 }] });
    assert.equal(describeOrder(earlier).shipping.refunded, false);
  });

  void test('without the store order the total is not known (lines only), and the order-level rules stand aside', () => {
    const view = describeOrder(context({ noStore: true }));
    assert.equal(view.totalKnown, false);
    assert.equal(view.grandTotal, m(97.58), 'the lines only: the shipping charge is unknown');
    // An estimate above what the lines are worth is not AMOUNT_EXCEEDS_ORDER_REMAINING when the total is not known…
    const noStore = validateRefund(
      context({ noStore: true, refunds: [{ lines: [{ id: 'L1', qty: 2 }], total: 150 }] }),
    );
    assert.ok(!codes(noStore.problems).includes('AMOUNT_EXCEEDS_ORDER_REMAINING'), JSON.stringify(noStore.problems));
    assert.deepEqual(codes(noStore.problems), ['TOTALS_DO_NOT_ADD_UP']);
    // …but is with the store order read.
    const read = validateRefund(context({ refunds: [{ lines: [{ id: 'L1', qty: 2 }], total: 150 }] }));
    assert.deepEqual(codes(read.problems), ['AMOUNT_EXCEEDS_ORDER_REMAINING']);
  });

  void test('a line whose value is unknown (blank price) leaves the total unknown too', () => {
    const lines = THREE_SKUS.map((l) => (l.id === 'L2' ? { ...l, price: null } : l));
    const view = describeOrder(context({ lines }));
    assert.equal(view.shipping.known, true);
    assert.equal(view.totalKnown, false);
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

  void test('discounts are read from their details when there is no summary (order-level and per line)', () => {
    const byDetails = describeOrder(context({ orderDiscountDetails: [4, 6] }));
    assert.deepEqual(
      byDetails.lines.map((l) => l.paidTotal),
      [m(38.74), m(19.78), m(29.06)],
      'the same as a 10.00 summary',
    );
    assert.deepEqual(byDetails.problems, []);
    const lines = THREE_SKUS.map((l) => (l.id === 'L2' ? { ...l, discount: undefined, discountDetails: [2, 3] } : l));
    const l2 = describeOrder(context({ lines })).lines[1]!;
    assert.deepEqual([l2.lineDiscount, l2.unitDiscount, l2.paidTotal], [m(5), m(5), m(22)]);
  });

  void test('a discount summary wins over its details (they are the same money, not counted twice)', () => {
    const ctx = context({ orderDiscount: 10 });
    ctx.order.discounts!.details = [
      { amount: { amount: 4, currencyCode: 'USD' } },
      { amount: { amount: 6, currencyCode: 'USD' } },
    ];
    assert.equal(sum(describeOrder(ctx).lines.map((l) => l.paidTotal!)), m(87.58));
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
    ctx.order.lineItems[0]!.taxes = { summary: { collectableTaxAmount: { amount: 3.2, currencyCode: 'EUR' } } };
    const view = describeOrder(ctx);
    assert.deepEqual(
      view.problems.map((p) => [p.code, p.lineItemId, p.field]),
      [['CURRENCY_MISMATCH', 'L1', 'lineItems[0].taxes.summary.collectableTaxAmount']],
    );
  });
});

void describe('readQuantity: an Amount { unit, value } as whole units', () => {
  const where = { lineItemId: 'L1', field: 'lineItems[0].amount' };

  void test('a whole, non-negative value is that many units; none is null without a problem', () => {
    const problems: Problem[] = [];
    assert.equal(readQuantity({ unit: 'ONE', value: 2 }, problems, where), 2);
    assert.equal(readQuantity({ value: 0 }, problems, where), 0);
    assert.equal(readQuantity(null, problems, where), null);
    assert.equal(readQuantity(undefined, problems, where), null);
    assert.deepEqual(problems, []);
  });

  void test('a fraction is INVALID_ORDER_DATA on its field, and no quantity', () => {
    const problems: Problem[] = [];
    assert.equal(readQuantity({ unit: 'ONE', value: 1.5 }, problems, where), null);
    assert.deepEqual(
      problems.map((p) => [p.code, p.lineItemId, p.field]),
      [['INVALID_ORDER_DATA', 'L1', 'lineItems[0].amount']],
    );
    assert.match(problems[0]!.message, /1\.5 ONE is not a whole number of units/);
  });

  void test('a negative value is INVALID_ORDER_DATA, and no quantity', () => {
    const problems: Problem[] = [];
    assert.equal(readQuantity({ value: -1 }, problems, where), null);
    assert.deepEqual(codes(problems), ['INVALID_ORDER_DATA']);
    assert.doesNotMatch(problems[0]!.message, / \./, 'no stray space when the unit is absent');
  });

  void test('an ordered quantity that is a fraction is a problem of its line; the store’s count stands in', () => {
    const ctx = context();
    ctx.order.lineItems[0]!.amount = { unit: 'ONE', value: 1.5 };
    const view = describeOrder(ctx);
    assert.deepEqual(
      view.problems.map((p) => [p.code, p.lineItemId, p.field]),
      [['INVALID_ORDER_DATA', 'L1', 'lineItems[0].amount']],
    );
    assert.equal(view.lines[0]!.orderedQty, 2, 'the store order says 2');
    const noStore = context({ noStore: true });
    noStore.order.lineItems[0]!.amount = { unit: 'ONE', value: -2 };
    assert.equal(describeOrder(noStore).lines[0]!.orderedQty, null);
  });

  void test('refunding a line whose ordered quantity is unreadable waits for repair with INVALID_ORDER_DATA', () => {
    const ctx = context({ refunds: [{ lines: [{ id: 'L1', qty: 1 }], total: 21.59 }] });
    ctx.order.lineItems[0]!.amount = { unit: 'ONE', value: 1.5 };
    const { problems, plan } = validateRefund(ctx);
    assert.equal(plan, undefined);
    assert.ok(codes(problems).includes('INVALID_ORDER_DATA'), JSON.stringify(problems));
  });
});

void describe('orderCurrency: the order carries no currency of its own', () => {
  const priceless = THREE_SKUS.map((l) => ({ ...l, price: null }));

  void test('it is that of the lines’ prices', () => {
    assert.equal(orderCurrency(context({ currency: 'EUR' }).order), 'EUR');
  });

  void test('without any price, it is that of the refunds’ totals', () => {
    const ctx = context({
      lines: priceless,
      refunds: [{ lines: [{ id: 'L1', qty: 1 }], total: 10, totalCurrency: 'CAD' }],
    });
    assert.equal(orderCurrency(ctx.order), 'CAD');
    assert.equal(describeOrder({ ...ctx, storeOrder: undefined }).currency, 'CAD');
  });

  void test('else that of the store order; with nothing to go by the order is unreadable', () => {
    const ctx = context({ lines: priceless, refunds: [{ lines: [{ id: 'L1', qty: 1 }] }], store: { currency: 'GBP' } });
    assert.equal(orderCurrency(ctx.order, ctx.storeOrder), 'GBP');
    assert.equal(describeOrder(ctx).currency, 'GBP');
    const none = describeOrder({ ...ctx, storeOrder: undefined });
    assert.equal(none.readable, false);
    assert.deepEqual(codes(none.problems), ['INVALID_ORDER_DATA']);
  });
});
