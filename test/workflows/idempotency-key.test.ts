import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { refundIdempotencyKey, RefundStatus, repairUpdate, stateQuery } from '../../workflows/refund.contract';
import { createHarness, recordHistory, waitForState, type Harness } from '../helpers/harness';

/**
 * The idempotency key of POST /refund (docs/protocol.md "Idempotency keys"): injective, the same as before for ids
 * without `-` or `%`, fixed when a revision opens and never recomputed, so a refund already running is never sent
 * under a second key for the same revision (which would refund it twice).
 */

describe('refundIdempotencyKey', () => {
  it('gives a-b/c and a/b-c different keys (joining the ids as they are would not)', () => {
    assert.notEqual(refundIdempotencyKey('a-b', 'c', 1), refundIdempotencyKey('a', 'b-c', 1));
    assert.equal(refundIdempotencyKey('a-b', 'c', 1), 'bwp-a%2Db-c-r1');
    assert.equal(refundIdempotencyKey('a', 'b-c', 1), 'bwp-a-b%2Dc-r1');
    // `%` is encoded too, or a literal "%2D" would read as an encoded dash.
    assert.notEqual(refundIdempotencyKey('a%2Db', 'c', 1), refundIdempotencyKey('a-b', 'c', 1));
    // Nor can a refund id ending in "-r2" pose as another revision.
    assert.notEqual(refundIdempotencyKey('a', 'b-r2', 1), refundIdempotencyKey('a', 'b', 2));
  });

  it('is injective over (order, refund, revision)', () => {
    const id = fc.string({ unit: fc.constantFrom('a', 'r', '-', '%', '2', 'D', '5', '1'), minLength: 1, maxLength: 6 });
    const rev = fc.integer({ min: 1, max: 12 });
    fc.assert(
      fc.property(id, id, rev, id, id, rev, (o1, r1, n1, o2, r2, n2) => {
        if (o1 === o2 && r1 === r2 && n1 === n2) return true;
        return refundIdempotencyKey(o1, r1, n1) !== refundIdempotencyKey(o2, r2, n2);
      }),
      { numRuns: 10_000 },
    );
  });

  it('keys an id without - or % as the ids joined by dashes', () => {
    assert.equal(refundIdempotencyKey('114_1234567', 'amzn1.refund.X', 3), 'bwp-114_1234567-amzn1.refund.X-r3');
    const plain = fc.string({ minLength: 1 }).filter((s) => !/[-%]/.test(s));
    fc.assert(
      fc.property(
        plain,
        plain,
        fc.integer({ min: 1 }),
        (o, r, n) => refundIdempotencyKey(o, r, n) === `bwp-${o}-${r}-r${n}`,
      ),
    );
  });
});

describe('the key a refund workflow uses (real Temporal server, workers and sandbox)', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(async () => {
    await h?.close();
  });
  const storeKeys = (order: string) =>
    h.sandbox.state.store
      .ledger()
      .filter((e) => e.key.order === order)
      .map((e) => e.key.id);
  const reportedAliases = (orderId: string) =>
    h.sandbox.state.bwp
      .ledger()
      .filter((e) => e.orderId === orderId)
      .flatMap((e) => e.aliases.map((a) => a.aliasId));

  it('a new refund opens revision 1 with the injective key, keeps it through a lost answer, and reports it', async () => {
    h.sandbox.state.store.setFaults({ commitThenFail: { count: 1, mode: '502', holdMs: 0 } });
    const { fixture, handle } = await h.startRefund('healthy-multi-sku');
    const key = refundIdempotencyKey(fixture.bwpOrder.id, fixture.refundId, 1);
    assert.match(key, /%2D/, 'the fixture ids have dashes: they are encoded');
    const first = await waitForState(handle, (s) => s.idempotencyKey !== undefined);
    assert.equal(first.idempotencyKey, key, 'fixed when the revision opened');
    assert.equal((await handle.result()).status, RefundStatus.REFUNDED);
    const state = await handle.query(stateQuery);
    assert.ok(state.attempts.length >= 2, 'the lost answer was retried');
    assert.deepEqual([...new Set(state.attempts.map((a) => a.idempotencyKey))], [key], 'one key for the revision');
    assert.deepEqual(storeKeys(fixture.storeOrder.id), [key], 'refunded once, under that key');
    assert.ok(reportedAliases(fixture.bwpOrder.id).includes(key), 'Buy with Prime is told the same key');
  });

  it('a definitive rejection opens revision 2 with its own key, computed then and used for the repair', async () => {
    h.sandbox.state.store.setFaults({ paymentFailure: 3 });
    const { fixture, handle } = await h.startRefund('healthy-single-sku');
    const parked = await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
    assert.equal(parked.revision, 2);
    const key2 = refundIdempotencyKey(fixture.bwpOrder.id, fixture.refundId, 2);
    assert.equal(parked.idempotencyKey, key2);
    assert.ok(parked.suggestion);
    await handle.executeUpdate(repairUpdate, { args: [{ operator: 'erin', input: parked.suggestion.repair }] });
    assert.equal((await handle.result()).status, RefundStatus.REFUNDED);
    assert.deepEqual(storeKeys(fixture.storeOrder.id), [key2]);
    await recordHistory(handle, 'injective-key-new-revision');
  });
});
