import { ApplicationFailure } from '@temporalio/common';
import type { Failed, Outcome } from './outcome';

/** ApplicationFailure `type` of a throttled call; retried by the activity's policy after `nextRetryDelay`. */
export const THROTTLED = 'THROTTLED';
/** ApplicationFailure `type` when we cannot know what happened; retried with the same payload and key. */
export const UNKNOWN_OUTCOME = 'UNKNOWN_OUTCOME';

/** What an activity failure carries in `details[0]`, so the workflow can act without parsing messages. */
export interface FailureDetails {
  kind: Failed['kind'];
  code?: string;
  status?: number;
  retryable?: boolean;
  retryAfterMs?: number;
}

/**
 * The Temporal side of the classification (STYLE.md, "Errors are classified once"): a definitive rejection becomes a
 * non-retryable ApplicationFailure whose `type` is the code; throttled and unknown outcomes stay retryable, the former
 * with `nextRetryDelay` from Retry-After. REFUND_FAILED is non-retryable here too: the workflow, not the activity's retry
 * policy, decides how many more tries it gets (details.retryable says it may try again with the same key).
 */
export function toApplicationFailure(outcome: Failed): ApplicationFailure {
  switch (outcome.kind) {
    case 'rejected': {
      const details: FailureDetails = { kind: 'rejected', code: outcome.code, status: outcome.status };
      if (outcome.retryable) details.retryable = true;
      return ApplicationFailure.create({
        type: outcome.code,
        message: outcome.message,
        nonRetryable: true,
        details: [details],
      });
    }
    case 'throttled':
      return ApplicationFailure.create({
        type: THROTTLED,
        message: outcome.message,
        nonRetryable: false,
        nextRetryDelay: outcome.retryAfterMs,
        details: [{ kind: 'throttled', retryAfterMs: outcome.retryAfterMs } satisfies FailureDetails],
      });
    case 'unknown':
      return ApplicationFailure.create({
        type: UNKNOWN_OUTCOME,
        message: outcome.message,
        nonRetryable: false,
        details: [{ kind: 'unknown', status: outcome.status } satisfies FailureDetails],
      });
  }
}

/** The success value, or throws the outcome's ApplicationFailure: the one-liner an activity body needs. */
export function unwrapOutcome<T>(outcome: Outcome<T>): T {
  if (outcome.kind === 'success') return outcome.value;
  throw toApplicationFailure(outcome);
}
