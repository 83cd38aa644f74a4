import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_MERCHANT_REASONS,
  DEFAULT_REASON_MAP,
  checkMerchantReason,
  fallbackReason,
  mapReason,
  reasonPolicy,
} from '../../domain/reasons';
import { BWP_REFUND_REQUEST_REASONS } from '../../domain/schemas/bwp';

void describe('reasons: BwP refundRequestReason to the merchant reason list', () => {
  void test('rule 10: every documented BwP reason maps to a merchant reason by default', () => {
    const policy = reasonPolicy();
    for (const reason of BWP_REFUND_REQUEST_REASONS) {
      const result = mapReason(reason, policy);
      assert.ok(result.ok, reason);
      assert.ok((DEFAULT_MERCHANT_REASONS as readonly string[]).includes(result.reason));
    }
    assert.deepEqual(mapReason('WRONG_ITEM_RECEIVED', policy), { ok: true, reason: 'DifferentItem' });
    assert.equal(DEFAULT_REASON_MAP.CANCELLED_ORDER, 'CustomerCancel');
  });

  void test('rule 10: blank is REASON_MISSING, undocumented REASON_UNKNOWN, without mapping or default REASON_UNMAPPED', () => {
    const policy = reasonPolicy({ map: {} });
    policy.map = {};
    assert.equal(mapReason('', policy).ok, false);
    assert.deepEqual(codeOf(mapReason(null, policy)), 'REASON_MISSING');
    assert.deepEqual(codeOf(mapReason('CHANGED_MIND', policy)), 'REASON_UNKNOWN');
    assert.deepEqual(codeOf(mapReason('RETURN_RECEIVED', policy)), 'REASON_UNMAPPED');
  });

  void test('rule 10: the configured default covers documented reasons only, and must be a merchant reason', () => {
    const policy = { map: {}, defaultReason: 'GeneralAdjustment', merchantReasons: DEFAULT_MERCHANT_REASONS };
    assert.deepEqual(mapReason('RETURN_RECEIVED', policy), { ok: true, reason: 'GeneralAdjustment' });
    assert.equal(codeOf(mapReason('CHANGED_MIND', policy)), 'REASON_UNKNOWN');
    assert.equal(codeOf(mapReason('RETURN_RECEIVED', { ...policy, defaultReason: 'Nope' })), 'REASON_UNMAPPED');
  });

  void test('rule 10: an explicit mapping may cover a reason BwP has not documented yet', () => {
    const policy = reasonPolicy({ map: { CHANGED_MIND: 'CustomerCancel' } });
    assert.deepEqual(mapReason('CHANGED_MIND', policy), { ok: true, reason: 'CustomerCancel' });
  });

  void test('rule 10: merchant reasons are case-sensitive', () => {
    const policy = reasonPolicy();
    assert.equal(checkMerchantReason('CustomerReturn', policy).ok, true);
    assert.equal(codeOf(checkMerchantReason('customerreturn', policy)), 'REASON_UNKNOWN');
    assert.equal(codeOf(checkMerchantReason(' ', policy)), 'REASON_MISSING');
  });

  void test('a suggestion falls back to the configured default, else Other', () => {
    assert.equal(fallbackReason(reasonPolicy({ defaultReason: 'GeneralAdjustment' })), 'GeneralAdjustment');
    assert.equal(fallbackReason(reasonPolicy()), 'Other');
    assert.equal(fallbackReason({ map: {}, merchantReasons: ['CustomerReturn'] }), undefined);
  });
});

function codeOf(r: ReturnType<typeof mapReason>): string | undefined {
  return r.ok ? undefined : r.code;
}
