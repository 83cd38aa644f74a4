/**
 * The refund's state and its inbox: every operator message goes through `receive`, which parses it, decides by the
 * admission rule (refund-admission.ts, docs/protocol.md "State × action") whether it is allowed now, records it (audit
 * trail, inbox) and answers. Nothing here changes the status or talks to the outside: the run's loop (refund-run.ts)
 * is the only code that changes the status, and its steps apply what the inbox holds. Pure, deterministic code (no
 * Temporal APIs), so it is safe in workflow code and unit-testable on its own.
 */
import type { Policy, RefundContext } from '../domain/context';
import type { RefundPlan } from '../domain/plan';
import { problem, type Problem } from '../domain/problems';
import type { RepairInput } from '../domain/schemas/repair';
import {
  FailureType,
  refundIdempotencyKey,
  RefundStatus,
  STICKY_ATTENTION,
  TERMINAL_STATUSES,
  type Attention,
  type AttentionReason,
  type AuditEntry,
  type CarriedState,
  type OrderSnapshot,
  type RecordedDecision,
  type RefundTiming,
  type RefundWorkflowInput,
  type RefundWorkflowState,
} from './refund.contract';
import {
  admissionFacts,
  admitDecision,
  admitRecheck,
  admitRepair,
  admitResubmit,
  type Admission,
  type AdmissionFacts,
} from './refund-admission';
import {
  operatorOf,
  parseMessage,
  RefundEventMessage,
  requestIdOf,
  StartedBy,
  type OperatorAction,
} from './refund.messages';
import { refundView } from './refund-view';

const MAX_AUDIT = 200;
const MAX_SEEN_REQUESTS = 100;
const MAX_ATTEMPTS_KEPT = 50;

/** What `receive` answers: accepted (with what happens next) or refused with the problems and a failure type. */
export type Verdict =
  | { accepted: true; next: string; duplicate?: boolean; plan?: RefundPlan; revision?: number }
  | { accepted: false; type: FailureType; problems: Problem[] };

/** A repair (or an accepted suggestion) recorded by a handler: re-validated against a fresh read before it is sent. */
export interface RecordedRepair {
  operator: string;
  requestId?: string;
  input: RepairInput;
  via: 'repair' | 'acceptSuggestion';
}

export interface RecordedResubmit {
  operator: string;
  requestId?: string;
  note: string;
}

export class RefundInbox {
  readonly state: RefundWorkflowState;
  /** The orders as last read (absent before the first read). */
  orders?: OrderSnapshot;
  policy?: Policy;
  /** The worker's timing as last read with the order (the workflow input overrides it). */
  workerTiming: Partial<RefundTiming>;
  pendingRepair?: RecordedRepair;
  resubmit?: RecordedResubmit;
  /** An operator's re-check, or a later BwP event: the current wait ends early. */
  recheckRequested = false;
  /** Set when Temporal asked to cancel the workflow (UI Cancel, `temporal workflow cancel`). */
  temporalCancel = false;
  /** The request ids of messages taken, with what each asked (a reused id must ask the same). */
  private readonly seenRequests: SeenRequest[];

  constructor(
    input: RefundWorkflowInput,
    private readonly now: () => string,
  ) {
    const carried = input.carried;
    this.state = carried ? carried.state : freshState(input, now());
    this.orders = carried?.orders;
    this.policy = carried?.policy;
    this.workerTiming = carried?.workerTiming ?? {};
    this.seenRequests = [...(carried?.seenRequests ?? [])];
    if (carried?.pendingRepair) this.pendingRepair = { ...carried.pendingRepair, via: 'repair' };
  }

  /** What continue-as-new hands to the next run. */
  carried(): CarriedState {
    return {
      state: this.state,
      orders: this.orders,
      policy: this.policy,
      workerTiming: this.workerTiming,
      seenRequests: this.seenRequests,
      ...(this.pendingRepair ? { pendingRepair: this.pendingRepair } : {}),
    };
  }

  // ---- facts the rules read ----

