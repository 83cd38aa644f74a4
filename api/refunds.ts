import { randomUUID } from 'node:crypto';
import { type Client, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { describeOrder, findRefund, valueOfUnits, type Policy } from '../domain/context';
import { formatDecimal, fromBwpAmount, isKnownCurrency, currencyExponent, type Minor } from '../domain/money';
import type { BwpAmount } from '../domain/schemas/bwp';
import { validateRepair } from '../domain/validate';
import { RefundStatusReason } from '../domain/schemas/bwp';
import type { Logger } from '../common/logger';
import {
  acceptSuggestionUpdate,
  cancelUpdate,
  declineUpdate,
  recheckUpdate,
  RefundStatus,
  repairUpdate,
  resolveUpdate,
  resubmitVerifiedUpdate,
  stateQuery,
  TERMINAL_STATUSES,
  type MessageAccepted,
  type OperatorMessage,
  type RefundWorkflowState,
} from '../workflows/refund.contract';
import type { RefundContextData } from '../activities';
import { operatorOf, requireRole } from './auth';
import { exportColumns, toCsv } from './export';
import type { OrderContextReader } from './order-context';
import { queryWithRetry } from './query';
import { planBody, type PlanBody } from './plan-view';
import { fieldErrors, HttpProblem, parseOr400 } from './problem';
import {
  AcceptSuggestion,
  AcceptSuggestionInput,
  CancelInput,
  RecheckInput,
  ResubmitVerifiedInput,
  DeclineInput,
  IDEMPOTENCY_HEADER,
  MutationHeaders,
  RefundIdParams,
  RepairInput,
  ResolveInput,
  StartRefundInput,
  type RepairCheckBody,
  type RepairFormBody,
} from './schemas';
import { startOrJoinRefund } from './start-refund';
import { toHttpProblem, type ProblemContext } from './temporal-errors';
import { ExportRefundsQuery, ListRefundsQuery, listRefunds, type RefundRow } from './visibility';

/**
 * Operator routes: thin. Each parses its input with zod, talks to the refund's workflow through the contract (the state
 * query and the updates, whose validators answer at once), and lets the one error handler shape every failure.
 */

export interface RefundRoutesDeps {
  client: Client;
  /** The refunds this API lists: those of its task queue. */
  taskQueue: string;
  policy: Policy;
  orders: OrderContextReader;
  logger: Logger;
  /** How long a query or update may wait for the workflow's worker. */
  workflowTimeoutMs?: number;
  /** How long decline/resolve/cancel follow the refund (state query) for the decision to be carried out before 202. */
  decisionWaitMs?: number;
  /** What a refund started with POST /refunds gets, as one started by an event would. */
  start: { businessProductId: string };
}

type RefundDetail = Omit<RefundWorkflowState, 'plan'> & {
  plan?: PlanBody;
  workflowId: string;
  execution: { status: string; startTime?: string; closeTime?: string };
};

export function refundRoutes(deps: RefundRoutesDeps): express.Router {
  const { client, policy, orders } = deps;
  const workflowTimeoutMs = deps.workflowTimeoutMs ?? 15_000;
  const decisionWaitMs = deps.decisionWaitMs ?? 20_000;
  /** Queries are tried again (api/query.ts) until just before the call's own deadline. */
  const readBudgetMs = Math.max(workflowTimeoutMs - 1_000, workflowTimeoutMs / 2);
  const router = express.Router();

  /** Runs a Temporal call with a deadline, turning Temporal's errors into problems about this refund. */
  const temporal = async <T>(
    workflowId: string,
    fn: () => Promise<T>,
    timeoutMs = workflowTimeoutMs,
    ctx: ProblemContext = {},
  ): Promise<T> => {
    try {
      return await client.withDeadline(Date.now() + timeoutMs, fn);
    } catch (err) {
      throw toHttpProblem(err, workflowId, ctx) ?? err;
    }
  };

  /** An update: a finished workflow takes none (Temporal says "not found"), which is a 409, not a 404. */
  const update = async <T>(workflowId: string, handle: WorkflowHandle, fn: () => Promise<T>): Promise<T> => {
    try {
      return await temporal(workflowId, fn);
    } catch (err) {
      if (!(err instanceof HttpProblem && err.kind === 'notFound')) throw err;
      const description = await temporal(workflowId, () => handle.describe());
      throw new HttpProblem(
        'notAllowed',
        `The refund's workflow has finished (${description.status.name}); nothing was changed.`,
        {
          problems: [
            {
              code: 'REFUND_NOT_PENDING',
              message: `The refund's workflow has finished (${description.status.name}).`,
              field: 'status',
            },
          ],
        },
      );
    }
  };

  const handleOf = (req: Request): { workflowId: string; handle: WorkflowHandle } => {
    const { id } = parseOr400(RefundIdParams, req.params, 'path', 'The refund id is not valid.');
    return { workflowId: id, handle: client.workflow.getHandle(id) };
  };

  const stateOf = (workflowId: string, handle: WorkflowHandle) =>
    temporal(workflowId, () => queryWithRetry(handle, stateQuery, readBudgetMs));

  /**
   * The operator and the request id of a mutation. The operator is the credential's (its name goes into the audit
   * trail); an X-Operator header, which anyone could set, is not read.
   */
  const whoOf = (req: Request, res: Response): { operator: string; requestId: string } => {
    const headers = parseOr400(
      MutationHeaders,
      { [IDEMPOTENCY_HEADER]: req.get(IDEMPOTENCY_HEADER) },
      'header',
      'The Idempotency-Key header is not valid.',
    );
    return { operator: operatorOf(res).name, requestId: headers[IDEMPOTENCY_HEADER] ?? randomUUID() };
  };

  /** Who is signed in, with which role: the repair page asks this when an operator signs in. */
  router.get('/me', requireRole('viewer'), (_req, res) => {
    const { name, role, via } = operatorOf(res);
    res.json({ name, role, via });
  });

  /**
   * A refund whose event was lost upstream, started by order and refund id: the same workflow id and the same start as
   * an event's, so it is idempotent (again: joins the running one, or says it finished) and a late event joins it too.
   */
  router.post('/refunds', requireRole('operator'), async (req, res) => {
    const input = parseOr400(StartRefundInput, requireJsonBody(req), 'body', 'Name the order and the refund to start.');
    const who = whoOf(req, res);
    const result = await temporal(
      '(start)',
      () =>
        startOrJoinRefund(client, {
          orderId: input.orderId,
          refundId: input.refundId,
          businessProductId: deps.start.businessProductId,
          eventId: `operator:${who.requestId}`,
          descriptor: 'OPERATOR_START',
          taskQueue: deps.taskQueue,
          startedBy: `Started by operator ${who.operator} (POST /refunds, request ${who.requestId})`,
          operator: { operator: who.operator, requestId: who.requestId },
        }),
      undefined,
      { field: 'body' },
    );
    req.log.info(
      { ...result, orderId: input.orderId, refundId: input.refundId, operator: who.operator },
      'refund started by an operator',
    );
    res
      .status(result.outcome === 'started' ? 201 : 200)
      .setHeader('Location', `/refunds/${encodeURIComponent(result.workflowId)}`)
      .json({
        workflowId: result.workflowId,
        orderId: input.orderId,
        refundId: input.refundId,
        outcome: result.outcome,
      });
  });

  /**
   * The list as CSV, for a spreadsheet: each refund with its status, amounts, idempotency keys, problems and times (one
   * query per refund, so it is capped by `max`).
   */
  router.get('/refunds.csv', requireRole('viewer'), async (req, res) => {
    const query = parseOr400(ExportRefundsQuery, req.query, 'query', 'The filters are not valid.');
    const rows: RefundRow[] = [];
    let cursor: string | undefined;
    do {
      const page = await temporal('(list)', () =>
        listRefunds(client, { ...query, limit: Math.min(100, query.max - rows.length), cursor }, deps.taskQueue),
      );
      rows.push(...page.refunds);
      cursor = page.nextCursor;
    } while (cursor && rows.length < query.max);
    const details = new Map<string, Awaited<ReturnType<typeof orders.read>>>();
    await forEachLimited(rows, 8, async (row) => {
      const read = await orders.read(client.workflow.getHandle(row.workflowId), 5_000).catch(() => undefined);
      if (read) details.set(row.workflowId, read);
    });
    const csv = toCsv(
      exportColumns,
      rows.map((row) => ({ row, ...details.get(row.workflowId) })),
    );
    res
      .type('text/csv; charset=utf-8')
      .setHeader('Content-Disposition', `attachment; filename="refunds-${new Date().toISOString().slice(0, 10)}.csv"`)
      .send(csv);
  });

  router.get('/refunds', requireRole('viewer'), async (req, res) => {
    const query = parseOr400(ListRefundsQuery, req.query, 'query', 'The filters are not valid.');
    const page = await temporal('(list)', () => listRefunds(client, query, deps.taskQueue));
    if (query.expand === 'summary') {
      await forEachLimited(page.refunds, 8, async (row) => {
        row.summary = await summaryOf(row.workflowId);
      });
    }
    res.json(page);
  });

  /** A list row's summary: best effort (a refund whose worker or order cannot be read just lists without it). */
  const summaryOf = async (workflowId: string): Promise<RefundRow['summary']> => {
    const handle = client.workflow.getHandle(workflowId);
    const read = await orders.read(handle, 5_000).catch(() => undefined);
    if (!read) return undefined;
    const { state, context } = read;
    const refund = context?.order ? findRefund(context.order, state.refundId) : undefined;
    const total = refund?.refundTotal?.totalAmount;
    const amount = bwpMoney(total);
    return {
      ...(amount && total ? { requested: { amount, currency: total.currencyCode } } : {}),
      problems: state.problems,
      ...(state.parkedSince ? { parkedSince: state.parkedSince } : {}),
    };
  };

  router.get('/refunds/:id', requireRole('viewer'), async (req, res) => {
    const { workflowId, handle } = handleOf(req);
    res.json(await detailOf(workflowId, handle));
  });

  const detailOf = async (workflowId: string, handle: WorkflowHandle): Promise<RefundDetail> => {
    const description = await temporal(workflowId, () => handle.describe());
    const state = await stateOf(workflowId, handle);
    return {
      workflowId,
      execution: {
        status: description.status.name,
        startTime: description.startTime.toISOString(),
        ...(description.closeTime ? { closeTime: description.closeTime.toISOString() } : {}),
      },
      ...withoutPlan(state),
      ...(state.plan ? { plan: planBody(state.plan) } : {}),
    };
  };

  /** Everything the repair dialog shows: per SKU ordered / refunded / remaining, the reasons, the suggestion. */
  router.get('/refunds/:id/repair', requireRole('viewer'), async (req, res) => {
    const { workflowId, handle } = handleOf(req);
    const { state, context } = await readOrder(workflowId, handle);
    res.json(repairForm(workflowId, state, context));
  });

  /** State and order as the workflow last read it; 503 while it has not read it yet (it retries its reads on its own). */
  const readOrder = async (workflowId: string, handle: WorkflowHandle) => {
    const read = await temporal(workflowId, () => orders.read(handle, readBudgetMs));
    const { context } = read;
    if (!context) {
      throw new HttpProblem('notReady', 'The refund has not read its order yet. Try again shortly.', {
        headers: { 'Retry-After': '5' },
      });
    }
    return { ...read, context };
  };

  const repairForm = (workflowId: string, state: RefundWorkflowState, ctx: RefundContextData): RepairFormBody => {
    const base = {
      workflowId,
      status: state.status,
      waitingForRepair: state.status === RefundStatus.AWAITING_REPAIR,
      orderId: state.orderId,
      refundId: state.refundId,
      ...(state.storeOrderId ? { storeOrderId: state.storeOrderId } : {}),
      merchantReasons: [...policy.reasons.merchantReasons],
      ...(policy.reasons.defaultReason ? { defaultReason: policy.reasons.defaultReason } : {}),
      statusReasons: [...RefundStatusReason.options],
      allowAppeasement: policy.allowAppeasement,
      problems: state.problems,
      ...(state.advisories?.length ? { advisories: state.advisories } : {}),
      ...(state.suggestion ? { suggestion: state.suggestion } : {}),
      attentions: state.attentions ?? (state.attention ? [state.attention] : []),
      ...(state.inDoubt
        ? {
            inDoubt: {
              idempotencyKey: state.inDoubt.idempotencyKey,
              reason: state.inDoubt.reason,
              since: state.inDoubt.since,
              detail: state.inDoubt.detail,
            },
          }
        : {}),
    };
    if (!ctx.order) {
      const currency = ctx.storeOrder?.currency ?? 'USD';
      return {
        ...base,
        currency,
        exponent: exponentOf(currency),
        requested: { total: null, reason: null, state: null },
        lines: [],
        shipping: { amount: '0', refunded: false, remaining: '0' },
        order: { total: '0', refunded: '0', remaining: '0' },
      };
    }
    const view = describeOrder({ order: ctx.order, refundId: state.refundId, storeOrder: ctx.storeOrder, policy });
    const money = (m: Minor | null): string | null => (m === null ? null : formatDecimal(m, view.currency));
    const refund = findRefund(ctx.order, state.refundId);
    const requestedLines = new Map((refund?.refundFor?.orderLineItems ?? []).map((l) => [l.lineItem.id, l]));
    return {
      ...base,
      currency: view.currency,
      exponent: exponentOf(view.currency),
      requested: {
        total: bwpMoney(refund?.refundTotal?.totalAmount),
        reason: refund?.refundRequestReason ?? null,
        state: refund?.state ?? null,
      },
      lines: view.lines.map((l) => {
        const asked = requestedLines.get(l.lineItemId);
        return {
          lineItemId: l.lineItemId,
          ...(l.sku ? { sku: l.sku } : {}),
          ...(l.title ? { title: l.title } : {}),
          ...(l.storeLineId ? { storeLineId: l.storeLineId } : {}),
          ordered: l.orderedQty,
          refunded: l.refundedQty,
          remaining: l.remainingQty,
          unitPrice: money(l.unitPrice),
          paid: money(l.paidTotal),
          refundedAmount: money(l.refundedAmount)!,
          remainingAmount: money(l.remainingAmount),
          nextUnitValue: money(l.nextUnitValue),
          ...(asked
            ? {
                requested: {
                  quantity: asked.amount?.value ?? null,
                  // Buy with Prime names units, not money, per line: the amount is what those units are worth.
                  amount:
                    asked.amount && Number.isSafeInteger(asked.amount.value)
                      ? money(valueOfUnits(l, asked.amount.value))
                      : null,
                },
              }
            : {}),
        };
      }),
      shipping: {
        amount: money(view.shipping.amount)!,
        refunded: view.shipping.refunded,
        remaining: money(view.shipping.remaining)!,
      },
      order: { total: money(view.grandTotal)!, refunded: money(view.refunded)!, remaining: money(view.remaining)! },
    };
  };

  /**
   * The same check the workflow's repair validator runs (domain validateRepair), against the order it last read, so the
   * dialog lists the problems as the operator types. Always 200: the answer is the list of problems.
   */
  router.post('/refunds/:id/repair/check', requireRole('viewer'), async (req, res) => {
    const { workflowId, handle } = handleOf(req);
    const body = requireJsonBody(req);
    rejectUnknownKeys(body);
    const {
      state,
      context: ctx,
      policy: workflowPolicy,
    } = await temporal(workflowId, () => orders.read(handle, readBudgetMs));
    let answer: RepairCheckBody;
    if (state.status !== RefundStatus.AWAITING_REPAIR) {
      answer = {
        ok: false,
        problems: [
          {
            code: 'REFUND_NOT_PENDING',
            message: `The refund is ${state.status}, not waiting for an operator; nothing was changed.`,
            field: 'status',
          },
        ],
      };
    } else {
      if (!ctx) {
        throw new HttpProblem('notReady', 'The refund has not read its order yet. Try again shortly.', {
          headers: { 'Retry-After': '5' },
        });
      }
      if (!ctx.order) {
        answer = {
          ok: false,
          problems: [
            { code: 'UNKNOWN_ORDER', message: `Buy with Prime has no order ${state.orderId}.`, field: 'order' },
          ],
        };
      } else {
        // The workflow's own order and policy: the page's verdict is the one the repair update will give.
        const verdict = validateRepair(
          { order: ctx.order, refundId: state.refundId, storeOrder: ctx.storeOrder, policy: workflowPolicy ?? policy },
          body,
        );
        answer = {
          ok: verdict.problems.length === 0 && verdict.plan !== undefined,
          problems: verdict.problems,
          ...(verdict.advisories?.length ? { advisories: verdict.advisories } : {}),
          ...(verdict.plan ? { plan: planBody(verdict.plan) } : {}),
        };
      }
    }
    res.json(answer);
  });

  router.post('/refunds/:id/repair', requireRole('operator'), async (req, res) => {
    const { workflowId, handle } = handleOf(req);
    const who = whoOf(req, res);
    const body = requireJsonBody(req);
    let accepted: MessageAccepted;
    if (typeof body === 'object' && body !== null && 'acceptSuggestion' in body) {
      // The workflow owns its suggestion: it accepts (or refuses) it itself, e.g. after a 409 it refuses.
      const accept = parseOr400(
        AcceptSuggestion,
        body,
        'body',
        'To accept the suggested repair, send { "acceptSuggestion": true }.',
      );
      accepted = await sendUpdate(
        workflowId,
        handle,
        acceptSuggestionUpdate,
        who,
        accept.note ? { note: accept.note } : {},
      );
    } else {
      const input = parseOr400(RepairInput, body, 'body', 'The repair is not valid: see each field.');
      accepted = await sendUpdate(workflowId, handle, repairUpdate, who, input);
    }
    res.setHeader('Idempotency-Key', who.requestId);
    res.json({ ...accepted, ...(accepted.plan ? { plan: planBody(accepted.plan) } : {}) });
  });

  router.post('/refunds/:id/accept-suggestion', requireRole('operator'), async (req, res) => {
    const { workflowId, handle } = handleOf(req);
    const who = whoOf(req, res);
    const input = parseOr400(AcceptSuggestionInput, optionalJsonBody(req), 'body', 'The note is not valid.');
    const accepted = await sendUpdate(workflowId, handle, acceptSuggestionUpdate, who, input);
    res.setHeader('Idempotency-Key', who.requestId);
    res.json({ ...accepted, ...(accepted.plan ? { plan: planBody(accepted.plan) } : {}) });
  });

  /** An update: answers at once with what the workflow recorded (never waits for the outcome). */
  async function sendUpdate<I>(
    workflowId: string,
    handle: WorkflowHandle,
    definition: UpdateDefinition<MessageAccepted, [OperatorMessage<I>]>,
    who: { operator: string; requestId: string },
    input: I,
  ): Promise<MessageAccepted> {
    const msg: OperatorMessage<I> = { operator: who.operator, requestId: who.requestId, input };
    return update(workflowId, handle, () => handle.executeUpdate(definition, { args: [msg], updateId: who.requestId }));
  }

  /**
   * decline, resolve and cancel: the update answers at once that the decision was recorded; the route then follows the
   * refund with the state query until the workflow has carried it out (200 with the final state), refused it after all
   * (409: money moved meanwhile), or decisionWaitMs passed (202: poll GET /refunds/:id).
   */
  const decision = <S extends z.ZodType>(
    action: string,
    schema: S,
    definition: UpdateDefinition<MessageAccepted, [OperatorMessage<z.output<S>>]>,
  ) =>
    async function decide(req: Request, res: Response) {
      const { workflowId, handle } = handleOf(req);
      const who = whoOf(req, res);
      const input = parseOr400(schema, optionalJsonBody(req), 'body', `The ${action} is not valid: see each field.`);
      const accepted = await sendUpdate(workflowId, handle, definition, who, input);
      res.setHeader('Idempotency-Key', who.requestId);
      const deadline = Date.now() + decisionWaitMs;
      for (;;) {
        const state = await stateOf(workflowId, handle);
        const refused = state.audit.find((a) => a.requestId === who.requestId && a.via === 'workflow' && !a.accepted);
        if (refused) {
          const problems = refused.problems ?? [];
          throw new HttpProblem('notAllowed', problems.map((p) => p.message).join(' ') || 'Refused.', { problems });
        }
        if (state.result || TERMINAL_STATUSES.includes(state.status)) {
          res.json({
            workflowId,
            accepted: true,
            finished: true,
            next: accepted.next,
            state: await detailOf(workflowId, handle),
          });
          return;
        }
        if (Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      res
        .status(202)
        .setHeader('Location', `/refunds/${encodeURIComponent(workflowId)}`)
        .json({ workflowId, accepted: true, finished: false, next: accepted.next });
    };

  router.post('/refunds/:id/decline', requireRole('operator'), decision('decline', DeclineInput, declineUpdate));
  router.post('/refunds/:id/resolve', requireRole('operator'), decision('resolve', ResolveInput, resolveUpdate));
  // Cancelling reports nothing to Buy with Prime and leaves the refund to be handled elsewhere: admins only.
  router.post('/refunds/:id/cancel', requireRole('admin'), decision('cancel', CancelInput, cancelUpdate));

  /** Re-check now, or resubmit after verifying: recorded at once; the refund moves on its own (poll GET /refunds/:id). */
  const recorded = <S extends z.ZodType>(
    action: string,
    schema: S,
    definition: UpdateDefinition<MessageAccepted, [OperatorMessage<z.output<S>>]>,
    optionalBody: boolean,
  ) =>
    async function record(req: Request, res: Response) {
      const { workflowId, handle } = handleOf(req);
      const who = whoOf(req, res);
      const raw = optionalBody ? optionalJsonBody(req) : requireJsonBody(req);
      const input = parseOr400(schema, raw, 'body', `The ${action} is not valid: see each field.`);
      const accepted = await sendUpdate(workflowId, handle, definition, who, input);
      res
        .status(202)
        .setHeader('Idempotency-Key', who.requestId)
        .setHeader('Location', `/refunds/${encodeURIComponent(workflowId)}`)
        .json({ workflowId, accepted: true, finished: false, next: accepted.next });
    };
  router.post('/refunds/:id/recheck', requireRole('operator'), recorded('recheck', RecheckInput, recheckUpdate, true));
  // A new idempotency key on a person's word that no money moved under the one in doubt: admins only (docs/security.md).
  router.post(
    '/refunds/:id/resubmit-verified',
    requireRole('admin'),
    recorded('resubmit-verified', ResubmitVerifiedInput, resubmitVerifiedUpdate, false),
  );

  return router;
}

function withoutPlan(state: RefundWorkflowState): Omit<RefundWorkflowState, 'plan'> {
  const { plan: _plan, ...rest } = state;
  return rest;
}

export async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Decimal places of the currency, for clients that add amounts up (0 when the currency is unknown: nothing adds). */
function exponentOf(currency: string): number {
  return isKnownCurrency(currency) ? currencyExponent(currency) : 0;
}

/** A BwP amount as a decimal string, exactly (null when absent or unreadable: the problems say why). */
function bwpMoney(a: BwpAmount | null | undefined): string | null {
  if (!a) return null;
  try {
    return formatDecimal(fromBwpAmount(a), a.currencyCode);
  } catch {
    return null;
  }
}

/**
 * The repair check answers a repair's problems (types, amounts) as problems, but a key it does not know is a 400, as on
 * the repair itself: a misspelt field must not be checked as if it were absent.
 */
function rejectUnknownKeys(body: unknown): void {
  const parsed = RepairInput.safeParse(body);
  if (parsed.success) return;
  const unknown = parsed.error.issues.filter((i) => i.code === 'unrecognized_keys');
  if (unknown.length > 0 || typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpProblem('invalidRequest', 'The repair to check is not valid: see each field.', {
      errors: fieldErrors(
        new z.ZodError(unknown.length > 0 ? unknown : parsed.error.issues.filter((i) => i.path.length === 0)),
        'body',
      ),
    });
  }
}

/** A JSON body is required: without `Content-Type: application/json` express leaves it undefined. */
export function requireJsonBody(req: Request): unknown {
  if (req.body === undefined) {
    throw new HttpProblem('unsupportedMediaType', 'Send a JSON body with `Content-Type: application/json`.', {
      errors: [{ field: 'header.content-type', message: 'must be application/json' }],
    });
  }
  return req.body as unknown;
}

/** Bodies that may be left out entirely (cancel's note is optional): absent means {}. */
function optionalJsonBody(req: Request): unknown {
  if (req.body !== undefined) return req.body as unknown;
  const length = Number(req.get('content-length') ?? 0);
  if (length > 0 || req.get('transfer-encoding')) return requireJsonBody(req);
  return {};
}
