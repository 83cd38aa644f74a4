import { createHash } from 'node:crypto';
import { type Client } from '@temporalio/client';
import { encodeToPayload } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal as proto } from '@temporalio/proto';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { Logger } from '../common/logger';
import type { Role } from '../common/operator-keys';
import { Problem } from '../domain/problems';
import { MESSAGES, MESSAGE_SCHEMAS, type OperatorAction } from '../workflows/refund.contract';
import { operatorOf, requireRole } from './auth';
import { HttpProblem, parseOr400 } from './problem';
import { forEachLimited } from './refunds';
import { AcceptSuggestionInput, DeclineInput, IDEMPOTENCY_HEADER, MutationHeaders, RecheckInput } from './schemas';
import { grpcCode, toHttpProblem } from './temporal-errors';
import { readRefund } from './refund-reads';
import { buildListQuery, isoTime, listRefunds, ListRefundsQuery, type RefundRow } from './visibility';

/**
 * Bulk actions by filter: one Temporal batch operation (a signal to every running refund the filter matches), never a
 * loop of our own. The filter is GET /refunds's; the message is the refund's own (workflows/refund.messages.ts), so each
 * workflow parses, decides and audits it exactly as it would one sent to that refund alone. The batch's job id and the
 * message's request id are derived from the client's Idempotency-Key: the same request again answers the same job and
 * never signals twice (and a workflow ignores a request id it has seen).
 */

/** What the page and the API call each bulk action, its signal, and the role it needs (docs/security.md). */
export const BULK_ACTIONS = {
  'accept-suggestion': { action: 'acceptSuggestion', role: 'operator', input: AcceptSuggestionInput },
  decline: { action: 'decline', role: 'admin', input: DeclineInput },
  recheck: { action: 'recheck', role: 'operator', input: RecheckInput },
} as const satisfies Record<string, { action: OperatorAction; role: Role; input: z.ZodObject }>;
export type BulkActionName = keyof typeof BULK_ACTIONS;

/** At most this many refunds per bulk action: each one's outcome is read back from its workflow. */
export const BULK_MAX = 1000;

/** The list's filters, parsed by the list's own schema; at least one, so no bulk action hits every refund by mistake. */
export const BulkFilterQuery = ListRefundsQuery.pick({
  status: true,
  needsAttention: true,
  orderId: true,
  storeOrderId: true,
  problemCode: true,
})
  .strict()
  .refine((q) => Object.values(q).some((v) => v !== undefined), {
    message: 'name at least one filter: status, needsAttention, orderId, storeOrderId or problemCode',
  });
export type BulkFilter = z.output<typeof BulkFilterQuery>;

const BulkControl = {
  dryRun: z.boolean().optional().describe('true: only count the refunds the filter matches; nothing is sent.'),
  expectedCount: z
    .number()
    .int('must be a whole number')
    .min(0, 'must be at least 0')
    .max(BULK_MAX, `must be at most ${BULK_MAX}`)
    .optional()
    .describe('The dry run’s count: if the filter now matches another number of refunds, nothing is sent (409).'),
};

/** Each action's body: its message input (strict, as on one refund) with the dry-run controls. */
export const BULK_BODIES = {
  'accept-suggestion': AcceptSuggestionInput.extend(BulkControl).strict(),
  decline: DeclineInput.extend(BulkControl).strict(),
  recheck: RecheckInput.extend(BulkControl).strict(),
} as const satisfies Record<BulkActionName, z.ZodType>;

export const BulkJobParams = z.object({
  jobId: z
    .string()
    .max(200, 'must be at most 200 characters')
    .regex(/^refunds-bulk-[a-z-]+-[0-9a-f]{32}$/, 'must be a jobId this API gave out'),
});

export const BulkRefundOutcome = z.object({
  workflowId: z.string(),
  orderId: z.string(),
  refundId: z.string(),
  outcome: z
    .enum(['accepted', 'refused', 'notSignalled', 'unreadable'])
    .describe(
      "accepted / refused: the refund's own verdict on the message, from its audit trail (its memo); notSignalled: the batch has not reached it (yet, or it left the filter first); unreadable: it could not be read.",
    ),
  status: z.string().optional().describe('The refund status when it was read back.'),
  next: z.string().optional(),
  problems: z.array(Problem).optional().describe('Why it was refused.'),
});
export type BulkRefundOutcome = z.infer<typeof BulkRefundOutcome>;

