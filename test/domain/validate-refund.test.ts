import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateRefund, validateRepair } from '../../domain/validate';
import { type RefundContext } from '../../domain/context';
import { THREE_SKUS, codes, context, m, policy, repair, repairLine, REFUND_ID, STORE_ORDER_ID } from './fixtures';

/** The refund of the healthy order: both mugs and one cap were returned (43.18 + 10.80). */
const WHOLE_UNITS = {
  lines: [
    { id: 'L1', qty: 2 },
    { id: 'L3', qty: 1 },
  ],
  total: 53.98,
};

function only(ctx: RefundContext) {
  return codes(validateRefund(ctx).problems);
}

/** The reason rules park the refund only when the policy says so (REASON_RULES_BLOCK). */
const BLOCKING = policy({ reasonRulesBlock: true });

void describe('validateRefund: a healthy refund', () => {
  void test('whole units with a matching estimate plan line items, without problems', () => {
    const { problems, plan } = validateRefund(context({ refunds: [WHOLE_UNITS] }));
    assert.deepEqual(problems, []);
    assert.ok(plan);
    assert.equal(plan.mode, 'line-items');
    assert.equal(plan.report.total, m(53.98));
    assert.deepEqual(
      plan.report.lines.map((l) => [l.lineItemId, l.storeLineId, l.sku, l.quantity, l.amount, l.reason]),
      [
        ['L1', 'sl-1', 'MUG-BLUE', 2, m(43.18), 'CustomerReturn'],
        ['L3', 'sl-3', 'CAP-RED', 1, m(10.8), 'CustomerReturn'],
      ],
    );
  });

  void test('without an estimate the lines are valued from the order', () => {
    const { problems, plan } = validateRefund(context({ refunds: [{ lines: [{ id: 'L2', qty: 1 }] }] }));
    assert.deepEqual(problems, []);
    assert.equal(plan?.report.total, m(22));
  });
});

void describe('validateRefund: rules 1 and 2 (refund, order, store order)', () => {
  void test('rule 1: a refund id not on the order is UNKNOWN_REFUND', () => {
    assert.deepEqual(only(context({ refundId: 'refund-404' })), ['UNKNOWN_REFUND']);
  });

  void test('rule 1: a refund id is matched exactly; a case variant is UNKNOWN_REFUND naming the real id', () => {
    const { problems } = validateRefund(context({ refundId: REFUND_ID.toUpperCase() }));
    assert.deepEqual(codes(problems), ['UNKNOWN_REFUND']);
    assert.match(problems[0]!.message, /"refund-1" is/);
  });

  void test('rule 1: no BwP order is UNKNOWN_ORDER', () => {
    const ctx = { ...context(), order: null } as unknown as RefundContext;
    assert.deepEqual(only(ctx), ['UNKNOWN_ORDER']);
  });

  void test('rule 1: a store that does not know the order is UNKNOWN_ORDER', () => {
    assert.deepEqual(only(context({ refunds: [WHOLE_UNITS], store: null })), ['UNKNOWN_ORDER']);
  });

  void test('rule 1: a refund that left PENDING is REFUND_NOT_PENDING', () => {
    assert.deepEqual(only(context({ refunds: [{ ...WHOLE_UNITS, state: 'SUCCESS' }] })), ['REFUND_NOT_PENDING']);
  });

  void test('rule 2: the store order id comes from the EXTERNAL_ID alias', () => {
    const { plan } = validateRefund(context({ refunds: [WHOLE_UNITS] }));
    assert.equal(plan?.storeRequest.order, STORE_ORDER_ID);
  });

  void test('rule 2: an order without an EXTERNAL_ID alias is NO_STORE_ORDER_ALIAS', () => {
    assert.deepEqual(only(context({ refunds: [WHOLE_UNITS], storeOrderId: null, noStore: true })), [
      'NO_STORE_ORDER_ALIAS',
    ]);
  });

  void test('rule 2: a store order other than the alias names is UNKNOWN_ORDER', () => {
    assert.deepEqual(only(context({ refunds: [WHOLE_UNITS], store: { id: 'store-order-2' } })), ['UNKNOWN_ORDER']);
  });
});

