import { randomUUID } from 'node:crypto';
import { type Client, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { describeOrder, findRefund, valueOfUnits, type Policy } from '../domain/context';
import { formatDecimal, fromBwpAmount, isKnownCurrency, currencyExponent, type Minor } from '../domain/money';
import type { BwpAmount } from '../domain/schemas/bwp';
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
  TERMINAL_STATUSES,
  type AuditEntry,
  type MessageAccepted,
  type OperatorMessage,
  type RefundDetailMemo,
  type RefundView,
  type SubmissionAttempt,
} from '../workflows/refund.contract';
import { admissionFacts, admitRepair } from '../workflows/refund-admission';
import type { RefundContextData } from '../activities';
import { operatorOf, requireRole } from './auth';
import { exportColumns, toCsv } from './export';
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
import { readRefund, type OrderContextReader, type RefundRecord } from './refund-reads';
import { startOrJoinRefund } from './start-refund';
import { toHttpProblem, type ProblemContext } from './temporal-errors';
import { ExportRefundsQuery, ListRefundsQuery, listRefundPage, listRefunds, type ListedRefund } from './visibility';

/**
 * Operator routes: thin. Each parses its input with zod, reads the refund from the Temporal server alone (memo, search
 * attributes, history: api/refund-reads.ts), writes through the contract's updates (whose validators answer at once),
 * and lets the one error handler shape every failure.
 */

export interface RefundRoutesDeps {
  client: Client;
  /** The refunds this API lists: those of its task queue. */
  taskQueue: string;
  policy: Policy;
  orders: OrderContextReader;
  logger: Logger;
  /** How long an update may wait for the workflow's worker (and a read for the server). */
  workflowTimeoutMs?: number;
  /** How long decline/resolve/cancel follow the refund (its memo) for the decision to be carried out before 202. */
  decisionWaitMs?: number;
  /** What a refund started with POST /refunds gets, as one started by an event would. */
  start: { businessProductId: string };
}

/** GET /refunds/:id: the refund's memo (view, plan, trail) with the execution it belongs to. */
type RefundDetail = Omit<RefundView, 'v'> &
  Omit<RefundDetailMemo, 'plan'> & {
    plan?: PlanBody;
    workflowId: string;
    runId: string;
    execution: RefundRecord['execution'];
    /** The latest attempts and audit entries (the full trail: the `state` query, or the history). */
    attempts: SubmissionAttempt[];
    audit: AuditEntry[];
  };

