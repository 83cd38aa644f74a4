import { activityInfo, ApplicationFailure, cancellationSignal, log, metricMeter } from '@temporalio/activity';
import type { BwpOrder, RefundState, UpdateOrderInput } from '../domain/schemas/bwp';
import { ALIAS_EXTERNAL_ID } from '../domain/schemas/bwp';
import type { RefundRequest, StoreOrder } from '../domain/schemas/store';
import type { Policy } from '../domain/context';
import {
  FailureType,
  type FetchedOrder,
  type RefundActivities,
  type RefundTiming,
  type SubmitAttemptResult,
} from '../workflows/refund.contract';
import { UNAUTHORIZED, type Outcome } from './clients/outcome';
import { pacer, type PaceOptions } from './pacer';
import type { BwpClient } from './clients/bwp-client';
import type { RefundClient } from './clients/refund-client';
import type { StoreOrderClient } from './clients/store-order-client';

/**
 * All I/O of the refund workflow. Built over injected clients so workers pass real ones and tests pass the sandbox.
 * Outcomes are classified once, in the clients; here they become Temporal semantics:
 * - success: a value;
 * - definitive rejection: a value the workflow acts on (or a non-retryable failure where nothing can be done);
 * - throttled: a retryable failure with nextRetryDelay from Retry-After, else an exponential back-off with jitter;
 * - credentials refused (after one token refresh): a non-retryable `CredentialsRejected` failure: the workflow flags
 *   the refund CREDENTIALS_REJECTED and tries again itself, with growing waits (a person must fix the credentials);
 * - unknown: a retryable failure, so the same payload and idempotency key are sent again.
 */

export interface ActivityDeps {
  bwp: BwpClient;
  refunds: RefundClient;
  /** The merchant's order-facts endpoint (STORE_ORDER_URL); absent: the store order is not read. */
  storeOrders?: StoreOrderClient;
  /** Reason map and appeasement policy, from config; handed to the workflow with each read of the order. */
  policy: Policy;
  /** The worker's timing (timeouts, waits, bounds), from its config: handed to the workflow with each read. */
  timing?: Partial<RefundTiming>;
  /** How this process's POST /refund calls leave (activities/pacer.ts `submissionPace`); absent: unpaced. */
  submitPace?: PaceOptions;
}

/** A ZodError (or any throw) from a client parsing what the service built itself: a defect, never retried. */
function malformed(err: unknown, what: string): ApplicationFailure {
  const issues =
    err && typeof err === 'object' && 'issues' in err && Array.isArray((err as { issues: unknown[] }).issues)
      ? (err as { issues: { path?: unknown[]; message?: string }[] }).issues
          .slice(0, 5)
          .map((i) => `${(i.path ?? []).join('.') || '(root)'}: ${i.message ?? ''}`)
          .join('; ')
      : err instanceof Error
        ? err.message
        : String(err);
  return ApplicationFailure.create({
    type: FailureType.MalformedRequest,
    message: `${what}: the service built a request that does not parse (${issues}); nothing was sent`,
    nonRetryable: true,
  });
}

/** Every answer class of POST /refund, and every throttled call to either API. */
function countSubmission(answer: string) {
  metricMeter.createCounter('refund_submissions', 'calls', 'POST /refund answers by class').add(1, { answer });
}

/** The failure type of a call whose credentials were refused after a token refresh (the workflow flags the refund). */
export const CREDENTIALS_REJECTED = FailureType.CredentialsRejected;

/**
 * Back-off of a throttled call that named no Retry-After (Buy with Prime documents only "retry with exponential
 * backoff"): 1 s doubling per attempt, capped at 60 s, with equal jitter (half fixed, half random) so that many refunds
 * throttled together do not come back together (docs/operations.md).
 */
