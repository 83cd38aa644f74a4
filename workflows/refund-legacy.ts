import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  metricMeter,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { RefundActivities, RefundContextData } from '../activities';
import { buildDeclinedUpdate, buildRefundedUpdate } from '../domain/bwp-report';
import { formatDecimal } from '../domain/money';
import type { Policy } from '../domain/context';
import { STORE_REJECTION_PROBLEMS, type Problem } from '../domain/problems';
import type { RefundPlan } from '../domain/plan';
import { checkStoreRefund } from '../domain/store-refund';
import { suggestRepair } from '../domain/suggest';
import { validateRefund, validateRepair } from '../domain/validate';
import type { RefundDetails, UpdateOrderInput } from '../domain/schemas/bwp';
import type { RepairInput } from '../domain/schemas/repair';
import {
  cancelSignal,
  cancelUpdate,
  contextQuery,
  declineSignal,
  declineUpdate,
  DEFAULT_TIMING,
  FailureType,
  type MessageAccepted,
  refundEventSignal,
  legacyRefundIdempotencyKey,
  STORE_REFUND_CHECK_PATCH,
  RefundStatus,
  repairSignal,
  repairUpdate,
  resolveSignal,
  resolveUpdate,
  SA,
  stateQuery,
  submitTaskQueue,
  TERMINAL_STATUSES,
  type AuditEntry,
  type PendingDecision,
  type RefundResult,
  type RefundTiming,
  type RefundWorkflowInput,
  type RefundWorkflowState,
  type RepairAccepted,
  type RepairMessage,
} from './refund.contract';
import { operatorOf, parseMessage, type OperatorAction } from './refund.messages';

// Option presets per kind of call, each with explicit timeouts and retries. Failures the activities mark
// non-retryable (definitive rejections) stop; everything else (unknown outcomes, throttling) retries with backoff.
const lookupPreset = (timing: RefundTiming): ActivityOptions => ({
  startToCloseTimeout: timing.lookupTimeoutMs,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});
/** Unknown outcomes retry with no attempt limit: only a definitive answer ends a submission. */
const submitPreset = (timing: RefundTiming, refundTaskQueue: string): ActivityOptions => ({
  taskQueue: submitTaskQueue(refundTaskQueue),
  startToCloseTimeout: timing.submitTimeoutMs,
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5m' },
});

const MAX_AUDIT = 200;
const MAX_SEEN_REQUESTS = 100;

/**
 * DEPRECATED: the first implementation of the refund workflow, kept only so that refunds started before the protocol
 * workflow (refund-v2.ts, PROTOCOL_PATCH) keep replaying; see docs/protocol.md "Running refunds". It is hardened only
 * in replay-safe ways: a handler that meets a payload it cannot read records that in the audit trail (state, not a
 * command) and changes nothing else, instead of failing the workflow task. Its continue-as-new starts a protocol run.
 * Remove it (and the activity `submitRefund`) once no run of it is open: `temporal workflow list --query
 * 'ExecutionStatus="Running"'` shows none started before the release that added PROTOCOL_PATCH.
 */