  get status(): RefundStatus {
    return this.state.status;
  }
  moneyMoved(): boolean {
    return this.state.refunded !== undefined;
  }
  finished(): boolean {
    return TERMINAL_STATUSES.includes(this.state.status) || this.state.result !== undefined;
  }
  /** An operator decision or Temporal's cancellation is waiting to be applied. */
  stopRequested(): boolean {
    return this.temporalCancel || this.state.pendingDecision !== undefined;
  }
  /** Nothing recorded and not yet acted on: the only moment continue-as-new is allowed. */
  idle(): boolean {
    return !this.pendingRepair && !this.resubmit && !this.recheckRequested && !this.stopRequested();
  }
  /** What the rules validate against: the order and policy as last read (undefined before the first read). */
  refundContext(): RefundContext | undefined {
    const { orders, policy } = this;
    return orders?.order && policy
      ? { order: orders.order, refundId: this.state.refundId, storeOrder: orders.storeOrder, policy }
      : undefined;
  }

  // ---- the inbox ----

  /**
   * The one door of every operator message, signal or update alike: parse, check the rules, record. A malformed or
   * refused message is audited with its problems and changes nothing else; it never throws.
   */
  receive(action: OperatorAction, raw: unknown, via: 'signal' | 'update'): Verdict {
    const parsed = parseMessage(action, raw);
    if (!parsed.ok) {
      this.audit({
        operator: operatorOf(raw),
        action,
        accepted: false,
        requestId: requestIdOf(raw),
        via,
        detail: 'malformed message',
        problems: parsed.problems,
      });
      return { accepted: false, type: FailureType.InvalidMessage, problems: parsed.problems };
    }
    const msg = parsed.msg;
    const seen = this.seenAs(action, msg);
    if (seen === 'same') {
      return { accepted: true, duplicate: true, next: 'already recorded under this request id; nothing more was done' };
    }
    const verdict = seen === 'other' ? keyReused(msg.requestId!) : this.decide(action, msg as never);
    this.audit({
      operator: msg.operator,
      action,
      accepted: verdict.accepted,
      requestId: msg.requestId,
      via,
      detail: msg.input,
      ...(verdict.accepted ? {} : { problems: verdict.problems }),
    });
    if (verdict.accepted && msg.requestId) {
      this.seenRequests.push({ id: msg.requestId, fingerprint: fingerprint(action, msg) });
      if (this.seenRequests.length > MAX_SEEN_REQUESTS) this.seenRequests.shift();
    }
    return verdict;
  }

  /**
   * Whether a message's request id (the caller's Idempotency-Key) was taken before: with the same action, operator and
   * input ('same': a retry, answered as recorded), or with something else ('other': refused, nothing happens).
   */
  private seenAs(action: OperatorAction, msg: { requestId?: string; operator: string; input: unknown }) {
    const seen = msg.requestId ? this.seenRequests.find((r) => r.id === msg.requestId) : undefined;
    if (!seen) return undefined;
    return seen.fingerprint === fingerprint(action, msg) ? 'same' : 'other';
  }

  /** A later BwP event (the webhook): re-check now. A malformed one is audited and ignored. */
  receiveEvent(raw: unknown): void {
    const parsed = RefundEventMessage.safeParse(raw);
    if (!parsed.success) {
      this.audit({
        operator: 'unknown',
        action: 'refundEvent',
        accepted: false,
        via: 'signal',
        detail: 'malformed message',
        problems: [
          problem('INVALID_INPUT', 'refundEvent needs { eventId, descriptor } strings', { field: 'refundEvent' }),
        ],
      });
      return;
    }
    if (!this.finished()) this.recheckRequested = true;
  }

  /** The facts the admission rule (refund-admission.ts) decides on: those of the view the refund publishes. */
  facts(): AdmissionFacts {
    return admissionFacts(refundView(this.state, this, this.orders), this.state.suggestion?.repair);
  }

  /**
   * What an update validator refuses before anything is recorded: a payload that does not parse, and a repair that
   * breaks the rules (the admission rule's own verdicts). A message the state does not allow now passes the validator
   * and is refused by the handler, so that the refusal is audited.
   */
  validate(action: OperatorAction, raw: unknown): { type: FailureType; problems: Problem[] } | undefined {
    const parsed = parseMessage(action, raw);
    if (!parsed.ok) return { type: FailureType.InvalidMessage, problems: parsed.problems };
    if (this.seenAs(action, parsed.msg) === 'other') return keyReused(parsed.msg.requestId!);
    const verdict = this.admit(action, parsed.msg as never);
    if (!verdict.accepted && verdict.type === FailureType.InvalidRepair) return verdict;
    return undefined;
  }

