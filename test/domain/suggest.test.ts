import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type RefundContext } from '../../domain/context';
import { parseDecimal, sum } from '../../domain/money';
import { suggestRepair } from '../../domain/suggest';
import { validateRefund, validateRepair } from '../../domain/validate';
import { context, policy, type OrderSpec, type StoreSpec } from './fixtures';

function suggestFor(spec: OrderSpec & { store?: StoreSpec | null; policy?: ReturnType<typeof policy> }) {
  const ctx: RefundContext = context(spec);
  const { problems } = validateRefund(ctx);
  assert.ok(problems.length > 0, 'the scenario has problems');
  const suggestion = suggestRepair(ctx, problems);
  if (suggestion) {
    // What is offered passes the same validation the repair will go through.
    const check = validateRepair(ctx, suggestion.repair);
    assert.deepEqual(check.problems, []);
    return { suggestion, plan: check.plan!, problems };
  }
  return { suggestion, plan: undefined, problems };
}

const linesOf = (s: {
  repair: { lines: { lineItemId: string; quantity: number; amount: string; reason?: string }[] };
}) => s.repair.lines.map((l) => [l.lineItemId, l.quantity, l.amount]);

void describe('suggestRepair: safe defaults the operator can accept as is', () => {
  void test('a flat goodwill amount is spread over the SKUs in proportion to what remains, exact to the cent', () => {
    const { suggestion, plan } = suggestFor({ refunds: [{ lines: [], total: 10 }] });
    assert.ok(suggestion);
    assert.deepEqual(linesOf(suggestion), [
      ['L1', 0, '4.43'],
      ['L2', 0, '2.25'],
      ['L3', 0, '3.32'],
    ]);
    assert.equal(suggestion.repair.total, '10.00');
    assert.equal(plan?.mode, 'appeasement');
    assert.equal(sum(suggestion.repair.lines.map((l) => parseDecimal(l.amount, 'USD'))), 1000);
  });

  void test('a flat amount equal to everything left (items and shipping) becomes a full line-item refund', () => {
    const { suggestion, plan } = suggestFor({ refunds: [{ lines: [], total: 102.58 }] });
    assert.ok(suggestion);
    assert.deepEqual(linesOf(suggestion), [
      ['L1', 2, '43.18'],
      ['L2', 1, '22.00'],
      ['L3', 3, '32.40'],
    ]);
    assert.equal(suggestion.repair.shipping, true);
    assert.equal(plan?.mode, 'line-items');
  });

  void test('a flat amount above what the order has left is capped to what remains', () => {
    const { suggestion } = suggestFor({ refunds: [{ lines: [], total: 150 }] });
    assert.ok(suggestion);
    assert.equal(suggestion.repair.total, '97.58');
    assert.ok(suggestion.explanation.some((e) => /more than/.test(e)));
  });

  void test('a blank quantity is filled from the refund: the units whose value is the amount asked', () => {
    const { suggestion, plan } = suggestFor({ refunds: [{ lines: [{ id: 'L3', qty: null }], total: 21.6 }] });
    assert.ok(suggestion);
    assert.deepEqual(linesOf(suggestion), [['L3', 2, '21.60']]);
    assert.equal(plan?.mode, 'line-items');
  });

  void test('a blank quantity with nothing to go by is the remaining quantity', () => {
    const { suggestion } = suggestFor({ refunds: [{ lines: [{ id: 'L3', qty: null }] }] });
    assert.ok(suggestion);
    assert.deepEqual(linesOf(suggestion), [['L3', 3, '32.40']]);
  });

  void test('an unmapped reason takes the configured default (when the reason rules block)', () => {
    const p = policy({ defaultReason: 'GeneralAdjustment', reasonRulesBlock: true });
    const { suggestion } = suggestFor({
      refunds: [{ reason: 'CHANGED_MIND', lines: [{ id: 'L2', qty: 1 }] }],
      policy: p,
    });
    assert.ok(suggestion);
    assert.deepEqual(
      suggestion.repair.lines.map((l) => l.reason),
      ['GeneralAdjustment'],
    );
  });

  void test('a blank reason without a configured default takes Other (when the reason rules block)', () => {
    const { suggestion } = suggestFor({
      refunds: [{ reason: null, lines: [{ id: 'L2', qty: 1 }] }],
      policy: policy({ reasonRulesBlock: true }),
    });
    assert.equal(suggestion?.repair.lines[0]?.reason, 'Other');
  });

  void test('by default a blank or unmapped reason needs no repair: the refund is planned, the reason an advisory', () => {
    for (const reason of [null, 'CHANGED_MIND']) {
      const ctx = context({ refunds: [{ reason, lines: [{ id: 'L2', qty: 1 }] }] });
      const { problems, plan, advisories } = validateRefund(ctx);
      assert.deepEqual(problems, []);
      assert.ok(plan);
      assert.equal(advisories?.length, 1);
      assert.equal(suggestRepair(ctx, problems), undefined);
    }
  });

  void test('a suggestion still fixes the reason when other problems make the refund wait', () => {
    // The reason is an advisory, but a repair carries a reason per line: the blank one becomes Other.
    const { suggestion } = suggestFor({ refunds: [{ reason: null, lines: [{ id: 'L3', qty: null }], total: 21.6 }] });
    assert.ok(suggestion);
    assert.deepEqual(
      suggestion.repair.lines.map((l) => [l.lineItemId, l.quantity, l.reason]),
      [['L3', 2, 'Other']],
    );
  });

  void test('shipping already refunded is left out of the amount', () => {
    const { suggestion, plan } = suggestFor({
      // The estimate is the line plus the shipping charge (the heuristic), which the store already refunded.
      refunds: [{ lines: [{ id: 'L2', qty: 1 }], total: 27 }],
      store: { shippingRefunded: true },
    });
    assert.ok(suggestion);
    assert.equal(suggestion.repair.shipping, undefined);
    assert.equal(suggestion.repair.total, '22.00');
    assert.equal(plan?.report.shipping, false);
  });

  void test('tax already refunded is left out of the amount', () => {
    const { suggestion, plan } = suggestFor({
      refunds: [{ lines: [{ id: 'L1', qty: 1 }], total: 21.59 }],
      store: { lines: { L1: { refundedTax: '3.20' } }, refundedTotal: '3.20' },
    });
    assert.ok(suggestion);
    assert.deepEqual(linesOf(suggestion), [['L1', 1, '19.99']]);
    assert.equal(plan?.mode, 'line-items');
  });

  void test('a line already refunded in part is cut to what is left', () => {
    const { suggestion } = suggestFor({
      refunds: [{ lines: [{ id: 'L3', qty: 3 }], total: 32.4 }],
      store: { lines: { L3: { refundedQuantity: 1 } }, refundedTotal: '10.80' },
    });
    assert.ok(suggestion);
    assert.deepEqual(linesOf(suggestion), [['L3', 2, '21.60']]);
  });

  void test('a line refunded in full elsewhere leaves nothing to suggest (decline or resolve instead)', () => {
    const { suggestion } = suggestFor({
      refunds: [{ lines: [{ id: 'L2', qty: 1 }], total: 22 }],
      store: { lines: { L2: { refundedQuantity: 1 } }, refundedTotal: '22.00' },
    });
    assert.equal(suggestion, undefined);
  });

  void test('a lump sum over several SKUs is split in proportion to their value', () => {
    const { suggestion, plan } = suggestFor({
      refunds: [
        {
          lines: [
            { id: 'L1', qty: 2 },
            { id: 'L3', qty: 1 },
          ],
          total: 30,
        },
      ],
    });
    assert.ok(suggestion);
    assert.deepEqual(linesOf(suggestion), [
      ['L1', 2, '24.00'],
      ['L3', 1, '6.00'],
    ]);
    assert.equal(plan?.storeRequest.amount, '30.00');
  });

  void test('no suggestion when the spread would need an appeasement that policy forbids', () => {
    const { suggestion } = suggestFor({
      refunds: [{ lines: [], total: 10 }],
      policy: policy({ allowAppeasement: false }),
    });
    assert.equal(suggestion, undefined);
  });

  void test('no suggestion for problems that need a person: a removed line, a re-linked SKU, a pre-order mix', () => {
    const lines = [{ id: 'L1', qty: 2 }];
    assert.equal(suggestFor({ refunds: [{ lines }], store: { removed: ['L1'] } }).suggestion, undefined);
    assert.equal(suggestFor({ refunds: [{ lines }], store: { lines: { L1: { sku: 'X' } } } }).suggestion, undefined);
    const mix = { lines: { L2: { kind: 'preorder' as const, preorderId: 'p' } } };
    assert.equal(suggestFor({ refunds: [{ lines, reason: null }], store: mix }).suggestion, undefined);
  });

  void test('no suggestion when nothing is wrong', () => {
    assert.equal(suggestRepair(context({ refunds: [{ lines: [{ id: 'L2', qty: 1 }] }] }), []), undefined);
  });
});
