import type { Client } from '@temporalio/client';
import express, { type Request, type Response } from 'express';
import { operatorOf, requireRole } from '../auth';
import {
  BULK_ACTIONS,
  BULK_BODIES,
  BULK_MAX,
  bulkFingerprint,
  BulkFilterQuery,
  bulkJobId,
  BulkJobParams,
  bulkReason,
  fingerprintOf,
  type BulkActionName,
  type BulkAnswer,
  type BulkFilter,
  type BulkProgress,
} from '../bulk';
import { bulkCall, describeJob, followJob, listTargets, readBack, startBatch, type BulkJobs } from '../bulk-jobs';
import { HttpProblem, parseOr400 } from '../problem';
import { IDEMPOTENCY_HEADER, MutationHeaders } from '../schemas';
import { keyReused } from '../temporal-errors';
import { buildListQuery } from '../visibility';

/**
 * POST /bulk/<action>?<filter>: a dry-run count, or one batch operation that signals exactly the refunds the action
 * listed and counted, each one's verdict read back; GET /bulk/jobs/:jobId: a job's progress.
 */

export interface BulkRoutesDeps {
  client: Client;
  taskQueue: string;
  /** How long a bulk action waits for its batch to finish before answering 202 with the progress. */
  waitMs?: number;
  /** Tests only: runs after the action has listed (and counted) its refunds, before it starts the batch. */
  afterListing?: (workflowIds: string[]) => Promise<void>;
}

interface BulkRequest {
  name: BulkActionName;
  filter: BulkFilter;
  body: { dryRun?: boolean; expectedCount?: number } & Record<string, unknown>;
  query: string;
  operator: string;
}

export function bulkRoutes(deps: BulkRoutesDeps): express.Router {
  // Below the usual 30 s of a client's request timeout; a longer batch answers 202 with its progress.
  const jobs: BulkJobs = { client: deps.client, taskQueue: deps.taskQueue, waitMs: deps.waitMs ?? 20_000 };
  const router = express.Router();
  for (const name of Object.keys(BULK_ACTIONS) as BulkActionName[]) {
    router.post(`/bulk/${name}`, requireRole(BULK_ACTIONS[name].role), async (req: Request, res: Response) => {
      const request = parseBulkRequest(req, res, name, deps.taskQueue);
      if (request.body.dryRun) {
        const { count } = await bulkCall(jobs, () => deps.client.workflow.count(request.query));
        res.json({ action: name, query: request.query, dryRun: true, matched: count } satisfies BulkAnswer);
        return;
      }
      await runBulk(deps, jobs, request, requireKey(req), req, res);
    });
  }

  /** A bulk action's progress (Temporal's describeBatchOperation). */
  router.get('/bulk/jobs/:jobId', requireRole('operator'), async (req, res) => {
    const { jobId } = parseOr400(BulkJobParams, req.params, 'path', 'The job id is not valid.');
    const progress = await describeJob(jobs, jobId);
    if (!progress) throw new HttpProblem('notFound', `No bulk action ${jobId}.`);
    res.json(progress);
  });
  return router;
}

function parseBulkRequest(req: Request, res: Response, name: BulkActionName, taskQueue: string): BulkRequest {
  const filter = parseOr400(BulkFilterQuery, req.query, 'query', 'The filter is not valid.');
  const body = parseOr400(
    BULK_BODIES[name],
    req.body === undefined ? {} : (req.body as unknown),
    'body',
    `The bulk ${name} is not valid: see each field.`,
  ) as BulkRequest['body'];
  const query = buildListQuery(filter, taskQueue, { running: true });
  return { name, filter, body, query, operator: operatorOf(res).name };
}

