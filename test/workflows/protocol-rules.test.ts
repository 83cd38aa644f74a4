import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RefundStatus } from '../../workflows/refund.contract';
import { RefundInbox } from '../../workflows/refund-inbox';

/** The inbox's rules on their own (pure code, no server): the parts the state × action suite cannot reach directly. */

const now = () => '2026-01-01T00:00:00.000Z';
describe('RefundInbox', () => {
  it('a second decision while one is pending is refused and audited; a duplicate request id is applied once', () => {
    const m = new RefundInbox({ orderId: 'o', refundId: 'r' }, now);
    m.state.status = RefundStatus.AWAITING_REPAIR;
    const first = m.receive('cancel', { operator: 'a', requestId: 'c1', input: {} }, 'update');
    assert.equal(first.accepted, true);
    assert.equal(m.receive('cancel', { operator: 'a', requestId: 'c1', input: {} }, 'update').accepted, true);
    const second = m.receive('resolve', { operator: 'b', input: { note: 'x' } }, 'signal');
    assert.equal(second.accepted, false);
    assert.ok(!second.accepted && second.problems[0]?.code === 'ALREADY_DECIDED');
    assert.deepEqual(
      m.state.audit.map((a) => [a.operator, a.action, a.accepted]),
      [
        ['a', 'cancel', true],
        ['b', 'resolve', false],
      ],
    );
  });

  it('with a key in doubt, only resubmit-verified (with its statement) is taken; the flag is sticky', () => {
    const m = new RefundInbox({ orderId: 'o', refundId: 'r' }, now);
    m.state.status = RefundStatus.AWAITING_REPAIR;
    m.state.inDoubt = { revision: 1, idempotencyKey: 'k', reason: 'UNKNOWN_OUTCOME', since: now(), detail: 'd' };
    m.flag('UNKNOWN_OUTCOME', 'd');
    m.flag('PARKED_TOO_LONG');
    assert.equal(m.state.attentions[0]?.reason, 'UNKNOWN_OUTCOME', 'a money reason comes first');
    const decline = m.receive('decline', { operator: 'a', input: { statusReason: 'OTHERS' } }, 'update');
    assert.ok(!decline.accepted && decline.problems[0]?.code === 'MONEY_MAY_HAVE_MOVED');
    const bare = m.receive('resubmitVerified', { operator: 'a', input: { note: 'x' } }, 'update');
    assert.ok(!bare.accepted && bare.type === 'InvalidMessage');
    const ok = m.receive(
      'resubmitVerified',
      { operator: 'a', input: { verifiedNoMoneyMoved: true, note: 'x' } },
      'update',
    );
    assert.equal(ok.accepted, true);
    m.clearTransient();
    assert.deepEqual(
      m.state.attentions?.map((a) => a.reason),
      ['UNKNOWN_OUTCOME'],
    );
  });

  it('a request id is bound to what it asked: the same message again is a duplicate, another one under it is refused', () => {
    const m = new RefundInbox({ orderId: 'o', refundId: 'r' }, now);
    m.state.status = RefundStatus.AWAITING_REPAIR;
    assert.equal(m.receive('recheck', { operator: 'ann', requestId: 'k1', input: {} }, 'update').accepted, true);
    const again = m.receive('recheck', { operator: 'ann', requestId: 'k1', input: {} }, 'update');
    assert.ok(again.accepted && again.duplicate, 'the same request under the same key: answered as recorded');
    // An admin's cancel under the key of that re-check: refused by the validator, nothing recorded.
    const cancel = { operator: 'root', requestId: 'k1', input: {} };
    const invalid = m.validate('cancel', cancel);
    assert.equal(invalid?.type, 'IdempotencyKeyReused');
    assert.equal(invalid?.problems[0]?.code, 'IDEMPOTENCY_KEY_REUSED');
    assert.equal(invalid?.problems[0]?.field, 'header.idempotency-key');
    // By signal (no validator): refused and audited; nothing else changes.
    const signalled = m.receive('cancel', cancel, 'signal');
    assert.ok(!signalled.accepted && signalled.type === 'IdempotencyKeyReused');
    assert.equal(m.state.pendingDecision, undefined, 'nothing is cancelled');
    // Another operator's identical message under the same key is another request too.
    assert.equal(m.validate('recheck', { operator: 'bob', requestId: 'k1', input: {} })?.type, 'IdempotencyKeyReused');
    // And a new key is a new request.
    assert.equal(m.receive('cancel', { operator: 'root', requestId: 'k2', input: {} }, 'update').accepted, true);
  });
});