void describe('validateRefund: rule 3 (item-level detail)', () => {
  void test('rule 3: a flat goodwill amount with no lines is MISSING_ITEM_DETAIL', () => {
    assert.deepEqual(only(context({ refunds: [{ lines: [], total: 10 }] })), ['MISSING_ITEM_DETAIL']);
  });

  void test('rule 3: a blank quantity is MISSING_QUANTITY on that line', () => {
    const { problems } = validateRefund(context({ refunds: [{ lines: [{ id: 'L3', qty: null }], total: 10.8 }] }));
    assert.deepEqual(codes(problems), ['MISSING_QUANTITY']);
    assert.equal(problems[0]!.lineItemId, 'L3');
    assert.equal(problems[0]!.field, 'refundFor.orderLineItems[0].amount');
  });

  void test('rule 3: a blank price on the order line is MISSING_PRICE', () => {
    const lines = THREE_SKUS.map((l) => (l.id === 'L2' ? { ...l, price: null } : l));
    assert.deepEqual(only(context({ lines, refunds: [{ lines: [{ id: 'L2', qty: 1 }] }] })), ['MISSING_PRICE']);
  });

  void test('rule 3: a line removed from the store order is UNKNOWN_LINE_ITEMS', () => {
    const { problems } = validateRefund(context({ refunds: [WHOLE_UNITS], store: { removed: ['L3'] } }));
    assert.deepEqual(codes(problems), ['UNKNOWN_LINE_ITEMS']);
    assert.equal(problems[0]!.lineItemId, 'L3');
    assert.match(problems[0]!.message, /no longer on the store order/);
  });
});

void describe('validateRefund: rule 4 (lines exist today, SKUs not re-linked)', () => {
  void test('rule 4: a refund line not on the BwP order is UNKNOWN_LINE_ITEMS', () => {
    assert.deepEqual(only(context({ refunds: [{ lines: [{ id: 'L9', qty: 1 }] }] })), ['UNKNOWN_LINE_ITEMS']);
  });

  void test('rule 4: a SKU re-linked on the store since the order is LINE_RELINKED', () => {
    const ctx = context({ refunds: [WHOLE_UNITS], store: { lines: { L1: { sku: 'MUG-GREEN' } } } });
    const { problems } = validateRefund(ctx);
    assert.deepEqual(codes(problems), ['LINE_RELINKED']);
    assert.match(problems[0]!.message, /MUG-BLUE.*MUG-GREEN/);
  });

  void test('rule 4: a line with no alias to the store is NO_STORE_LINE_ALIAS', () => {
    const ctx = context({ refunds: [WHOLE_UNITS] });
    ctx.order.lineItems[2]!.aliases = [];
    assert.deepEqual(only(ctx), ['NO_STORE_LINE_ALIAS']);
  });

  void test('rule 4: without EXTERNAL_ITEM_ID the SKU alias finds the store line', () => {
    const lines = THREE_SKUS.map((l) => (l.id === 'L3' ? { ...l, skuAliasOnly: true } : l));
    const { problems, plan } = validateRefund(context({ lines, refunds: [WHOLE_UNITS] }));
    assert.deepEqual(problems, []);
    assert.equal(plan?.report.lines[1]?.storeLineId, 'sl-3');
  });
});

