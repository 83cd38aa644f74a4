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
import type {
  AcceptSuggestionInput,
  CancelInput,
  OperatorAction,
  RecheckInput,
  ResubmitVerifiedInput,
} from './refund.messages';
import type { BwpOrder, RefundState, UpdateOrderInput } from '../domain/schemas/bwp';
import type { RefundRequest, StoreOrder } from '../domain/schemas/store';
import type { Policy } from '../domain/context';

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
 * would otherwise).
 */
export function refundWorkflowId(orderId: string, refundId: string): string {
  const part = (id: string) => id.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));
  return `refund:${part(orderId)}:${part(refundId)}`;
}

/**
 * The refund id of a workflow id: `refund:<order>:<refund>` with `:` and `%` percent-encoded in each part
 * (refundWorkflowId); undefined for an id of another form.
 */
export function refundIdOf(workflowId: string): string | undefined {
  const parts = /^refund:([^:]*):([^:]*)$/.exec(workflowId);
  return parts ? parts[2]!.replace(/%3A|%25/gi, (e) => (e === '%25' ? '%' : ':')) : undefined;
}

/**
 * The idempotency key of POST /refund: one per refund and plan revision, reused on every retry of that revision.
 * `-` separates the parts, so each id has its `-` and `%` (and nothing else) percent-encoded: no two refunds share a key
 * (`a-b`/`c` and `a`/`b-c` used to), and an id without those two characters keys exactly as before. A workflow computes
 * it once, when a revision opens, and keeps it in its state (`idempotencyKey`): a revision already open keeps the key
 * it was opened with, whatever this function becomes (docs/protocol.md "Idempotency keys").
 */
