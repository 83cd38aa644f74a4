/**
 * The contract of the refund workflow: everything the API, workers and tests need to talk to it, and nothing else.
 * Import this, never string names. (Kept free of I/O so workflow code, the API and tests all share it.)
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
// Safe outside workflow code too: these only build typed definitions.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Problem } from '../domain/problems';
import type { RefundPlan } from '../domain/plan';
import type { RepairInput, DeclineInput, ResolveInput } from '../domain/schemas/repair';
import type { RefundState } from '../domain/schemas/bwp';
import type { Policy } from '../domain/context';
import type { RefundContextData } from '../activities';

/** Default task queue of the refund workflows and of their light activities (fetch, report, poll); TEMPORAL_TASK_QUEUE. */
export const REFUND_TASK_QUEUE = 'refunds';
/**
 * Task queue of `POST /refund` only, derived from the workflow's queue: its rate limit is enforced by the Temporal
 * server across all workers of that queue.
 */
export function submitTaskQueue(refundTaskQueue: string): string {
  return `${refundTaskQueue}-submissions`;
}

/**
 * One workflow per BwP refund: the same refund never runs twice at once. `:` separates the parts, so each id has its
 * `:` and `%` (and nothing else) percent-encoded: no two (order, refund) pairs share an id (`a:b`/`c` and `a`/`b:c`
 * used to), and every id without those two characters maps exactly as before, so refunds already running under
 * `refund:<order>:<refund>` are still found by later events.
 */
export function refundWorkflowId(orderId: string, refundId: string): string {
  const part = (id: string) => id.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));
  return `refund:${part(orderId)}:${part(refundId)}`;
}

/** The idempotency key of POST /refund: one per refund and plan revision, reused on every retry of that revision. */
export function refundIdempotencyKey(orderId: string, refundId: string, revision: number): string {
  return `bwp-${orderId}-${refundId}-r${revision}`;
}

export enum RefundStatus {
  FETCHING = 'FETCHING',
  AWAITING_REPAIR = 'AWAITING_REPAIR',
  SUBMITTING = 'SUBMITTING',
  REPORTING = 'REPORTING',
  AWAITING_SETTLEMENT = 'AWAITING_SETTLEMENT',
  REFUNDED = 'REFUNDED',
  PARTIALLY_REFUNDED = 'PARTIALLY_REFUNDED',
  DECLINED = 'DECLINED',
  RESOLVED_ELSEWHERE = 'RESOLVED_ELSEWHERE',
  CANCELLED = 'CANCELLED',
}

export const TERMINAL_STATUSES: readonly RefundStatus[] = [
  RefundStatus.REFUNDED,
  RefundStatus.PARTIALLY_REFUNDED,
  RefundStatus.DECLINED,
  RefundStatus.RESOLVED_ELSEWHERE,
  RefundStatus.CANCELLED,
];

/** Custom search attributes, by name and server type. Registered by the dev server set-up and by docker-compose. */
export const SEARCH_ATTRIBUTES = {
  RefundStatus: 'Keyword',
  BwpOrderId: 'Keyword',
  StoreOrderId: 'Keyword',
  RefundProblemCodes: 'KeywordList',
  NeedsAttention: 'Bool',
} as const;

export const SA = {
  status: defineSearchAttributeKey('RefundStatus', SearchAttributeType.KEYWORD),
  bwpOrderId: defineSearchAttributeKey('BwpOrderId', SearchAttributeType.KEYWORD),
  storeOrderId: defineSearchAttributeKey('StoreOrderId', SearchAttributeType.KEYWORD),
  problemCodes: defineSearchAttributeKey('RefundProblemCodes', SearchAttributeType.KEYWORD_LIST),
  needsAttention: defineSearchAttributeKey('NeedsAttention', SearchAttributeType.BOOL),
};

export interface RefundWorkflowInput {
  orderId: string;
  refundId: string;
  businessProductId?: string;
  /** Durations the workflow waits, in ms (production defaults come from config; tests shorten them). */
  timing?: Partial<RefundTiming>;
  /** Set by continue-as-new only: the state and the messages not yet acted on. */
  carried?: CarriedState;
}

export interface CarriedState {
  state: RefundWorkflowState;
  context?: RefundContextData;
  policy?: Policy;
  pendingRepair?: RepairMessage;
  pendingDecision?: PendingDecision;
  seenRequests: string[];
}

export type PendingDecision =
  | { kind: 'decline'; msg: DeclineMessage }
  | { kind: 'resolve'; msg: ResolveMessage }
  | { kind: 'cancel'; msg: CancelMessage };