void describe('validateRefund: rules 5 and 6 (units and what is left)', () => {
  void test('rule 5: two units are sent as two elements of quantity 1', () => {
    const { plan } = validateRefund(context({ refunds: [WHOLE_UNITS] }));
    assert.deepEqual(plan?.storeRequest.line_items, [
      { id: 'sl-1', quantity: 1 },
      { id: 'sl-1', quantity: 1 },
      { id: 'sl-3', quantity: 1 },
    ]);
  });

  void test('rule 5: a negative or fractional refunded quantity is INVALID_ORDER_DATA on that line', () => {
    for (const qty of [-1, 1.5]) {
      const { problems, plan } = validateRefund(context({ refunds: [{ lines: [{ id: 'L3', qty }] }] }));
      assert.equal(plan, undefined);
      const invalid = problems.find((p) => p.code === 'INVALID_ORDER_DATA');
      assert.ok(invalid, JSON.stringify(problems));
      assert.deepEqual([invalid.lineItemId, invalid.field], ['L3', 'refundFor.orderLineItems[0].amount']);
    }
  });

  void test('rule 5: an unreadable refunded quantity is not also reported as a blank one', () => {
    const { problems } = validateRefund(context({ refunds: [{ lines: [{ id: 'L3', qty: -1 }] }] }));
    assert.deepEqual(codes(problems), ['INVALID_ORDER_DATA']);
  });

  void test('rule 6: quantity above what is left is NOT_ENOUGH_ITEMS_LEFT_TO_REFUND', () => {
    const ctx = context({
      refunds: [WHOLE_UNITS, { id: 'refund-0', state: 'SUCCESS', lines: [{ id: 'L1', qty: 1 }], total: 21.59 }],
    });
    const { problems } = validateRefund(ctx);
    assert.ok(codes(problems).includes('NOT_ENOUGH_ITEMS_LEFT_TO_REFUND'));
    assert.match(problems.find((p) => p.code === 'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND')!.message, /only 1 of 2 left/);
  });

  void test('rule 6: a line already refunded elsewhere (store count) is NOT_ENOUGH_ITEMS_LEFT_TO_REFUND', () => {
    const ctx = context({
      refunds: [{ lines: [{ id: 'L2', qty: 1 }] }],
      store: { lines: { L2: { refundedQuantity: 1 } }, refundedTotal: '22.00' },
    });
    assert.deepEqual(only(ctx), ['NOT_ENOUGH_ITEMS_LEFT_TO_REFUND']);
  });

  void test('rule 6: refunds still PENDING or FAILED elsewhere do not count as refunded', () => {
    const ctx = context({
      refunds: [WHOLE_UNITS, { id: 'refund-0', state: 'FAILURE', lines: [{ id: 'L1', qty: 2 }], total: 43.18 }],
    });
    assert.deepEqual(only(ctx), []);
  });
});

void describe('validateRefund: rules 7 and 8 (amounts)', () => {
  void test('rule 7: a line amount above what remains on the line (only a repair gives one) is AMOUNT_EXCEEDS_LINE_REMAINING', () => {
    // Buy with Prime publishes no money per line: its lines are worth their units, never more than remains. A repair
    // of the refund sets an amount per line.
    const ctx = context({ refunds: [{ lines: [{ id: 'L2', qty: 1 }], total: 30 }] });
    assert.deepEqual(only(ctx), ['TOTALS_DO_NOT_ADD_UP']);
    const { problems } = validateRepair(ctx, repair([repairLine('L2', 1, '30.00')]));
    assert.deepEqual(codes(problems), ['AMOUNT_EXCEEDS_LINE_REMAINING']);
    assert.equal(problems[0]!.field, 'lines[0].amount');
  });

  void test('rule 7: an estimate above what remains on the order is AMOUNT_EXCEEDS_ORDER_REMAINING', () => {
    const ctx = context({ refunds: [{ lines: [{ id: 'L1', qty: 2 }], total: 150 }] });
    assert.deepEqual(only(ctx), ['AMOUNT_EXCEEDS_ORDER_REMAINING']);
  });

  void test('rule 7: without the store order the order’s total is unknown, so the order-level rule stands aside', () => {
    const ctx = context({ noStore: true, refunds: [{ lines: [{ id: 'L1', qty: 2 }], total: 150 }] });
    assert.deepEqual(only(ctx), ['TOTALS_DO_NOT_ADD_UP']);
  });

  void test('rule 7: money refunded on the store outside any line still reduces what the order has left', () => {
    const ctx = context({ refunds: [WHOLE_UNITS], store: { refundedTotal: '60.00' } });
    assert.deepEqual(only(ctx), ['AMOUNT_EXCEEDS_ORDER_REMAINING']);
  });

  void test('rule 8: a lump sum over several SKUs is TOTALS_DO_NOT_ADD_UP (a partial refund needs a per-SKU amount)', () => {
    const { problems } = validateRefund(context({ refunds: [{ ...WHOLE_UNITS, total: 30 }] }));
    assert.deepEqual(codes(problems), ['TOTALS_DO_NOT_ADD_UP']);
    assert.match(problems[0]!.message, /amount per SKU/);
  });

  void test('rule 8: per-SKU amounts (a repair of the lump sum) make one appeasement with the split kept per SKU', () => {
    // Buy with Prime sends no per-SKU amounts: the lump sum waits, and the repair gives them.
    const ctx = context({
      refunds: [
        {
          lines: [
            { id: 'L1', qty: 1 },
            { id: 'L3', qty: 1 },
          ],
          total: 15,
        },
      ],
    });
    assert.deepEqual(only(ctx), ['TOTALS_DO_NOT_ADD_UP']);
    const lines = [repairLine('L1', 1, '10.00'), repairLine('L3', 0, '5.00')];
    const { problems, plan } = validateRepair(ctx, repair(lines, { total: '15.00' }));
    assert.deepEqual(problems, []);
    assert.equal(plan?.mode, 'appeasement');
    assert.deepEqual(plan?.storeRequest, { order: STORE_ORDER_ID, amount: '15.00', currency: 'USD' });
    assert.deepEqual(
      plan?.report.lines.map((l) => [l.lineItemId, l.quantity, l.amount]),
      [
        ['L1', 1, m(10)],
        ['L3', 0, m(5)],
      ],
    );
  });
});

