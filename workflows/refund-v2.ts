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
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { RefundActivities, SubmitAttemptResult } from '../activities';
import { buildDeclinedUpdate, buildRefundedUpdate, reportedRefund } from '../domain/bwp-report';
import { orderCurrency } from '../domain/context';
import { formatDecimal } from '../domain/money';
import { problem, STORE_REJECTION_PROBLEMS, type Problem } from '../domain/problems';
import type { RefundPlan } from '../domain/plan';
import { checkStoreRefund } from '../domain/store-refund';
import { suggestRepair } from '../domain/suggest';
import { validateRefund, validateRepair } from '../domain/validate';
import type { RefundDetails, UpdateOrderInput } from '../domain/schemas/bwp';
import type { RepairInput } from '../domain/schemas/repair';
import {
  DEFAULT_TIMING,
  FailureType,
  MESSAGES,
  refundEventSignal,
  refundIdempotencyKey,
  RefundStatus,
  contextQuery,
  stateQuery,
  submitTaskQueue,
  TERMINAL_STATUSES,
  type MessageAccepted,
  type RecordedDecision,
  type RefundResult,
  type RefundTiming,
  type RefundWorkflowInput,
  type SubmissionProgress,
} from './refund.contract';
import { OPERATOR_ACTIONS, type OperatorAction } from './refund.messages';
import { RefundProtocol, temporalCancelDecision, type Verdict } from './refund-protocol';
import { published, Publisher } from './refund-visibility';

type Step = 'fetch' | 'park' | 'submit' | 'report' | 'settle';

/** What `authenticated` answers when a recorded decision ended its wait for the credentials. */
const STOPPED = Symbol('stopped');

/**
 * One Buy with Prime refund, from REFUND_REQUESTED to a state that is no longer PENDING: the protocol of
 * docs/protocol.md. FETCHING → (AWAITING_REPAIR ↔ repair) → SUBMITTING → REPORTING → AWAITING_SETTLEMENT → terminal.
 *
 * - Handlers only record messages (RefundProtocol.receive); this loop is the only place that changes the status, and
 *   it applies a recorded decision before anything can move money (checked before every POST /refund).
 * - Money-moving calls (POST /refund, the report after it) run in non-cancellable scopes: a Temporal cancellation lets
 *   them finish, records what happened, reports it, and only then ends the workflow.
 * - Every POST /refund attempt's outcome reaches this loop (one attempt per activity), so once an attempt under a key
 *   was unknown, no later 4xx or 409 under that key opens a new key: the refund parks with UNKNOWN_OUTCOME instead.
 * - Continue-as-new happens only while nothing is recorded and not yet applied.
 */
