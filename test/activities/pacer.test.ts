import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { pacer } from '../../activities/pacer';
import { createActivities } from '../../activities';
import type { BwpClient, RefundClient } from '../../activities/clients';
import { TEST_POLICY } from '../helpers/harness';

/** POST /refund leaves at the submission limit even when its tasks reach the process together. */

describe('pacer', () => {
  it('spaces calls that ask together, in order, and lets a call that asks after a gap go at once', async () => {
    const pace = pacer(50);
    const t0 = performance.now();
    const left: number[] = [];
    await Promise.all(Array.from({ length: 5 }, () => pace().then(() => left.push(performance.now() - t0))));
    for (let i = 1; i < left.length; i++)
      assert.ok(left[i]! - left[i - 1]! >= 45, `gaps ${left.map(Math.round).join(', ')}`);
    await new Promise((r) => setTimeout(r, 120));
    const t1 = performance.now();
    await pace();
    assert.ok(performance.now() - t1 < 20, 'after a gap longer than the interval, no wait');
  });

  it('a wait ends early when its signal aborts (its call is not sent)', async () => {
    const pace = pacer(1000);
    await pace();
    const abort = new AbortController();
    const waiting = pace(abort.signal);
    abort.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
  });

  it('refuses a negative or non-numeric interval', () => {
    assert.throws(() => pacer(-1), /intervalMs/);
    assert.throws(() => pacer(Number.NaN), /intervalMs/);
  });
});

describe('submitRefundAttempt', () => {
  it('sends at most one POST /refund per submitSpacingMs from this process, however many attempts start at once', async () => {
    const sent: number[] = [];
    const refunds = {
      submitRefund: async () => {
        sent.push(performance.now());
        return { kind: 'unknown', message: 'n/a' };
      },
    } as unknown as RefundClient;
    const acts = createActivities({ bwp: {} as BwpClient, refunds, policy: TEST_POLICY, submitSpacingMs: 40 });
    const request = { id: 'k', order: 'o', line_items: [{ id: 'l1', quantity: 1 }] };
    const env = new MockActivityEnvironment(
      {},
      { logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } },
    );
    await Promise.all(Array.from({ length: 6 }, () => env.run(acts.submitRefundAttempt, { request })));
    sent.sort((a, b) => a - b);
    for (let i = 1; i < sent.length; i++)
      assert.ok(sent[i]! - sent[i - 1]! >= 35, `gaps ${sent.map(Math.round).join(', ')}`);
  });
});
