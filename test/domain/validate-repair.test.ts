import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateRepair } from '../../domain/validate';
import { buildPlanFromRepair, PlanError } from '../../domain/validate';
import { codes, context, m, policy, repair, repairLine, STORE_ORDER_ID } from './fixtures';

/** The Failed Refund dialog of a flat goodwill refund: the operator now ticks SKUs. */
const FLAT = { refunds: [{ lines: [], total: 10 }] };

/** The reason rules park the refund only when the policy says so (REASON_RULES_BLOCK). */
const BLOCKING = policy({ reasonRulesBlock: true });

void describe('validateRepair: the Failed Refund dialog', () => {
  void test('ticking whole units at their value plans line items', () => {
    const { problems, plan } = validateRepair(context(FLAT), repair([repairLine('L1', 1, '21.59')]));
    assert.deepEqual(problems, []);
    assert.equal(plan?.mode, 'line-items');
    assert.deepEqual(plan?.storeRequest, { order: STORE_ORDER_ID, line_items: [{ id: 'sl-1', quantity: 1 }] });
    assert.equal(plan?.report.total, m(21.59));
  });

  void test('unticked lines are ignored', () => {
    const lines = [repairLine('L1', 1, '21.59'), { ...repairLine('L2', 1, '22.00'), ticked: false }];
    const { problems, plan } = validateRepair(context(FLAT), repair(lines));
    assert.deepEqual(problems, []);
    assert.equal(plan?.report.lines.length, 1);
  });

  void test('a goodwill amount spread per SKU is an appeasement of the sum, split kept per SKU', () => {
    const lines = [repairLine('L1', 0, '4.43'), repairLine('L2', 0, '2.25'), repairLine('L3', 0, '3.32')];
    const { problems, plan } = validateRepair(context(FLAT), repair(lines, { total: '10.00' }));
    assert.deepEqual(problems, []);
    assert.equal(plan?.mode, 'appeasement');
    assert.deepEqual(plan?.storeRequest, { order: STORE_ORDER_ID, amount: '10.00', currency: 'USD' });
    assert.deepEqual(
      plan?.report.lines.map((l) => l.amount),
      [m(4.43), m(2.25), m(3.32)],
    );
  });

  void test('a repair that does not parse never throws: each field becomes a problem', () => {
    const bad = { lines: [{ lineItemId: 'L1', ticked: true, reason: '', amount: '' }], mode: 'later' };
    const { problems, plan } = validateRepair(context({ ...FLAT, policy: BLOCKING }), bad);
    assert.equal(plan, undefined);
    assert.deepEqual(codes(problems), ['INVALID_INPUT', 'MISSING_PRICE', 'MISSING_QUANTITY', 'REASON_MISSING']);
    // By default the reason is an advisory beside the other problems.
    const advisory = validateRepair(context(FLAT), bad);
    assert.equal(advisory.plan, undefined);
    assert.deepEqual(codes(advisory.problems), ['INVALID_INPUT', 'MISSING_PRICE', 'MISSING_QUANTITY']);
    assert.deepEqual(codes(advisory.advisories ?? []), ['REASON_MISSING']);
    assert.deepEqual(problems.find((p) => p.code === 'MISSING_QUANTITY')?.field, 'lines[0].quantity');
    assert.deepEqual(problems.find((p) => p.code === 'MISSING_QUANTITY')?.lineItemId, 'L1');
    assert.deepEqual(codes(validateRepair(context(FLAT), 'tick everything').problems), ['INVALID_INPUT']);
  });

  void test('buildPlanFromRepair throws PlanError carrying every problem', () => {
    assert.throws(
      () => buildPlanFromRepair(context(FLAT), repair([])),
      (e: unknown) => e instanceof PlanError && codes(e.problems).join() === 'EMPTY_REFUND',
    );
  });
});