void describe('validateRefund: rule 9 (shipping and tax are one-time buckets)', () => {
  void test('rule 9: shipping refunded by an earlier refund (the store’s flag) counts too', () => {
    const ctx = context({
      refunds: [
        { lines: [{ id: 'L3', qty: 1 }], total: 15.8 },
        { id: 'refund-0', state: 'SUCCESS', lines: [], total: 5 },
      ],
      store: { shippingRefunded: true, refundedTotal: '5.00' },
    });
    const { problems } = validateRefund(ctx);
    assert.deepEqual(codes(problems), ['SHIPPING_ALREADY_REFUNDED']);
    assert.equal(problems[0]!.field, 'refundTotal');
  });

  void test('rule 9: an estimate of the lines plus a shipping charge already refunded is SHIPPING_ALREADY_REFUNDED', () => {
    const ctx = context({ refunds: [{ ...WHOLE_UNITS, total: 58.98 }], store: { shippingRefunded: true } });
    assert.deepEqual(only(ctx), ['SHIPPING_ALREADY_REFUNDED']);
  });

  void test('rule 9: an estimate of the lines plus the shipping charge includes shipping (heuristic), once', () => {
    const { problems, plan } = validateRefund(context({ refunds: [{ ...WHOLE_UNITS, total: 58.98 }] }));
    assert.deepEqual(problems, []);
    assert.equal(plan?.storeRequest.shipping, true);
    assert.equal(plan?.report.shipping, true);
    assert.equal(plan?.report.total, m(58.98));
  });

  void test('rule 9: without the store order the shipping heuristic does not apply (the charge is unknown)', () => {
    const ctx = context({ noStore: true, refunds: [{ ...WHOLE_UNITS, total: 58.98 }] });
    assert.deepEqual(only(ctx), ['TOTALS_DO_NOT_ADD_UP']);
  });

  void test('rule 9: a refund without lines whose estimate is the shipping charge is a shipping-only line-item refund', () => {
    const { problems, plan } = validateRefund(context({ refunds: [{ lines: [], total: 5 }] }));
    assert.deepEqual(problems, []);
    assert.deepEqual(plan?.storeRequest, { order: STORE_ORDER_ID, shipping: true });
    assert.equal(plan?.report.total, m(5));
  });

  void test('rule 9: the same refund is a flat amount without item detail when shipping is gone or unknown', () => {
    assert.deepEqual(only(context({ refunds: [{ lines: [], total: 5 }], store: { shippingRefunded: true } })), [
      'MISSING_ITEM_DETAIL',
    ]);
    assert.deepEqual(only(context({ refunds: [{ lines: [], total: 5 }], noStore: true })), ['MISSING_ITEM_DETAIL']);
  });

  void test('rule 9: an estimate for one unit that counts tax already refunded is TAX_ALREADY_REFUNDED', () => {
    // The mug's 3.20 tax went back to the shopper earlier; a unit is now worth 19.99, not 21.59.
    const ctx = context({
      refunds: [{ lines: [{ id: 'L1', qty: 1 }], total: 21.59 }],
      store: { lines: { L1: { refundedTax: '3.20' } }, refundedTotal: '3.20' },
    });
    const { problems } = validateRefund(ctx);
    assert.deepEqual(codes(problems), ['TAX_ALREADY_REFUNDED']);
    assert.equal(problems[0]!.field, 'refundTotal');
  });

  void test('rule 9: an estimate that counts tax already refunded is TAX_ALREADY_REFUNDED', () => {
    const ctx = context({
      refunds: [{ lines: [{ id: 'L1', qty: 2 }], total: 43.18 }],
      store: { lines: { L1: { refundedTax: '3.20' } }, refundedTotal: '3.20' },
    });
    assert.deepEqual(only(ctx), ['TAX_ALREADY_REFUNDED']);
  });

  void test('rule 9: with the tax refunded, the units are valued without it', () => {
    const ctx = context({
      refunds: [{ lines: [{ id: 'L1', qty: 2 }], total: 39.98 }],
      store: { lines: { L1: { refundedTax: '3.20' } }, refundedTotal: '3.20' },
    });
    const { problems, plan } = validateRefund(ctx);
    assert.deepEqual(problems, []);
    assert.equal(plan?.report.total, m(39.98));
  });
});