export function refundRoutes(deps: RefundRoutesDeps): express.Router {
  const { client, policy, orders } = deps;
  const workflowTimeoutMs = deps.workflowTimeoutMs ?? 15_000;
  const decisionWaitMs = deps.decisionWaitMs ?? 20_000;
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

  /** The refund from its memo (describe(): the server alone, strongly consistent). */
  const recordOf = (workflowId: string) => temporal(workflowId, () => readRefund(client, workflowId, deps.taskQueue));

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

  /** The list as CSV, for a spreadsheet: each refund with its status, amounts, idempotency keys, problems and times. */
  router.get('/refunds.csv', requireRole('viewer'), async (req, res) => {
    const query = parseOr400(ExportRefundsQuery, req.query, 'query', 'The filters are not valid.');
    const listed: ListedRefund[] = [];
    let cursor: string | undefined;
    do {
      const page = await temporal('(list)', () =>
        listRefundPage(client, { ...query, limit: Math.min(100, query.max - listed.length), cursor }, deps.taskQueue),
      );
      listed.push(...page.refunds);
      cursor = page.nextCursor;
    } while (cursor && listed.length < query.max);
    res
      .type('text/csv; charset=utf-8')
      .setHeader('Content-Disposition', `attachment; filename="refunds-${new Date().toISOString().slice(0, 10)}.csv"`)
      .send(toCsv(exportColumns, listed));
  });

  router.get('/refunds', requireRole('viewer'), async (req, res) => {
    const query = parseOr400(ListRefundsQuery, req.query, 'query', 'The filters are not valid.');
    res.json(await temporal('(list)', () => listRefunds(client, query, deps.taskQueue)));
  });

  router.get('/refunds/:id', requireRole('viewer'), async (req, res) => {
    const { workflowId } = handleOf(req);
    res.json(detailOf(await recordOf(workflowId)));
  });

  /** Everything the repair dialog shows: per SKU ordered / refunded / remaining, the reasons, the suggestion. */
  router.get('/refunds/:id/repair', requireRole('viewer'), async (req, res) => {
    const { workflowId } = handleOf(req);
    const record = await recordOf(workflowId);
    res.json(repairForm(record, await orderOf(record)));
  });

  /** The order as the workflow last read it; 503 while it has not read it yet (it retries its reads on its own). */
  const orderOf = async (record: RefundRecord): Promise<RefundContextData & { policy?: Policy }> => {
    const read = await temporal(record.workflowId, () => orders.read(client, record));
    if (!read.context) {
      throw new HttpProblem('notReady', 'The refund has not read its order yet. Try again shortly.', {
        headers: { 'Retry-After': '5' },
      });
    }
    return { ...read.context, ...(read.policy ? { policy: read.policy } : {}) };
  };

  const repairForm = ({ workflowId, view, detail }: RefundRecord, ctx: RefundContextData): RepairFormBody => {
    const base = {
      workflowId,
      status: view.status,
      waitingForRepair: view.status === RefundStatus.AWAITING_REPAIR,
      orderId: view.orderId,
      refundId: view.refundId,
      ...(view.storeOrderId ? { storeOrderId: view.storeOrderId } : {}),
      merchantReasons: [...policy.reasons.merchantReasons],
      ...(policy.reasons.defaultReason ? { defaultReason: policy.reasons.defaultReason } : {}),
      statusReasons: [...RefundStatusReason.options],
      allowAppeasement: policy.allowAppeasement,
      problems: view.problems,
      ...(view.advisories?.length ? { advisories: view.advisories } : {}),
      ...(detail.suggestion ? { suggestion: detail.suggestion } : {}),
      attentions: view.attentions,
      ...(view.inDoubt
        ? {
            inDoubt: {
              idempotencyKey: view.inDoubt.idempotencyKey,
              reason: view.inDoubt.reason,
              since: view.inDoubt.since,
              detail: view.inDoubt.detail,
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
    const order = describeOrder({ order: ctx.order, refundId: view.refundId, storeOrder: ctx.storeOrder, policy });
    const money = (m: Minor | null): string | null => (m === null ? null : formatDecimal(m, order.currency));
    const refund = findRefund(ctx.order, view.refundId);
    const requestedLines = new Map((refund?.refundFor?.orderLineItems ?? []).map((l) => [l.lineItem.id, l]));
    return {
      ...base,
      currency: order.currency,
      exponent: exponentOf(order.currency),
      requested: {
        total: bwpMoney(refund?.refundTotal?.totalAmount),
        reason: refund?.refundRequestReason ?? null,
        state: refund?.state ?? null,
      },
      lines: order.lines.map((l) => {
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
        amount: money(order.shipping.amount)!,
        refunded: order.shipping.refunded,
        remaining: money(order.shipping.remaining)!,
      },
      order: { total: money(order.grandTotal)!, refunded: money(order.refunded)!, remaining: money(order.remaining)! },
    };
  };

  /**
   * The workflow's own admission rule (workflows/refund-admission.ts) on the facts its memo shows, against the order
   * and policy it last read (its history), so the dialog lists the problems the repair update would answer as the
   * operator types. Always 200: the answer is the list of problems.
   */
  router.post('/refunds/:id/repair/check', requireRole('viewer'), async (req, res) => {
    const { workflowId } = handleOf(req);
    const body = requireJsonBody(req);
    rejectUnknownKeys(body);
    const record = await recordOf(workflowId);
    const { view, detail } = record;
    const facts = admissionFacts(view, detail.suggestion?.repair);
    // The order is read (from the history) only when the rule would get as far as validating against it.
    const needsOrder = !facts.finished && !facts.inDoubt && !facts.busy && view.status === RefundStatus.AWAITING_REPAIR;
    const ctx = needsOrder ? await orderOf(record) : undefined;
    const admission = admitRepair(
      facts,
      'repair',
      ctx?.order
        ? { order: ctx.order, refundId: view.refundId, storeOrder: ctx.storeOrder, policy: ctx.policy ?? policy }
        : undefined,
      { repair: body },
      view.revision,
    );
    const answer: RepairCheckBody = {
      ok: admission.accepted,
      problems: admission.accepted ? [] : admission.problems,
      ...(admission.advisories?.length ? { advisories: admission.advisories } : {}),
      ...(admission.accepted && admission.plan ? { plan: planBody(admission.plan) } : {}),
    };
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
   * refund's memo until the workflow has carried it out (200 with the final state), refused it after all
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
        const record = await recordOf(workflowId);
        const refused = record.trail.audit.find(
          (a) => a.requestId === who.requestId && a.via === 'workflow' && !a.accepted,
        );
        if (refused) {
          const problems = refused.problems ?? [];
          throw new HttpProblem('notAllowed', problems.map((p) => p.message).join(' ') || 'Refused.', { problems });
        }
        if (record.view.result || TERMINAL_STATUSES.includes(record.view.status)) {
          res.json({ workflowId, accepted: true, finished: true, next: accepted.next, state: detailOf(record) });
          return;
        }
        if (Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      res
        .status(202)
        .setHeader('Location', `/refunds/${encodeURIComponent(workflowId)}`)
        .json({ workflowId, accepted: true, finished: false, next: accepted.next, view: accepted.view });
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
        .json({ workflowId, accepted: true, finished: false, next: accepted.next, view: accepted.view });
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

/** GET /refunds/:id's body: the view, the plan with its amounts as decimal strings, and the latest trail. */
function detailOf({ workflowId, runId, execution, view, detail, trail }: RefundRecord): RefundDetail {
  const { v: _v, ...rest } = view;
  return {
    workflowId,
    runId,
    execution,
    ...rest,
    ...(detail.plan ? { plan: planBody(detail.plan) } : {}),
    ...(detail.suggestion ? { suggestion: detail.suggestion } : {}),
    ...(detail.submission ? { submission: detail.submission } : {}),
    attempts: trail.attempts,
    audit: trail.audit,
  };
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
