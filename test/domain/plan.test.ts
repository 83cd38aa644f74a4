import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PlanError, buildPlanFromRefund, buildPlanFromRepair } from '../../domain/validate';
import { checkStoreRequest } from '../../domain/store-request';
import { ProblemCode, problemFromStoreRejection } from '../../domain/problems';
import { RefundErrorCode, RefundRequest } from '../../domain/schemas/store';
import { DeclineInput, RepairInput, ResolveInput } from '../../domain/schemas/repair';
import { codes, context, m, policy, repair, repairLine, STORE_ORDER_ID } from './fixtures';

void describe('plan: the POST /refund body and the BwP report', () => {
  void test('a plan is plain JSON: it survives a round trip through Temporal payloads unchanged', () => {
    const plan = buildPlanFromRefund(context({ refunds: [{ lines: [{ id: 'L1', qty: 2 }], total: 43.18 }] }));
    assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
  });

  void test('with an idempotency id added, the store request is a valid POST /refund body', () => {
    const plan = buildPlanFromRefund(context({ refunds: [{ lines: [{ id: 'L3', qty: 2 }], total: 21.6 }] }));
    const body = RefundRequest.parse({ id: 'key-1', ...plan.storeRequest });
    assert.equal(body.order, STORE_ORDER_ID);
  });

  void test('the revision is what the caller asks for (the workflow bumps it for a new idempotency key)', () => {
    const ctx = context({ refunds: [{ lines: [], total: 10 }] });
    const plan = buildPlanFromRepair(ctx, repair([repairLine('L1', 1, '21.59')]), { revision: 3 });
    assert.equal(plan.revision, 3);
    assert.equal(buildPlanFromRepair(ctx, repair([repairLine('L1', 1, '21.59')])).revision, 1);
  });

  void test('buildPlanFromRefund throws PlanError listing every problem', () => {
    const ctx = context({
      refunds: [{ reason: null, lines: [], total: 10 }],
      policy: policy({ reasonRulesBlock: true }),
    });
    assert.throws(
      () => buildPlanFromRefund(ctx),
      (e: unknown) => e instanceof PlanError && codes(e.problems).join() === 'MISSING_ITEM_DETAIL,REASON_MISSING',
    );
  });

  void test('buildPlanFromRefund: by default a blank reason neither stops the plan nor is listed as a problem', () => {
    const flat = context({ refunds: [{ reason: null, lines: [], total: 10 }] });
    assert.throws(
      () => buildPlanFromRefund(flat),
      (e: unknown) => e instanceof PlanError && codes(e.problems).join() === 'MISSING_ITEM_DETAIL',
    );
    const plan = buildPlanFromRefund(
      context({ refunds: [{ reason: null, lines: [{ id: 'L1', qty: 2 }], total: 43.18 }] }),
    );
    assert.deepEqual(
      plan.report.lines.map((l) => [l.lineItemId, l.quantity, l.amount, l.reason]),
      [['L1', 2, m(43.18), undefined]],
    );
  });

  void test('an appeasement body never carries line items or shipping; a line-item body never an amount', () => {
    const ctx = context({ refunds: [{ lines: [], total: 10 }] });
    const appeasement = buildPlanFromRepair(ctx, repair([repairLine('L1', 0, '10.00')]));
    assert.deepEqual(Object.keys(appeasement.storeRequest).sort(), ['amount', 'currency', 'order']);
    const lines = buildPlanFromRepair(ctx, repair([repairLine('L1', 2, '43.18')], { shipping: true }));
    assert.deepEqual(Object.keys(lines.storeRequest).sort(), ['line_items', 'order', 'shipping']);
    assert.equal(lines.report.total, m(48.18));
  });
});