void describe('validateRefund: rule 10 (reason), when the reason rules block (REASON_RULES_BLOCK)', () => {
  void test('rule 10: a blank reason is REASON_MISSING', () => {
    const blank = (reason: string | null) => context({ refunds: [{ ...WHOLE_UNITS, reason }], policy: BLOCKING });
    assert.deepEqual(only(blank(null)), ['REASON_MISSING']);
    assert.deepEqual(only(blank('  ')), ['REASON_MISSING']);
    const { plan, advisories } = validateRefund(blank(null));
    assert.equal(plan, undefined);
    assert.equal(advisories, undefined);
  });

  void test('rule 10: a reason BwP does not document is REASON_UNKNOWN', () => {
    const ctx = context({ refunds: [{ ...WHOLE_UNITS, reason: 'CHANGED_MIND' }], policy: BLOCKING });
    assert.deepEqual(only(ctx), ['REASON_UNKNOWN']);
  });

  void test('rule 10: a reason with no mapping and no default is REASON_UNMAPPED', () => {
    const p = policy({ reasonRulesBlock: true });
    p.reasons = { map: {}, merchantReasons: p.reasons.merchantReasons };
    assert.deepEqual(only(context({ refunds: [WHOLE_UNITS], policy: p })), ['REASON_UNMAPPED']);
  });

  void test('rule 10: the configured default maps a documented reason that has no mapping', () => {
    const p = policy({ defaultReason: 'GeneralAdjustment', reasonRulesBlock: true });
    p.reasons.map = {};
    const { problems, plan } = validateRefund(context({ refunds: [WHOLE_UNITS], policy: p }));
    assert.deepEqual(problems, []);
    assert.equal(plan?.report.lines[0]?.reason, 'GeneralAdjustment');
  });

  void test('rule 10: a mapping to something not in the merchant list is REASON_UNMAPPED', () => {
    const p = policy({ map: { RETURN_RECEIVED: 'Returned' }, reasonRulesBlock: true });
    assert.deepEqual(only(context({ refunds: [WHOLE_UNITS], policy: p })), ['REASON_UNMAPPED']);
  });
});

