/**
 * SUBMITTING: POST /refund under the current revision's key until a definitive answer (docs/protocol.md, "No new key
 * while money may have moved"). Runs shielded from cancellation (the run's loop): a Temporal cancel waits for the
 * definitive outcome. Every attempt's outcome reaches this loop (one attempt per activity), so once an attempt under a
 * key was unknown, no later 4xx or 409 under that key opens a new key: the refund parks with the key in doubt instead.
 */
import { ActivityFailure, ApplicationFailure, condition, log, proxyActivities } from '@temporalio/workflow';
import { formatDecimal } from '../../domain/money';
import { problem, STORE_REJECTION_PROBLEMS } from '../../domain/problems';
import type { RefundPlan } from '../../domain/plan';
import { checkStoreRefund } from '../../domain/store-refund';
import {
  FailureType,
  type RefundActivities,
  type SubmissionProgress,
  type SubmitAttemptResult,
} from '../refund.contract';
import { timerNow, type Run, type Transition } from '../refund-transition';

type Answer = SubmitAttemptResult | { kind: 'malformed'; message: string };

/** The submission under way for the current key: resumed as it is (a re-check of a key in doubt starts a new round). */
export function openSubmission(run: Run): void {
  const { state } = run;
  const key = state.idempotencyKey;
  const resumed = state.submission?.idempotencyKey === key ? state.submission : undefined;
  const sub: SubmissionProgress = resumed ?? {
    revision: state.revision,
    idempotencyKey: key,
    since: run.now(),
    attempts: 0,
    unknownSeen: false,
    inconclusive: 0,
    attemptsSinceStop: 0,
    refundFailed: 0,
  };
  if (resumed && state.inDoubt) {
    // An operator's re-check of a key in doubt: one more round of the same key and payload.
    sub.inconclusive = 0;
    sub.attemptsSinceStop = 0;
  }
  state.submission = sub;
}

export async function submitting(run: Run): Promise<Transition> {
  const { state, inbox } = run;
  const sub = state.submission!;
  const plan = state.plan!;
  const key = state.idempotencyKey;
  const retry = new Backoff(run, sub);
  for (;;) {
    // A recorded decision goes first: nothing more is sent once every answer under this key was definitive.
    if (inbox.stopRequested()) {
      if (!sub.unknownSeen) return { to: 'decide', otherwise: 'park' };
      if (sub.attemptsSinceStop >= run.timing().unknownOutcomeRetries) {
        parkInDoubt(
          run,
          sub,
          'UNKNOWN_OUTCOME',
          `stopped while the outcome under ${key} was unknown after ${sub.attempts} attempts`,
        );
        return { to: 'decide', otherwise: 'park' };
      }
    }
    const answer = await attempt(run, key, plan);
    record(run, sub, answer);
    const next = await onAnswer(run, sub, plan, answer, retry);
    if (next) return next;
    await run.continueAsNewIfSuggested();
  }
}

/** One POST /refund under `key`, its outcome as a value. */
async function attempt(run: Run, key: string, plan: RefundPlan): Promise<Answer> {
  try {
    return await proxyActivities<RefundActivities>(run.submitOptions()).submitRefundAttempt.executeWithOptions(
      {
        ...run.submitOptions(),
        summary: `POST /refund ${plan.mode} ${formatDecimal(plan.report.total, plan.report.currency)} ${plan.report.currency}, key ${key}`,
      },
      [{ request: { id: key, ...plan.storeRequest } }],
    );
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    if (err.cause instanceof ApplicationFailure && err.cause.type === FailureType.MalformedRequest) {
      return { kind: 'malformed', message: err.cause.message };
    }
    // A timeout, a worker crash, an unexpected error: the call may have reached the store. Unknown.
    return { kind: 'unknown', message: err.cause?.message ?? err.message };
  }
}

function record(run: Run, sub: SubmissionProgress, answer: Answer): void {
  const { inbox } = run;
  sub.attempts += 1;
  if (inbox.stopRequested()) sub.attemptsSinceStop += 1;
  inbox.recordAttempt({
    revision: sub.revision,
    idempotencyKey: sub.idempotencyKey,
    at: run.now(),
    outcome: answer.kind === 'credentials' ? 'rejected' : answer.kind,
    ...('code' in answer ? { code: answer.code } : {}),
    ...('message' in answer ? { message: answer.message } : {}),
    ...(answer.kind === 'refunded' ? { refunded: answer.refunded } : {}),
  });
  if (answer.kind !== 'credentials' && inbox.hasAttention('CREDENTIALS_REJECTED')) {
    inbox.clear('CREDENTIALS_REJECTED');
    run.publish();
  }
}

