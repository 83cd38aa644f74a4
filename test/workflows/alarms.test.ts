import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { RefundStatus, refundIdempotencyKey, resolveUpdate, SEARCH_ATTRIBUTES } from '../../workflows/refund.contract';
import { createHarness, TOKENS, waitForState, type Harness } from '../helpers/harness';

/** The two answers after which a person must look: the 409 alarm, and BwP refusing the report after money moved. */

let h: Harness;
before(async () => {
  // Without the store read, the workflow plans as BwP asks and meets the store's answers head on.
  h = await createHarness({ readStoreOrder: false });
});
after(async () => {
  await h?.close();
});

it('when POST /refund answers 409 IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH, it parks with an alarm and never resends', async () => {
  const { fixture, handle } = await h.startRefund('healthy-multi-sku', {
    // The key this refund will use was already spent on another payload (say, by an older deployment).
    // Without the store order the shipping charge is unknown: the refund asks the lines alone (93.42 USD).
    mutate: (f) => {
      f.bwpOrder.refunds.details[0]!.refundTotal = { totalAmount: { amount: 93.42, currencyCode: 'USD' } };
    },
    beforeStart: async (f) => {
      const spent = await fetch(`${h.sandbox.storeUrl}/admin/api/v1/refund`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Purple-Dot-Access-Token': TOKENS.refund },
        body: JSON.stringify({
          id: refundIdempotencyKey(f.bwpOrder.id, f.refundId, 1),
          order: f.storeOrder.id,
          line_items: [{ id: f.storeOrder.lineItems[0]!.id, quantity: 1 }],
        }),
      });
      assert.equal(spent.status, 201);
    },
  });
  const state = await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
  assert.equal(state.attentions[0]?.reason, 'IDEMPOTENCY_ALARM');
  assert.ok(state.problems.some((p) => p.code === 'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH'));
  assert.equal((await handle.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTES.needsAttention), true);
  await new Promise((r) => setTimeout(r, 1500));
  const applied = h.sandbox.state.store.ledger().filter((e) => e.key.order === fixture.storeOrder.id);
  assert.equal(applied.length, 1, 'only the refund made under the spent key; nothing resent');
  await handle.executeUpdate(resolveUpdate, {
    args: [{ operator: 'oz', input: { note: 'checked the store: already refunded' } }],
  });
  assert.equal((await handle.result()).status, RefundStatus.RESOLVED_ELSEWHERE);
});

it('when BwP rejects the report after the store refunded, it flags attention instead of failing, and finishes once BwP leaves PENDING', async () => {
  h.sandbox.state.store.setFaults({ latencyMs: 1500 });
  try {
    const { fixture, handle } = await h.startRefund('healthy-single-sku');
    await waitForState(handle, (s) => s.status === RefundStatus.SUBMITTING);
    // Meanwhile BwP itself rejects the refund: our SUCCESS report is now an invalid transition.
    h.sandbox.state.bwp.setRefundState({ orderId: fixture.bwpOrder.id, refundId: fixture.refundId, state: 'REJECTED' });
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.REFUNDED, 'the store refunded: the workflow does not fail');
    assert.equal(result.bwpState, 'REJECTED');
    assert.match(result.note ?? '', /rejected the report/);
    assert.equal(h.sandbox.state.store.ledger().filter((e) => e.key.order === fixture.storeOrder.id).length, 1);
  } finally {
    h.sandbox.state.store.setFaults({ latencyMs: 0 });
  }
});
