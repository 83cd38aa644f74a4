/**
 * One run of a refund workflow (docs/protocol.md): the state and inbox (refund-inbox.ts), the handlers, which only
 * record, and one loop, the only code that changes the status. The loop takes a `Transition` at a time: its gate (a
 * decision recorded goes first), the status it shows, and the step that runs there (steps/, one file each).
 *
 * FETCHING → (AWAITING_REPAIR ↔ repair) → SUBMITTING → REPORTING → AWAITING_SETTLEMENT → terminal.
 *
 * - A recorded decision is applied before anything can move money (checked before every POST /refund).
 * - Money-moving steps (SUBMITTING, REPORTING) run shielded from cancellation: a Temporal cancel lets them finish,
 *   records what happened, reports it, and only then ends the workflow.
 * - Continue-as-new happens only while nothing is recorded and not yet applied.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  log,
  makeContinueAsNewFunc,
  metricMeter,
  proxyActivities,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { RetryState, type SignalDefinition, type UpdateDefinition } from '@temporalio/common';
import { problem } from '../domain/problems';
import type { RefundDetails } from '../domain/schemas/bwp';
import {
  DEFAULT_TIMING,
  FailureType,
  MESSAGES,
  orderQuery,
  refundEventSignal,
  refundIdempotencyKey,
  RefundStatus,
  stateQuery,
  submitTaskQueue,
  type AttentionReason,
  type MessageAccepted,
  type RefundActivities,
  type RefundResult,
  type RefundTiming,
  type RefundView,
  type RefundWorkflowInput,
  type RefundWorkflowState,
} from './refund.contract';
import { OPERATOR_ACTIONS, type OperatorAction } from './refund.messages';
import { RefundInbox, type Verdict } from './refund-inbox';
import { published, Publisher } from './refund-publisher';
import { resumeAt, STOPPED, type Run, type Transition } from './refund-transition';
import { awaitingRepair } from './steps/awaiting-repair';
import { awaitingSettlement, settled } from './steps/awaiting-settlement';
import { deciding } from './steps/deciding';
import { fetching } from './steps/fetching';
import { reporting } from './steps/reporting';
import { openSubmission, submitting } from './steps/submitting';

/**
 * What a Temporal cancel ends a wait or a read with: a cancellation, or, for a read whose attempt was failing when the
 * cancel came, that attempt's failure: the server does not retry an activity once its cancel is requested (retry state
 * CANCEL_REQUESTED).
 */
function cancelledByTemporal(err: unknown): boolean {
  return isCancellation(err) || (err instanceof ActivityFailure && err.retryState === RetryState.CANCEL_REQUESTED);
}

export class RefundRun implements Run {
  readonly inbox: RefundInbox;
  readonly state: RefundWorkflowState;
  private readonly publisher: Publisher;
  // Service metrics (not emitted during replay). Created per run: the API and tests import this module outside one.
  private readonly metrics = {
    statusEntered: metricMeter.createCounter('refund_status_entered', 'refunds', 'Refunds entering each status'),
    parkedSeconds: metricMeter.createHistogram(
      'refund_parked_seconds',
      'float',
      's',
      'Time a refund waited for repair',
    ),
    endToEndSeconds: metricMeter.createHistogram('refund_end_to_end_seconds', 'float', 's', 'Event to terminal status'),
  };

  constructor(readonly input: RefundWorkflowInput) {
    this.inbox = new RefundInbox(input, () => this.now());
    this.state = this.inbox.state;
    // A fresh refund shows what its start says (the API reads an unpublished refund as its start view), and a continued
    // run what the last run published: nothing to publish until it moves (no publication command in its first task).
    const asStarted = input.carried || this.state.audit.length === 0;
    this.publisher = new Publisher(asStarted ? published(this.state, this.inbox, this.inbox.orders) : undefined);
  }

  // ---- the loop ----

