import { type RefundContext, estimateTolerancePerLine } from '../context';
import { ZERO, formatDecimal, minor, mulInt } from '../money';
import { type PlanLine, type RefundPlan } from '../plan';
import { type Problem, problem } from '../problems';
import { checkStoreRequest, type StoreRefundBody } from '../store-request';
import { type Ask, askFromRefund, askFromRepair } from './ask';
import { type DecidedLine, checkLines } from './lines';
import { decideMode } from './mode';
import { type Prepared, prepare } from './prepare';
import { checkShipping, checkTotals, planTotal } from './totals';

/**
 * The rules of docs/domain.md, implemented once. A BwP refund and an operator's repair are both read as an `Ask`
 * (ask.ts) and go through the same checks, by concern: the refund and the orders (prepare.ts), each line (lines.ts),
 * buckets and totals (totals.ts), line items or appeasement (mode.ts), and the store request (../store-request.ts).
 * Every problem is returned at once; nothing here throws on arbitrary input.
 */

/**
 * `problems` stop the refund (it parks for repair); `advisories` are recorded and shown but stop nothing: the reason
 * rules, unless the policy makes them block (REASON_RULES_BLOCK), since neither POST /refund nor updateOrder carries a
 * merchant reason (docs/domain.md rule 10).
 */
export type ValidationResult = { problems: Problem[]; plan?: RefundPlan; advisories?: Problem[] };

/** The codes of the reason rules (rule 10). */
export const REASON_PROBLEM_CODES: ReadonlySet<Problem['code']> = new Set([
  'REASON_MISSING',
  'REASON_UNKNOWN',
  'REASON_UNMAPPED',
]);

/** Moves the reason rules' problems to advisories unless the policy makes them block. */
function withAdvisories(ctx: unknown, run: () => ValidationResult): ValidationResult {
  const blocking =
    ctx !== null &&
    typeof ctx === 'object' &&
    (ctx as { policy?: { reasonRulesBlock?: unknown } }).policy?.reasonRulesBlock === true;
  if (blocking) return run();
  const result = run();
  const advisories = result.problems.filter((p) => REASON_PROBLEM_CODES.has(p.code));
  if (advisories.length === 0) return result;
  const rest = result.problems.filter((p) => !REASON_PROBLEM_CODES.has(p.code));
  // Never a result with neither a plan nor a problem: then the reason is what stands in the way after all.
  if (rest.length === 0 && !result.plan) return result;
  return { ...result, problems: rest, advisories };
}
export type PlanOptions = { revision?: number };

export { type Ask, type AskLine, type RefundAsk, askFromRefund, askFromRepair } from './ask';
export { type Prepared, prepare } from './prepare';

function guard(run: () => ValidationResult): ValidationResult {
  try {
    return run();
  } catch (e) {
    // A defect must not fail a workflow task forever; it parks the refund with a problem that says so.
    return { problems: [internal(e instanceof Error ? e.message : 'unknown error')] };
  }
}

function internal(message: string): Problem {
  return problem('INTERNAL_ERROR', `Validation failed unexpectedly (${message}); report this defect.`, {
    field: 'plan',
  });
}

/** Runs every rule on an Ask; `prior` are problems already found, and a plan is built only when there are none. */
export function planAsk(prepared: Prepared, ask: Ask, prior: Problem[], revision: number): ValidationResult {
  const { view, ctx } = prepared;
  const lines = checkLines(view, ask);
  const problems: Problem[] = [...lines.problems, ...checkShipping(view, ask)];
  let decided = lines.decided;
  let mode: RefundPlan['mode'] = 'line-items';
  // Totals and mode need every touched line's money; a line still unknown has its own problem already.
  if (lines.complete) {
    const totals = checkTotals(view, ask, decided, [...prior, ...problems]);
    problems.push(...totals.problems);
    decided = totals.decided;
    const decision = decideMode(view, ask, decided, ctx.policy, [...prior, ...problems]);
    problems.push(...decision.problems);
    mode = decision.mode;
  }
  const all = dedupe([...prior, ...problems]);
  const blocking = prepared.ctx.policy.reasonRulesBlock === true;
  const stopping = blocking ? all : all.filter((p) => !REASON_PROBLEM_CODES.has(p.code));
  if (stopping.length > 0) return { problems: all };
  const planned = buildPlan(prepared, ask, decided, mode, revision);
  return { ...planned, problems: [...all, ...planned.problems] };
}

