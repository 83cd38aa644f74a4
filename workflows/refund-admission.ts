/**
 * The one admission rule: may an operator message be taken now, in the refund's current state (docs/protocol.md,
 * "State × action")? Pure code over plain facts, shared by the workflow (its update validators and the one door every
 * message goes through, RefundInbox.receive) and the API's `POST /refunds/:id/repair/check`, which reads the same
 * facts from the refund's memo. So the page's verdict is the workflow's, cell by cell (test/workflows/admission.test.ts).
 */
import type { RefundPlan } from '../domain/plan';
import { problem, type Problem } from '../domain/problems';
import type { RepairInput } from '../domain/schemas/repair';
import { validateRepair } from '../domain/validate';
import type { RefundContext } from '../domain/context';
import { FailureType, RefundStatus, TERMINAL_STATUSES, type KeyInDoubt, type RefundView } from './refund.contract';
import type { OperatorAction } from './refund.messages';

/** What the rule looks at: the refund's state, and what is recorded and not yet applied. */
export interface AdmissionFacts {
  status: RefundStatus;
  /** The refund has a result (or a terminal status). */
  finished: boolean;
  /** What the store refunded so far, when money moved. */
  refunded?: { amount: string; currency: string };
  inDoubt?: Pick<KeyInDoubt, 'idempotencyKey' | 'reason'>;
  /** A message recorded first and not yet applied (a repair, a resubmission or a decision), by whom. */
  busy?: { operator?: string };
  /** A decline, resolve or cancel recorded and not yet applied, or Temporal's cancellation request. */
  pendingDecision?: { kind: 'decline' | 'resolve' | 'cancel'; operator: string } | { kind: 'temporalCancel' };
  /** A decision the workflow is carrying out now (e.g. a decline reporting FAILURE). */
  applying?: { kind: 'decline' | 'resolve' | 'cancel' };
  /** The workflow's suggested repair, when it has one. */
  suggestion?: RepairInput;
}

/**
 * The facts of a refund's compact view (its memo, refund-view.ts): the workflow decides on the view it is about to
 * publish and the API on the view it read, so both apply the rule to the same facts.
 */
export function admissionFacts(view: RefundView, suggestion: RepairInput | undefined): AdmissionFacts {
  const inbox = view.inbox ?? {};
  const busyBy = inbox.repair ?? inbox.resubmit ?? inbox.decision;
  return {
    status: view.status,
    finished: view.result !== undefined || TERMINAL_STATUSES.includes(view.status),
    ...(view.refunded ? { refunded: view.refunded } : {}),
    ...(view.inDoubt ? { inDoubt: view.inDoubt } : {}),
    ...(busyBy || inbox.temporalCancel ? { busy: busyBy ? { operator: busyBy.operator } : {} } : {}),
    ...(inbox.decision
      ? { pendingDecision: { kind: inbox.decision.kind, operator: inbox.decision.operator } }
      : inbox.temporalCancel
        ? { pendingDecision: { kind: 'temporalCancel' as const } }
        : {}),
    ...(view.applying ? { applying: { kind: view.applying.kind } } : {}),
    ...(suggestion ? { suggestion } : {}),
  };
}

/** What the rule answers: accepted (with the plan a repair validated to) or refused with the problems and a type. */
export type Admission =
  | { accepted: true; plan?: RefundPlan; input?: RepairInput; advisories?: Problem[] }
  | { accepted: false; type: FailureType; problems: Problem[]; advisories?: Problem[] };

/** A refusal: the problem names the part of the refund's state that stands in the way (its `field`). */
function refuse(code: Problem['code'], message: string, field: string): Admission {
  return { accepted: false, type: FailureType.NotAllowed, problems: [problem(code, message, { field })] };
}

function finishedRefusal(f: AdmissionFacts): Admission | undefined {
  if (f.finished || TERMINAL_STATUSES.includes(f.status))
    return refuse('ACTION_NOT_ALLOWED', `The refund has finished (${f.status}); nothing was changed.`, 'status');
  return undefined;
}

function busyRefusal(f: AdmissionFacts): Admission | undefined {
  if (!f.busy) return undefined;
  return refuse(
    'ALREADY_DECIDED',
    `Another message${f.busy.operator ? ` by ${f.busy.operator}` : ''} was recorded first and is being applied; nothing was changed.`,
    'pendingDecision',
  );
}

function inDoubtRefusal(f: AdmissionFacts, action: OperatorAction): Admission {
  const d = f.inDoubt!;
  return refuse(
    'MONEY_MAY_HAVE_MOVED',
    `Money may have moved under key ${d.idempotencyKey} (${d.reason}): no ${action} can go out under a new key. Check the store; if nothing moved, send resubmit-verified stating so; if it moved, resolve.`,
    'inDoubt',
  );
}

