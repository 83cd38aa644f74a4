import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Info } from '@temporalio/activity';
import { createActivities, CREDENTIALS_REJECTED, THROTTLE_BACKOFF, throttleBackoffMs } from '../../activities';
import type { FetchedOrder, SubmitAttemptResult } from '../../workflows/refund.contract';
import type { BwpClient, Outcome, RefundClient } from '../../activities/clients';
import { z } from 'zod';
import { RefundRequest as RefundRequestSchema, type RefundRequest } from '../../domain/schemas/store';
import { FailureType } from '../../workflows/refund.contract';
import { TEST_POLICY } from '../helpers/harness';

/** The activities turn each classified outcome into Temporal semantics (fake clients: this layer only). */

const request: RefundRequest = { id: 'bwp-o-r-r1', order: 'store-1', line_items: [{ id: 'l1', quantity: 1 }] };

function activitiesAnswering(
  refund: Outcome<never> | Outcome<{ id: string; order: string; refunded: { amount: string; currency: string } }>,
  read?: Outcome<never> | Outcome<null>,
) {
  const refunds = { submitRefund: async () => refund } as unknown as RefundClient;
  const bwp = { getOrder: async () => read ?? { kind: 'success', value: null } } as unknown as BwpClient;
  return createActivities({ bwp, refunds, policy: TEST_POLICY });
}

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const env = (info: Partial<Info> = {}) => new MockActivityEnvironment(info, { logger: quiet });

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplicationFailure, String(err));
  return err;
}

describe('reads', () => {
  it('credentials refused after a refresh fail at once as CredentialsRejected (the workflow flags and waits)', async () => {
    const acts = activitiesAnswering(
      { kind: 'unknown', message: 'n/a' },
      { kind: 'rejected', code: 'UNAUTHORIZED', message: 'token refused', status: 401 },
    );
    const f = await failureOf(env().run(acts.fetchRefundContext, { orderId: 'o1' }));
    assert.equal(f.type, CREDENTIALS_REJECTED);
    assert.equal(f.nonRetryable, true);
    assert.deepEqual(f.details, [{ api: 'bwp' }]);
  });

  it('a throttle without Retry-After backs off exponentially with jitter, capped', async () => {
    const acts = activitiesAnswering({ kind: 'unknown', message: 'n/a' }, { kind: 'throttled', message: 'slow down' });
    const delays: number[] = [];
    for (const attempt of [1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      const f = await failureOf(env({ attempt }).run(acts.fetchRefundContext, { orderId: 'o1' }));
      assert.equal(f.type, 'Throttled');
      delays.push(Number(f.nextRetryDelay));
    }
    for (const [i, d] of delays.entries()) {
      const ceiling = Math.min(THROTTLE_BACKOFF.maxMs, THROTTLE_BACKOFF.initialMs * 2 ** i);
      assert.ok(d >= ceiling / 2 && d <= ceiling, `attempt ${i + 1}: ${d} ms within [${ceiling / 2}, ${ceiling}]`);
    }
    assert.equal(
      throttleBackoffMs(3, () => 0),
      2_000,
    );
    assert.equal(
      throttleBackoffMs(3, () => 1),
      4_000,
    );
    assert.equal(
      throttleBackoffMs(30, () => 1),
      THROTTLE_BACKOFF.maxMs,
    );
  });

  it('a throttle with Retry-After waits exactly that long', async () => {
    const acts = activitiesAnswering(
      { kind: 'unknown', message: 'n/a' },
      {
        kind: 'throttled',
        retryAfterMs: 7_000,
        message: 'slow down',
      },
    );
    const f = await failureOf(env({ attempt: 4 }).run(acts.fetchRefundContext, { orderId: 'o1' }));
    assert.equal(f.nextRetryDelay, 7_000);
  });

  it('a rejected read is retried, not final', async () => {
    const acts = activitiesAnswering(
      { kind: 'unknown', message: 'n/a' },
      { kind: 'rejected', code: 'ValidationError', message: 'odd', status: 200 },
    );
    const f = await failureOf(env().run(acts.fetchRefundContext, { orderId: 'o1' }));
    assert.equal(f.nonRetryable, false);
  });

  it('an unknown order reads as null (the workflow parks it with UNKNOWN_ORDER)', async () => {
    const acts = activitiesAnswering({ kind: 'unknown', message: 'n/a' });
    const ctx: FetchedOrder = await env().run(acts.fetchRefundContext, { orderId: 'o1' });
    assert.equal(ctx.order, null);
  });
});

describe('submitRefundAttempt (one attempt; every answer a value for the workflow)', () => {
  const answerOf = (outcome: Parameters<typeof activitiesAnswering>[0]): Promise<SubmitAttemptResult> =>
    env().run(activitiesAnswering(outcome).submitRefundAttempt, { request });

  it('each outcome class is returned as a value, never thrown', async () => {
    assert.deepEqual(await answerOf({ kind: 'unknown', message: 'timed out' }), {
      kind: 'unknown',
      message: 'timed out',
    });
    assert.deepEqual(await answerOf({ kind: 'throttled', retryAfterMs: 1500, message: 'slow down' }), {
      kind: 'throttled',
      retryAfterMs: 1500,
      message: 'slow down',
    });
    assert.equal(
      (await answerOf({ kind: 'rejected', code: 'UNAUTHORIZED', message: 'bad token' })).kind,
      'credentials',
    );
    assert.deepEqual(await answerOf({ kind: 'throttled', message: 'no Retry-After' }), {
      kind: 'throttled',
      message: 'no Retry-After',
    });
    assert.equal(
      (await answerOf({ kind: 'rejected', code: 'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH', message: 'x', status: 409 }))
        .kind,
      'alarm',
    );
    const rejected = await answerOf({ kind: 'rejected', code: 'REFUND_FAILED', message: 'card', status: 500 });
    assert.deepEqual(rejected, { kind: 'rejected', code: 'REFUND_FAILED', message: 'card', status: 500 });
  });

  it('a request the service built that does not parse fails non-retryably (MalformedRequest); nothing is sent', async () => {
    const refunds = {
      submitRefund: async (req: RefundRequest) => RefundRequestSchema.parse({ ...req, id: '' }),
    } as unknown as RefundClient;
    const acts = createActivities({ bwp: {} as BwpClient, refunds, policy: TEST_POLICY });
    const failure = await failureOf(env().run(acts.submitRefundAttempt, { request }));
    assert.equal(failure.type, FailureType.MalformedRequest);
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /id/);
  });

  it('an updateOrder input that does not parse fails non-retryably (MalformedRequest)', async () => {
    const bwp = {
      getOrder: async () => ({ kind: 'success', value: null }),
      updateOrder: async () => {
        throw new z.ZodError([{ code: 'custom', path: ['refunds', 0, 'state'], message: 'bad state', input: 'X' }]);
      },
    } as unknown as BwpClient;
    const acts = createActivities({ bwp, refunds: {} as RefundClient, policy: TEST_POLICY });
    const failure = await failureOf(
      env().run(acts.reportToBwp, {
        update: { orderIdentifier: { orderId: 'o' }, input: { refunds: { details: [{ id: 'r' }] } } } as never,
      }),
    );
    assert.equal(failure.type, FailureType.MalformedRequest);
    assert.equal(failure.nonRetryable, true);
  });
});