export const BulkProgress = z.object({
  jobId: z.string(),
  state: z.enum(['RUNNING', 'COMPLETED', 'FAILED', 'UNSPECIFIED']),
  startTime: z.string().optional(),
  closeTime: z.string().optional(),
  total: z.number().int().describe('Refunds the batch operation found.'),
  completed: z.number().int().describe('Signals delivered.'),
  failed: z.number().int().describe('Signals that could not be delivered (e.g. the refund ended meanwhile).'),
  reason: z.string().optional(),
});
export type BulkProgress = z.infer<typeof BulkProgress>;

export const BulkAnswer = z.object({
  action: z.enum(Object.keys(BULK_ACTIONS) as [BulkActionName, ...BulkActionName[]]),
  dryRun: z.boolean(),
  matched: z.number().int().describe('Running refunds the filter matches (at the time of this answer).'),
  query: z.string().describe('The visibility query the filter became.'),
  jobId: z.string().optional().describe('The batch operation (absent for a dry run or when nothing matched).'),
  requestId: z.string().optional().describe('The request id every refund records in its audit trail.'),
  replayed: z
    .boolean()
    .optional()
    .describe(
      'true: this Idempotency-Key already started the job; nothing was sent again (its per-refund outcome was in the first answer).',
    ),
  progress: BulkProgress.optional(),
  refunds: z.array(BulkRefundOutcome).optional().describe('Per refund: what it did with the message.'),
});
export type BulkAnswer = z.infer<typeof BulkAnswer>;

export interface BulkRoutesDeps {
  client: Client;
  taskQueue: string;
  logger: Logger;
  /** How long a bulk action waits for its batch to finish before answering 202 with the progress. */
  waitMs?: number;
}

const BATCH_STATE: Record<number, BulkProgress['state']> = { 1: 'RUNNING', 2: 'COMPLETED', 3: 'FAILED' };
const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;
const GRPC_RESOURCE_EXHAUSTED = 8;