void describe('checkStoreRequest: the endpoint contract checked before sending', () => {
  void test('rule 5: an element with quantity 2 is INVALID_LINE_ITEMS', () => {
    const body = { order: 'o', line_items: [{ id: 'a', quantity: 2 as unknown as 1 }] };
    assert.deepEqual(codes(checkStoreRequest(body, 'USD')), ['INVALID_LINE_ITEMS']);
  });

  void test('rule 11: line items with an amount is MIXED_LINES_AND_APPEASEMENT', () => {
    const body = { order: 'o', line_items: [{ id: 'a', quantity: 1 as const }], amount: '1.00', currency: 'USD' };
    assert.deepEqual(codes(checkStoreRequest(body, 'USD')), ['MIXED_LINES_AND_APPEASEMENT']);
  });

  void test('rule 11: an appeasement in another currency is CURRENCY_MISMATCH; a bad amount INVALID_AMOUNT', () => {
    assert.deepEqual(codes(checkStoreRequest({ order: 'o', amount: '1.00', currency: 'EUR' }, 'USD')), [
      'CURRENCY_MISMATCH',
    ]);
    assert.deepEqual(codes(checkStoreRequest({ order: 'o', amount: '1.001', currency: 'USD' }, 'USD')), [
      'INVALID_AMOUNT',
    ]);
    assert.deepEqual(codes(checkStoreRequest({ order: 'o', amount: '0', currency: 'USD' }, 'USD')), ['INVALID_AMOUNT']);
  });

  void test('rule 12: a line-item body with no lines and no shipping is EMPTY_REFUND', () => {
    assert.deepEqual(codes(checkStoreRequest({ order: 'o', line_items: [] }, 'USD')), ['EMPTY_REFUND']);
    assert.deepEqual(checkStoreRequest({ order: 'o', shipping: true }, 'USD'), []);
  });
});

void describe('problems and operator inputs', () => {
  void test('every store rejection code maps to a problem code', () => {
    for (const code of RefundErrorCode.options) {
      const p = problemFromStoreRejection(400, code, 'nope');
      assert.ok(ProblemCode.options.includes(p.code), code);
    }
    assert.equal(
      problemFromStoreRejection(409, 'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH').code,
      'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH',
    );
    assert.equal(problemFromStoreRejection(501, undefined).code, 'MULTIPLE_PREORDERS');
    assert.equal(problemFromStoreRejection(418, 'TEAPOT').code, 'STORE_REJECTED');
  });

  void test('the problem codes the brief names exist', () => {
    for (const code of [
      'UNKNOWN_ORDER',
      'UNKNOWN_REFUND',
      'REFUND_NOT_PENDING',
      'NO_STORE_ORDER_ALIAS',
      'MISSING_ITEM_DETAIL',
      'MISSING_QUANTITY',
      'MISSING_PRICE',
      'UNKNOWN_LINE_ITEMS',
      'LINE_RELINKED',
      'INVALID_LINE_ITEMS',
      'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND',
      'AMOUNT_EXCEEDS_LINE_REMAINING',
      'AMOUNT_EXCEEDS_ORDER_REMAINING',
      'SHIPPING_ALREADY_REFUNDED',
      'TAX_ALREADY_REFUNDED',
      'REASON_MISSING',
      'REASON_UNKNOWN',
      'REASON_UNMAPPED',
      'CURRENCY_MISMATCH',
      'MIXED_LINES_AND_APPEASEMENT',
      'APPEASEMENT_NOT_ALLOWED',
      'INVALID_AMOUNT',
      'EMPTY_REFUND',
      'MIXED_PREORDER_CHECKOUT',
      'MULTIPLE_PREORDERS',
      'TOTALS_DO_NOT_ADD_UP',
      'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH',
      'REFUND_FAILED',
    ]) {
      assert.ok(ProblemCode.safeParse(code).success, code);
    }
  });

  void test('repair, decline and resolve inputs parse what the operator sends and refuse the rest', () => {
    assert.ok(RepairInput.safeParse(repair([repairLine('L1', 1, '21.59')], { mode: 'auto', note: 'ok' })).success);
    assert.ok(!RepairInput.safeParse(repair([repairLine('L1', -1, '21.59')])).success);
    assert.ok(!RepairInput.safeParse(repair([repairLine('L1', 1, '21,59')])).success);
    assert.ok(DeclineInput.safeParse({ statusReason: 'FRAUDULENT_RETURN_ATTEMPT' }).success);
    assert.ok(!DeclineInput.safeParse({ statusReason: 'BECAUSE' }).success);
    assert.ok(ResolveInput.safeParse({ note: 'Refunded by phone' }).success);
    assert.ok(!ResolveInput.safeParse({ note: '  ' }).success);
  });
});