export const THROTTLE_BACKOFF = { initialMs: 1_000, maxMs: 60_000 } as const;
export function throttleBackoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(THROTTLE_BACKOFF.maxMs, THROTTLE_BACKOFF.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function countThrottled(call: string) {
  metricMeter.createCounter('refund_throttled_calls', 'calls', 'Calls answered with a throttle').add(1, { call });
}

function countCredentialsRejected(api: 'bwp' | 'store') {
  metricMeter
    .createCounter('refund_credentials_rejected', 'calls', 'Calls whose credentials were refused after a token refresh')
    .add(1, { api });
}

/**
 * Turns a failed outcome into a Temporal failure. Rejections are final only for writes (`final: true`): a rejected
 * read is retried with backoff, so a BwP hiccup shows as a retrying activity in the UI instead of failing refunds.
 * Refused credentials fail at once (CredentialsRejected) for the workflow to flag and retry.
 */
function retryOrFail<T>(
  outcome: Exclude<Outcome<T>, { kind: 'success' }>,
  what: string,
  api: 'bwp' | 'store',
  final = false,
): never {
  switch (outcome.kind) {
    case 'throttled': {
      countThrottled(what);
      const delay = outcome.retryAfterMs ?? throttleBackoffMs(activityInfo().attempt);
      throw ApplicationFailure.create({
        type: 'Throttled',
        message: `${what}: throttled (${outcome.message}); retrying after ${delay} ms${outcome.retryAfterMs === undefined ? ' (no Retry-After: exponential back-off)' : ''}`,
        nextRetryDelay: delay,
      });
    }
    case 'unknown':
      throw ApplicationFailure.create({
        type: 'UnknownOutcome',
        message: `${what}: outcome unknown (${outcome.message})`,
      });
    case 'rejected':
      if (outcome.code === UNAUTHORIZED) {
        countCredentialsRejected(api);
        throw ApplicationFailure.create({
          type: CREDENTIALS_REJECTED,
          message: `${what}: ${outcome.message}`,
          details: [{ api }],
          nonRetryable: true,
        });
      }
      throw ApplicationFailure.create({
        type: `Rejected:${outcome.code}`,
        message: `${what}: rejected ${outcome.code}: ${outcome.message}`,
        nonRetryable: final,
      });
  }
}

export function createActivities(deps: ActivityDeps): RefundActivities {
  const paceSubmission = pacer(deps.submitPace ?? { minIntervalMs: 0 });
  async function readOrder(orderId: string): Promise<BwpOrder | null> {
    const outcome = await deps.bwp.getOrder(orderId);
    if (outcome.kind !== 'success') retryOrFail(outcome, 'BwP order query', 'bwp');
    return outcome.value;
  }

  return {
    /** Re-reads the BwP order and, through its EXTERNAL_ID alias, the store's order. */
    fetchRefundContext: async (input: { orderId: string }): Promise<FetchedOrder> => {
      const order = await readOrder(input.orderId);
      const storeOrderId = order?.aliases.find((a) => a.aliasType === ALIAS_EXTERNAL_ID)?.aliasId;
      let storeOrder: StoreOrder | null | undefined = undefined;
      if (storeOrderId && deps.storeOrders) {
        const outcome = await deps.storeOrders.getStoreOrder(storeOrderId);
        if (outcome.kind !== 'success') retryOrFail(outcome, 'store order read', 'store');
        storeOrder = outcome.value;
      }
      return { order, storeOrder, storeOrderId, policy: deps.policy, ...(deps.timing ? { timing: deps.timing } : {}) };
    },

    /** The refund's current BwP state (null when the order or refund is gone). */
    checkRefundState: async (input: { orderId: string; refundId: string }): Promise<RefundState | null> => {
      const order = await readOrder(input.orderId);
      return order?.refunds.details.find((r) => r.id === input.refundId)?.state ?? null;
    },

    /**
     * One attempt of POST /refund, on its own rate-limited task queue; every answer is a value (SubmitAttemptResult).
     * Only a request that does not parse throws (MalformedRequest, non-retryable): nothing was sent.
     */
    submitRefundAttempt: async (input: { request: RefundRequest }): Promise<SubmitAttemptResult> => {
      let outcome: Awaited<ReturnType<RefundClient['submitRefund']>>;
      // Handed out at the limit by the server; sent no sooner than its slot here (activities/pacer.ts), so tasks that
      // reach this process together do not leave together.
      await paceSubmission(cancellationSignal());
      try {
        outcome = await deps.refunds.submitRefund(input.request);
      } catch (err) {
        throw malformed(err, 'POST /refund');
      }
      countSubmission(outcome.kind === 'rejected' ? `rejected:${outcome.code}` : outcome.kind);
      switch (outcome.kind) {
        case 'success':
          return { kind: 'refunded', refunded: outcome.value.refunded };
        case 'throttled':
          countThrottled('POST /refund');
          return {
            kind: 'throttled',
            ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}),
            message: outcome.message,
          };
        case 'unknown':
          return { kind: 'unknown', message: outcome.message };
        case 'rejected':
          if (outcome.code === 'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH') {
            log.error('idempotency key reused with another payload', {
              key: input.request.id,
              order: input.request.order,
            });
            return { kind: 'alarm', code: outcome.code, message: outcome.message };
          }
          if (outcome.code === UNAUTHORIZED) {
            countCredentialsRejected('store');
            return { kind: 'credentials', code: outcome.code, message: outcome.message };
          }
          return { kind: 'rejected', code: outcome.code, message: outcome.message, status: outcome.status };
      }
    },

    /**
     * updateOrder, made idempotent by reading first: when BwP already shows this update (same state and cumulative total,
     * e.g. an earlier attempt applied but its answer was lost), it is not sent again.
     */
    reportToBwp: async (input: { update: UpdateOrderInput }): Promise<RefundState> => {
      const wanted = input.update.input.refunds.details[0]!;
      const orderId = input.update.orderIdentifier.orderId;
      const current = (await readOrder(orderId))?.refunds.details.find((r) => r.id === wanted.id);
      if (
        current &&
        current.state === wanted.state &&
        current.refundTotal?.totalAmount?.amount === wanted.refundTotal.totalAmount.amount &&
        (wanted.aliases ?? []).every((a) =>
          current.aliases.some((c) => c.aliasType === a.aliasType && c.aliasId === a.aliasId),
        )
      ) {
        return current.state;
      }
      let outcome: Awaited<ReturnType<BwpClient['updateOrder']>>;
      try {
        outcome = await deps.bwp.updateOrder(input.update);
      } catch (err) {
        throw malformed(err, 'BwP updateOrder');
      }
      if (outcome.kind !== 'success') retryOrFail(outcome, 'BwP updateOrder', 'bwp', true);
      return outcome.value.refunds.details.find((r) => r.id === wanted.id)?.state ?? wanted.state;
    },
  };
}