/**
 * A repair or the acceptance of the suggestion: only while parked, with no key in doubt and nothing else recorded; the
 * repair then passes every rule against the order the workflow read (`ctx`; absent: not read yet).
 */
export function admitRepair(
  f: AdmissionFacts,
  action: 'repair' | 'acceptSuggestion',
  ctx: RefundContext | undefined,
  input: { repair?: unknown; note?: string },
  revision: number,
): Admission {
  const finished = finishedRefusal(f);
  if (finished) return finished;
  if (f.inDoubt) return inDoubtRefusal(f, action);
  if (f.status !== RefundStatus.AWAITING_REPAIR)
    return refuse(
      'REFUND_NOT_PENDING',
      `The refund is ${f.status}, not waiting for an operator; a ${action === 'repair' ? 'repair' : 'suggestion'} is taken only in AWAITING_REPAIR. Nothing was changed.`,
      'status',
    );
  const busy = busyRefusal(f);
  if (busy) return busy;
  if (!ctx)
    return refuse(
      'UNKNOWN_ORDER',
      'There is no order to validate against (not read yet, or Buy with Prime has no such order).',
      'order',
    );
  let repair: unknown;
  if (action === 'acceptSuggestion') {
    if (!f.suggestion)
      return refuse('NO_SUGGESTION', 'The workflow has no suggested repair to accept; send a repair.', 'suggestion');
    repair = { ...f.suggestion, ...(input.note ? { note: input.note } : {}) };
  } else {
    repair = input.repair;
  }
  const { problems, plan, advisories } = validateRepair(ctx, repair, { revision });
  const advised = advisories?.length ? { advisories } : {};
  if (problems.length > 0 || !plan) return { accepted: false, type: FailureType.InvalidRepair, problems, ...advised };
  // Validated: the repair is a RepairInput (the plan was built from it).
  return { accepted: true, plan, input: repair as RepairInput, ...advised };
}

/** Decline, resolve or cancel: one decision at a time; a decline never once money moved or may have. */
export function admitDecision(f: AdmissionFacts, kind: 'decline' | 'resolve' | 'cancel'): Admission {
  const finished = finishedRefusal(f);
  if (finished) return finished;
  const pending = f.pendingDecision;
  if (pending)
    return refuse(
      'ALREADY_DECIDED',
      pending.kind === 'temporalCancel'
        ? 'A Temporal cancellation is already recorded and being applied; nothing was changed.'
        : `A ${pending.kind} by ${pending.operator} is already recorded and being applied; nothing was changed.`,
      'pendingDecision',
    );
  const applying = f.applying;
  if (applying && (kind === 'decline' || applying.kind !== 'decline'))
    return refuse(
      'ALREADY_DECIDED',
      `The refund is already being ${applying.kind}d; nothing was changed.`,
      'pendingDecision',
    );
  if (kind === 'decline') {
    if (f.refunded)
      return refuse(
        'MONEY_ALREADY_MOVED',
        `The store already refunded ${f.refunded.amount} ${f.refunded.currency}; a decline would report FAILURE for money that moved. Use resolve if Buy with Prime is handled by hand.`,
        'refunded',
      );
    if (f.inDoubt) return inDoubtRefusal(f, 'decline');
    if (f.status === RefundStatus.REPORTING || f.status === RefundStatus.AWAITING_SETTLEMENT)
      return refuse('ACTION_NOT_ALLOWED', `The refund is ${f.status}; a decline is not allowed now.`, 'status');
  }
  return { accepted: true };
}

/** resubmit-verified: only with a key in doubt, while parked and nothing else is recorded. */
export function admitResubmit(f: AdmissionFacts): Admission {
  const finished = finishedRefusal(f);
  if (finished) return finished;
  if (!f.inDoubt)
    return refuse(
      'ACTION_NOT_ALLOWED',
      `No idempotency key is in doubt (the refund is ${f.status}); resubmit-verified is only for a refund parked after an unknown outcome or a 409.`,
      'status',
    );
  const busy = busyRefusal(f);
  if (busy) return busy;
  if (f.status !== RefundStatus.AWAITING_REPAIR)
    return refuse(
      'ACTION_NOT_ALLOWED',
      `The refund is ${f.status}; resubmit-verified is taken while it is parked.`,
      'status',
    );
  return { accepted: true };
}

/** A re-check is taken in every status but the end. */
export function admitRecheck(f: AdmissionFacts): Admission {
  return finishedRefusal(f) ?? { accepted: true };
}
