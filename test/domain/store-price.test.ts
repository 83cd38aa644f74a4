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

/**
 * Both mugs (L1, 2 × 21.59 with 3.20 tax), their tax refunded earlier by a tax-only BwP refund of 3.20 (Buy with
 * Prime publishes no money per refunded line, so only the store's tax bucket says it was the mug's tax).
 */
const TAX_REFUNDED_EARLIER = [
  { lines: [{ id: 'L1', qty: 2 }], total: 39.98 },
  { id: 'refund-0', state: 'SUCCESS' as const, lines: [{ id: 'L1', qty: 0 }], total: 3.2 },
];

/** One cap (L3, 10.80), on a store that now prices it at 11.80. */
const ONE_CAP = { refunds: [{ lines: [{ id: 'L3', qty: 1 }], total: 10.8 }] };
const REPRICED = { lines: { L3: { unitPrice: '11.80' } } };

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
      refunds: TAX_REFUNDED_EARLIER,
      store: { lines: { L1: { refundedTax: '3.20' } }, refundedTotal: '3.20' },
    });
    const { problems, plan } = validateRefund(ctx);
    assert.deepEqual(problems, []);
    assert.equal(plan?.mode, 'line-items');
    assert.equal(plan?.report.total, m(39.98));
    assert.equal(describeOrder(ctx).lines[0]?.storeLine?.refundedTax, m(3.2));
  });

  void test('without the store’s tax bucket the tax refunded is not known per line: the estimate is a lump sum', () => {
    // Buy with Prime's earlier 3.20 names the mug but no money for it; without the store's refundedTax, both mugs are
    // still worth 43.18 and an estimate of 39.98 on this multi-SKU order needs its per-SKU amount.
    const ctx = context({ refunds: TAX_REFUNDED_EARLIER, store: { refundedTotal: '3.20' } });
    assert.deepEqual(codes(validateRefund(ctx).problems), ['TOTALS_DO_NOT_ADD_UP']);
  });

  void test('a store that changed its price since the order: an appeasement of what Buy with Prime values', () => {
    const ctx = context({ ...ONE_CAP, store: REPRICED });
    const { problems, plan } = validateRefund(ctx);
    assert.deepEqual(problems, []);
    assert.equal(plan?.mode, 'appeasement');
    assert.deepEqual(plan?.storeRequest, { order: STORE_ORDER_ID, amount: '10.80', currency: 'USD' });
    assert.deepEqual(
      plan?.report.lines.map((l) => [l.lineItemId, l.quantity, l.amount]),
      [['L3', 1, m(10.8)]],
    );
  });

  void test('with appeasements off it waits for repair with STORE_PRICE_MISMATCH on the line’s amount', () => {
    const ctx = context({ ...ONE_CAP, store: REPRICED, policy: policy({ allowAppeasement: false }) });
    const { problems } = validateRefund(ctx);
    assert.deepEqual(codes(problems), ['STORE_PRICE_MISMATCH']);
    // Buy with Prime gives no amount per line: the line's amount is the refund's estimate.
    assert.equal(problems[0]?.field, 'refundTotal');
    assert.equal(problems[0]?.lineItemId, 'L3');
    assert.match(problems[0]?.message ?? '', /11\.80 USD, not 10\.80 USD/);
  });

  void test('without the store order its price is unknown: line items at Buy with Prime’s value (rule 18 checks)', () => {
    const ctx = context({ ...ONE_CAP, noStore: true });
    const { problems, plan } = validateRefund(ctx);
    assert.deepEqual(problems, []);
    assert.equal(plan?.mode, 'line-items');
    assert.deepEqual(plan?.storeRequest, { order: STORE_ORDER_ID, line_items: [{ id: 'sl-3', quantity: 1 }] });
  });

  void test('a repair forced to line items at a price the store does not charge is STORE_PRICE_MISMATCH', () => {
    const ctx = context({ refunds: [{ lines: [], total: 10 }], store: REPRICED });
    const { problems } = validateRepair(ctx, repair([repairLine('L3', 1, '10.80')], { mode: 'line-items' }));
    assert.deepEqual(codes(problems), ['STORE_PRICE_MISMATCH']);
    assert.equal(problems[0]?.field, 'lines[0].amount');
  });

  void test('shipping is the store’s own charge: a shipping-only refund is recognised by it, and refunds it', () => {
    // Shipping has one source now (the store order), so it cannot be priced differently from what the store refunds.
    const ctx = context({ refunds: [{ lines: [], total: 6 }], store: { shipping: 6 } });
    const { problems, plan } = validateRefund(ctx);
    assert.deepEqual(problems, []);
    assert.deepEqual(plan?.storeRequest, { order: STORE_ORDER_ID, shipping: true });
    assert.equal(plan?.report.total, m(6));
    // An estimate of another charge is not shipping: a flat amount without item detail.
    assert.deepEqual(
      codes(validateRefund(context({ refunds: [{ lines: [], total: 5 }], store: { shipping: 6 } })).problems),
      ['MISSING_ITEM_DETAIL'],
    );
  });
});