export async function legacyRefundWorkflow(input: RefundWorkflowInput): Promise<RefundResult> {
  const timing: RefundTiming = { ...DEFAULT_TIMING, ...input.timing };
  // Service metrics, exported with the SDK's own on the worker's Prometheus endpoint (not emitted during replay).
  // Created here, not at module level: the API and tests import this module outside a workflow.
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
  const lookup = lookupPreset(timing);
  const submit = submitPreset(timing, workflowInfo().taskQueue);
  const lookups = proxyActivities<RefundActivities>(lookup);
  const submissions = proxyActivities<RefundActivities>(submit);
  const carried = input.carried;
  const state: RefundWorkflowState = carried?.state ?? {
    orderId: input.orderId,
    refundId: input.refundId,
    status: RefundStatus.FETCHING,
    problems: [],
    revision: 1,
    startedAt: new Date().toISOString(),
    attempts: [],
    audit: [],
    needsAttention: false,
  };
  let ctx: RefundContextData | undefined = carried?.context;
  let policy: Policy | undefined = carried?.policy;
  /** An accepted repair, to be re-validated against a fresh read of the order and then submitted. */
  let pendingRepair: RepairMessage | undefined = carried?.pendingRepair;
  /** The operator's final word (decline, resolve, cancel), applied by the main loop. */
  let pendingDecision: PendingDecision | undefined = carried?.pendingDecision;
  let recheckRequested = false;
  let continuing = false;
  const seenRequests: string[] = carried?.seenRequests ?? [];

  const refundOf = (c: RefundContextData | undefined): RefundDetails | undefined =>
    c?.order?.refunds.details.find((r) => r.id === state.refundId);
  const validationContext = () =>
    ctx?.order && policy
      ? { order: ctx.order, refundId: state.refundId, storeOrder: ctx.storeOrder, policy }
      : undefined;

  // ---- handlers (registered after the state is initialised) ----

  const audit = (entry: Omit<AuditEntry, 'at'>) => {
    state.audit.push({ at: new Date().toISOString(), ...entry });
    if (state.audit.length > MAX_AUDIT) state.audit.splice(0, state.audit.length - MAX_AUDIT);
  };
  /** Signals carry a client request id so that a retried HTTP call is applied once. */
  const alreadySeen = (requestId?: string): boolean => {
    if (!requestId) return false;
    if (seenRequests.includes(requestId)) return true;
    seenRequests.push(requestId);
    if (seenRequests.length > MAX_SEEN_REQUESTS) seenRequests.shift();
    return false;
  };
  const waitingForOperator = () => state.status === RefundStatus.AWAITING_REPAIR && !pendingRepair && !pendingDecision;

  /** Validates a repair against the order as last read: the same rules as everywhere else. */
  const checkRepair = (msg: RepairMessage): { problems: Problem[]; plan?: RefundPlan } => {
    if (!waitingForOperator()) return { problems: [notWaitingProblem(state.status)] };
    const vctx = validationContext();
    if (!vctx)
      return {
        problems: [
          { code: 'UNKNOWN_ORDER', message: 'The order could not be read yet; try again shortly.', field: 'order' },
        ],
      };
    return validateRepair(vctx, msg.input);
  };

  const acceptRepair = (msg: RepairMessage): RepairAccepted | undefined => {
    const { problems, plan } = checkRepair(msg);
    if (problems.length > 0 || !plan) {
      // A bad repair never fails the workflow: it is recorded with its problems and the refund stays parked.
      audit({ operator: msg.operator, action: 'repair', accepted: false, detail: msg.input, problems });
      return undefined;
    }
    audit({ operator: msg.operator, action: 'repair', accepted: true, detail: msg.input });
    pendingRepair = msg;
    return { plan: { ...plan, revision: state.revision }, revision: state.revision };
  };

  setHandler(stateQuery, () => state);
  setHandler(contextQuery, () => ({ state, context: ctx, policy }));

  /** Replay-safe hardening: a payload that does not parse is audited and changes nothing (no command either way). */
  const readable = <A extends OperatorAction>(action: A, raw: unknown): boolean => {
    const parsed = parseMessage(action, raw);
    if (parsed.ok) return true;
    audit({
      operator: operatorOf(raw),
      action,
      accepted: false,
      detail: 'malformed message',
      problems: parsed.problems,
    });
    return false;
  };
  setHandler(repairSignal, (msg) => {
    if (readable('repair', msg) && !alreadySeen(msg.requestId)) acceptRepair(msg);
  });
  setHandler(
    repairUpdate,
    (msg) => {
      const accepted = acceptRepair(msg);
      if (!accepted)
        throw ApplicationFailure.create({
          type: FailureType.InvalidRepair,
          message: 'The repair was not accepted',
          nonRetryable: true,
        });
      return accepted as MessageAccepted & RepairAccepted;
    },
    {
      validator: (msg: RepairMessage) => {
        const parsed = parseMessage('repair', msg);
        if (!parsed.ok) throw invalid(FailureType.InvalidMessage, parsed.problems);
        const { problems } = checkRepair(msg);
        if (problems.length > 0) throw invalid(FailureType.InvalidRepair, problems);
      },
      description:
        'Repair the refund: per SKU tick, quantity, reason and amount. Rejected with the problems when invalid.',
    },
  );

  const decide = (decision: PendingDecision): boolean => {
    const allowed = waitingForOperator();
    audit({ operator: decision.msg.operator, action: decision.kind, accepted: allowed, detail: decision.msg.input });
    if (allowed) pendingDecision = decision;
    return allowed;
  };
  const decisionValidator = (kind: PendingDecision['kind']) => (msg: unknown) => {
    const parsed = parseMessage(kind, msg);
    if (!parsed.ok) throw invalid(FailureType.InvalidMessage, parsed.problems);
    if (!waitingForOperator()) throw invalid(FailureType.NotAllowed, [notWaitingProblem(state.status)]);
  };
  /** Updates answer with the final state once the decision has been carried out. */
  /** Its updates answered with the final state once the decision was carried out (the protocol workflow does not). */
  const decideAndWait = async (decision: PendingDecision): Promise<MessageAccepted> => {
    if (!decide(decision)) throw invalid(FailureType.NotAllowed, [notWaitingProblem(state.status)]);
    // Hardening: also answer when the run continues as new, which waits for every handler (it deadlocked before).
    await condition(() => state.result !== undefined || continuing);
    return state as unknown as MessageAccepted;
  };

  setHandler(declineSignal, (msg) => {
    if (readable('decline', msg) && !alreadySeen(msg.requestId)) decide({ kind: 'decline', msg });
  });
  setHandler(resolveSignal, (msg) => {
    if (readable('resolve', msg) && !alreadySeen(msg.requestId)) decide({ kind: 'resolve', msg });
  });
  setHandler(cancelSignal, (msg) => {
    if (readable('cancel', msg) && !alreadySeen(msg.requestId)) decide({ kind: 'cancel', msg });
  });
  setHandler(declineUpdate, (msg) => decideAndWait({ kind: 'decline', msg }), {
    validator: decisionValidator('decline'),
  });
  setHandler(resolveUpdate, (msg) => decideAndWait({ kind: 'resolve', msg }), {
    validator: decisionValidator('resolve'),
  });
  setHandler(cancelUpdate, (msg) => decideAndWait({ kind: 'cancel', msg }), { validator: decisionValidator('cancel') });
  setHandler(refundEventSignal, () => {
    recheckRequested = true;
  });

  // ---- visibility: search attributes and current details, kept current on every move ----

  const publish = () => {
    upsertSearchAttributes([
      { key: SA.status, value: state.status },
      { key: SA.bwpOrderId, value: state.orderId },
      { key: SA.problemCodes, value: [...new Set(state.problems.map((p) => p.code))] },
      { key: SA.needsAttention, value: state.needsAttention },
      ...(state.storeOrderId ? [{ key: SA.storeOrderId, value: state.storeOrderId }] : []),
    ]);
    setCurrentDetails(describe(state));
  };
  const moveTo = (status: RefundStatus) => {
    if (state.status !== status) {
      log.info('refund status', { from: state.status, to: status, refundId: state.refundId });
      refundsByStatus.add(1, { status });
    }
    state.status = status;
    if (status === RefundStatus.AWAITING_REPAIR) state.parkedSince ??= new Date().toISOString();
    else if (status !== RefundStatus.FETCHING && state.parkedSince) {
      // Re-reading the order after a repair still counts as parked; submitting or finishing ends it.
      parkedSeconds.record((Date.now() - Date.parse(state.parkedSince)) / 1000);
      state.parkedSince = undefined;
    }
    // A plan going out (an operator acted, or nothing was wrong) or the end settles what needed attention, except a
    // rejected report, which stays flagged until the refund finishes.
    if (
      (TERMINAL_STATUSES.includes(status) && state.attention?.reason !== 'REFUND_AMOUNT_MISMATCH') ||
      (status === RefundStatus.SUBMITTING && state.attention?.reason !== 'REPORT_REJECTED')
    ) {
      state.attention = undefined;
    }
    state.needsAttention = state.attention !== undefined;
    publish();
  };
  const flagAttention = (reason: NonNullable<RefundWorkflowState['attention']>['reason'], detail?: string) => {
    state.attention = { reason, since: new Date().toISOString(), detail };
    state.needsAttention = true;
    publish();
  };
  const finish = (status: RefundStatus, extra: Partial<RefundResult> = {}): RefundResult => {
    const result: RefundResult = {
      status,
      orderId: state.orderId,
      refundId: state.refundId,
      refunded: state.refunded,
      bwpState: state.bwpState,
      ...extra,
    };
    moveTo(status);
    state.result = result;
    endToEndSeconds.record((Date.now() - Date.parse(state.startedAt)) / 1000, { status });
    return result;
  };

  const continueAsNewNow = async (): Promise<never> => {
    continuing = true;
    await condition(allHandlersFinished);
    return continueAsNew<(input: RefundWorkflowInput) => Promise<RefundResult>>({
      orderId: state.orderId,
      refundId: state.refundId,
      businessProductId: input.businessProductId,
      timing: input.timing,
      carried: { state, context: ctx, policy, pendingRepair, pendingDecision, seenRequests },
    });
  };

  // ---- steps ----

  /** Reads the order afresh and decides: finished elsewhere, parked with problems, or a plan ready to submit. */
  const fetchAndPlan = async (extraProblems: Problem[] = []): Promise<'submit' | 'park' | 'done'> => {
    moveTo(RefundStatus.FETCHING);
    const data = await lookups.fetchRefundContext.executeWithOptions(
      { ...lookup, summary: `read BwP order ${state.orderId} and its store order` },
      [{ orderId: state.orderId }],
    );
    ctx = { order: data.order, storeOrder: data.storeOrder, storeOrderId: data.storeOrderId };
    policy = data.policy;
    state.storeOrderId = data.storeOrderId;
    const refund = refundOf(ctx);
    state.bwpState = refund?.state;
    if (refund && refund.state !== 'PENDING') {
      finish(RefundStatus.RESOLVED_ELSEWHERE, { note: `Buy with Prime shows the refund as ${refund.state}` });
      return 'done';
    }
    const repair = pendingRepair;
    pendingRepair = undefined;
    const vctx = validationContext();
    const verdict = vctx
      ? repair
        ? validateRepair(vctx, repair.input)
        : validateRefund(vctx)
      : {
          problems: [
            {
              code: 'UNKNOWN_ORDER',
              message: `Buy with Prime has no order ${state.orderId}.`,
              field: 'order',
            } satisfies Problem,
          ],
        };
    state.problems = [...extraProblems, ...verdict.problems];
    if (state.problems.length === 0 && verdict.plan) {
      state.plan = { ...verdict.plan, revision: state.revision };
      state.suggestion = undefined;
      // Added after refunds were already running: the patch keeps their histories replaying (test/replay).
      if (patched('memo-refund-amount')) {
        const { total, currency } = state.plan.report;
        upsertMemo({ refundAmount: formatDecimal(total, currency), currency, mode: state.plan.mode });
      }
      return 'submit';
    }
    if (repair && verdict.problems.length > 0) {
      audit({
        operator: 'system',
        action: 'repair',
        accepted: false,
        detail: 'the order changed after the repair was accepted',
        problems: verdict.problems,
      });
    }
    state.suggestion = vctx ? suggestRepair(vctx, state.problems) : undefined;
    if (!state.suggestion && verdict.plan && verdict.problems.length === 0) {
      // Only the store's rejection stands in the way: offer the same plan again (it will go under a new key).
      state.suggestion = {
        repair: repairFromPlan(verdict.plan),
        explanation: [
          'The refund itself is valid; confirm to submit it again under a new idempotency key once the cause is fixed.',
        ],
      };
    }
    return 'park';
  };

  /** Parked: waits for an operator while re-checking BwP at growing intervals; flags itself for attention after a while. */
  const awaitOperator = async (): Promise<'refetch' | 'decided' | 'done'> => {
    moveTo(RefundStatus.AWAITING_REPAIR);
    let interval = timing.recheckInitialMs;
    let nextRecheck = Date.now() + interval;
    for (;;) {
      const attentionAt = state.needsAttention ? Infinity : Date.parse(state.parkedSince!) + timing.attentionAfterMs;
      const deadline = Math.min(nextRecheck, attentionAt);
      const woken = await condition(
        () => pendingRepair !== undefined || pendingDecision !== undefined || recheckRequested,
        Math.max(1, deadline - Date.now()),
      );
      if (pendingDecision) return 'decided';
      if (pendingRepair) return 'refetch';
      // When the timer fired, its deadline has passed, whatever the workflow clock says. The clock can lag: on the
      // production cluster a worker that had this run cached from a query, handed the timer's task after the dead
      // sticky worker's timeout, ran it with the time of an older task, started a timer instead of the re-check, and
      // the run no longer replayed (test/cluster). With a correct clock this is Date.now(), so histories replay alike.
      const now = woken ? Date.now() : Math.max(Date.now(), deadline);
      if (now >= attentionAt) {
        flagAttention('PARKED_TOO_LONG');
        log.warn('refund needs attention: parked without repair', {
          refundId: state.refundId,
          parkedSince: state.parkedSince,
        });
      }
      if (recheckRequested || now >= nextRecheck) {
        if (!recheckRequested) interval = Math.min(interval * 2, timing.recheckMaxMs);
        recheckRequested = false;
        nextRecheck = now + interval;
        const bwpState = await lookups.checkRefundState.executeWithOptions(
          { ...lookup, summary: 'is the refund still PENDING?' },
          [{ orderId: state.orderId, refundId: state.refundId }],
        );
        if (bwpState && bwpState !== 'PENDING') {
          state.bwpState = bwpState;
          finish(RefundStatus.RESOLVED_ELSEWHERE, { note: `Buy with Prime shows the refund as ${bwpState}` });
          return 'done';
        }
      }
      if (workflowInfo().continueAsNewSuggested) await continueAsNewNow();
    }
  };

  const submitPlan = async (): Promise<'report' | 'park' | 'done'> => {
    moveTo(RefundStatus.SUBMITTING);
    const plan = state.plan!;
    // This path keeps the first key formula for every revision (it only runs refunds recorded with it); the key is kept
    // in the state so that a protocol run continued from this one goes on under it.
    const key = legacyRefundIdempotencyKey(state.orderId, state.refundId, state.revision);
    state.idempotencyKey = key;
    const answer = await submissions.submitRefund.executeWithOptions(
      {
        ...submit,
        summary: `POST /refund ${plan.mode} ${formatDecimal(plan.report.total, plan.report.currency)} ${plan.report.currency}, key ${key}`,
      },
      [{ request: { id: key, ...plan.storeRequest } }],
    );
    const at = new Date().toISOString();
    if (answer.kind === 'refunded') {
      state.attempts.push({
        revision: state.revision,
        idempotencyKey: key,
        at,
        outcome: 'refunded',
        refunded: answer.refunded,
      });
      state.refunded = answer.refunded;
      // docs/domain.md rule 18: what the store refunded is checked against the plan; a mismatch is reported as it is.
      if (patched(STORE_REFUND_CHECK_PATCH)) {
        const check = checkStoreRefund(plan, answer.refunded);
        if (!check.matches) {
          state.plan = { ...plan, report: check.report };
          flagAttention('REFUND_AMOUNT_MISMATCH', check.problem.message);
          log.error('the store refunded another amount than the plan', { refundId: state.refundId, key });
        }
      }
      return 'report';
    }
    state.attempts.push({
      revision: state.revision,
      idempotencyKey: key,
      at,
      outcome: answer.kind,
      code: answer.code,
      message: answer.message,
    });
    // A definitive answer: nothing moved under this key, so the next plan gets a new revision (and key).
    state.revision += 1;
    const problem: Problem = {
      code: STORE_REJECTION_PROBLEMS[answer.code] ?? 'STORE_REJECTED',
      message: `The store rejected the refund (${answer.code}): ${answer.message}`,
      field: 'storeRequest',
    };
    const next = await fetchAndPlan([problem]);
    if (answer.kind === 'alarm' && next === 'park') {
      flagAttention('IDEMPOTENCY_ALARM', `key ${key} was reused with another payload; money may have moved`);
      log.error('IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH: parked; never resent automatically', { key });
    }
    return next === 'done' ? 'done' : 'park';
  };

  const report = async () => {
    moveTo(RefundStatus.REPORTING);
    const refund = refundOf(ctx);
    if (!refund) {
      // Money moved but there is nothing to report against: a person must look; never fail the refund.
      flagAttention('REPORT_REJECTED', 'the refund is no longer on the BwP order');
      return;
    }
    const update = buildRefundedUpdate({
      orderId: state.orderId,
      refund,
      plan: state.plan!,
      refunded: state.refunded!,
      storeRefundId: legacyRefundIdempotencyKey(state.orderId, state.refundId, state.revision),
    });
    const first = update.refunds[0]!;
    await reportSafely(update, `updateOrder ${first.state}, total ${first.refundTotal.totalAmount.amount}`);
  };

  /**
   * Reports to BwP. Money may already have moved, so a definitive BwP rejection must not fail the workflow: it is
   * flagged for attention and the workflow goes on waiting for the refund to leave PENDING (fixed by hand in BwP).
   */
  const reportSafely = async (update: UpdateOrderInput, summary: string) => {
    try {
      state.bwpState = await lookups.reportToBwp.executeWithOptions({ ...lookup, summary }, [{ update }]);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const detail = err.cause instanceof ApplicationFailure ? err.cause.message : err.message;
      flagAttention('REPORT_REJECTED', detail);
      log.error('Buy with Prime rejected the report; waiting for the refund to leave PENDING', { detail });
    }
  };

  /** Waits until BwP shows the refund out of PENDING: growing intervals, or at once when a new event arrives. */
  const awaitSettlement = async () => {
    moveTo(RefundStatus.AWAITING_SETTLEMENT);
    let interval = timing.settleInitialMs;
    while (state.bwpState === 'PENDING' || state.bwpState === undefined) {
      await condition(() => recheckRequested, interval);
      recheckRequested = false;
      const bwpState = await lookups.checkRefundState.executeWithOptions(
        { ...lookup, summary: 'has the refund left PENDING?' },
        [{ orderId: state.orderId, refundId: state.refundId }],
      );
      state.bwpState = bwpState ?? undefined;
      interval = Math.min(interval * 2, timing.settleMaxMs);
      if (workflowInfo().continueAsNewSuggested) await continueAsNewNow();
    }
  };

  const applyDecision = async (decision: PendingDecision): Promise<RefundResult> => {
    if (decision.kind === 'cancel') return finish(RefundStatus.CANCELLED, { note: decision.msg.input.note });
    if (decision.kind === 'resolve') return finish(RefundStatus.RESOLVED_ELSEWHERE, { note: decision.msg.input.note });
    // Decline: report FAILURE to BwP with the operator's status reason, then wait for it to leave PENDING.
    const { statusReason, note } = decision.msg.input;
    const refund = refundOf(ctx);
    if (refund) {
      moveTo(RefundStatus.REPORTING);
      const currency = refund.refundTotal?.totalAmount.currencyCode ?? ctx?.storeOrder?.currency ?? 'USD';
      const update = buildDeclinedUpdate({ orderId: state.orderId, refund, currency, statusReason });
      await reportSafely(update, `updateOrder FAILURE ${statusReason}`);
      await awaitSettlement();
    }
    return finish(RefundStatus.DECLINED, { statusReason, note });
  };

  // ---- main loop: an explicit state machine ----

  publish();
  let step: Step = resumeStep(state.status, pendingRepair !== undefined || pendingDecision !== undefined);
  let result: RefundResult | undefined = state.result;
  while (!result) {
    switch (step) {
      case 'fetch': {
        const next = await fetchAndPlan();
        if (next === 'done') result = state.result;
        else step = next;
        break;
      }
      case 'park': {
        const next = pendingDecision ? 'decided' : await awaitOperator();
        if (next === 'done') result = state.result;
        else if (next === 'decided') result = await applyDecision(pendingDecision!);
        else step = 'fetch';
        break;
      }
      case 'submit': {
        const next = await submitPlan();
        if (next === 'done') result = state.result;
        else step = next;
        break;
      }
      case 'report':
        await report();
        step = 'settle';
        break;
      case 'settle':
        await awaitSettlement();
        result = finish(state.bwpState === 'PARTIAL' ? RefundStatus.PARTIALLY_REFUNDED : RefundStatus.REFUNDED, {
          note:
            state.attention?.reason === 'REPORT_REJECTED'
              ? `Buy with Prime rejected the report (${state.attention.detail ?? ''}); it shows ${state.bwpState}`
              : undefined,
        });
        break;
    }
  }
  // Update handlers (decline, resolve, cancel answer with the final state) finish before the workflow returns.
  await condition(allHandlersFinished);
  return result;
}