  async run(): Promise<RefundResult> {
    this.registerHandlers();
    this.publish();
    let next = resumeAt(this.state.status);
    while (!this.state.result) {
      try {
        next = await this.take(next);
      } catch (err) {
        if (!(cancelledByTemporal(err) && this.inbox.temporalCancel)) throw err;
        // Temporal cancelled a wait or a read: nothing that moves money is in flight. Its cancellation is applied.
        next = { to: 'decide', otherwise: 'park' };
      }
    }
    // Every handler is synchronous, but the rule holds: nothing returns while a handler runs. (Checked first: a scope
    // and a condition cost promises, and the SDK records a stack for each.)
    if (!allHandlersFinished()) await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
    return this.state.result;
  }

  /** One transition: its gate, the status it shows, and its step. */
  private async take(next: Transition): Promise<Transition> {
    const { inbox, state } = this;
    switch (next.to) {
      case 'end':
        this.finish(next.status, next.extra);
        return next;
      case 'decide':
        return deciding(this, next.otherwise);
      case 'fetch':
        this.moveTo(RefundStatus.FETCHING);
        return fetching(this, next.problems);
      case 'park':
        if (inbox.stopRequested()) return { to: 'decide', otherwise: 'park' };
        this.moveTo(RefundStatus.AWAITING_REPAIR);
        return awaitingRepair(this);
      case 'submit':
        if (inbox.stopRequested() && !state.submission?.unknownSeen) return { to: 'decide', otherwise: 'park' };
        openSubmission(this);
        this.moveTo(RefundStatus.SUBMITTING);
        // The money-moving call cannot be cut half-way: a Temporal cancel waits for its definitive outcome.
        return CancellationScope.nonCancellable(() => submitting(this));
      case 'report':
        this.moveTo(RefundStatus.REPORTING);
        return CancellationScope.nonCancellable(() => reporting(this));
      case 'settle': {
        const end = settled(this);
        if (end) return end;
        this.moveTo(RefundStatus.AWAITING_SETTLEMENT);
        return awaitingSettlement(this);
      }
    }
  }

  private moveTo(status: RefundStatus): void {
    const { state, inbox } = this;
    if (state.status !== status) {
      // Debug: each move is already in the RefundStatus search attribute and the refund_status_entered metric.
      log.debug('refund status', { from: state.status, to: status, refundId: state.refundId });
      this.metrics.statusEntered.add(1, { status });
    }
    state.status = status;
    if (status === RefundStatus.AWAITING_REPAIR) state.parkedSince ??= this.now();
    else if (status !== RefundStatus.FETCHING && state.parkedSince) {
      // Re-reading the order after a repair still counts as parked; submitting or finishing ends it.
      this.metrics.parkedSeconds.record((Date.now() - Date.parse(state.parkedSince)) / 1000);
      state.parkedSince = undefined;
      inbox.clear('PARKED_TOO_LONG');
    }
    if (status !== RefundStatus.SUBMITTING) inbox.clear('SUBMITTING_TOO_LONG');
    this.publish();
  }

  private finish(status: RefundStatus, extra: Partial<RefundResult> = {}): void {
    const { state, inbox } = this;
    const result: RefundResult = {
      status,
      orderId: state.orderId,
      refundId: state.refundId,
      refunded: state.refunded,
      moneyMoved: inbox.moneyMoved(),
      ...(state.inDoubt && !inbox.moneyMoved() ? { moneyMayHaveMoved: true } : {}),
      bwpState: state.bwpState,
      ...extra,
    };
    this.auditUnapplied(status);
    state.pendingDecision = undefined;
    inbox.clearOnFinish();
    state.result = result;
    this.moveTo(status);
    this.metrics.endToEndSeconds.record((Date.now() - Date.parse(state.startedAt)) / 1000, { status });
  }