  /** The admission rule for a parsed message, in the refund's current state. */
  private admit(action: OperatorAction, msg: { input: never }): Admission {
    const f = this.facts();
    switch (action) {
      case 'repair':
        return admitRepair(f, 'repair', this.refundContext(), { repair: msg.input }, this.state.revision);
      case 'acceptSuggestion':
        return admitRepair(
          f,
          'acceptSuggestion',
          this.refundContext(),
          { note: (msg.input as { note?: string }).note },
          this.state.revision,
        );
      case 'decline':
      case 'resolve':
      case 'cancel':
        return admitDecision(f, action);
      case 'recheck':
        return admitRecheck(f);
      case 'resubmitVerified':
        return admitResubmit(f);
    }
  }

  /** Admits the message (refund-admission.ts) and, when it is taken, records it for the main loop. */
  private decide(action: OperatorAction, msg: { operator: string; requestId?: string; input: never }): Verdict {
    const s = this.status;
    const admission = this.admit(action, msg);
    if (!admission.accepted) return admission;
    switch (action) {
      case 'repair':
      case 'acceptSuggestion':
        this.pendingRepair = { operator: msg.operator, requestId: msg.requestId, input: admission.input!, via: action };
        return {
          accepted: true,
          next: 'the order is read again, the repair re-validated against it and, if it still holds, submitted',
          plan: { ...admission.plan!, revision: this.state.revision },
          revision: this.state.revision,
        };
      case 'decline':
      case 'resolve':
      case 'cancel':
        this.state.pendingDecision = {
          kind: action,
          operator: msg.operator,
          requestId: msg.requestId,
          at: this.now(),
          source: 'operator',
          input: { ...(msg.input as Record<string, unknown>) },
        };
        return { accepted: true, next: DECISION_NEXT[action][s] ?? 'applied next' };
      case 'recheck':
        this.recheckRequested = true;
        return { accepted: true, next: RECHECK_NEXT[s] ?? 'recorded' };
      case 'resubmitVerified': {
        const input = msg.input as { note: string };
        this.resubmit = { operator: msg.operator, requestId: msg.requestId, note: input.note };
        return {
          accepted: true,
          next: `key ${this.state.inDoubt!.idempotencyKey} is recorded as verified by ${msg.operator}; a new plan revision (and key) is opened, the order read again and, if it is valid, submitted`,
        };
      }
    }
  }

  // ---- records the main loop keeps ----

  audit(entry: Omit<AuditEntry, 'at'>): void {
    this.state.audit.push({ at: this.now(), ...entry });
    if (this.state.audit.length > MAX_AUDIT) this.state.audit.splice(0, this.state.audit.length - MAX_AUDIT);
  }

  recordAttempt(attempt: RefundWorkflowState['attempts'][number]): void {
    this.state.attempts.push(attempt);
    if (this.state.attempts.length > MAX_ATTEMPTS_KEPT)
      this.state.attempts.splice(0, this.state.attempts.length - MAX_ATTEMPTS_KEPT);
  }

  hasAttention(reason: AttentionReason): boolean {
    return this.state.attentions.some((a) => a.reason === reason);
  }

  flag(reason: AttentionReason, detail?: string): void {
    const list = this.state.attentions.filter((a) => a.reason !== reason);
    list.push({ reason, since: this.now(), ...(detail ? { detail } : {}) });
    this.setAttentions(list);
  }

  clear(...reasons: AttentionReason[]): void {
    this.setAttentions(this.state.attentions.filter((a) => !reasons.includes(a.reason)));
  }

  /** Transient reasons clear when their wait ends; sticky ones stay until the refund ends. */
  clearTransient(): void {
    this.setAttentions(this.state.attentions.filter((a) => STICKY_ATTENTION.includes(a.reason)));
  }

  /** The refund ended: every reason clears but a store refund that differs from the plan, which stays findable. */
  clearOnFinish(): void {
    this.setAttentions(this.state.attentions.filter((a) => a.reason === 'REFUND_AMOUNT_MISMATCH'));
  }

  private setAttentions(list: Attention[]): void {
    // The most pressing first: the reasons about money (sticky), then the others, each in the order they were set.
    const sticky = list.filter((a) => STICKY_ATTENTION.includes(a.reason));
    this.state.attentions = [...sticky, ...list.filter((a) => !STICKY_ATTENTION.includes(a.reason))];
    this.state.needsAttention = list.length > 0;
  }
}

interface SeenRequest {
  id: string;
  fingerprint: string;
}

/** What a message asks, in a few characters: its action, operator and input (parsed, so its keys are in schema order). */
function fingerprint(action: OperatorAction, msg: { operator: string; input: unknown }): string {
  return cyrb53(JSON.stringify([action, msg.operator, msg.input]));
}