/** One job per operator, action and Idempotency-Key (and deployment: the task queue). */
export function bulkJobId(action: BulkActionName, operator: string, requestId: string, taskQueue: string): string {
  const digest = createHash('sha256')
    .update([taskQueue, operator, action, requestId].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
  return `refunds-bulk-${action}-${digest}`;
}

export function bulkRoutes(deps: BulkRoutesDeps): express.Router {
  const { client, taskQueue } = deps;
  // Below the usual 30 s of a client's request timeout; a longer batch answers 202 with its progress.
  const waitMs = deps.waitMs ?? 20_000;
  const namespace = client.options.namespace;
  const router = express.Router();

  const call = async <T>(fn: () => Promise<T>, field = 'query'): Promise<T> => {
    try {
      return await client.withDeadline(Date.now() + 15_000, fn);
    } catch (err) {
      throw toHttpProblem(err, '(bulk)', { field }) ?? err;
    }
  };

  /** The batch job, or undefined when there is none of that id. */
  const describe = async (jobId: string): Promise<BulkProgress | undefined> => {
    try {
      const d = await client.withDeadline(Date.now() + 15_000, () =>
        client.workflowService.describeBatchOperation({ namespace, jobId }),
      );
      return {
        jobId,
        state: BATCH_STATE[d.state ?? 0] ?? 'UNSPECIFIED',
        ...(isoTime(d.startTime) ? { startTime: isoTime(d.startTime) } : {}),
        ...(isoTime(d.closeTime) ? { closeTime: isoTime(d.closeTime) } : {}),
        total: Number(d.totalOperationCount ?? 0),
        completed: Number(d.completeOperationCount ?? 0),
        failed: Number(d.failureOperationCount ?? 0),
        ...(d.reason ? { reason: d.reason } : {}),
      };
    } catch (err) {
      if (grpcCode(err) === GRPC_NOT_FOUND) return undefined;
      throw toHttpProblem(err, '(bulk)', { field: 'path.jobId' }) ?? err;
    }
  };

  /** Follows the job until it ends or the wait is over. */
  const follow = async (jobId: string): Promise<BulkProgress | undefined> => {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const progress = await describe(jobId);
      if (!progress || progress.state !== 'RUNNING' || Date.now() >= deadline) return progress;
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  /** Every running refund the query matches (capped at BULK_MAX + 1, so "too many" is known). */
  const targetsOf = async (filter: BulkFilter): Promise<RefundRow[]> => {
    const rows: RefundRow[] = [];
    let cursor: string | undefined;
    do {
      const page = await call(() =>
        listRefunds(client, { ...filter, limit: 100, cursor }, taskQueue, { running: true }),
      );
      rows.push(...page.refunds);
      cursor = page.nextCursor;
    } while (cursor && rows.length <= BULK_MAX);
    return rows;
  };

  /** What each refund did with the message: its own audit entry for the request id (the signal's verdict, in its memo). */
  const readBack = async (rows: RefundRow[], requestId: string): Promise<BulkRefundOutcome[]> => {
    const out = new Map<string, BulkRefundOutcome>();
    await forEachLimited(rows, 8, async (row) => {
      const base = { workflowId: row.workflowId, orderId: row.orderId, refundId: row.refundId };
      try {
        const { view, trail } = await client.withDeadline(Date.now() + 5_000, () =>
          readRefund(client, row.workflowId, taskQueue),
        );
        const entries = trail.audit.filter((a) => a.requestId === requestId);
        const verdict = entries.find((a) => a.via === 'signal') ?? entries[0];
        // A decision the workflow refused after accepting it (money moved meanwhile) counts as refused.
        const refusedLater = entries.find((a) => a.via === 'workflow' && !a.accepted);
        const final = refusedLater ?? verdict;
        out.set(row.workflowId, {
          ...base,
          outcome: !final ? 'notSignalled' : final.accepted ? 'accepted' : 'refused',
          status: view.status,
          ...(final?.problems?.length ? { problems: final.problems } : {}),
        });
      } catch {
        out.set(row.workflowId, { ...base, outcome: 'unreadable' });
      }
    });
    return rows.map((r) => out.get(r.workflowId)!);
  };

  for (const [name, spec] of Object.entries(BULK_ACTIONS) as [
    BulkActionName,
    (typeof BULK_ACTIONS)[BulkActionName],
  ][]) {
    router.post(`/bulk/${name}`, requireRole(spec.role), async (req: Request, res: Response) => {
      const filter = parseOr400(BulkFilterQuery, req.query, 'query', 'The filter is not valid.');
      const body = parseOr400(
        BULK_BODIES[name],
        req.body === undefined ? {} : (req.body as unknown),
        'body',
        `The bulk ${name} is not valid: see each field.`,
      ) as { dryRun?: boolean; expectedCount?: number } & Record<string, unknown>;
      const { dryRun, expectedCount, ...input } = body;
      const query = buildListQuery(filter, taskQueue, { running: true });
      const operator = operatorOf(res).name;
      const base = { action: name, query };

      if (dryRun) {
        const { count } = await call(() => client.workflow.count(query));
        res.json({ ...base, dryRun: true, matched: count } satisfies BulkAnswer);
        return;
      }

      const headers = parseOr400(
        MutationHeaders,
        { [IDEMPOTENCY_HEADER]: req.get(IDEMPOTENCY_HEADER) },
        'header',
        'The Idempotency-Key header is not valid.',
      );
      const clientRequestId = headers[IDEMPOTENCY_HEADER];
      if (!clientRequestId) {
        throw new HttpProblem('invalidRequest', 'A bulk action needs an Idempotency-Key, so that a retry acts once.', {
          errors: [
            { field: `header.${IDEMPOTENCY_HEADER}`, message: 'is required for a bulk action (not for a dry run)' },
          ],
        });
      }
      const jobId = bulkJobId(name, operator, clientRequestId, taskQueue);
      const requestId = `bulk:${jobId}`;
      /** The job's answer: 202 while its batch still runs (follow GET /bulk/jobs/:jobId), else 200. */
      const answerJob = (
        progress: BulkProgress | undefined,
        rest: Pick<BulkAnswer, 'matched' | 'replayed' | 'refunds'>,
      ) =>
        res
          .status(progress?.state === 'RUNNING' ? 202 : 200)
          .setHeader('Location', `/bulk/jobs/${jobId}`)
          .json({
            ...base,
            dryRun: false,
            jobId,
            requestId,
            ...(progress ? { progress } : {}),
            ...rest,
          } satisfies BulkAnswer);
      const replay = async () => {
        const progress = await follow(jobId);
        const { count } = await call(() => client.workflow.count(query));
        answerJob(progress, { matched: count, replayed: true });
      };
      if (await describe(jobId)) return replay();

      const targets = await targetsOf(filter);
      if (targets.length > BULK_MAX) {
        throw new HttpProblem('notAllowed', `The filter matches more than ${BULK_MAX} running refunds; narrow it.`, {
          problems: [
            {
              code: 'ACTION_NOT_ALLOWED',
              message: `more than ${BULK_MAX} refunds match; nothing was sent`,
              field: 'filter',
            },
          ],
        });
      }
      if (expectedCount !== undefined && expectedCount !== targets.length) {
        throw new HttpProblem(
          'notAllowed',
          `The filter now matches ${targets.length} refunds, not the ${expectedCount} confirmed; nothing was sent. Count again.`,
          {
            problems: [
              {
                code: 'ACTION_NOT_ALLOWED',
                message: `matches ${targets.length} refunds now, ${expectedCount} were confirmed`,
                field: 'expectedCount',
              },
            ],
          },
        );
      }
      if (targets.length === 0) {
        // Nothing to act on is an answer, not an error: no batch is started.
        res.json({ ...base, dryRun: false, matched: 0, refunds: [] } satisfies BulkAnswer);
        return;
      }

      // The refund's own message schema: what the workflow will parse at its door.
      const msg = MESSAGE_SCHEMAS[spec.action].parse({ operator, requestId, input });
      const payload = await encodeToPayload(client.options.loadedDataConverter, msg);
      const start = () =>
        client.withDeadline(Date.now() + 15_000, () =>
          client.workflowService.startBatchOperation({
            namespace,
            jobId,
            visibilityQuery: query,
            reason: `${spec.action} by ${operator} (Idempotency-Key ${clientRequestId}): ${targets.length} refunds`,
            signalOperation: {
              signal: MESSAGES[spec.action].signal.name,
              input: { payloads: [payload] },
              identity: `refund-api:${operator}`,
            },
          } satisfies proto.api.workflowservice.v1.IStartBatchOperationRequest),
        );
      // Temporal runs a bounded number of batch operations per namespace at once (one by default): wait a little for
      // the one running to end, then say so instead of queueing behind it.
      const busyUntil = Date.now() + 8_000;
      for (;;) {
        try {
          await start();
          break;
        } catch (err) {
          // The same request at the same moment: the other one started the job.
          if (grpcCode(err) === GRPC_ALREADY_EXISTS) return replay();
          if (grpcCode(err) !== GRPC_RESOURCE_EXHAUSTED) throw toHttpProblem(err, '(bulk)', { field: 'query' }) ?? err;
          if (Date.now() >= busyUntil) {
            throw new HttpProblem(
              'notAllowed',
              'Another bulk action is running in this namespace (Temporal runs them one at a time); nothing was sent. Try again when it has finished.',
              {
                headers: { 'Retry-After': '5' },
                problems: [{ code: 'ACTION_NOT_ALLOWED', message: 'another bulk action is running', field: 'bulk' }],
              },
            );
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      req.log.info({ jobId, action: spec.action, operator, matched: targets.length, query }, 'bulk action started');
      const progress = await follow(jobId);
      answerJob(progress, { matched: targets.length, refunds: await readBack(targets, requestId) });
    });
  }

  /** A bulk action's progress (Temporal's describeBatchOperation). */
  router.get('/bulk/jobs/:jobId', requireRole('operator'), async (req, res) => {
    const { jobId } = parseOr400(BulkJobParams, req.params, 'path', 'The job id is not valid.');
    const progress = await describe(jobId);
    if (!progress) throw new HttpProblem('notFound', `No bulk action ${jobId}.`);
    res.json(progress);
  });

  return router;
}
