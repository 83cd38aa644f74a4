/**
 * The vocabulary of a refund run: the steps of docs/protocol.md (one file each under steps/), the one `Transition` a
 * step answers with, and `Run`, what a step may use of its run (refund-run.ts implements it; the steps depend on this
 * interface only, so nothing imports in a circle).
 */
import type { ActivityInterfaceFor, ActivityOptions } from '@temporalio/workflow';
import type { Problem } from '../domain/problems';
import type { RefundDetails } from '../domain/schemas/bwp';
import type { RefundInbox } from './refund-inbox';
import {
  RefundStatus,
  TERMINAL_STATUSES,
  type AttentionReason,
  type RefundActivities,
  type RefundResult,
  type RefundTiming,
  type RefundView,
  type RefundWorkflowInput,
  type RefundWorkflowState,
} from './refund.contract';

/**
 * Where a refund goes next. Each step but `decide` shows a status while it runs (FETCHING, AWAITING_REPAIR,
 * SUBMITTING, REPORTING, AWAITING_SETTLEMENT); `decide` applies a recorded decision (decline, resolve, cancel,
 * Temporal's cancellation) and, when it is refused, goes on with `otherwise`; `end` finishes with a terminal status.
 */
export type Transition =
  | { to: 'fetch'; problems?: Problem[] }
  | { to: 'park' | 'submit' | 'report' | 'settle' }
  | { to: 'decide'; otherwise: 'fetch' | 'park' | 'submit' | 'settle' }
  | { to: 'end'; status: RefundStatus; extra?: Partial<RefundResult> };

/** What `Run.authenticated` answers when a recorded decision ended its wait for the credentials. */
export const STOPPED = Symbol('stopped');

/** What a step may use of its run. */
export interface Run {
  readonly input: RefundWorkflowInput;
  readonly inbox: RefundInbox;
  readonly state: RefundWorkflowState;
  /** The workflow's clock, as an ISO string. */
  now(): string;
  timing(): RefundTiming;
  /** Publishes what changed (search attributes, memo) and answers the refund's view. */
  publish(): RefundView;
  /** Sets an attention reason (publishing it) unless it is already set with the same detail. */
  flag(reason: AttentionReason, detail?: string): void;
  /** Opens the next plan revision with its key, fixed from now on (docs/protocol.md "Idempotency keys"). */
  openRevision(): void;
  /** The Buy with Prime refund in the order as last read. */
  refundOf(): RefundDetails | undefined;
  /** The reads and the report (refund task queue); `lookupOptions()` are theirs. */
  lookups(): ActivityInterfaceFor<RefundActivities>;
  lookupOptions(): ActivityOptions;
  /** POST /refund, one attempt per activity, on the rate-limited submission task queue. */
  submitOptions(): ActivityOptions;
  /**
   * Runs a read or the report. While an API refuses the credentials the refund is flagged CREDENTIALS_REJECTED and the
   * call tried again after growing waits; a decision recorded meanwhile ends the wait (`STOPPED`) unless `untilDone`.
   */
  authenticated<T>(call: () => Promise<T>, opts?: { untilDone?: boolean }): Promise<T | typeof STOPPED>;
  /** Continues as new when the server suggests it, only while nothing is recorded and not yet applied. */
  continueAsNewIfSuggested(): Promise<void>;
}

/** Where a run (first or continued as new) picks up. */
export function resumeAt(status: RefundStatus): Transition {
  switch (status) {
    case RefundStatus.AWAITING_REPAIR:
      return { to: 'park' };
    case RefundStatus.SUBMITTING:
      return { to: 'submit' };
    case RefundStatus.REPORTING:
      return { to: 'report' };
    case RefundStatus.AWAITING_SETTLEMENT:
      return { to: 'settle' };
    default:
      return TERMINAL_STATUSES.includes(status) ? { to: 'settle' } : { to: 'fetch' };
  }
}

/**
 * The time to judge deadlines by after a wait: when the timer fired (`woken` false), its deadline has passed, whatever
 * the workflow clock says. The clock can lag: on the production cluster a worker that had a run cached from a query,
 * handed the timer's task after the dead sticky worker's timeout, ran it with the time of an older task and started a
 * timer instead of the due step, and the run no longer replayed (test/cluster). With a correct clock this is
 * `Date.now()`, so histories replay alike.
 */
export function timerNow(woken: boolean, deadline: number): number {
  return woken ? Date.now() : Math.max(Date.now(), deadline);
}