  /**
   * The refund ends with messages recorded and not applied (e.g. Buy with Prime showed it settled during the read a
   * repair arrived in): each is audited as not applied, so its sender learns why from the trail.
   */
  private auditUnapplied(status: RefundStatus): void {
    const { state, inbox } = this;
    const problems = [
      problem('REFUND_NOT_PENDING', `The refund ended ${status} before this message could be applied.`, {
        field: 'status',
      }),
    ];
    const unapplied = [
      inbox.pendingRepair && { ...inbox.pendingRepair, action: inbox.pendingRepair.via },
      inbox.resubmit && { ...inbox.resubmit, action: 'resubmitVerified' as const },
      state.pendingDecision && { ...state.pendingDecision, action: state.pendingDecision.kind },
    ];
    for (const u of unapplied) {
      if (!u) continue;
      inbox.audit({
        operator: u.operator,
        action: u.action,
        accepted: false,
        requestId: u.requestId,
        via: 'workflow',
        detail: 'not applied: the refund ended first',
        problems,
      });
    }
    inbox.pendingRepair = undefined;
    inbox.resubmit = undefined;
  }

  // ---- handlers: they only record (RefundInbox.receive) ----

  private registerHandlers(): void {
    const { inbox } = this;
    // For people (the Temporal UI, `temporal workflow query`): the API reads the memo, never a query.
    setHandler(stateQuery, () => this.state);
    setHandler(orderQuery, () => ({ state: this.state, orders: inbox.orders, policy: inbox.policy }));
    for (const action of OPERATOR_ACTIONS) {
      const { signal, update } = MESSAGES[action];
      setHandler(signal as SignalDefinition<[unknown]>, (raw: unknown) => {
        // A malformed or refused message is audited (and published: a bulk action reads its verdict from the memo's
        // trail) and changes nothing else.
        inbox.receive(action, raw, 'signal');
        this.publish();
      });
      setHandler(
        update as UpdateDefinition<MessageAccepted, [unknown]>,
        (raw: unknown) => this.answer(action, inbox.receive(action, raw, 'update')),
        {
          validator: (raw: unknown) => {
            const invalid = inbox.validate(action, raw);
            if (invalid) throw refusal(invalid.type, invalid.problems);
          },
          description: UPDATE_DESCRIPTIONS[action],
        },
      );
    }
    setHandler(refundEventSignal, (raw: unknown) => inbox.receiveEvent(raw));
    CancellationScope.current().cancelRequested.catch(() => {
      if (inbox.finished()) return;
      inbox.temporalCancel = true;
      inbox.audit({
        operator: 'temporal',
        action: 'temporalCancel',
        accepted: true,
        via: 'workflow',
        detail: 'workflow cancellation requested',
      });
    });
  }

  /** An update's answer: what was recorded and the refund's view after it, or the refusal (audited, published). */
  private answer(action: OperatorAction, verdict: Verdict): MessageAccepted {
    const view = this.publish();
    if (!verdict.accepted) throw refusal(verdict.type, verdict.problems);
    return {
      action,
      accepted: true,
      status: this.state.status,
      next: verdict.next,
      view,
      ...(verdict.plan ? { plan: verdict.plan, revision: verdict.revision } : {}),
    };
  }

  // ---- what the steps use (refund-transition.ts, Run) ----

  now(): string {
    return new Date().toISOString();
  }

  timing(): RefundTiming {
    return { ...DEFAULT_TIMING, ...this.inbox.workerTiming, ...this.input.timing };
  }

  publish(): RefundView {
    return this.publisher.publish(this.state, this.inbox, this.inbox.orders);
  }

  flag(reason: AttentionReason, detail?: string): void {
    const { inbox, state } = this;
    if (inbox.hasAttention(reason) && state.attentions.find((a) => a.reason === reason)?.detail === detail) return;
    inbox.flag(reason, detail);
    log.warn('refund needs attention', { refundId: state.refundId, reason, detail });
    this.publish();
  }

  openRevision(): void {
    const { state } = this;
    state.revision += 1;
    state.idempotencyKey = refundIdempotencyKey(state.orderId, state.refundId, state.revision);
  }