void describe('validateRefund: rule 10 (reason) is advisory by default', () => {
  /** Plans the refund and returns the advisories' codes; the plan's lines carry no reason. */
  function advisory(ctx: RefundContext) {
    const { problems, plan, advisories } = validateRefund(ctx);
    assert.deepEqual(problems, []);
    assert.ok(plan, 'a plan is made');
    assert.equal(plan.mode, 'line-items');
    assert.equal(plan.report.total, m(53.98));
    assert.deepEqual(
      plan.report.lines.map((l) => [l.lineItemId, l.reason]),
      [
        ['L1', undefined],
        ['L3', undefined],
      ],
    );
    assert.ok(
      plan.report.lines.every((l) => !('reason' in l)),
      'no reason key on the plan lines',
    );
    return codes(advisories ?? []);
  }

  void test('a blank reason is a REASON_MISSING advisory, and the refund is planned', () => {
    assert.deepEqual(advisory(context({ refunds: [{ ...WHOLE_UNITS, reason: null }] })), ['REASON_MISSING']);
    assert.deepEqual(advisory(context({ refunds: [{ ...WHOLE_UNITS, reason: '  ' }] })), ['REASON_MISSING']);
  });

  void test('an undocumented reason is a REASON_UNKNOWN advisory, and the refund is planned', () => {
    const { advisories } = validateRefund(context({ refunds: [{ ...WHOLE_UNITS, reason: 'CHANGED_MIND' }] }));
    assert.equal(advisories?.[0]?.field, 'refundRequestReason');
    assert.deepEqual(advisory(context({ refunds: [{ ...WHOLE_UNITS, reason: 'CHANGED_MIND' }] })), ['REASON_UNKNOWN']);
  });

  void test('an unmapped reason is a REASON_UNMAPPED advisory, and the refund is planned', () => {
    const p = policy();
    p.reasons = { map: {}, merchantReasons: p.reasons.merchantReasons };
    assert.deepEqual(advisory(context({ refunds: [WHOLE_UNITS], policy: p })), ['REASON_UNMAPPED']);
    const q = policy({ map: { RETURN_RECEIVED: 'Returned' }, reasonRulesBlock: false });
    assert.deepEqual(advisory(context({ refunds: [WHOLE_UNITS], policy: q })), ['REASON_UNMAPPED']);
  });

  void test('a mapped reason gives no advisories', () => {
    const { advisories, plan } = validateRefund(context({ refunds: [WHOLE_UNITS] }));
    assert.equal(advisories, undefined);
    assert.equal(plan?.report.lines[0]?.reason, 'CustomerReturn');
  });

  void test('with other problems the refund still waits; the reason stays an advisory beside them', () => {
    const { problems, plan, advisories } = validateRefund(
      context({ refunds: [{ ...WHOLE_UNITS, reason: null }], store: { removed: ['L3'] } }),
    );
    assert.equal(plan, undefined);
    assert.deepEqual(codes(problems), ['UNKNOWN_LINE_ITEMS']);
    assert.deepEqual(codes(advisories ?? []), ['REASON_MISSING']);
  });
});

void describe('validateRefund: rules 11–13 (currency, mode, pre-orders)', () => {
  void test('rule 11: an estimate in another currency is CURRENCY_MISMATCH', () => {
    assert.deepEqual(only(context({ refunds: [{ ...WHOLE_UNITS, totalCurrency: 'EUR' }] })), ['CURRENCY_MISMATCH']);
  });

  void test('rule 11: a store order in another currency is CURRENCY_MISMATCH', () => {
    assert.deepEqual(only(context({ refunds: [WHOLE_UNITS], store: { currency: 'CAD' } })), ['CURRENCY_MISMATCH']);
  });

  void test('rule 11: a partial amount needs an appeasement; when policy forbids it, APPEASEMENT_NOT_ALLOWED', () => {
    // A partial amount per line comes from a repair (Buy with Prime sends none).
    const ctx = context({
      refunds: [{ lines: [{ id: 'L1', qty: 1 }], total: 21.59 }],
      policy: policy({ allowAppeasement: false }),
    });
    assert.deepEqual(only(ctx), []);
    assert.deepEqual(codes(validateRepair(ctx, repair([repairLine('L1', 1, '10.00')])).problems), [
      'APPEASEMENT_NOT_ALLOWED',
    ]);
  });

  void test('rule 11: an appeasement together with shipping (estimate heuristic) is MIXED_LINES_AND_APPEASEMENT', () => {
    // The cap's unit and shipping (10.80 + 5.00), but the store now prices the cap at 11.80: the unit goes as an
    // appeasement, which cannot carry shipping.
    const ctx = context({
      refunds: [{ lines: [{ id: 'L3', qty: 1 }], total: 15.8 }],
      store: { lines: { L3: { unitPrice: '11.80' } } },
    });
    const { problems } = validateRefund(ctx);
    assert.deepEqual(codes(problems), ['MIXED_LINES_AND_APPEASEMENT']);
    assert.equal(problems[0]!.field, 'refundTotal');
  });

  void test('rule 12: a refund with no lines, no shipping and no amount is EMPTY_REFUND', () => {
    assert.deepEqual(only(context({ refunds: [{ lines: [] }] })), ['EMPTY_REFUND']);
  });

  void test('rule 13: a store order mixing checkout and pre-order lines is MIXED_PREORDER_CHECKOUT', () => {
    const store = { lines: { L3: { kind: 'preorder' as const, preorderId: 'po-1' } } };
    assert.deepEqual(only(context({ refunds: [WHOLE_UNITS], store })), ['MIXED_PREORDER_CHECKOUT']);
  });

  void test('rule 13: a store order spanning several pre-orders is MULTIPLE_PREORDERS', () => {
    const preorder = (id: string) => ({ kind: 'preorder' as const, preorderId: id });
    const store = { lines: { L1: preorder('po-1'), L2: preorder('po-1'), L3: preorder('po-2') } };
    assert.deepEqual(only(context({ refunds: [WHOLE_UNITS], store })), ['MULTIPLE_PREORDERS']);
  });

  void test('rule 13: an order of one pre-order is fine', () => {
    const preorder = { kind: 'preorder' as const, preorderId: 'po-1' };
    const store = { lines: { L1: preorder, L2: preorder, L3: preorder } };
    assert.deepEqual(only(context({ refunds: [WHOLE_UNITS], store })), []);
  });
});