/** The plan of lines that passed every rule: the store request (checked against its contract) and the report. */
function buildPlan(
  prepared: Prepared,
  ask: Ask,
  decided: readonly DecidedLine[],
  mode: RefundPlan['mode'],
  revision: number,
): ValidationResult {
  const { view } = prepared;
  const order = view.storeOrderId;
  if (order === undefined) return { problems: [internal('no store order id')] };
  const lines: PlanLine[] = [];
  for (const d of decided) {
    const storeLineId = d.lv.storeLineId;
    const reason = d.ask.reason;
    // Checked (NO_STORE_LINE_ALIAS); without it there is no plan. A reason is advisory: a line may go without one.
    if (storeLineId === undefined) return { problems: [internal(`line ${d.lv.lineItemId} is incomplete`)] };
    lines.push({
      lineItemId: d.lv.lineItemId,
      storeLineId,
      ...(d.lv.sku !== undefined ? { sku: d.lv.sku } : {}),
      quantity: d.quantity,
      amount: d.amount,
      ...(reason !== null ? { reason } : {}),
    });
  }
  const shipping = mode === 'line-items' && ask.shipping;
  let storeRequest: StoreRefundBody;
  if (mode === 'appeasement') {
    storeRequest = {
      order,
      amount: formatDecimal(planTotal(view, decided, false), view.currency),
      currency: view.currency,
    };
  } else {
    const items = lines.flatMap((l) =>
      Array.from({ length: l.quantity }, () => ({ id: l.storeLineId, quantity: 1 as const })),
    );
    storeRequest = {
      order,
      ...(items.length > 0 ? { line_items: items } : {}),
      ...(shipping ? { shipping: true } : {}),
    };
  }
  const selfCheck = checkStoreRequest(storeRequest, view.currency);
  if (selfCheck.length > 0) return { problems: selfCheck };
  return {
    problems: [],
    plan: {
      revision,
      mode,
      storeRequest,
      report: {
        currency: view.currency,
        total: planTotal(view, decided, shipping),
        lines,
        shipping,
        estimateTolerance:
          lines.length > 0 ? mulInt(minor(estimateTolerancePerLine(prepared.ctx.policy)), lines.length) : ZERO,
      },
    },
  };
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.code}|${p.lineItemId ?? ''}|${p.field}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Validates the BwP refund as requested and plans it. Returns every problem; never throws. */
export function validateRefund(ctx: RefundContext, opts: PlanOptions = {}): ValidationResult {
  return withAdvisories(ctx, () =>
    guard(() => {
      const prepared = prepare(ctx);
      if (!prepared.ok) return { problems: prepared.problems };
      const { refund, problems } = prepared.value;
      if (!refund) return { problems };
      const asked = askFromRefund(prepared.value, refund);
      const prior = [...problems, ...asked.problems];
      if (!asked.ask) return { problems: dedupe(prior) };
      return planAsk(prepared.value, asked.ask, prior, opts.revision ?? 1);
    }),
  );
}

/**
 * Validates an operator's repair (any JSON) against the current order and plans it. A repair that does not parse
 * yields problems naming each field; never throws.
 */
export function validateRepair(ctx: RefundContext, repair: unknown, opts: PlanOptions = {}): ValidationResult {
  return withAdvisories(ctx, () =>
    guard(() => {
      const prepared = prepare(ctx);
      if (!prepared.ok) return { problems: prepared.problems };
      const asked = askFromRepair(prepared.value, repair);
      const prior = [...prepared.value.problems, ...asked.problems];
      if (!asked.ask) return { problems: dedupe(prior) };
      return planAsk(prepared.value, asked.ask, prior, opts.revision ?? 1);
    }),
  );
}

/** Thrown by the buildPlan functions when the refund cannot be planned; `problems` lists every reason. */
export class PlanError extends Error {
  constructor(readonly problems: Problem[]) {
    super(`The refund cannot be planned: ${problems.map((p) => p.code).join(', ')}`);
    this.name = 'PlanError';
  }
}

/** The plan for the BwP refund as requested. Throws PlanError with every problem; use validateRefund to not throw. */
export function buildPlanFromRefund(ctx: RefundContext, opts: PlanOptions = {}): RefundPlan {
  const { problems, plan } = validateRefund(ctx, opts);
  if (!plan) throw new PlanError(problems);
  return plan;
}

/** The plan for an operator's repair. Throws PlanError with every problem; use validateRepair to not throw. */
export function buildPlanFromRepair(ctx: RefundContext, repair: unknown, opts: PlanOptions = {}): RefundPlan {
  const { problems, plan } = validateRepair(ctx, repair, opts);
  if (!plan) throw new PlanError(problems);
  return plan;
}