/** What an answer means: where the refund goes, or undefined to send the same key again (after `retry`'s wait). */
async function onAnswer(
  run: Run,
  sub: SubmissionProgress,
  plan: RefundPlan,
  answer: Answer,
  retry: Backoff,
): Promise<Transition | undefined> {
  const { state } = run;
  const key = sub.idempotencyKey;
  switch (answer.kind) {
    case 'refunded':
      state.refunded = answer.refunded;
      state.inDoubt = undefined;
      state.submission = undefined;
      // docs/domain.md rule 18: what the store refunded is checked against the plan; a mismatch is reported as it is
      // (the report's lines restated to add up to it) and flagged until the refund ends, and after.
      {
        const check = checkStoreRefund(plan, answer.refunded);
        if (!check.matches) {
          state.plan = { ...plan, report: check.report };
          run.flag('REFUND_AMOUNT_MISMATCH', check.problem.message);
          log.error('the store refunded another amount than the plan', { refundId: state.refundId, key });
        }
      }
      return { to: 'report' };
    case 'unknown':
      sub.unknownSeen = true;
      await retry.wait();
      return undefined;
    case 'throttled':
      // Without a Retry-After: the same growing back-off as any retry, with jitter so throttled refunds spread out.
      if (answer.retryAfterMs !== undefined) await retry.waitFor(answer.retryAfterMs);
      else await retry.wait(true);
      return undefined;
    case 'credentials':
      run.flag('CREDENTIALS_REJECTED', answer.message);
      await retry.wait();
      return undefined;
    case 'malformed':
      // Nothing was sent: a defect in what the service built. A person must look; a new key for whatever comes next.
      run.openRevision();
      state.submission = undefined;
      run.flag('MALFORMED_REQUEST', answer.message);
      return { to: 'fetch', problems: [problem('MALFORMED_REQUEST', answer.message, { field: 'storeRequest' })] };
    case 'rejected':
    case 'alarm':
      return onRefusal(run, sub, answer, retry);
  }
}

/** A 4xx or a 409 under `sub`'s key: definitive, unless an earlier attempt under the key had an unknown outcome. */
async function onRefusal(
  run: Run,
  sub: SubmissionProgress,
  answer: Extract<Answer, { kind: 'rejected' | 'alarm' }>,
  retry: Backoff,
): Promise<Transition | undefined> {
  const { state } = run;
  const key = sub.idempotencyKey;
  if (sub.unknownSeen) {
    // Not proof that nothing moved: an earlier attempt under this key may have refunded.
    sub.inconclusive += 1;
    if (sub.inconclusive > run.timing().unknownOutcomeRetries || state.inDoubt) {
      parkInDoubt(
        run,
        sub,
        'UNKNOWN_OUTCOME',
        `an attempt under ${key} had an unknown outcome; later attempts answered ${answer.code} (${answer.message}); money may have moved`,
      );
      return { to: 'park' };
    }
    await retry.wait();
    return undefined;
  }
  if (answer.kind === 'alarm') {
    parkInDoubt(run, sub, 'IDEMPOTENCY_ALARM', `key ${key} was reused with another payload; money may have moved`);
    return { to: 'park' };
  }
  if (answer.code === 'REFUND_FAILED' && ++sub.refundFailed < run.timing().refundFailedAttempts) {
    await retry.wait();
    return undefined;
  }
  // A definitive answer: nothing moved under this key, so the next plan gets a new revision (and key).
  run.openRevision();
  state.submission = undefined;
  return {
    to: 'fetch',
    problems: [
      problem(
        STORE_REJECTION_PROBLEMS[answer.code] ?? 'STORE_REJECTED',
        `The store rejected the refund (${answer.code}): ${answer.message}`,
        { field: 'storeRequest' },
      ),
    ],
  };
}

/** The key's outcome is in doubt: parked, flagged, no suggestion; only resubmit-verified opens a new key. */
function parkInDoubt(
  run: Run,
  sub: SubmissionProgress,
  reason: 'UNKNOWN_OUTCOME' | 'IDEMPOTENCY_ALARM',
  detail: string,
): void {
  const { state } = run;
  state.inDoubt = { revision: sub.revision, idempotencyKey: sub.idempotencyKey, reason, since: run.now(), detail };
  state.problems = [
    problem(reason === 'UNKNOWN_OUTCOME' ? 'UNKNOWN_OUTCOME' : 'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH', detail, {
      field: 'storeRequest',
    }),
  ];
  state.suggestion = undefined;
  run.flag(reason, detail);
  log.error('POST /refund outcome in doubt: parked; no new key without an operator', {
    key: sub.idempotencyKey,
    reason,
  });
}

/**
 * The waits between two attempts under one key: growing (doubling up to submitRetryMaxMs), ended early by a re-check,
 * and flagging a submission that takes too long (SUBMITTING_TOO_LONG).
 */
class Backoff {
  private ms: number;

  constructor(
    private readonly run: Run,
    private readonly sub: SubmissionProgress,
  ) {
    this.ms = run.timing().submitRetryInitialMs;
  }

  /** The next growing wait; with `jitter`, equal jitter (half fixed, half drawn: the workflow's seeded Math.random). */
  async wait(jitter = false): Promise<void> {
    await this.waitFor(jitter ? Math.round(this.ms / 2 + (Math.random() * this.ms) / 2) : this.ms);
    this.ms = Math.min(this.ms * 2, this.run.timing().submitRetryMaxMs);
  }

  async waitFor(ms: number): Promise<void> {
    const { run, sub } = this;
    const { inbox } = run;
    const deadline = Date.now() + Math.max(0, ms);
    for (;;) {
      const attentionAt = inbox.hasAttention('SUBMITTING_TOO_LONG')
        ? Infinity
        : Date.parse(sub.since) + run.timing().submitAttentionAfterMs;
      const until = Math.min(deadline, attentionAt);
      const woken = until > Date.now() ? await condition(() => inbox.recheckRequested, until - Date.now()) : true;
      const now = timerNow(woken, until);
      if (now >= attentionAt) {
        run.flag(
          'SUBMITTING_TOO_LONG',
          `no definitive answer to POST /refund under ${sub.idempotencyKey} since ${sub.since} (${sub.attempts} attempts)`,
        );
      }
      if (inbox.recheckRequested) {
        inbox.recheckRequested = false;
        return;
      }
      if (now >= deadline) return;
    }
  }
}