export function refundIdempotencyKey(orderId: string, refundId: string, revision: number): string {
  const part = (id: string) => id.replace(/[%-]/g, (c) => (c === '%' ? '%25' : '%2D'));
  return `bwp-${part(orderId)}-${part(refundId)}-r${revision}`;
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
export const SEARCH_ATTRIBUTE_TYPES = {
  RefundStatus: 'Keyword',
  BwpOrderId: 'Keyword',
  StoreOrderId: 'Keyword',
  RefundProblemCodes: 'KeywordList',
  NeedsAttention: 'Bool',
  RefundAttention: 'KeywordList',
} as const;

export const SEARCH_ATTRIBUTES = {
  status: defineSearchAttributeKey('RefundStatus', SearchAttributeType.KEYWORD),
  bwpOrderId: defineSearchAttributeKey('BwpOrderId', SearchAttributeType.KEYWORD),
  storeOrderId: defineSearchAttributeKey('StoreOrderId', SearchAttributeType.KEYWORD),
  problemCodes: defineSearchAttributeKey('RefundProblemCodes', SearchAttributeType.KEYWORD_LIST),
  needsAttention: defineSearchAttributeKey('NeedsAttention', SearchAttributeType.BOOL),
  /** Every active attention reason (e.g. CREDENTIALS_REJECTED), so the UI can filter on one. */
  attention: defineSearchAttributeKey('RefundAttention', SearchAttributeType.KEYWORD_LIST),
};

export interface RefundWorkflowInput {
  orderId: string;
  refundId: string;
  businessProductId?: string;
  /**
   * Overrides of the worker's timing, in ms (tests shorten waits). Production passes none: the worker's configuration
   * owns timeouts and waits and hands them to the workflow with every read of the order (FetchedContext.timing).
   */
  timing?: Partial<RefundTiming>;
  /** Who started it by hand (POST /refunds, for an event lost upstream): the first entry of its audit trail. */
  startedBy?: { operator: string; requestId?: string };
  /** Set by continue-as-new only: the state and the messages not yet acted on. */
  carried?: CarriedState;
}

export interface CarriedState {
  state: RefundWorkflowState;
  /** The orders as last read (absent before the first read). */
  orders?: OrderSnapshot;
  policy?: Policy;
  /** The worker's timing as last read. */
  workerTiming?: Partial<RefundTiming>;
  pendingRepair?: RepairMessage;
  /** Request ids taken, each with a fingerprint of what it asked (a reused id must ask the same). */
  seenRequests: { id: string; fingerprint: string }[];
}

// ---- the activities, as the workflow calls them (activities/index.ts implements them) ----

/** The orders as the workflow last read them: Buy with Prime's, and the store's through its EXTERNAL_ID alias. */
export interface OrderSnapshot {
  order: BwpOrder | null;
  /** undefined: not read (no STORE_ORDER_URL); null: the store has no such order. */
  storeOrder?: StoreOrder | null;
  storeOrderId?: string;
}

/** What `fetchRefundContext` answers: the orders, and the worker's policy and timing (config reaches running refunds). */
export interface FetchedOrder extends OrderSnapshot {
  policy: Policy;
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
  /** 429: nothing moved; try the same key after `retryAfterMs` (absent: the workflow's own growing back-off). */
  | { kind: 'throttled'; retryAfterMs?: number; message: string }
  /** Credentials refused: nothing moved; the same key is tried again after a growing back-off, the refund flagged. */
  | { kind: 'credentials'; code: string; message: string }
  /** Timeout, reset, 5xx, unreadable 2xx: money may have moved. */
  | { kind: 'unknown'; message: string };

/** The activity names are recorded in every history: never rename one. */
export interface RefundActivities {
  /** Both orders (Buy with Prime's, the store's), with the worker's policy and timing. */
  fetchRefundContext: (input: { orderId: string }) => Promise<FetchedOrder>;
  /** The refund's current Buy with Prime state (null when the order or the refund is gone). */
  checkRefundState: (input: { orderId: string; refundId: string }) => Promise<RefundState | null>;
  /** One POST /refund (submission task queue, rate-limited by the server). */
  submitRefundAttempt: (input: { request: RefundRequest }) => Promise<SubmitAttemptResult>;
  /** updateOrder: the refund reported back; the state Buy with Prime answers with. */
  reportToBwp: (input: { update: UpdateOrderInput }) => Promise<RefundState>;
}

export interface RefundTiming {
  /** First re-check of BwP while parked; doubles up to recheckMaxMs. */
  recheckInitialMs: number;
  recheckMaxMs: number;
  /** Parked this long without repair: NeedsAttention=true (PARKED_TOO_LONG). */
  attentionAfterMs: number;
  /** First settlement poll after reporting; doubles up to settleMaxMs. */
  settleInitialMs: number;
  settleMaxMs: number;
  /** startToClose of a lookup (BwP read, store read, updateOrder): above the clients' timeouts. */
  lookupTimeoutMs: number;
  /** startToClose of one POST /refund attempt: above the refund client's timeout. */
  submitTimeoutMs: number;
  /** First wait before the same key is sent again after an unknown outcome or a throttle; doubles up to the max. */
  submitRetryInitialMs: number;
  submitRetryMaxMs: number;
  /** SUBMITTING this long without a definitive answer: NeedsAttention (SUBMITTING_TOO_LONG). */
  submitAttentionAfterMs: number;
  /** AWAITING_SETTLEMENT this long: NeedsAttention (SETTLEMENT_TOO_LONG). */
  settleAttentionAfterMs: number;
  /**
   * After an unknown outcome under a key, a 4xx or 409 under that key is not proof that nothing moved: the same key and
   * payload are sent this many more times before the refund parks with UNKNOWN_OUTCOME. Also the number of attempts a
   * pending decision (cancel, resolve, Temporal cancel) waits for a definitive answer.
   */
  unknownOutcomeRetries: number;
  /** Answers 500 REFUND_FAILED (nothing moved; the payment may succeed later) tried under one key before parking. */
  refundFailedAttempts: number;
  /** While an API refuses the credentials: the first wait before trying again; doubles up to the max. */
  credentialsRetryInitialMs: number;
  credentialsRetryMaxMs: number;
}

export const DEFAULT_TIMING: RefundTiming = {
  recheckInitialMs: 60_000,
  recheckMaxMs: 6 * 3600_000,
  attentionAfterMs: 24 * 3600_000,
  settleInitialMs: 30_000,
  settleMaxMs: 3600_000,
  lookupTimeoutMs: 30_000,
  submitTimeoutMs: 60_000,
  submitRetryInitialMs: 2_000,
  submitRetryMaxMs: 5 * 60_000,
  submitAttentionAfterMs: 30 * 60_000,
  settleAttentionAfterMs: 48 * 3600_000,
  unknownOutcomeRetries: 5,
  refundFailedAttempts: 3,
  credentialsRetryInitialMs: 30_000,
  credentialsRetryMaxMs: 30 * 60_000,
};

/** Who did what, when: every operator message, accepted or not, and what the workflow did with it. */
export interface AuditEntry {
  at: string;
  operator: string;
  action: OperatorAction | 'refundEvent' | 'temporalCancel' | 'start';
  accepted: boolean;
  requestId?: string;
  /** How it arrived: a signal, an update, or the workflow itself applying or refusing a recorded message. */
  via?: 'signal' | 'update' | 'workflow';
  detail?: unknown;
  problems?: Problem[];
}

export interface SubmissionAttempt {
  revision: number;
  idempotencyKey: string;
  at: string;
  outcome: 'refunded' | 'rejected' | 'alarm' | 'unknown' | 'throttled' | 'malformed';
  code?: string;
  message?: string;
  refunded?: { amount: string; currency: string };
}

/**
 * Why a person should look. The first five stay until the refund ends (REFUND_AMOUNT_MISMATCH, the store refunding
 * another amount than the plan, also after it ends, so that it stays findable); the others clear when the wait ends.
 */
export const ATTENTION_REASONS = [
  'IDEMPOTENCY_ALARM',
  'UNKNOWN_OUTCOME',
  'REPORT_REJECTED',
  'MALFORMED_REQUEST',
  'REFUND_AMOUNT_MISMATCH',
  'PARKED_TOO_LONG',
  'SUBMITTING_TOO_LONG',
  'SETTLEMENT_TOO_LONG',
  'REFUND_GONE_FROM_BWP',
  'CREDENTIALS_REJECTED',
] as const;
export type AttentionReason = (typeof ATTENTION_REASONS)[number];

export const STICKY_ATTENTION: readonly AttentionReason[] = [
  'IDEMPOTENCY_ALARM',
  'UNKNOWN_OUTCOME',
  'REPORT_REJECTED',
  'MALFORMED_REQUEST',
  'REFUND_AMOUNT_MISMATCH',
];

export interface Attention {
  reason: AttentionReason;
  since: string;
  detail?: string;
}

/** The submission under way: one plan revision, one idempotency key, every answer counted. */
export interface SubmissionProgress {
  revision: number;
  idempotencyKey: string;
  since: string;
  attempts: number;
  /** An attempt under this key had an unknown outcome (timeout, reset, 5xx, worker crash): money may have moved. */
  unknownSeen: boolean;
  /** Definitive-looking answers (4xx, 409) received after an unknown outcome under this key. */
  inconclusive: number;
  /** Attempts made since an operator or Temporal asked to stop. */
  attemptsSinceStop: number;
  refundFailed: number;
}

/** A key whose outcome is in doubt: no new key until an operator states they verified that nothing moved. */
export interface KeyInDoubt {
  revision: number;
  idempotencyKey: string;
  reason: 'UNKNOWN_OUTCOME' | 'IDEMPOTENCY_ALARM';
  since: string;
  detail: string;
}

/** A decision (decline, resolve, cancel) recorded by a handler, waiting for the main loop to apply it. */
export interface RecordedDecision {
  kind: 'decline' | 'resolve' | 'cancel';
  operator: string;
  requestId?: string;
  at: string;
  /** 'temporal': a workflow cancellation request (Temporal UI Cancel, `temporal workflow cancel`). */
  source: 'operator' | 'temporal';
  input: Record<string, unknown>;
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
  /** Findings that stop nothing (the reason rules unless REASON_RULES_BLOCK): recorded and shown. */
  advisories?: Problem[];
  plan?: RefundPlan;
  /** Increases on every new plan after a definitive rejection or a repair: a new revision means a new idempotency key. */
  revision: number;
  /** The idempotency key of the current revision, computed once when the revision opened and never again. */
  idempotencyKey: string;
  suggestion?: { repair: RepairInput; explanation: string[] };
  attempts: SubmissionAttempt[];
  audit: AuditEntry[];
  /** True while any attention is active: the NeedsAttention search attribute. */
  needsAttention: boolean;
  /** Every active reason a person should look, the most pressing first (those about money: STICKY_ATTENTION). */
  attentions: Attention[];
  parkedSince?: string;
  /** Total refunded on the store for this refund so far, decimal string. */
  refunded?: { amount: string; currency: string };
  /** The submission under way. */
  submission?: SubmissionProgress;
  /** A key whose outcome is in doubt: see resubmitVerified. */
  inDoubt?: KeyInDoubt;
  /** A decision recorded and not yet applied. */
  pendingDecision?: RecordedDecision;
  /** A decision the workflow is carrying out (e.g. a decline reporting FAILURE and waiting for BwP). */
  decision?: RecordedDecision;
  /** When the current wait for BwP to leave PENDING began. */
  settlingSince?: string;
  /** How many times the order was read (the memo's orderReads). */
  orderReads?: number;
  result?: RefundResult;
}

export interface RefundResult {
  status: RefundStatus;
  orderId: string;
  refundId: string;
  /** What the store refunded, as a decimal string (absent when nothing moved). */
  refunded?: { amount: string; currency: string };
  /** True when the store refunded (`refunded` says how much). */
  moneyMoved: boolean;
  /** True when the refund ended with an outcome in doubt (e.g. cancelled while a key was unknown). */
  moneyMayHaveMoved?: boolean;
  bwpState?: RefundState;
  statusReason?: string;
  note?: string;
}

export type { OperatorAction } from './refund.messages';
export {
  AcceptSuggestionMessage as AcceptSuggestionMessageSchema,
  CancelMessage as CancelMessageSchema,
  DeclineMessage as DeclineMessageSchema,
  MESSAGE_SCHEMAS,
  OPERATOR_ACTIONS,
  RecheckMessage as RecheckMessageSchema,
  RefundEventMessage as RefundEventMessageSchema,
  RepairMessage as RepairMessageSchema,
  ResolveMessage as ResolveMessageSchema,
  ResubmitVerifiedMessage as ResubmitVerifiedMessageSchema,
  CancelInput,
  AcceptSuggestionInput,
  RecheckInput,
  ResubmitVerifiedInput,
  parseMessage,
  zodProblems,
} from './refund.messages';

export interface OperatorMessage<T> {
  operator: string;
  /** Client-chosen id, so a retried HTTP call is applied once. */
  requestId?: string;
  input: T;
}

export type RepairMessage = OperatorMessage<RepairInput>;
export type DeclineMessage = OperatorMessage<DeclineInput>;
export type ResolveMessage = OperatorMessage<ResolveInput>;
export type CancelMessage = OperatorMessage<CancelInput>;
export type AcceptSuggestionMessage = OperatorMessage<AcceptSuggestionInput>;
export type RecheckMessage = OperatorMessage<RecheckInput>;
export type ResubmitVerifiedMessage = OperatorMessage<ResubmitVerifiedInput>;

export interface RepairAccepted {
  plan: RefundPlan;
  revision: number;
}

/**
 * What every update answers, at once: the message was recorded, and the refund as it stands after recording it. It
 * never waits for the outcome (an update waiting on a milestone could be cut off by continue-as-new); a caller that
 * must report the outcome follows the refund's memo (`describe()`) or its result, never a query.
 */
export interface MessageAccepted {
  action: OperatorAction;
  accepted: true;
  requestId?: string;
  /** The status when the message was recorded. */
  status: RefundStatus;
  /** What happens next, in words (e.g. "applied after the POST /refund in flight answers"). */
  next: string;
  /** A repair: the plan it validated to (re-validated against a fresh read before anything is sent). */
  plan?: RefundPlan;
  revision?: number;
  /** The refund's compact view after the message was recorded (what its memo holds). */
  view: RefundView;
}

// ---- the memo: what services read, from the server alone (describe(), list()); queries are for people ----

/** The memo keys of a refund workflow, each upserted only when it changes. */
export const MEMO = {
  /** RefundView: the compact view every list, detail and export shows. */
  view: 'refund',
  /** RefundDetailMemo: the plan, the suggestion, the key in doubt and the submission under way. */
  detail: 'detail',
  /** RefundTrail: the latest audit entries and attempts (the full trail is in the `state` query and the history). */
  trail: 'trail',
} as const;

/** Raised when the memo's shape changes in a way a reader must know (the API reads every version it knows). */
export const MEMO_VERSION = 1;
/** How much of the trail the memo keeps: the latest entries; older ones stay in the history and the `state` query. */
export const MEMO_AUDIT_ENTRIES = 20;
export const MEMO_ATTEMPTS = 10;
export const MEMO_PROBLEMS = 20;

/** A refund at a glance, as its memo holds it (MEMO.view). Money as decimal strings. */
export interface RefundView {
  v: typeof MEMO_VERSION;
  orderId: string;
  refundId: string;
  storeOrderId?: string;
  status: RefundStatus;
  bwpState?: RefundState;
  startedAt: string;
  parkedSince?: string;
  settlingSince?: string;
  revision: number;
  idempotencyKey: string;
  /** The keys sent (the latest MEMO_ATTEMPTS attempts') and the one of the submission under way. */
  keys: string[];
  /** Amazon's estimate, when the order was read. */
  requested?: { amount: string; currency: string };
  /** The plan's summary (MEMO.detail has the plan itself). */
  planned?: { amount: string; currency: string; mode: RefundPlan['mode']; lines: number; shipping: boolean };
  refunded?: { amount: string; currency: string };
  moneyMoved: boolean;
  /** The first MEMO_PROBLEMS problems. */
  problems: Problem[];
  advisories?: Problem[];
  attentions: Attention[];
  needsAttention: boolean;
  inDoubt?: KeyInDoubt;
  /** What is recorded and not yet applied (the admission rule's facts). */
  inbox?: {
    repair?: { operator: string };
    resubmit?: { operator: string };
    decision?: { kind: RecordedDecision['kind']; operator: string; requestId?: string };
    temporalCancel?: true;
  };
  /** A decision the workflow is carrying out now. */
  applying?: { kind: RecordedDecision['kind']; operator: string };
  hasSuggestion: boolean;
  /** POST /refund attempts so far (MEMO.trail has the latest). */
  attemptCount: number;
  lastOperator?: { operator: string; action: AuditEntry['action']; at: string; accepted: boolean };
  /** Counts the reads of the order: a reader caches the order (from the history) by run and this number. */
  orderReads: number;
  result?: RefundResult;
}

/** MEMO.detail. */
export interface RefundDetailMemo {
  plan?: RefundPlan;
  suggestion?: { repair: RepairInput; explanation: string[] };
  submission?: SubmissionProgress;
}

/** MEMO.trail. */
export interface RefundTrail {
  audit: AuditEntry[];
  attempts: SubmissionAttempt[];
}

/**
 * Failure types the workflow raises towards callers (update validators and handlers) and activities raise towards the
 * workflow. The API matches on these, never on string literals of its own.
 */
export const FailureType = {
  /** The message does not parse (which field, why: details[0] is Problem[]). */
  InvalidMessage: 'InvalidMessage',
  /** A repair that parses but breaks the domain's rules (details[0] is Problem[]). */
  InvalidRepair: 'InvalidRepair',
  /** The action is not allowed in the refund's current state (details[0] is Problem[]). */
  NotAllowed: 'NotAllowed',
  /** An activity was handed a request the service built itself and it does not parse: a defect; never retried. */
  MalformedRequest: 'MalformedRequest',
  /** An API refused the credentials after a token refresh: the workflow flags CREDENTIALS_REJECTED and waits. */
  CredentialsRejected: 'CredentialsRejected',
  /**
   * A message whose request id (the caller's Idempotency-Key) the refund has seen with another action, operator or
   * input: refused by the update validator, nothing recorded (details[0] is Problem[]; the API answers 409).
   */
  IdempotencyKeyReused: 'IdempotencyKeyReused',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

// Signals: durable, fire-and-forget (the Temporal UI, `temporal workflow signal` and batch operations send them).
// Every payload is parsed in the workflow: a malformed one is audited as rejected and changes nothing.
export const repairSignal = defineSignal<[RepairMessage]>('repair');
export const acceptSuggestionSignal = defineSignal<[AcceptSuggestionMessage]>('acceptSuggestion');
export const declineSignal = defineSignal<[DeclineMessage]>('decline');
export const resolveSignal = defineSignal<[ResolveMessage]>('resolve');
export const cancelSignal = defineSignal<[CancelMessage]>('cancel');
export const recheckSignal = defineSignal<[RecheckMessage]>('recheck');
export const resubmitVerifiedSignal = defineSignal<[ResubmitVerifiedMessage]>('resubmitVerified');
/** A later BwP event for the same refund: re-check now. */
export const refundEventSignal = defineSignal<[{ eventId: string; descriptor: string }]>('refundEvent');

// Updates: the twin of each operator signal, named `<signal>Update`. The validator rejects a malformed payload (and a
// repair that breaks the rules) with the problems; the handler records the message and answers at once.
export const repairUpdate = defineUpdate<MessageAccepted & RepairAccepted, [RepairMessage]>('repairUpdate');
export const acceptSuggestionUpdate = defineUpdate<MessageAccepted & RepairAccepted, [AcceptSuggestionMessage]>(
  'acceptSuggestionUpdate',
);
export const declineUpdate = defineUpdate<MessageAccepted, [DeclineMessage]>('declineUpdate');
export const resolveUpdate = defineUpdate<MessageAccepted, [ResolveMessage]>('resolveUpdate');
export const cancelUpdate = defineUpdate<MessageAccepted, [CancelMessage]>('cancelUpdate');
export const recheckUpdate = defineUpdate<MessageAccepted, [RecheckMessage]>('recheckUpdate');
export const resubmitVerifiedUpdate = defineUpdate<MessageAccepted, [ResubmitVerifiedMessage]>(
  'resubmitVerifiedUpdate',
);

/** Each operator action's signal and update, by action: one table for the API, docs and tests. */
export const MESSAGES = {
  repair: { signal: repairSignal, update: repairUpdate },
  acceptSuggestion: { signal: acceptSuggestionSignal, update: acceptSuggestionUpdate },
  decline: { signal: declineSignal, update: declineUpdate },
  resolve: { signal: resolveSignal, update: resolveUpdate },
  cancel: { signal: cancelSignal, update: cancelUpdate },
  recheck: { signal: recheckSignal, update: recheckUpdate },
  resubmitVerified: { signal: resubmitVerifiedSignal, update: resubmitVerifiedUpdate },
} as const;

/** The refund's whole state, for people: the Temporal UI's Queries tab and `temporal workflow query --type state`. */
export const stateQuery = defineQuery<RefundWorkflowState>('state');

/** The state with the orders the workflow validates repairs against and its policy, for people likewise. */
export interface OrderQueryAnswer {
  state: RefundWorkflowState;
  orders?: OrderSnapshot;
  policy?: Policy;
}
export const orderQuery = defineQuery<OrderQueryAnswer>('order');