void describe('validateRefund: every problem at once', () => {
  void test('reports each problem of a refund, not only the first', () => {
    const ctx = context({
      refunds: [
        {
          reason: '',
          lines: [
            { id: 'L9', qty: 1 },
            { id: 'L3', qty: null },
          ],
        },
      ],
      store: { lines: { L1: { kind: 'preorder', preorderId: 'po-1' } } },
      policy: BLOCKING,
    });
    assert.deepEqual(only(ctx), [
      'MISSING_QUANTITY',
      'MIXED_PREORDER_CHECKOUT',
      'REASON_MISSING',
      'UNKNOWN_LINE_ITEMS',
    ]);
  });

  void test('reports shipping already refunded beside the other problems of a refund', () => {
    // Both mugs and all three caps (one already refunded on the store) plus shipping: 43.18 + 21.60 + 5.00.
    const ctx = context({
      refunds: [
        {
          reason: '',
          lines: [
            { id: 'L1', qty: 2 },
            { id: 'L3', qty: 3 },
          ],
          total: 69.78,
        },
      ],
      store: {
        shippingRefunded: true,
        refundedTotal: '15.80',
        lines: { L2: { kind: 'preorder', preorderId: 'po-1' }, L3: { refundedQuantity: 1 } },
      },
      policy: BLOCKING,
    });
    assert.deepEqual(only(ctx), [
      'MIXED_PREORDER_CHECKOUT',
      'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND',
      'REASON_MISSING',
      'SHIPPING_ALREADY_REFUNDED',
    ]);
  });
});

void describe('validateRefund: currencies other than USD', () => {
  const YEN = [
    { id: 'J1', sku: 'TEA', storeLineId: 'sj-1', qty: 3, price: 1200, tax: 288 },
    { id: 'J2', sku: 'CUP', storeLineId: 'sj-2', qty: 1, price: 800 },
  ];

  void test('a JPY order plans in whole yen: 1 of 3 units carries a floor share of the tax', () => {
    const ctx = context({
      lines: YEN,
      currency: 'JPY',
      store: { shipping: 500 },
      refunds: [{ lines: [{ id: 'J1', qty: 1 }] }],
    });
    const { problems, plan } = validateRefund(ctx);
    assert.deepEqual(problems, []);
    assert.equal(plan?.report.currency, 'JPY');
    assert.equal(plan?.report.total, m(1296, 'JPY'));
  });

  void test('a JPY appeasement is a decimal string without decimals', () => {
    // A partial estimate on a single-SKU order is that SKU's amount (rule 8): an appeasement of 500 yen.
    const ctx = context({
      lines: [YEN[0]!],
      currency: 'JPY',
      store: { shipping: 500 },
      refunds: [{ lines: [{ id: 'J1', qty: 1 }], total: 500 }],
    });
    assert.deepEqual(validateRefund(ctx).plan?.storeRequest, {
      order: STORE_ORDER_ID,
      amount: '500',
      currency: 'JPY',
    });
  });

  void test('rule 11: an order in a currency we do not know is UNSUPPORTED_CURRENCY, and nothing else', () => {
    // The order's currency is that of its lines' prices.
    const ctx = context({ refunds: [WHOLE_UNITS] });
    for (const line of ctx.order.lineItems) line.product.price!.currencyCode = 'ABC';
    assert.deepEqual(only(ctx), ['UNSUPPORTED_CURRENCY']);
  });
});
