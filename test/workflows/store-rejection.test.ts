import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { declineUpdate, RefundStatus } from '../../workflows/refund.contract';
import { createHarness, waitForState, type Harness } from '../helpers/harness';

/**
 * Without the store read API (STORE_ORDER_READ=false) the workflow cannot see refunds made on the store elsewhere, so it
 * submits; the store's definitive 400 NOT_ENOUGH_ITEMS_LEFT_TO_REFUND (no money moved) sends it back to AWAITING_REPAIR
 * with the problem listed and a new plan revision, and the operator declines it as already processed.
 */

let h: Harness;
before(async () => {
  h = await createHarness({ readStoreOrder: false });
});
after(async () => {
  await h?.close();
});

it('when the store rejects definitively (400 NOT_ENOUGH_ITEMS_LEFT_TO_REFUND), it re-reads the order, parks with the problem, and the operator can decline', async () => {
  const { fixture, handle } = await h.startRefund('healthy-single-sku', {
    // The line was refunded on the store by hand, outside Buy with Prime.
    mutate: (f) => {
      for (const line of f.storeOrder.lineItems) line.refundedQuantity = line.quantity;
    },
  });
  const state = await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
  assert.deepEqual(
    state.attempts.map((a) => [a.outcome, a.code, a.revision]),
    [['rejected', 'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND', 1]],
  );
  assert.ok(state.problems.some((p) => p.code === 'NOT_ENOUGH_ITEMS_LEFT_TO_REFUND'));
  assert.equal(state.revision, 2, 'a definitive rejection opens a new plan revision (and key)');
  assert.equal(h.sandbox.state.store.ledger().filter((e) => e.key.order === fixture.storeOrder.id).length, 0);

  await handle.executeUpdate(declineUpdate, {
    args: [
      { operator: 'ivy', input: { statusReason: 'REFUND_ALREADY_PROCESSED', note: 'refunded by hand in the store' } },
    ],
  });
  const result = await handle.result();
  assert.equal(result.status, RefundStatus.DECLINED);
  assert.equal(
    h.sandbox.state.bwp
      .ledger()
      .filter((e) => e.orderId === fixture.bwpOrder.id)
      .at(-1)?.state,
    'FAILURE',
  );
});
