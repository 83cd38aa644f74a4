import { ApplicationFailure, log, metricMeter } from '@temporalio/activity';
import type { BwpOrder, RefundState, UpdateOrderInput } from '../domain/schemas/bwp';
import { ALIAS_EXTERNAL_ID } from '../domain/schemas/bwp';
import type { RefundRequest, StoreOrder } from '../domain/schemas/store';
import type { Policy } from '../domain/context';
import { FailureType, type RefundTiming } from '../workflows/refund.contract';
import { UNAUTHORIZED, type Outcome } from './clients/outcome';
import type { BwpClient } from './clients/bwp-client';
import type { RefundClient } from './clients/refund-client';

/**
 * All I/O of the refund workflow. Built over injected clients so workers pass real ones and tests pass the sandbox.
 * Outcomes are classified once, in the clients; here they become Temporal semantics:
 * - success: a value;
 * - definitive rejection: a value the workflow acts on (or a non-retryable failure where nothing can be done);
 * - throttled: a retryable failure with nextRetryDelay from Retry-After;
 * - unknown: a retryable failure, so the same payload and idempotency key are sent again.
 */

export interface ActivityDeps {
  bwp: BwpClient;
  refunds: RefundClient;
  /** Read the store's order (GET /orders/:id) to check lines, quantities, shipping and pre-orders; off if the store has no such API. */
  readStoreOrder?: boolean;
  /** Reason map and appeasement policy, from config; handed to the workflow with each read of the order. */
  policy: Policy;
  /** The worker's timing (timeouts, waits, bounds), from its config: handed to the workflow with each read. */
  timing?: Partial<RefundTiming>;
}

export interface RefundContextData {
  order: BwpOrder | null;
  /** undefined: not read (no store read API); null: the store has no such order. */
  storeOrder?: StoreOrder | null;
  storeOrderId?: string;
}

export interface FetchedContext extends RefundContextData {
  policy: Policy;
  /** The worker's timing: activity timeouts and waits are owned by the worker's configuration. */
  timing?: Partial<RefundTiming>;
}

/**
 * One attempt of POST /refund, every answer returned as a value (the activity runs with one attempt): the workflow sees
 * each outcome, so it knows when an attempt under a key had an unknown outcome (docs/protocol.md, "No new key while
 * money may have moved"). A timeout of the activity or a worker crash reaches the workflow as an ActivityFailure, which
 * it counts as unknown.
 */
export type SubmitAttemptResult =
  | { kind: 'refunded'; refunded: { amount: string; currency: string } }
  /** A definitive answer that nothing moved (unless an earlier attempt under the key was unknown). */
  | { kind: 'rejected'; code: string; message: string; status?: number }
  /** 409: the key was used with another payload. Never resend automatically. */
  | { kind: 'alarm'; code: string; message: string }
  /** 429: nothing moved; try the same key after `retryAfterMs`. */
  | { kind: 'throttled'; retryAfterMs: number; message: string }
  /** Credentials refused: nothing moved; the same key is tried again after a back-off (a misconfiguration shows). */
  | { kind: 'retry'; code: string; message: string }
  /** Timeout, reset, 5xx, unreadable 2xx: money may have moved. */
  | { kind: 'unknown'; message: string };

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

/**
 * Turns a failed outcome into a Temporal failure. Rejections are final only for writes (`final: true`): a rejected
 * read, or bad credentials anywhere, are retried with backoff, so a misconfiguration or a BwP hiccup shows as a
 * retrying activity in the UI instead of failing refunds.
 */
function retryOrFail<T>(outcome: Exclude<Outcome<T>, { kind: 'success' }>, what: string, final = false): never {
  switch (outcome.kind) {
    case 'throttled':
      metricMeter
        .createCounter('refund_throttled_calls', 'calls', 'Calls answered with a throttle')
        .add(1, { call: what });
      throw ApplicationFailure.create({
        type: 'Throttled',
        message: `${what}: throttled (${outcome.message}); retrying after ${outcome.retryAfterMs} ms`,
        nextRetryDelay: outcome.retryAfterMs,
      });
    case 'unknown':
      throw ApplicationFailure.create({
        type: 'UnknownOutcome',
        message: `${what}: outcome unknown (${outcome.message})`,
      });
    case 'rejected':
      throw ApplicationFailure.create({
        type: `Rejected:${outcome.code}`,
        message: `${what}: rejected ${outcome.code}: ${outcome.message}`,
        nonRetryable: final && outcome.code !== UNAUTHORIZED,
      });
  }
}

export function createActivities(deps: ActivityDeps) {
  async function readOrder(orderId: string): Promise<BwpOrder | null> {
    const outcome = await deps.bwp.getOrder(orderId);
    if (outcome.kind !== 'success') retryOrFail(outcome, 'BwP order query');
    return outcome.value;
  }

  return {
    /** Re-reads the BwP order and, through its EXTERNAL_ID alias, the store's order. */
    fetchRefundContext: async (input: { orderId: string }): Promise<FetchedContext> => {
      const order = await readOrder(input.orderId);
      const storeOrderId = order?.aliases.find((a) => a.aliasType === ALIAS_EXTERNAL_ID)?.aliasId;
      let storeOrder: StoreOrder | null | undefined = undefined;
      if (storeOrderId && deps.readStoreOrder !== false) {
        const outcome = await deps.refunds.getStoreOrder(storeOrderId);
        if (outcome.kind !== 'success') retryOrFail(outcome, 'store order read');
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
          metricMeter
            .createCounter('refund_throttled_calls', 'calls', 'Calls answered with a throttle')
            .add(1, { call: 'POST /refund' });
          return { kind: 'throttled', retryAfterMs: outcome.retryAfterMs, message: outcome.message };
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
          if (outcome.code === UNAUTHORIZED) return { kind: 'retry', code: outcome.code, message: outcome.message };
          return { kind: 'rejected', code: outcome.code, message: outcome.message, status: outcome.status };
      }
    },

    /**
     * updateOrder, made idempotent by reading first: when BwP already shows this update (same state and cumulative total,
     * e.g. an earlier attempt applied but its answer was lost), it is not sent again.
     */
    reportToBwp: async (input: { update: UpdateOrderInput }): Promise<RefundState> => {
      const wanted = input.update.refunds[0]!;
      const current = (await readOrder(input.update.orderId))?.refunds.details.find((r) => r.id === wanted.id);
      if (
        current &&
        current.state === wanted.state &&
        current.refundTotal?.totalAmount.amount === wanted.refundTotal.totalAmount.amount &&
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
      if (outcome.kind !== 'success') retryOrFail(outcome, 'BwP updateOrder', true);
      return outcome.value.refunds.details.find((r) => r.id === wanted.id)?.state ?? wanted.state;
    },
  };
}

export type RefundActivities = ReturnType<typeof createActivities>;