  refundOf(): RefundDetails | undefined {
    return this.inbox.orders?.order?.refunds.details.find((r) => r.id === this.state.refundId);
  }

  lookups() {
    return proxyActivities<RefundActivities>(this.lookupOptions());
  }

  /**
   * Reads and the report. WAIT_CANCELLATION_COMPLETED: on a Temporal cancel the workflow waits for the read in flight
   * to end (it is short and bounded by its timeout) so that the workflow never completes with an activity event still
   * on its way (which the server answers with an UnhandledCommand workflow-task failure).
   */
  lookupOptions(): ActivityOptions {
    return {
      startToCloseTimeout: this.timing().lookupTimeoutMs,
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    };
  }

  /**
   * One attempt per activity: the workflow sees every outcome and retries itself (same key, same payload). Never
   * cancelled (it runs shielded); WAIT_CANCELLATION_COMPLETED states that, were it ever cancelled, the workflow would
   * still wait for the attempt's real end rather than guess.
   */
  submitOptions(): ActivityOptions {
    return {
      taskQueue: submitTaskQueue(workflowInfo().taskQueue),
      startToCloseTimeout: this.timing().submitTimeoutMs,
      retry: { maximumAttempts: 1 },
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    };
  }

  async authenticated<T>(call: () => Promise<T>, opts: { untilDone?: boolean } = {}): Promise<T | typeof STOPPED> {
    const { inbox } = this;
    let wait = this.timing().credentialsRetryInitialMs;
    for (;;) {
      try {
        const value = await call();
        if (inbox.hasAttention('CREDENTIALS_REJECTED')) {
          inbox.clear('CREDENTIALS_REJECTED');
          this.publish();
        }
        return value;
      } catch (err) {
        const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
        if (cause?.type !== FailureType.CredentialsRejected) throw err;
        this.flag('CREDENTIALS_REJECTED', cause.message);
        const stopped = await condition(() => !opts.untilDone && inbox.stopRequested(), wait);
        if (stopped) return STOPPED;
        wait = Math.min(wait * 2, this.timing().credentialsRetryMaxMs);
      }
    }
  }

  async continueAsNewIfSuggested(): Promise<void> {
    const { inbox, state, input } = this;
    if (!workflowInfo().continueAsNewSuggested || !inbox.idle() || !allHandlersFinished()) return;
    // The next run starts showing the refund as it is (the SDK would start it with the first run's start memo).
    const { pairs, memo } = published(state, inbox, inbox.orders);
    await makeContinueAsNewFunc<(input: RefundWorkflowInput) => Promise<RefundResult>>({
      memo,
      typedSearchAttributes: pairs,
    })({
      orderId: state.orderId,
      refundId: state.refundId,
      businessProductId: input.businessProductId,
      timing: input.timing,
      carried: inbox.carried(),
    });
  }
}

/** An update refused: its failure type and problems (details[0]), which the API turns into a problem answer. */
function refusal(type: FailureType, problems: { message: string }[]): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message: problems.map((p) => p.message).join(' '),
    details: [problems],
    nonRetryable: true,
  });
}

const UPDATE_DESCRIPTIONS: Record<OperatorAction, string> = {
  repair: 'Repair the refund: per SKU tick, quantity, reason and amount. Rejected with the problems when invalid.',
  acceptSuggestion: "Accept the workflow's current suggested repair. Refused while a key is in doubt.",
  decline: 'Decline: report FAILURE to Buy with Prime with a status reason. Refused once money moved.',
  resolve: 'Resolved outside the system: ends RESOLVED_ELSEWHERE (after any call in flight).',
  cancel: 'Cancel: ends CANCELLED (after any call in flight; the result says whether money moved).',
  recheck: 'Re-check now: Buy with Prime, or the same key of a submission in doubt.',
  resubmitVerified:
    'After an unknown outcome or a 409: state that you verified on the store that no money moved; opens a new key.',
};