/** A bulk action acts once per Idempotency-Key, so one is required (not for a dry run). */
function requireKey(req: Request): string {
  const headers = parseOr400(
    MutationHeaders,
    { [IDEMPOTENCY_HEADER]: req.get(IDEMPOTENCY_HEADER) },
    'header',
    'The Idempotency-Key header is not valid.',
  );
  const key = headers[IDEMPOTENCY_HEADER];
  if (key) return key;
  throw new HttpProblem('invalidRequest', 'A bulk action needs an Idempotency-Key, so that a retry acts once.', {
    errors: [{ field: `header.${IDEMPOTENCY_HEADER}`, message: 'is required for a bulk action (not for a dry run)' }],
  });
}

/**
 * The job of this key: answered again when it exists (the same request: nothing sent again; another filter or body:
 * 409), else listed, counted and started on exactly the refunds listed.
 */
async function runBulk(
  deps: BulkRoutesDeps,
  jobs: BulkJobs,
  request: BulkRequest,
  key: string,
  req: Request,
  res: Response,
) {
  const { name, filter, body, query, operator } = request;
  const { dryRun: _dryRun, expectedCount, ...input } = body;
  const jobId = bulkJobId(name, operator, key, jobs.taskQueue);
  const requestId = `bulk:${jobId}`;
  const fingerprint = bulkFingerprint(filter, body);
  const answer = (progress: BulkProgress | undefined, rest: Pick<BulkAnswer, 'matched' | 'replayed' | 'refunds'>) =>
    res
      .status(progress?.state === 'RUNNING' ? 202 : 200)
      .setHeader('Location', `/bulk/jobs/${jobId}`)
      .json({
        action: name,
        query,
        dryRun: false,
        jobId,
        requestId,
        ...(progress ? { progress } : {}),
        ...rest,
      } satisfies BulkAnswer);
  const replay = async (existing: BulkProgress) => {
    const given = fingerprintOf(existing.reason);
    if (given !== undefined && given !== fingerprint)
      throw keyReused(`it started bulk ${name} job ${jobId} with another filter or body`);
    const progress = await followJob(jobs, jobId);
    const { count } = await bulkCall(jobs, () => jobs.client.workflow.count(query));
    answer(progress, { matched: count, replayed: true });
  };
  const existing = await describeJob(jobs, jobId);
  if (existing) return replay(existing);

  const targets = await listTargets(jobs, filter);
  checkCount(targets.length, expectedCount);
  if (targets.length === 0) {
    // Nothing to act on is an answer, not an error: no batch is started.
    res.json({ action: name, query, dryRun: false, matched: 0, refunds: [] } satisfies BulkAnswer);
    return;
  }
  const workflowIds = targets.map((t) => t.row.workflowId);
  await deps.afterListing?.(workflowIds);
  const what = `${BULK_ACTIONS[name].action} by ${operator} (Idempotency-Key ${key}): ${targets.length} refunds`;
  const action = BULK_ACTIONS[name].action;
  const reason = bulkReason(what, fingerprint);
  const started = await startBatch(jobs, { jobId, action, operator, requestId, input, workflowIds, reason });
  // The same request at the same moment: the other one started the job.
  if (started === 'exists') return replay((await describeJob(jobs, jobId))!);
  req.log.info({ jobId, action, operator, matched: targets.length, query }, 'bulk action started');
  const progress = await followJob(jobs, jobId);
  answer(progress, { matched: targets.length, refunds: await readBack(jobs, targets, requestId) });
}

/** More than BULK_MAX, or not the count the dry run confirmed: 409, nothing sent. */
function checkCount(matched: number, expectedCount: number | undefined): void {
  if (matched > BULK_MAX) {
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
  if (expectedCount !== undefined && expectedCount !== matched) {
    throw new HttpProblem(
      'notAllowed',
      `The filter now matches ${matched} refunds, not the ${expectedCount} confirmed; nothing was sent. Count again.`,
      {
        problems: [
          {
            code: 'ACTION_NOT_ALLOWED',
            message: `matches ${matched} refunds now, ${expectedCount} were confirmed`,
            field: 'expectedCount',
          },
        ],
      },
    );
  }
}
