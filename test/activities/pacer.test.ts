import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { pacer, submissionPace } from '../../activities/pacer';
import { createActivities } from '../../activities';
import type { BwpClient, RefundClient } from '../../activities/clients';
import { TEST_POLICY } from '../helpers/harness';

/**
 * POST /refund leaves at the submission limit even when its tasks reach the process together. Intervals here are tens
 * of milliseconds and each bound allows for a busy machine (the whole suite runs at once): a departure is stamped a
 * little after the pacer let it go, and that delay differs from call to call.
 */

describe('pacer', () => {
  it('spaces calls that ask together, in order, and lets a call that asks after a gap go at once', async () => {
    const pace = pacer({ minIntervalMs: 80 });
    const t0 = performance.now();
    const left: number[] = [];
    await Promise.all(Array.from({ length: 5 }, () => pace().then(() => left.push(performance.now() - t0))));
    for (let i = 1; i < left.length; i++)
      assert.ok(left[i]! - left[i - 1]! >= 65, `gaps ${left.map(Math.round).join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
    const t1 = performance.now();
    await pace();
    assert.ok(performance.now() - t1 < 40, 'after a gap longer than the interval, no wait');
  });

  it('a wait ends early when its signal aborts (its call is not sent)', async () => {
    const pace = pacer({ minIntervalMs: 1000 });
    await pace();
    const abort = new AbortController();
    const waiting = pace(abort.signal);
    abort.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
  });

  it('refuses a negative or non-numeric interval, and a bucket without a rate or a burst', () => {
    assert.throws(() => pacer({ minIntervalMs: -1 }), /minIntervalMs/);
    assert.throws(() => pacer({ minIntervalMs: Number.NaN }), /minIntervalMs/);
    assert.throws(() => pacer({ minIntervalMs: 0, bucket: { perSecond: 0, burst: 2 } }), /bucket/);
    assert.throws(() => pacer({ minIntervalMs: 0, bucket: { perSecond: 10, burst: 0.5 } }), /bucket/);
  });

  it('with a bucket, a backlog leaves `burst` at the spacing, then at the bucket rate (never far ahead of it)', async () => {
    // 10/s with a burst of 2, spaced 20 ms: 6 asking together leave at about 0, 20, 100, 200, 300, 400 ms.
    const pace = pacer({ minIntervalMs: 20, bucket: { perSecond: 10, burst: 2 } });
    const t0 = performance.now();
    const left: number[] = [];
    await Promise.all(Array.from({ length: 6 }, () => pace().then(() => left.push(performance.now() - t0))));
    const gaps = left.slice(1).map((t, i) => t - left[i]!);
    const shown = `departures ${left.map(Math.round).join(', ')}`;
    assert.ok(gaps[0]! >= 10 && gaps[0]! < 70, `the second of the burst leaves at the spacing: ${shown}`);
    for (const gap of gaps.slice(2)) assert.ok(gap >= 75, `then one per 100 ms: ${shown}`);
    // In any window of t seconds: at most burst + rate × t departures (and a little for the stamps' delay).
    for (let i = 0; i < left.length; i++)
      for (let j = i; j < left.length; j++)
        assert.ok(j - i + 1 <= 2 + (10 * (left[j]! - left[i]!)) / 1000 + 0.3, `window ${i}..${j}: ${shown}`);
  });

  it('with a bucket, a quiet spell refills it: after one, `burst` leave again at the spacing', async () => {
    const pace = pacer({ minIntervalMs: 20, bucket: { perSecond: 10, burst: 2 } });
    await Promise.all([pace(), pace(), pace()]);
    await new Promise((r) => setTimeout(r, 300));
    const t1 = performance.now();
    await Promise.all([pace(), pace()]);
    assert.ok(performance.now() - t1 < 75, 'two leave at the spacing, not a token apart, after the bucket refilled');
  });

  it('submissionPace: spaced 0.8 / limit, a bucket at 1.02 x the limit with a burst of 2', () => {
    assert.deepEqual(submissionPace(5), { minIntervalMs: 160, bucket: { perSecond: 5.1, burst: 2 } });
  });
});

describe('submitRefundAttempt', () => {
  it('sends at most one POST /refund per spacing from this process, however many attempts start at once', async () => {
    const sent: number[] = [];
    const refunds = {
      submitRefund: async () => {
        sent.push(performance.now());
        return { kind: 'unknown', message: 'n/a' };
      },
    } as unknown as RefundClient;
    const acts = createActivities({
      bwp: {} as BwpClient,
      refunds,
      policy: TEST_POLICY,
      submitPace: { minIntervalMs: 100 },
    });
    const request = { id: 'k', order: 'o', line_items: [{ id: 'l1', quantity: 1 }] };
    const env = new MockActivityEnvironment(
      {},
      { logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } },
    );
    await Promise.all(Array.from({ length: 6 }, () => env.run(acts.submitRefundAttempt, { request })));
    sent.sort((a, b) => a - b);
    for (let i = 1; i < sent.length; i++)
      assert.ok(sent[i]! - sent[i - 1]! >= 75, `gaps ${sent.map(Math.round).join(', ')}`);
  });
});