export interface RefundTiming {
  /** First re-check of BwP while parked; doubles up to recheckMaxMs. */
  recheckInitialMs: number;
  recheckMaxMs: number;
  /** Parked this long without repair: NeedsAttention=true. */
  attentionAfterMs: number;
  /** First settlement poll after reporting; doubles up to settleMaxMs. */
  settleInitialMs: number;
  settleMaxMs: number;
  /** startToClose of a lookup (BwP read, store read, updateOrder): above the clients' timeouts. */
  lookupTimeoutMs: number;
  /** startToClose of one POST /refund attempt: above the refund client's timeout. */
  submitTimeoutMs: number;
}

export const DEFAULT_TIMING: RefundTiming = {
  recheckInitialMs: 60_000,
  recheckMaxMs: 6 * 3600_000,
  attentionAfterMs: 24 * 3600_000,
  settleInitialMs: 30_000,
  settleMaxMs: 3600_000,
  lookupTimeoutMs: 30_000,
  submitTimeoutMs: 60_000,
};

/** Who did what, when: every operator message, accepted or not. */
export interface AuditEntry {
  at: string;
  operator: string;
  action: 'repair' | 'decline' | 'resolve' | 'cancel';
  accepted: boolean;
  detail?: unknown;
  problems?: Problem[];
}

export interface SubmissionAttempt {
  revision: number;
  idempotencyKey: string;
  at: string;
  outcome: 'refunded' | 'rejected' | 'alarm';
  code?: string;
  message?: string;
  refunded?: { amount: string; currency: string };
}

export interface RefundWorkflowState {
  orderId: string;
  refundId: string;
  status: RefundStatus;
  /** When the first run started (kept across continue-as-new). */
  startedAt: string;
  storeOrderId?: string;
  bwpState?: RefundState;
  problems: Problem[];
  plan?: RefundPlan;
  /** Increases on every new plan after a definitive rejection or a repair: a new revision means a new idempotency key. */
  revision: number;
  suggestion?: { repair: RepairInput; explanation: string[] };
  attempts: SubmissionAttempt[];
  audit: AuditEntry[];
  /** True while `attention` is set: the NeedsAttention search attribute. */
  needsAttention: boolean;
  /**
   * Why a person should look: parked too long, the 409 alarm, BwP refusing our report after money moved, or the store
   * refunding another amount than the plan (kept after the refund finishes, so that it stays findable).
   */
  attention?: {
    reason: 'PARKED_TOO_LONG' | 'IDEMPOTENCY_ALARM' | 'REPORT_REJECTED' | 'REFUND_AMOUNT_MISMATCH';
    since: string;
    detail?: string;
  };
  parkedSince?: string;
  /** Total refunded on the store for this refund so far, decimal string. */
  refunded?: { amount: string; currency: string };
  result?: RefundResult;
}

export interface RefundResult {
  status: RefundStatus;
  orderId: string;
  refundId: string;
  /** What the store refunded, as a decimal string (absent when nothing moved). */
  refunded?: { amount: string; currency: string };
  bwpState?: RefundState;
  statusReason?: string;
  note?: string;
}

export interface OperatorMessage<T> {
  operator: string;
  /** Client-chosen id, so a retried HTTP call is applied once. */
  requestId?: string;
  input: T;
}

export type RepairMessage = OperatorMessage<RepairInput>;
export type DeclineMessage = OperatorMessage<DeclineInput>;
export type ResolveMessage = OperatorMessage<ResolveInput>;
export type CancelMessage = OperatorMessage<{ note?: string }>;

export interface RepairAccepted {
  plan: RefundPlan;
  revision: number;
}

// Signals: durable, fire-and-forget (the Temporal UI and `temporal workflow signal` can send them).
export const repairSignal = defineSignal<[RepairMessage]>('repair');
export const declineSignal = defineSignal<[DeclineMessage]>('decline');
export const resolveSignal = defineSignal<[ResolveMessage]>('resolve');
export const cancelSignal = defineSignal<[CancelMessage]>('cancel');
/** A later BwP event for the same refund: re-check now. */
export const refundEventSignal = defineSignal<[{ eventId: string; descriptor: string }]>('refundEvent');

// Updates: the same operator messages with a validator, so the API answers at once with the problems.
export const repairUpdate = defineUpdate<RepairAccepted, [RepairMessage]>('repairUpdate');
export const declineUpdate = defineUpdate<RefundWorkflowState, [DeclineMessage]>('declineUpdate');
export const resolveUpdate = defineUpdate<RefundWorkflowState, [ResolveMessage]>('resolveUpdate');
export const cancelUpdate = defineUpdate<RefundWorkflowState, [CancelMessage]>('cancelUpdate');

export const stateQuery = defineQuery<RefundWorkflowState>('state');

/**
 * The state with what the workflow validates a repair against: the order as it last read it (absent before the first
 * read) and the policy. One query, so a repair page checking as the operator types costs one query per check.
 */
export interface RefundContextView {
  state: RefundWorkflowState;
  context?: RefundContextData;
  policy?: Policy;
}
export const contextQuery = defineQuery<RefundContextView>('context');