/** cyrb53 (public domain): a fast 53-bit string hash, deterministic (no crypto in workflow code). */
function cyrb53(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/** A request id taken before for another request: refused, nothing recorded (the API answers 409). */
function keyReused(requestId: string): Verdict & { accepted: false } {
  return {
    accepted: false,
    type: FailureType.IdempotencyKeyReused,
    problems: [
      problem(
        'IDEMPOTENCY_KEY_REUSED',
        `Idempotency-Key ${requestId} was already used for another request on this refund; nothing was changed. Send this request with a new key.`,
        { field: 'header.idempotency-key' },
      ),
    ],
  };
}

const RECHECK_NEXT: Partial<Record<RefundStatus, string>> = {
  [RefundStatus.FETCHING]: 'the order is being read right now; nothing more to do',
  [RefundStatus.AWAITING_REPAIR]: 'Buy with Prime is checked now (and a key in doubt is asked again)',
  [RefundStatus.SUBMITTING]: 'the same key is sent again now instead of after the back-off',
  [RefundStatus.REPORTING]: 'Buy with Prime is checked right after the report in flight',
  [RefundStatus.AWAITING_SETTLEMENT]: 'Buy with Prime is checked now',
};

const WHEN_SUBMITTING =
  'applied once the POST /refund in flight has a definitive answer (the same key is asked again while it is unknown); if money moved it is reported to Buy with Prime first and the result says so';
const DECISION_NEXT: Record<'decline' | 'resolve' | 'cancel', Partial<Record<RefundStatus, string>>> = {
  decline: {
    [RefundStatus.FETCHING]: 'applied as soon as the read in flight returns: FAILURE is reported to Buy with Prime',
    [RefundStatus.AWAITING_REPAIR]: 'applied now: FAILURE is reported to Buy with Prime, then the refund ends DECLINED',
    [RefundStatus.SUBMITTING]:
      'applied if the POST /refund in flight ends with nothing refunded; refused (audited) if money moved',
  },
  resolve: {
    [RefundStatus.FETCHING]: 'applied as soon as the read in flight returns; nothing is sent',
    [RefundStatus.AWAITING_REPAIR]: 'applied now: the refund ends RESOLVED_ELSEWHERE, nothing is sent',
    [RefundStatus.SUBMITTING]: WHEN_SUBMITTING,
    [RefundStatus.REPORTING]: 'applied once the report in flight finishes',
    [RefundStatus.AWAITING_SETTLEMENT]: 'applied now: the wait for Buy with Prime ends',
  },
  cancel: {
    [RefundStatus.FETCHING]: 'applied as soon as the read in flight returns; nothing is sent',
    [RefundStatus.AWAITING_REPAIR]: 'applied now: the refund ends CANCELLED, nothing is sent',
    [RefundStatus.SUBMITTING]: WHEN_SUBMITTING,
    [RefundStatus.REPORTING]: 'applied once the report in flight finishes',
    [RefundStatus.AWAITING_SETTLEMENT]: 'applied now: the wait for Buy with Prime ends',
  },
};

function freshState(input: RefundWorkflowInput, now: string): RefundWorkflowState {
  // Who started a refund by hand; parsed, as the input may come from anyone's `temporal workflow start`.
  const by = input.startedBy === undefined ? undefined : StartedBy.safeParse(input.startedBy);
  const audit: AuditEntry[] = by?.success
    ? [
        {
          at: now,
          operator: by.data.operator,
          action: 'start',
          accepted: true,
          ...(by.data.requestId ? { requestId: by.data.requestId } : {}),
          via: 'workflow',
          detail: 'started by hand (POST /refunds): its event was lost upstream',
        },
      ]
    : [];
  return {
    orderId: input.orderId,
    refundId: input.refundId,
    status: RefundStatus.FETCHING,
    problems: [],
    revision: 1,
    // Revision 1's key, fixed now (docs/protocol.md "Idempotency keys").
    idempotencyKey: refundIdempotencyKey(input.orderId, input.refundId, 1),
    startedAt: now,
    attempts: [],
    audit,
    needsAttention: false,
    attentions: [],
  };
}

/** The recorded decision of a Temporal cancellation request. */
export function temporalCancelDecision(at: string): RecordedDecision {
  return { kind: 'cancel', operator: 'temporal', at, source: 'temporal', input: {} };
}
