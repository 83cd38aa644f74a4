/**
 * A recorded decision is applied (docs/protocol.md, "Decisions"): resolve and cancel end the refund, saying whether
 * money moved; a decline reports FAILURE to Buy with Prime, then waits for it to leave PENDING; a decline is refused
 * (and audited) when money moved or may have moved meanwhile, and the refund goes on where it was. Temporal's
 * cancellation ends the refund whatever else was recorded.
 */
import { problem } from '../../domain/problems';
import { RefundStatus, type RecordedDecision } from '../refund.contract';
import { temporalCancelDecision } from '../refund-inbox';
import type { Run, Transition } from '../refund-transition';

export function deciding(run: Run, otherwise: Extract<Transition, { to: 'decide' }>['otherwise']): Transition {
  const { state, inbox } = run;
  const d = inbox.temporalCancel ? temporalCancelDecision(run.now()) : state.pendingDecision;
  if (!d) return { to: otherwise };
  const superseded = inbox.temporalCancel ? state.pendingDecision : undefined;
  if (superseded) {
    // Temporal's cancellation ends the workflow whatever else was recorded: the operator's decision is not applied.
    inbox.audit({
      operator: superseded.operator,
      action: superseded.kind,
      accepted: false,
      requestId: superseded.requestId,
      via: 'workflow',
      detail: 'not applied: the workflow was cancelled in Temporal',
      problems: [
        problem('ACTION_NOT_ALLOWED', `The workflow was cancelled in Temporal before the ${superseded.kind} applied.`, {
          field: 'pendingDecision',
        }),
      ],
    });
  }
  state.pendingDecision = undefined;
  if (d.kind !== 'decline') return end(run, d);
  if (inbox.moneyMoved() || state.inDoubt) {
    refuseDecline(run, d);
    return { to: otherwise };
  }
  // Decline: report FAILURE with the operator's status reason, then wait for Buy with Prime to leave PENDING.
  state.decision = d;
  if (run.refundOf()) return { to: 'report' };
  return declined(run, d);
}

/** A decline applied: audited, and the end, with the operator's status reason (also once FAILURE was reported). */
export function declined(run: Run, d: RecordedDecision): Transition {
  run.inbox.audit({
    operator: d.operator,
    action: 'decline',
    accepted: true,
    requestId: d.requestId,
    via: 'workflow',
    detail: 'applied',
  });
  return {
    to: 'end',
    status: RefundStatus.DECLINED,
    extra: {
      statusReason: String(d.input.statusReason),
      note: typeof d.input.note === 'string' ? d.input.note : undefined,
    },
  };
}

/** Resolve or cancel: the end, saying in the result whether money moved. */
function end(run: Run, d: RecordedDecision): Transition {
  const { state, inbox } = run;
  const moved = inbox.moneyMoved();
  const note = typeof d.input.note === 'string' ? d.input.note : undefined;
  const said = moved
    ? `the store had refunded ${state.refunded!.amount} ${state.refunded!.currency} before the ${d.kind} applied; it was reported to Buy with Prime`
    : state.inDoubt
      ? `ended with key ${state.inDoubt.idempotencyKey} in doubt: money may have moved`
      : undefined;
  inbox.audit({
    operator: d.operator,
    action: d.source === 'temporal' ? 'temporalCancel' : d.kind,
    accepted: true,
    requestId: d.requestId,
    via: 'workflow',
    detail: said ?? 'applied',
  });
  return {
    to: 'end',
    status: d.kind === 'resolve' ? RefundStatus.RESOLVED_ELSEWHERE : RefundStatus.CANCELLED,
    extra: { note: [note, said].filter(Boolean).join('; ') || undefined },
  };
}

/** A decline once money moved (or may have): refused and audited; the refund goes on. */
function refuseDecline(run: Run, d: RecordedDecision): void {
  const { state, inbox } = run;
  const moved = inbox.moneyMoved();
  const refusal = problem(
    moved ? 'MONEY_ALREADY_MOVED' : 'MONEY_MAY_HAVE_MOVED',
    moved
      ? `The store refunded ${state.refunded!.amount} ${state.refunded!.currency} before the decline could apply; it was refused and the refund goes on.`
      : `Money may have moved under ${state.inDoubt!.idempotencyKey}; the decline was refused.`,
    { field: moved ? 'refunded' : 'inDoubt' },
  );
  inbox.audit({
    operator: d.operator,
    action: 'decline',
    accepted: false,
    requestId: d.requestId,
    via: 'workflow',
    problems: [refusal],
  });
  state.problems = [...state.problems.filter((p) => p.code !== refusal.code), refusal];
  run.publish();
}