void describe('validateRepair: each rule', () => {
  void test('rule 3: a blank quantity in the dialog is MISSING_QUANTITY', () => {
    const line = { lineItemId: 'L1', ticked: true, reason: 'CustomerReturn', amount: '21.59' };
    assert.deepEqual(codes(validateRepair(context(FLAT), { lines: [line] }).problems), ['MISSING_QUANTITY']);
  });

  void test('rule 3: a blank amount (price) in the dialog is MISSING_PRICE', () => {
    assert.deepEqual(codes(validateRepair(context(FLAT), repair([repairLine('L1', 1, '')])).problems), [
      'MISSING_PRICE',
    ]);
  });

  void test('rule 3/4: ticking a line removed from the store order is UNKNOWN_LINE_ITEMS', () => {
    const ctx = context({ ...FLAT, store: { removed: ['L2'] } });
    assert.deepEqual(codes(validateRepair(ctx, repair([repairLine('L2', 1, '22.00')])).problems), [
      'UNKNOWN_LINE_ITEMS',
    ]);
  });

  void test('rule 4: a SKU re-linked since the order is LINE_RELINKED', () => {
    const ctx = context({ ...FLAT, store: { lines: { L2: { sku: 'TEE-L' } } } });
    assert.deepEqual(codes(validateRepair(ctx, repair([repairLine('L2', 1, '22.00')])).problems), ['LINE_RELINKED']);
  });

  void test('rule 4: a line listed twice is INVALID_LINE_ITEMS', () => {
    const lines = [repairLine('L1', 1, '21.59'), repairLine('L1', 1, '21.59')];
    assert.deepEqual(codes(validateRepair(context(FLAT), repair(lines)).problems), ['INVALID_LINE_ITEMS']);
  });

  void test('rule 5: a fractional quantity is INVALID_LINE_ITEMS', () => {
    assert.deepEqual(codes(validateRepair(context(FLAT), repair([repairLine('L1', 1.5, '21.59')])).problems), [
      'INVALID_LINE_ITEMS',
    ]);
  });

  void test('rule 5: three units are three elements of quantity 1', () => {
    const { plan } = validateRepair(context(FLAT), repair([repairLine('L3', 3, '32.40')]));
    assert.equal(plan?.storeRequest.line_items?.length, 3);
    assert.ok(plan?.storeRequest.line_items?.every((e) => e.id === 'sl-3' && e.quantity === 1));
  });

  void test('rule 6: quantity above what is left is NOT_ENOUGH_ITEMS_LEFT_TO_REFUND', () => {
    const ctx = context({ ...FLAT, store: { lines: { L3: { refundedQuantity: 2 } }, refundedTotal: '21.60' } });
    const { problems } = validateRepair(ctx, repair([repairLine('L3', 2, '21.60')]));
    assert.deepEqual(codes(problems), ['NOT_ENOUGH_ITEMS_LEFT_TO_REFUND']);
    assert.equal(problems[0]!.field, 'lines[0].quantity');
  });

  void test('rule 7: an amount above what remains on the line is AMOUNT_EXCEEDS_LINE_REMAINING', () => {
    assert.deepEqual(codes(validateRepair(context(FLAT), repair([repairLine('L2', 1, '22.01')])).problems), [
      'AMOUNT_EXCEEDS_LINE_REMAINING',
    ]);
  });

  void test('rule 7: a total above what remains on the order is AMOUNT_EXCEEDS_ORDER_REMAINING', () => {
    const ctx = context({ ...FLAT, store: { refundedTotal: '90.00' } });
    assert.deepEqual(codes(validateRepair(ctx, repair([repairLine('L2', 1, '22.00')])).problems), [
      'AMOUNT_EXCEEDS_ORDER_REMAINING',
    ]);
  });

  void test('rule 7: the order-level rule needs the order’s total, so the store order (store read vs not read)', () => {
    // 90.00 refunded earlier through Buy with Prime, outside any line.
    const refunds = [FLAT.refunds[0]!, { id: 'refund-0', state: 'SUCCESS' as const, lines: [], total: 90 }];
    const read = context({ refunds });
    assert.deepEqual(codes(validateRepair(read, repair([repairLine('L2', 1, '22.00')])).problems), [
      'AMOUNT_EXCEEDS_ORDER_REMAINING',
    ]);
    const notRead = context({ refunds, noStore: true });
    const { problems, plan } = validateRepair(notRead, repair([repairLine('L2', 1, '22.00')]));
    assert.deepEqual(problems, []);
    assert.equal(plan?.report.total, m(22));
  });

  void test('rule 8: a partial refund on a multi-SKU order goes out as one submission with the per-SKU split', () => {
    const lines = [repairLine('L1', 1, '15.00'), repairLine('L3', 1, '10.80')];
    const { problems, plan } = validateRepair(context(FLAT), repair(lines, { total: '25.80' }));
    assert.deepEqual(problems, []);
    assert.equal(plan?.mode, 'appeasement');
    assert.equal(plan?.storeRequest.amount, '25.80');
    assert.deepEqual(
      plan?.report.lines.map((l) => [l.sku, l.quantity, l.amount]),
      [
        ['MUG-BLUE', 1, m(15)],
        ['CAP-RED', 1, m(10.8)],
      ],
    );
  });

  void test('rule 9: asking for shipping refunded already is SHIPPING_ALREADY_REFUNDED', () => {
    const ctx = context({ ...FLAT, store: { shippingRefunded: true } });
    assert.deepEqual(codes(validateRepair(ctx, repair([], { shipping: true })).problems), [
      'SHIPPING_ALREADY_REFUNDED',
    ]);
  });

  void test('rule 9: shipping is refunded once, as a flag next to the line items', () => {
    const { problems, plan } = validateRepair(
      context(FLAT),
      repair([repairLine('L2', 1, '22.00')], { shipping: true, total: '27.00' }),
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(plan?.storeRequest, {
      order: STORE_ORDER_ID,
      line_items: [{ id: 'sl-2', quantity: 1 }],
      shipping: true,
    });
    assert.equal(plan?.report.total, m(27));
  });

  void test('rule 9: an order without a shipping charge has no shipping to refund (NO_SHIPPING_CHARGE)', () => {
    const ctx = context({ ...FLAT, store: { shipping: 0 } });
    assert.deepEqual(codes(validateRepair(ctx, repair([], { shipping: true })).problems), ['NO_SHIPPING_CHARGE']);
  });

  void test('rule 9: ticking shipping when the store order was not read is SHIPPING_AMOUNT_UNKNOWN', () => {
    const ctx = context({ ...FLAT, noStore: true });
    const { problems, plan } = validateRepair(ctx, repair([repairLine('L2', 1, '22.00')], { shipping: true }));
    assert.equal(plan, undefined);
    assert.deepEqual(codes(problems), ['SHIPPING_AMOUNT_UNKNOWN']);
    assert.equal(problems[0]!.field, 'shipping');
    assert.deepEqual(codes(validateRepair(ctx, repair([], { shipping: true })).problems), ['SHIPPING_AMOUNT_UNKNOWN']);
    // The lines alone go out.
    assert.deepEqual(validateRepair(ctx, repair([repairLine('L2', 1, '22.00')])).problems, []);
  });

  void test('rule 9: an amount that includes tax already refunded is TAX_ALREADY_REFUNDED', () => {
    const ctx = context({ ...FLAT, store: { lines: { L1: { refundedTax: '3.20' } }, refundedTotal: '3.20' } });
    assert.deepEqual(codes(validateRepair(ctx, repair([repairLine('L1', 1, '21.59')])).problems), [
      'TAX_ALREADY_REFUNDED',
    ]);
    const { problems, plan } = validateRepair(ctx, repair([repairLine('L1', 1, '19.99')]));
    assert.deepEqual(problems, []);
    assert.equal(plan?.mode, 'line-items');
  });

  void test('rule 10: a blank reason is REASON_MISSING, one not in the merchant list REASON_UNKNOWN', () => {
    const lines = [repairLine('L1', 1, '21.59', ''), repairLine('L3', 1, '10.80', 'customerreturn')];
    const { problems, plan } = validateRepair(context({ ...FLAT, policy: BLOCKING }), repair(lines));
    assert.equal(plan, undefined);
    assert.deepEqual(
      problems.map((p) => [p.code, p.field]),
      [
        ['REASON_MISSING', 'lines[0].reason'],
        ['REASON_UNKNOWN', 'lines[1].reason'],
      ],
    );
  });

  void test('rule 10: by default the same reasons are advisories and the repair is planned, its lines without a reason', () => {
    const lines = [repairLine('L1', 1, '21.59', ''), repairLine('L3', 1, '10.80', 'customerreturn')];
    const { problems, plan, advisories } = validateRepair(context(FLAT), repair(lines));
    assert.deepEqual(problems, []);
    assert.deepEqual(
      (advisories ?? []).map((p) => [p.code, p.field]),
      [
        ['REASON_MISSING', 'lines[0].reason'],
        ['REASON_UNKNOWN', 'lines[1].reason'],
      ],
    );
    assert.equal(plan?.mode, 'line-items');
    assert.equal(plan?.report.total, m(32.39));
    assert.deepEqual(
      plan?.report.lines.map((l) => [l.lineItemId, l.reason]),
      [
        ['L1', undefined],
        ['L3', undefined],
      ],
    );
  });

  void test('rule 10: a repair line with no reason at all either plans (advisory) or stops with a problem', () => {
    const line = { lineItemId: 'L1', ticked: true, quantity: 1, amount: '21.59' };
    const { problems, plan } = validateRepair(context(FLAT), { lines: [line] });
    assert.equal(problems.length === 0, plan !== undefined, JSON.stringify({ problems, plan }));
  });

  void test('rule 11: mixing a partial amount with shipping is MIXED_LINES_AND_APPEASEMENT', () => {
    const r = repair([repairLine('L1', 1, '10.00')], { shipping: true });
    assert.deepEqual(codes(validateRepair(context(FLAT), r).problems), ['MIXED_LINES_AND_APPEASEMENT']);
  });

  void test('rule 11: line-items mode with an amount that is not the units value is MIXED_LINES_AND_APPEASEMENT', () => {
    const r = repair([repairLine('L1', 1, '10.00')], { mode: 'line-items' });
    const { problems } = validateRepair(context(FLAT), r);
    assert.deepEqual(codes(problems), ['MIXED_LINES_AND_APPEASEMENT']);
    assert.match(problems[0]!.message, /21\.59/);
  });

  void test('rule 11: appeasement mode refunds whole units as money when asked', () => {
    const { plan } = validateRepair(context(FLAT), repair([repairLine('L1', 1, '21.59')], { mode: 'appeasement' }));
    assert.equal(plan?.mode, 'appeasement');
    assert.equal(plan?.storeRequest.amount, '21.59');
  });

  void test('rule 11: an appeasement when policy forbids it is APPEASEMENT_NOT_ALLOWED', () => {
    const ctx = context({ ...FLAT, policy: policy({ allowAppeasement: false }) });
    assert.deepEqual(codes(validateRepair(ctx, repair([repairLine('L1', 0, '10.00')])).problems), [
      'APPEASEMENT_NOT_ALLOWED',
    ]);
  });

  void test('rule 11: an amount finer than the currency allows is INVALID_AMOUNT', () => {
    assert.deepEqual(codes(validateRepair(context(FLAT), repair([repairLine('L1', 0, '1.005')])).problems), [
      'INVALID_AMOUNT',
    ]);
  });

  void test('rule 11: an appeasement of zero is INVALID_AMOUNT', () => {
    assert.deepEqual(codes(validateRepair(context(FLAT), repair([repairLine('L1', 0, '0.00')])).problems), [
      'INVALID_AMOUNT',
    ]);
  });

  void test('rule 12: nothing ticked is EMPTY_REFUND', () => {
    const lines = [{ ...repairLine('L1', 1, '21.59'), ticked: false }];
    assert.deepEqual(codes(validateRepair(context(FLAT), repair(lines)).problems), ['EMPTY_REFUND']);
  });

  void test('rule 12: shipping alone is a valid line-item refund', () => {
    const { problems, plan } = validateRepair(context(FLAT), repair([], { shipping: true }));
    assert.deepEqual(problems, []);
    assert.deepEqual(plan?.storeRequest, { order: STORE_ORDER_ID, shipping: true });
  });

  void test('rule 13: a repair on an order mixing pre-order and checkout lines is MIXED_PREORDER_CHECKOUT', () => {
    const ctx = context({ ...FLAT, store: { lines: { L2: { kind: 'preorder', preorderId: 'po-1' } } } });
    assert.deepEqual(codes(validateRepair(ctx, repair([repairLine('L1', 1, '21.59')])).problems), [
      'MIXED_PREORDER_CHECKOUT',
    ]);
  });

  void test('rule 14: per-SKU amounts that do not add up to the intended total are TOTALS_DO_NOT_ADD_UP', () => {
    const lines = [repairLine('L1', 0, '4.43'), repairLine('L2', 0, '2.25')];
    const { problems } = validateRepair(context(FLAT), repair(lines, { total: '10.00' }));
    assert.deepEqual(codes(problems), ['TOTALS_DO_NOT_ADD_UP']);
    assert.equal(problems[0]!.field, 'total');
  });

  void test('every problem at once: one repair, several lines, several rules', () => {
    const ctx = context({ ...FLAT, store: { shippingRefunded: true, removed: ['L2'] }, policy: BLOCKING });
    const lines = [repairLine('L1', 3, '21.59'), repairLine('L2', 1, '22.00', 'Oops'), repairLine('L3', 0, '99.00')];
    const { problems } = validateRepair(ctx, repair(lines, { shipping: true }));
    assert.deepEqual(codes(problems), [
      'AMOUNT_EXCEEDS_LINE_REMAINING',
      'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND',
      'REASON_UNKNOWN',
      'SHIPPING_ALREADY_REFUNDED',
      'UNKNOWN_LINE_ITEMS',
    ]);
  });
});