export async function refundWorkflowV2(input: RefundWorkflowInput): Promise<RefundResult> {
  const nowIso = () => new Date().toISOString();
  const m = new RefundProtocol(input, nowIso);
  const state = m.state;
  // A fresh refund shows what its start says (the API reads an unpublished refund as its start view): nothing to publish
  // until it moves, so its first workflow task has no publication commands.
  const publisher = new Publisher(input.carried || state.audit.length > 0 ? undefined : published(state, m, m.ctx));
  /** Publishes what changed (search attributes, memo) and answers the refund's compact view. */
  const publish = () => publisher.publish(state, m, m.ctx);
  const timing = (): RefundTiming => ({ ...DEFAULT_TIMING, ...m.workerTiming, ...input.timing });

  // ---- idempotency keys: one per revision, fixed when the revision opens (docs/protocol.md "Idempotency keys") ----

  /** Opens the next plan revision with its key, kept from now on (a run continued as new carries it as it is). */
  const openRevision = () => {
    state.revision += 1;
    state.idempotencyKey = refundIdempotencyKey(state.orderId, state.refundId, state.revision);
  };
  /** The current revision's key, as it was fixed when the revision opened. */
  const currentKey = (): string => state.idempotencyKey;

  // Service metrics (not emitted during replay). Created here: the API and tests import this module outside a workflow.
  const refundsByStatus = metricMeter.createCounter('refund_status_entered', 'refunds', 'Refunds entering each status');
  const parkedSeconds = metricMeter.createHistogram(
    'refund_parked_seconds',
    'float',
    's',
    'Time a refund waited for repair',
  );
  const endToEndSeconds = metricMeter.createHistogram(
    'refund_end_to_end_seconds',
    'float',
    's',
    'Event to terminal status',
  );

  /**
   * Reads and the report. WAIT_CANCELLATION_COMPLETED: on a Temporal cancel the workflow waits for the read in flight
   * to end (it is short and bounded by its timeout) so that the workflow never completes with an activity event still
   * on its way (which the server answers with an UnhandledCommand workflow-task failure).
   */
  const lookupOptions = (): ActivityOptions => ({
    startToCloseTimeout: timing().lookupTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  /**
   * One attempt per activity: the workflow sees every outcome and retries itself (same key, same payload). Never
   * cancelled (it runs in a non-cancellable scope); WAIT_CANCELLATION_COMPLETED states that, were it ever cancelled, the
   * workflow would still wait for the attempt's real end rather than guess.
   */
  const submitOptions = (): ActivityOptions => ({
    taskQueue: submitTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: timing().submitTimeoutMs,
    retry: { maximumAttempts: 1 },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const lookups = () => proxyActivities<RefundActivities>(lookupOptions());

  /**
   * Runs a read or the report. While an API refuses the credentials (after the client's own token refresh), the refund
   * is flagged CREDENTIALS_REJECTED and the call tried again after growing waits, never in a tight loop; the flag clears
   * with the first call that gets through. A decision recorded meanwhile ends the wait (`STOPPED`) unless `untilDone`
   * (the report after money moved, which must reach Buy with Prime).
   */
  const authenticated = async <T>(
    run: () => Promise<T>,
    opts: { untilDone?: boolean } = {},
  ): Promise<T | typeof STOPPED> => {
    let wait = timing().credentialsRetryInitialMs;
    for (;;) {
      try {
        const value = await run();
        if (m.hasAttention('CREDENTIALS_REJECTED')) {
          m.clear('CREDENTIALS_REJECTED');
          publish();
        }
        return value;
      } catch (err) {
        const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
        if (cause?.type !== FailureType.CredentialsRejected) throw err;
        flag('CREDENTIALS_REJECTED', cause.message);
        const stopped = await condition(() => !opts.untilDone && m.stopRequested(), wait);
        if (stopped) return STOPPED;
        wait = Math.min(wait * 2, timing().credentialsRetryMaxMs);
      }
    }
  };

  // ---- handlers: they only record (RefundProtocol.receive) ----

  const answer = (action: OperatorAction, verdict: Verdict): MessageAccepted => {
    const view = publish();
    if (!verdict.accepted) {
      throw ApplicationFailure.create({
        type: verdict.type,
        message: verdict.problems.map((p) => p.message).join(' '),
        details: [verdict.problems],
        nonRetryable: true,
      });
    }
    return {
      action,
      accepted: true,
      view,
      status: state.status,
      next: verdict.next,
      ...(verdict.plan ? { plan: verdict.plan, revision: verdict.revision } : {}),
    };
  };
  // For people (the Temporal UI, `temporal workflow query`): the API reads the memo, never a query.
  setHandler(stateQuery, () => state);
  setHandler(contextQuery, () => ({ state, context: m.ctx, policy: m.policy }));
  for (const action of OPERATOR_ACTIONS) {
    const { signal, update } = MESSAGES[action];
    setHandler(signal as SignalDefinition<[unknown]>, (raw: unknown) => {
      // A malformed or refused message is audited (and published: a bulk action reads its verdict from the memo's
      // trail) and changes nothing else.
      m.receive(action, raw, 'signal');
      publish();
    });
    setHandler(
      update as UpdateDefinition<MessageAccepted, [unknown]>,
      (raw: unknown) => answer(action, m.receive(action, raw, 'update')),
      {
        validator: (raw: unknown) => {
          const invalid = m.validate(action, raw);
          if (invalid) {
            throw ApplicationFailure.create({
              type: invalid.type,
              message: invalid.problems.map((p) => p.message).join(' '),
              details: [invalid.problems],
              nonRetryable: true,
            });
          }
        },
        description: UPDATE_DESCRIPTIONS[action],
      },
    );
  }
  setHandler(refundEventSignal, (raw: unknown) => m.receiveEvent(raw));

  const root = CancellationScope.current();
  root.cancelRequested.catch(() => {
    if (m.finished()) return;
    m.temporalCancel = true;
    m.audit({
      operator: 'temporal',
      action: 'temporalCancel',
      accepted: true,
      via: 'workflow',
      detail: 'workflow cancellation requested',
    });
  });

  // ---- moves ----

  const moveTo = (status: RefundStatus) => {
    if (state.status !== status) {
      // Debug: each move is already in the RefundStatus search attribute and the refund_status_entered metric.
      log.debug('refund status', { from: state.status, to: status, refundId: state.refundId });
      refundsByStatus.add(1, { status });
    }
    state.status = status;
    if (status === RefundStatus.AWAITING_REPAIR) state.parkedSince ??= nowIso();
    else if (status !== RefundStatus.FETCHING && state.parkedSince) {
      // Re-reading the order after a repair still counts as parked; submitting or finishing ends it.
      parkedSeconds.record((Date.now() - Date.parse(state.parkedSince)) / 1000);
      state.parkedSince = undefined;
      m.clear('PARKED_TOO_LONG');
    }
    if (status !== RefundStatus.SUBMITTING) m.clear('SUBMITTING_TOO_LONG');
    publish();
  };
  const flag = (reason: Parameters<RefundProtocol['flag']>[0], detail?: string) => {
    if (m.hasAttention(reason) && state.attentions?.find((a) => a.reason === reason)?.detail === detail) return;
    m.flag(reason, detail);
    log.warn('refund needs attention', { refundId: state.refundId, reason, detail });
    publish();
  };
  const finish = (status: RefundStatus, extra: Partial<RefundResult> = {}): RefundResult => {
    const result: RefundResult = {
      status,
      orderId: state.orderId,
      refundId: state.refundId,
      refunded: state.refunded,
      moneyMoved: m.moneyMoved(),
      ...(state.inDoubt && !m.moneyMoved() ? { moneyMayHaveMoved: true } : {}),
      bwpState: state.bwpState,
      ...extra,
    };
    auditUnapplied(status);
    state.pendingDecision = undefined;
    m.clearOnFinish();
    state.result = result;
    moveTo(status);
    endToEndSeconds.record((Date.now() - Date.parse(state.startedAt)) / 1000, { status });
    return result;
  };

  /**
   * The refund ends with messages recorded and not applied (e.g. Buy with Prime showed it settled during the read a
   * repair arrived in): each is audited as not applied, so its sender learns why from the trail.
   */
  const auditUnapplied = (status: RefundStatus) => {
    const problems = [
      problem('REFUND_NOT_PENDING', `The refund ended ${status} before this message could be applied.`, {
        field: 'status',
      }),
    ];
    const unapplied = [
      m.pendingRepair && { ...m.pendingRepair, action: m.pendingRepair.via },
      m.resubmit && { ...m.resubmit, action: 'resubmitVerified' as const },
      state.pendingDecision && { ...state.pendingDecision, action: state.pendingDecision.kind },
    ];
    for (const u of unapplied) {
      if (!u) continue;
      m.audit({
        operator: u.operator,
        action: u.action,
        accepted: false,
        requestId: u.requestId,
        via: 'workflow',
        detail: 'not applied: the refund ended first',
        problems,
      });
    }
    m.pendingRepair = undefined;
    m.resubmit = undefined;
  };

  /** Only while nothing is recorded and not yet applied, and no handler runs. */
  const continueAsNewIfSuggested = async (): Promise<void> => {
    if (!workflowInfo().continueAsNewSuggested || !m.idle() || !allHandlersFinished()) return;
    const { pairs, memo } = published(state, m, m.ctx);
    await makeContinueAsNewFunc<typeof refundWorkflowV2>({ memo, typedSearchAttributes: pairs })({
      orderId: state.orderId,
      refundId: state.refundId,
      businessProductId: input.businessProductId,
      timing: input.timing,
      carried: m.carried(),
    });
  };

  const refundOf = (): RefundDetails | undefined => m.ctx?.order?.refunds.details.find((r) => r.id === state.refundId);

  // ---- steps ----

  /** Reads the order afresh and decides: finished elsewhere, parked with problems, or a plan ready to submit. */
  const fetchAndPlan = async (extraProblems: Problem[] = []): Promise<'submit' | 'park' | 'done'> => {
    moveTo(RefundStatus.FETCHING);
    const data = await authenticated(() =>
      lookups().fetchRefundContext.executeWithOptions(
        { ...lookupOptions(), summary: `read BwP order ${state.orderId} and its store order` },
        [{ orderId: state.orderId }],
      ),
    );
    // A decision recorded while the credentials were refused: the main loop applies it (nothing was read).
    if (data === STOPPED) return 'park';
    m.ctx = { order: data.order, storeOrder: data.storeOrder, storeOrderId: data.storeOrderId };
    // A reader of the memo caches the order it reads from the history by this number.
    state.contextSeq = (state.contextSeq ?? 0) + 1;
    m.policy = data.policy;
    if (data.timing) m.workerTiming = data.timing;
    state.storeOrderId = data.storeOrderId;
    const refund = refundOf();
    state.bwpState = refund?.state;
    if (refund && refund.state !== 'PENDING') {
      finish(RefundStatus.RESOLVED_ELSEWHERE, { note: `Buy with Prime shows the refund as ${refund.state}` });
      return 'done';
    }
    const repair = m.pendingRepair;
    m.pendingRepair = undefined;
    const vctx = m.validationContext();
    const verdict = vctx
      ? repair
        ? validateRepair(vctx, repair.input)
        : validateRefund(vctx)
      : { problems: [problem('UNKNOWN_ORDER', `Buy with Prime has no order ${state.orderId}.`, { field: 'order' })] };
    state.problems = [...extraProblems, ...verdict.problems];
    state.advisories = verdict.advisories?.length ? verdict.advisories : undefined;
    if (state.problems.length === 0 && verdict.plan) {
      state.plan = { ...verdict.plan, revision: state.revision };
      state.suggestion = undefined;
      return 'submit';
    }
    if (repair && verdict.problems.length > 0) {
      m.audit({
        operator: 'system',
        action: repair.via,
        accepted: false,
        requestId: repair.requestId,
        via: 'workflow',
        detail: 'the order changed after the repair was accepted',
        problems: verdict.problems,
      });
    }
    state.suggestion = vctx ? suggestRepair(vctx, state.problems) : undefined;
    if (!state.suggestion && verdict.plan && verdict.problems.length === 0) {
      // Only the store's definitive rejection stands in the way (nothing moved under the old key): offer the plan again.
      state.suggestion = {
        repair: repairFromPlan(verdict.plan),
        explanation: [
          'The refund itself is valid; confirm to submit it again under a new idempotency key once the cause is fixed.',
        ],
      };
    }
    return 'park';
  };

  /** Parked: waits for an operator while re-checking BwP at growing intervals; flags itself after a while. */
  const awaitOperator = async (): Promise<'refetch' | 'decided' | 'done' | 'retry-key'> => {
    moveTo(RefundStatus.AWAITING_REPAIR);
    // A key in doubt never offers a resubmission: only resubmitVerified opens a new key.
    if (state.inDoubt) state.suggestion = undefined;
    let interval = timing().recheckInitialMs;
    let nextRecheck = Date.now() + interval;
    for (;;) {
      const attentionAt = m.hasAttention('PARKED_TOO_LONG')
        ? Infinity
        : Date.parse(state.parkedSince!) + timing().attentionAfterMs;
      const deadline = Math.min(nextRecheck, attentionAt);
      const woken = await condition(
        () => !!m.pendingRepair || !!m.resubmit || m.stopRequested() || m.recheckRequested,
        Math.max(1, deadline - Date.now()),
      );
      if (m.stopRequested()) return 'decided';
      if (m.resubmit) {
        const { operator, requestId, note } = m.resubmit;
        const doubt = state.inDoubt!;
        m.resubmit = undefined;
        state.inDoubt = undefined;
        state.submission = undefined;
        openRevision();
        m.audit({
          operator,
          action: 'resubmitVerified',
          accepted: true,
          requestId,
          via: 'workflow',
          detail: `verified that no money moved under ${doubt.idempotencyKey} (${doubt.reason}): ${note}; revision ${state.revision} opened`,
        });
        return 'refetch';
      }
      if (m.pendingRepair) return 'refetch';
      const now = timerNow(woken, deadline);
      if (now >= attentionAt) flag('PARKED_TOO_LONG', `parked since ${state.parkedSince}`);
      const asked = m.recheckRequested;
      if (asked || now >= nextRecheck) {
        if (!asked) interval = Math.min(interval * 2, timing().recheckMaxMs);
        m.recheckRequested = false;
        nextRecheck = now + interval;
        const bwpState = await authenticated(() =>
          lookups().checkRefundState.executeWithOptions(
            { ...lookupOptions(), summary: 'is the refund still PENDING?' },
            [{ orderId: state.orderId, refundId: state.refundId }],
          ),
        );
        if (bwpState === STOPPED) continue;
        if (bwpState === null) flag('REFUND_GONE_FROM_BWP', 'Buy with Prime no longer shows this refund on the order');
        else m.clear('REFUND_GONE_FROM_BWP');
        if (bwpState && bwpState !== 'PENDING') {
          state.bwpState = bwpState;
          finish(RefundStatus.RESOLVED_ELSEWHERE, { note: `Buy with Prime shows the refund as ${bwpState}` });
          return 'done';
        }
        // What was recorded during the read goes first (a resubmission opens a new key; a decision ends the wait).
        if (m.pendingRepair || m.resubmit || m.stopRequested()) continue;
        // An operator's re-check of a key in doubt asks the store again under the same key and payload.
        if (asked && state.inDoubt?.reason === 'UNKNOWN_OUTCOME' && state.submission) return 'retry-key';
      }
      await continueAsNewIfSuggested();
    }
  };

  /** A wait between two attempts under one key: ends early on a re-check; flags a submission that takes too long. */
  const waitBeforeRetry = async (sub: SubmissionProgress, ms: number) => {
    const deadline = Date.now() + Math.max(0, ms);
    for (;;) {
      const attentionAt = m.hasAttention('SUBMITTING_TOO_LONG')
        ? Infinity
        : Date.parse(sub.since) + timing().submitAttentionAfterMs;
      const until = Math.min(deadline, attentionAt);
      const woken = until > Date.now() ? await condition(() => m.recheckRequested, until - Date.now()) : true;
      const now = timerNow(woken, until);
      if (now >= attentionAt) {
        flag(
          'SUBMITTING_TOO_LONG',
          `no definitive answer to POST /refund under ${sub.idempotencyKey} since ${sub.since} (${sub.attempts} attempts)`,
        );
      }
      if (m.recheckRequested) {
        m.recheckRequested = false;
        return;
      }
      if (now >= deadline) return;
    }
  };

  const attempt = async (
    key: string,
    plan: RefundPlan,
  ): Promise<SubmitAttemptResult | { kind: 'malformed'; message: string }> => {
    try {
      return await proxyActivities<RefundActivities>(submitOptions()).submitRefundAttempt.executeWithOptions(
        {
          ...submitOptions(),
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
  };

  /**
   * POST /refund under the current revision's key until a definitive answer. Runs non-cancellable (see the caller).
   * 'report': money moved. 'rejected': definitive, nothing moved (new revision opened). 'in-doubt': parked with the
   * key in doubt. 'stopped': a recorded decision or Temporal's cancel is applied now (nothing moved, or in doubt).
   */
  const submitPlan = async (): Promise<
    { next: 'report' } | { next: 'rejected'; problem: Problem } | { next: 'in-doubt' } | { next: 'stopped' }
  > => {
    const plan = state.plan!;
    const key = currentKey();
    const resumed = state.submission?.idempotencyKey === key ? state.submission : undefined;
    const sub: SubmissionProgress = resumed ?? {
      revision: state.revision,
      idempotencyKey: key,
      since: nowIso(),
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
    moveTo(RefundStatus.SUBMITTING);
    let backoff = timing().submitRetryInitialMs;
    const retryWait = async (jitter = false) => {
      // Equal jitter: half the wait fixed, half drawn (the workflow's Math.random is seeded, so it replays alike).
      await waitBeforeRetry(sub, jitter ? Math.round(backoff / 2 + (Math.random() * backoff) / 2) : backoff);
      backoff = Math.min(backoff * 2, timing().submitRetryMaxMs);
    };
    const parkInDoubt = (reason: 'UNKNOWN_OUTCOME' | 'IDEMPOTENCY_ALARM', detail: string) => {
      state.inDoubt = { revision: sub.revision, idempotencyKey: key, reason, since: nowIso(), detail };
      state.problems = [
        problem(reason === 'UNKNOWN_OUTCOME' ? 'UNKNOWN_OUTCOME' : 'IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH', detail, {
          field: 'storeRequest',
        }),
      ];
      state.suggestion = undefined;
      flag(reason, detail);
      log.error('POST /refund outcome in doubt: parked; no new key without an operator', { key, reason });
    };
    for (;;) {
      // A recorded decision goes first: nothing more is sent once every answer under this key was definitive.
      if (m.stopRequested()) {
        if (!sub.unknownSeen) return { next: 'stopped' };
        if (sub.attemptsSinceStop >= timing().unknownOutcomeRetries) {
          parkInDoubt(
            'UNKNOWN_OUTCOME',
            `stopped while the outcome under ${key} was unknown after ${sub.attempts} attempts`,
          );
          return { next: 'stopped' };
        }
      }
      const answer = await attempt(key, plan);
      sub.attempts += 1;
      if (m.stopRequested()) sub.attemptsSinceStop += 1;
      m.recordAttempt({
        revision: sub.revision,
        idempotencyKey: key,
        at: nowIso(),
        outcome: answer.kind === 'credentials' ? 'rejected' : answer.kind,
        ...('code' in answer ? { code: answer.code } : {}),
        ...('message' in answer ? { message: answer.message } : {}),
        ...(answer.kind === 'refunded' ? { refunded: answer.refunded } : {}),
      });
      if (answer.kind !== 'credentials' && m.hasAttention('CREDENTIALS_REJECTED')) {
        m.clear('CREDENTIALS_REJECTED');
        publish();
      }
      switch (answer.kind) {
        case 'refunded':
          state.refunded = answer.refunded;
          state.inDoubt = undefined;
          state.submission = undefined;
          // docs/domain.md rule 18: what the store refunded is checked against the plan; a mismatch is reported as it
          // is (the report's lines restated to add up to it) and flagged until the refund ends, and after.
          {
            const check = checkStoreRefund(plan, answer.refunded);
            if (!check.matches) {
              state.plan = { ...plan, report: check.report };
              flag('REFUND_AMOUNT_MISMATCH', check.problem.message);
              log.error('the store refunded another amount than the plan', { refundId: state.refundId, key });
            }
          }
          return { next: 'report' };
        case 'unknown':
          sub.unknownSeen = true;
          await retryWait();
          break;
        case 'throttled':
          // Without a Retry-After: the same growing back-off as any retry, with jitter so throttled refunds spread out.
          if (answer.retryAfterMs !== undefined) await waitBeforeRetry(sub, answer.retryAfterMs);
          else await retryWait(true);
          break;
        case 'credentials':
          flag('CREDENTIALS_REJECTED', answer.message);
          await retryWait();
          break;
        case 'malformed':
          // Nothing was sent: a defect in what the service built. A person must look; a new key for whatever comes next.
          openRevision();
          state.submission = undefined;
          flag('MALFORMED_REQUEST', answer.message);
          return { next: 'rejected', problem: problem('MALFORMED_REQUEST', answer.message, { field: 'storeRequest' }) };
        case 'rejected':
        case 'alarm': {
          if (sub.unknownSeen) {
            // Not proof that nothing moved: an earlier attempt under this key may have refunded.
            sub.inconclusive += 1;
            if (sub.inconclusive > timing().unknownOutcomeRetries || state.inDoubt) {
              parkInDoubt(
                'UNKNOWN_OUTCOME',
                `an attempt under ${key} had an unknown outcome; later attempts answered ${answer.code} (${answer.message}); money may have moved`,
              );
              return { next: 'in-doubt' };
            }
            await retryWait();
            break;
          }
          if (answer.kind === 'alarm') {
            parkInDoubt('IDEMPOTENCY_ALARM', `key ${key} was reused with another payload; money may have moved`);
            return { next: 'in-doubt' };
          }
          if (answer.code === 'REFUND_FAILED' && ++sub.refundFailed < timing().refundFailedAttempts) {
            await retryWait();
            break;
          }
          // A definitive answer: nothing moved under this key, so the next plan gets a new revision (and key).
          openRevision();
          state.submission = undefined;
          return {
            next: 'rejected',
            problem: problem(
              STORE_REJECTION_PROBLEMS[answer.code] ?? 'STORE_REJECTED',
              `The store rejected the refund (${answer.code}): ${answer.message}`,
              { field: 'storeRequest' },
            ),
          };
        }
      }
      await continueAsNewIfSuggested();
    }
  };

  /**
   * Reports to BwP. Money may already have moved, so a definitive BwP rejection must not fail the workflow: it is
   * flagged and the workflow goes on waiting for the refund to leave PENDING (fixed by hand in BwP).
   */
  const reportSafely = async (update: UpdateOrderInput, summary: string) => {
    try {
      const reported = await authenticated(
        () => lookups().reportToBwp.executeWithOptions({ ...lookupOptions(), summary }, [{ update }]),
        { untilDone: true },
      );
      if (reported !== STOPPED) state.bwpState = reported;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
      const detail = cause?.message ?? err.message;
      flag(cause?.type === FailureType.MalformedRequest ? 'MALFORMED_REQUEST' : 'REPORT_REJECTED', detail);
    }
  };

  const report = async () => {
    moveTo(RefundStatus.REPORTING);
    const refund = refundOf();
    if (!refund) {
      // Money moved but there is nothing to report against: a person must look; never fail the refund.
      flag('REFUND_GONE_FROM_BWP', 'the refund is no longer on the BwP order; the money moved is not reported');
      return;
    }
    const update = buildRefundedUpdate({
      orderId: state.orderId,
      refund,
      plan: state.plan!,
      refunded: state.refunded!,
      storeRefundId: currentKey(),
      paymentMethod: m.policy?.paymentMethod,
    });
    const first = reportedRefund(update);
    await reportSafely(update, `updateOrder ${first.state}, total ${first.refundTotal.totalAmount.amount}`);
  };

  /** Waits until BwP shows the refund out of PENDING; ends early for a resolve or cancel. */
  const awaitSettlement = async (): Promise<'settled' | 'decided'> => {
    // Buy with Prime already shows the refund settled (it answered the report with its state): nothing to wait for.
    if (state.bwpState !== 'PENDING' && state.bwpState !== undefined) return 'settled';
    moveTo(RefundStatus.AWAITING_SETTLEMENT);
    state.settlingSince ??= nowIso();
    let interval = timing().settleInitialMs;
    let nextPoll = Date.now() + interval;
    while (state.bwpState === 'PENDING' || state.bwpState === undefined) {
      const attentionAt = m.hasAttention('SETTLEMENT_TOO_LONG')
        ? Infinity
        : Date.parse(state.settlingSince) + timing().settleAttentionAfterMs;
      const deadline = Math.min(nextPoll, attentionAt);
      const woken = await condition(() => m.recheckRequested || m.stopRequested(), Math.max(1, deadline - Date.now()));
      if (m.stopRequested()) return 'decided';
      const now = timerNow(woken, deadline);
      if (now >= attentionAt)
        flag('SETTLEMENT_TOO_LONG', `Buy with Prime has shown the refund PENDING since ${state.settlingSince}`);
      if (m.recheckRequested || now >= nextPoll) {
        if (!m.recheckRequested) interval = Math.min(interval * 2, timing().settleMaxMs);
        m.recheckRequested = false;
        nextPoll = now + interval;
        const bwpState = await authenticated(() =>
          lookups().checkRefundState.executeWithOptions(
            { ...lookupOptions(), summary: 'has the refund left PENDING?' },
            [{ orderId: state.orderId, refundId: state.refundId }],
          ),
        );
        if (bwpState === STOPPED) continue;
        if (bwpState === null) flag('REFUND_GONE_FROM_BWP', 'Buy with Prime no longer shows this refund on the order');
        else m.clear('REFUND_GONE_FROM_BWP');
        state.bwpState = bwpState ?? undefined;
      }
      await continueAsNewIfSuggested();
    }
    state.settlingSince = undefined;
    return 'settled';
  };

  /** Ends for a cancel or resolve; saying in the result whether money moved. */
  const end = (d: RecordedDecision): RefundResult => {
    const moved = m.moneyMoved();
    const note = typeof d.input.note === 'string' ? d.input.note : undefined;
    const said = moved
      ? `the store had refunded ${state.refunded!.amount} ${state.refunded!.currency} before the ${d.kind} applied; it was reported to Buy with Prime`
      : state.inDoubt
        ? `ended with key ${state.inDoubt.idempotencyKey} in doubt: money may have moved`
        : undefined;
    m.audit({
      operator: d.operator,
      action: d.source === 'temporal' ? 'temporalCancel' : d.kind,
      accepted: true,
      requestId: d.requestId,
      via: 'workflow',
      detail: said ?? 'applied',
    });
    return finish(d.kind === 'resolve' ? RefundStatus.RESOLVED_ELSEWHERE : RefundStatus.CANCELLED, {
      note: [note, said].filter(Boolean).join('; ') || undefined,
    });
  };

  /** Applies the recorded decision, or refuses it (audited) when money moved meanwhile. Undefined: carry on. */
  const applyDecision = async (): Promise<RefundResult | undefined> => {
    const d = m.temporalCancel ? temporalCancelDecision(nowIso()) : state.pendingDecision;
    if (!d) return undefined;
    const superseded = m.temporalCancel ? state.pendingDecision : undefined;
    if (superseded) {
      // Temporal's cancellation ends the workflow whatever else was recorded: the operator's decision is not applied.
      m.audit({
        operator: superseded.operator,
        action: superseded.kind,
        accepted: false,
        requestId: superseded.requestId,
        via: 'workflow',
        detail: 'not applied: the workflow was cancelled in Temporal',
        problems: [
          problem(
            'ACTION_NOT_ALLOWED',
            `The workflow was cancelled in Temporal before the ${superseded.kind} applied.`,
            {
              field: 'pendingDecision',
            },
          ),
        ],
      });
    }
    state.pendingDecision = undefined;
    if (d.kind !== 'decline') return end(d);
    if (m.moneyMoved() || state.inDoubt) {
      const problems = [
        problem(
          m.moneyMoved() ? 'MONEY_ALREADY_MOVED' : 'MONEY_MAY_HAVE_MOVED',
          m.moneyMoved()
            ? `The store refunded ${state.refunded!.amount} ${state.refunded!.currency} before the decline could apply; it was refused and the refund goes on.`
            : `Money may have moved under ${state.inDoubt!.idempotencyKey}; the decline was refused.`,
          { field: m.moneyMoved() ? 'refunded' : 'inDoubt' },
        ),
      ];
      m.audit({
        operator: d.operator,
        action: 'decline',
        accepted: false,
        requestId: d.requestId,
        via: 'workflow',
        problems,
      });
      state.problems = [...state.problems.filter((p) => p.code !== problems[0]!.code), ...problems];
      publish();
      return undefined;
    }
    // Decline: report FAILURE with the operator's status reason, then wait for BwP to leave PENDING.
    state.decision = d;
    const statusReason = String(d.input.statusReason);
    const note = typeof d.input.note === 'string' ? d.input.note : undefined;
    const refund = refundOf();
    if (refund) {
      moveTo(RefundStatus.REPORTING);
      // Nothing was refunded, so the currency only labels the zero total; the order's own when it has one.
      const currency = (m.ctx?.order && orderCurrency(m.ctx.order, m.ctx.storeOrder)) ?? 'USD';
      const update = buildDeclinedUpdate({
        orderId: state.orderId,
        refund,
        currency,
        statusReason: statusReason as never,
      });
      await CancellationScope.nonCancellable(() => reportSafely(update, `updateOrder FAILURE ${statusReason}`));
      if ((await awaitSettlement()) === 'decided') return applyDecision();
    }
    m.audit({
      operator: d.operator,
      action: 'decline',
      accepted: true,
      requestId: d.requestId,
      via: 'workflow',
      detail: 'applied',
    });
    return finish(RefundStatus.DECLINED, { statusReason, note });
  };

  // ---- main loop: an explicit state machine, the only place the status changes ----

  publish();
  let step: Step = resumeStep(state.status);
  let result: RefundResult | undefined = state.result;
  while (!result) {
    try {
      switch (step) {
        case 'fetch': {
          const next = await fetchAndPlan();
          if (next === 'done') result = state.result;
          // Before anything can move money: a decision recorded meanwhile is applied first.
          else if (m.stopRequested()) {
            result = await applyDecision();
            if (!result) step = next;
          } else step = next;
          break;
        }
        case 'park': {
          const next = m.stopRequested() ? 'decided' : await awaitOperator();
          if (next === 'done') result = state.result;
          else if (next === 'decided') {
            result = await applyDecision();
            if (!result) step = 'park';
          } else if (next === 'retry-key') step = 'submit';
          else step = 'fetch';
          break;
        }
        case 'submit': {
          if (m.stopRequested() && !state.submission?.unknownSeen) {
            result = await applyDecision();
            if (!result) step = 'park';
            break;
          }
          // The money-moving call cannot be cut half-way: a Temporal cancel waits for its definitive outcome.
          const outcome = await CancellationScope.nonCancellable(submitPlan);
          if (outcome.next === 'report') step = 'report';
          else if (outcome.next === 'stopped') {
            result = await CancellationScope.nonCancellable(applyDecision);
            if (!result) step = 'park';
          } else if (outcome.next === 'in-doubt') step = 'park';
          else {
            const next = await fetchAndPlan([outcome.problem]);
            if (next === 'done') result = state.result;
            else step = 'park';
          }
          break;
        }
        case 'report':
          await CancellationScope.nonCancellable(report);
          if (m.stopRequested()) result = await CancellationScope.nonCancellable(applyDecision);
          if (!result) step = 'settle';
          break;
        case 'settle': {
          const settled = await awaitSettlement();
          if (settled === 'decided') {
            result = await applyDecision();
            break;
          }
          if (state.decision?.kind === 'decline') {
            result = finishDeclined();
            break;
          }
          const rejected = state.attentions?.find((a) => a.reason === 'REPORT_REJECTED');
          result = finish(state.bwpState === 'PARTIAL' ? RefundStatus.PARTIALLY_REFUNDED : RefundStatus.REFUNDED, {
            note: rejected
              ? `Buy with Prime rejected the report (${rejected.detail ?? ''}); it shows ${state.bwpState}`
              : undefined,
          });
          break;
        }
      }
    } catch (err) {
      if (!(isCancellation(err) && m.temporalCancel)) throw err;
      // Temporal cancelled a wait or a read: nothing is in flight that moves money. End, saying what moved.
      result = await CancellationScope.nonCancellable(applyDecision);
    }
  }
  // Every handler is synchronous, but the rule holds: nothing returns while a handler runs.
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  return result;

  function finishDeclined(): RefundResult {
    const d = state.decision!;
    return finish(RefundStatus.DECLINED, {
      statusReason: String(d.input.statusReason),
      note: typeof d.input.note === 'string' ? d.input.note : undefined,
    });
  }
}

/** Where a run (first or continued-as-new) picks up. */
function resumeStep(status: RefundStatus): Step {
  switch (status) {
    case RefundStatus.AWAITING_REPAIR:
      return 'park';
    case RefundStatus.SUBMITTING:
      return 'submit';
    case RefundStatus.REPORTING:
      return 'report';
    case RefundStatus.AWAITING_SETTLEMENT:
      return 'settle';
    default:
      return TERMINAL_STATUSES.includes(status) ? 'settle' : 'fetch';
  }
}

function repairFromPlan(plan: RefundPlan): RepairInput {
  const currency = plan.report.currency;
  return {
    lines: plan.report.lines.map((l) => ({
      lineItemId: l.lineItemId,
      ticked: true,
      quantity: l.quantity,
      reason: l.reason ?? '',
      amount: formatDecimal(l.amount, currency),
    })),
    shipping: plan.report.shipping || undefined,
    mode: plan.mode,
  };
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

/**
 * The time to judge deadlines by after a wait: when the timer fired (`woken` false), its deadline has passed, whatever
 * the workflow clock says. The clock can lag: on the production cluster a worker that had a run cached from a query,
 * handed the timer's task after the dead sticky worker's timeout, ran it with the time of an older task and started a
 * timer instead of the due step, and the run no longer replayed (test/cluster). With a correct clock this is
 * `Date.now()`, so histories replay alike.
 */
function timerNow(woken: boolean, deadline: number): number {
  return woken ? Date.now() : Math.max(Date.now(), deadline);
}