type Step = 'fetch' | 'park' | 'submit' | 'report' | 'settle';

/** Where a continued-as-new run picks up. */
function resumeStep(status: RefundStatus, hasMessage: boolean): Step {
  switch (status) {
    case RefundStatus.AWAITING_REPAIR:
      return hasMessage ? 'fetch' : 'park';
    case RefundStatus.SUBMITTING:
      return 'submit';
    case RefundStatus.REPORTING:
      return 'report';
    case RefundStatus.AWAITING_SETTLEMENT:
      return 'settle';
    default:
      return 'fetch';
  }
}

function invalid(type: string, problems: Problem[]): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message: problems.map((p) => p.message).join(' '),
    details: [problems],
    nonRetryable: true,
  });
}

function repairFromPlan(plan: RefundPlan): RepairInput {
  const currency = plan.report.currency;
  return {
    lines: plan.report.lines.map((l) => ({
      lineItemId: l.lineItemId,
      ticked: true,
      quantity: l.quantity,
      reason: l.reason,
      amount: formatDecimal(l.amount, currency),
    })),
    shipping: plan.report.shipping || undefined,
    mode: plan.mode,
  };
}

function notWaitingProblem(status: RefundStatus): Problem {
  return {
    code: 'REFUND_NOT_PENDING',
    message: `The refund is ${status}, not waiting for an operator; nothing was changed.`,
    field: 'status',
  };
}

function describe(state: RefundWorkflowState): string {
  const n = state.problems.length;
  switch (state.status) {
    case RefundStatus.AWAITING_REPAIR:
      return (
        `**Waiting for repair**: ${n} problem${n === 1 ? '' : 's'}` +
        (state.attention ? ` (needs attention: ${state.attention.reason})` : '') +
        (n ? `\n\n${state.problems.map((p) => `- \`${p.code}\` ${p.message}`).join('\n')}` : '') +
        (state.suggestion ? '\n\nA suggested repair is available (GET /refunds/:id).' : '')
      );
    case RefundStatus.SUBMITTING:
      return `Submitting POST /refund, plan revision ${state.revision}`;
    case RefundStatus.REPORTING:
      return `Reporting to Buy with Prime: refunded ${state.refunded?.amount ?? '0'} ${state.refunded?.currency ?? ''}`;
    case RefundStatus.AWAITING_SETTLEMENT:
      return 'Waiting for Buy with Prime to move the refund out of PENDING';
    case RefundStatus.FETCHING:
      return 'Reading the order from Buy with Prime and the store';
    default:
      return `Finished: ${state.status}${state.refunded ? `, refunded ${state.refunded.amount} ${state.refunded.currency}` : ''}`;
  }
}
