import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateRefund, validateRepair } from '../../domain/validate';
import { codes, context, policy, repair, repairLine } from './fixtures';

/**
 * docs/domain.md rule 17: a repair covers what the Buy with Prime refund asked for (its lines, and shipping only when it
 * asked for shipping), unless REPAIR_ALLOW_ADDITIONS allows more. A refund that names neither (a flat amount) leaves the
 * choice of SKUs to the operator, as the connector's Failed Refund dialog does.
 */

/** Buy with Prime asked to refund one mug; its reason does not map and the reason rules block, so it waits for repair. */
const ONE_MUG = {
  refunds: [{ lines: [{ id: 'L1', qty: 1 }], total: 21.59, reason: 'CHANGED_MIND' }],
  policy: policy({ reasonRulesBlock: true }),
};

void describe('rule 17: a repair stays within the Buy with Prime refund', () => {
  void test('the lines the refund asked for can be repaired', () => {
    assert.deepEqual(codes(validateRefund(context(ONE_MUG)).problems), ['REASON_UNKNOWN'], 'it waits for repair');
    const { problems, plan } = validateRepair(context(ONE_MUG), repair([repairLine('L1', 1, '21.59')]));
    assert.deepEqual(problems, []);
    assert.ok(plan);
  });

  void test('a line the refund did not ask for is NOT_IN_BWP_REFUND on its tick', () => {
    const lines = [repairLine('L1', 1, '21.59'), repairLine('L3', 1, '10.80')];
    const { problems, plan } = validateRepair(context(ONE_MUG), repair(lines));
    assert.equal(plan, undefined);
    assert.deepEqual(codes(problems), ['NOT_IN_BWP_REFUND']);
    assert.deepEqual([problems[0]?.field, problems[0]?.lineItemId], ['lines[1].ticked', 'L3']);
  });

  void test('shipping the refund did not ask for is NOT_IN_BWP_REFUND on shipping', () => {
    const { problems } = validateRepair(context(ONE_MUG), repair([repairLine('L1', 1, '21.59')], { shipping: true }));
    assert.deepEqual(codes(problems), ['NOT_IN_BWP_REFUND']);
    assert.equal(problems[0]?.field, 'shipping');
  });

  void test('shipping the refund asked for (its estimate is the lines plus the shipping charge) can be repaired with it', () => {
    const ctx = context({
      refunds: [{ lines: [{ id: 'L1', qty: 1 }], total: 26.59, reason: null }],
      policy: policy({ reasonRulesBlock: true }),
    });
    assert.deepEqual(codes(validateRefund(ctx).problems), ['REASON_MISSING']);
    assert.deepEqual(validateRepair(ctx, repair([repairLine('L1', 1, '21.59')], { shipping: true })).problems, []);
  });

  void test('without the store order the estimate cannot show shipping was asked: shipping is outside the refund', () => {
    const ctx = context({ refunds: [{ lines: [{ id: 'L1', qty: 1 }], total: 26.59 }], noStore: true });
    const { problems } = validateRepair(ctx, repair([repairLine('L1', 1, '21.59')], { shipping: true }));
    assert.deepEqual(codes(problems), ['NOT_IN_BWP_REFUND', 'SHIPPING_AMOUNT_UNKNOWN']);
  });

  void test('a flat refund without item detail may be repaired with any SKU of the order', () => {
    const ctx = context({ refunds: [{ lines: [], total: 10 }] });
    const lines = [repairLine('L1', 0, '5.00'), repairLine('L3', 0, '5.00')];
    assert.deepEqual(validateRepair(ctx, repair(lines, { shipping: false })).problems, []);
  });

  void test('REPAIR_ALLOW_ADDITIONS lets a repair add lines and shipping', () => {
    const ctx = context({ ...ONE_MUG, policy: policy({ allowRepairAdditions: true, reasonRulesBlock: true }) });
    const lines = [repairLine('L1', 1, '21.59'), repairLine('L3', 1, '10.80')];
    assert.deepEqual(validateRepair(ctx, repair(lines, { shipping: true })).problems, []);
  });
});
