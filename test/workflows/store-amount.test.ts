import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBwpAmount, parseDecimal, sum, type Minor } from '../../domain/money';
import type { BwpLedgerEntry } from '../../sandbox';
import { RefundStatus, repairUpdate, SEARCH_ATTRIBUTES } from '../../workflows/refund.contract';
import { createHarness, recordHistory, waitForState, type Harness } from '../helpers/harness';

/**
 * What the store refunds, end to end on a real Temporal server, real workers and the sandbox over HTTP: line items go
 * out only where the store's own price is the plan's (docs/domain.md rule 16), and whatever the store answers is what
 * Buy with Prime is told, with a report whose total is the sum of its lines (rule 18). The scenario is the connector's
 * "tax already refunded": the socks' 1.92 tax went back earlier, and Buy with Prime asks both units with their tax.
 */

let storeRead: Harness;
let blind: Harness;
before(async () => {
  // Two sets of workers: one reads the store's order before planning (STORE_ORDER_URL); one cannot, as a deployment
  // without an order endpoint of its own (Purple Dot documents none).
  storeRead = await createHarness();
  blind = await createHarness({ readStoreOrder: false });
});
after(async () => {
  await storeRead?.close();
  await blind?.close();
});

const parked = (s: { status: RefundStatus }) => s.status === RefundStatus.AWAITING_REPAIR;
const storeLine = { 'shop-line-socks': true };

/**
 * The one report Buy with Prime got: its cumulative total and the payment it carried, in minor units (Buy with Prime
 * takes no money per line: the report names the lines, the per-SKU split stays in the plan).
 */
function reportOf(h: Harness, orderId: string): { entry: BwpLedgerEntry; total: Minor; paid: Minor } {
  const reports = h.sandbox.state.bwp.ledger().filter((e) => e.orderId === orderId);
  assert.equal(reports.length, 1, 'one report');
  const entry = reports[0]!;
  assert.ok((entry.refundFor?.lineItemIds.length ?? 0) > 0, 'the report names the refunded lines');
  const paid = sum(entry.delta.map((p) => fromBwpAmount(p.amount)));
  return { entry, total: fromBwpAmount(entry.refundTotal), paid };
}

function storeOrderOf(h: Harness, id: string) {
  const order = h.sandbox.state.store.order(id);
  assert.ok(order, `store order ${id}`);
  return order;
}

describe('what the store refunds', () => {
  it('tax already refunded: the repair refunds 24.00 as line items, the tax stays within the line’s, and the report adds up', async () => {
    const { fixture, handle } = await storeRead.startRefund('tax-already-refunded');
    const state = await waitForState(handle, parked);
    assert.deepEqual(
      state.problems.map((p) => p.code),
      ['TAX_ALREADY_REFUNDED'],
    );
    assert.ok(state.suggestion);
    assert.equal(state.suggestion.repair.total, '24.00');
    const accepted = await handle.executeUpdate(repairUpdate, {
      args: [{ operator: 'ada', input: state.suggestion.repair }],
    });
    assert.equal(accepted.plan.mode, 'line-items', 'the store prices the two units at 24.00 itself');
    const result = await handle.result();
    // Amazon's estimate (25.92) counted the tax again: 24.00 of it is reported as a partial refund.
    assert.equal(result.status, RefundStatus.PARTIALLY_REFUNDED);
    assert.deepEqual(result.refunded, { amount: '24.00', currency: 'USD' });

    const moved = storeRead.sandbox.state.store.ledger().filter((e) => e.key.order === fixture.storeOrder.id);
    assert.deepEqual(
      moved.map((e) => [e.mode, e.refunded.amount]),
      [['line_items', '24.00']],
    );
    const order = storeOrderOf(storeRead, fixture.storeOrder.id);
    const socks = order.lineItems.find((l) => storeLine[l.id as keyof typeof storeLine]);
    assert.ok(socks);
    assert.equal(order.refundedTotal, '25.92', 'the line was paid 25.92: its tax earlier, the units now');
    assert.ok(parseDecimal(socks.refundedTax ?? '0', 'USD') <= parseDecimal('1.92', 'USD'), `tax ${socks.refundedTax}`);
    assert.equal(socks.refundedQuantity, 2);

    const report = reportOf(storeRead, fixture.bwpOrder.id);
    assert.deepEqual([report.entry.state, report.entry.refundStatusReason], ['PARTIAL', 'PARTIALLY_DECLINED']);
    assert.equal(report.total, parseDecimal('24.00', 'USD'));
    assert.equal(report.paid, report.total, 'the one payment reported is the total');
    assert.equal((await handle.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTES.needsAttention), false);
  });

  it('when the store refunds another amount than planned, the refund is flagged and Buy with Prime is told what moved', async () => {
    // Without the store's order its pricing is unknown: the plan goes as line items at Buy with Prime's 12.96, and
    // this store has since re-priced the unit at 13.10.
    const { handle } = await blind.startRefund('healthy-single-sku', {
      mutate: (f) => f.storeOrder.lineItems.forEach((l) => (l.unitPrice = '13.10')),
    });
    const result = await handle.result();
    assert.deepEqual(result.refunded, { amount: '13.10', currency: 'USD' }, 'the store’s answer, not the plan');

    const final = await waitForState(handle, (s) => s.result !== undefined);
    assert.equal(final.attentions[0]?.reason, 'REFUND_AMOUNT_MISMATCH');
    assert.match(final.attentions[0]?.detail ?? '', /13\.10 USD but the plan was 12\.96 USD/);
    assert.equal(final.needsAttention, true, 'it stays findable after it finished');
    assert.equal((await handle.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTES.needsAttention), true);

    const report = reportOf(blind, final.orderId);
    assert.equal(report.total, parseDecimal('13.10', 'USD'), 'the total is what the store refunded');
    assert.equal(report.paid, report.total, 'and so is the payment reported');
    const plan = final.plan!;
    assert.equal(
      sum(plan.report.lines.map((l) => l.amount)),
      report.total,
      'the plan’s lines restated to add up to it',
    );
    await recordHistory(handle, 'store-amount-mismatch');
  });

  it('without the store order, a healthy order is refunded once at Buy with Prime’s value', async () => {
    const { fixture, handle } = await blind.startRefund('healthy-single-sku');
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.REFUNDED);
    assert.deepEqual(result.refunded, { amount: '12.96', currency: 'USD' });
    assert.equal(blind.sandbox.state.store.ledger().filter((e) => e.key.order === fixture.storeOrder.id).length, 1);
  });
});
