import type { Client } from '@temporalio/client';
import { encodeToPayload } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal as proto } from '@temporalio/proto';
import { MESSAGES, MESSAGE_SCHEMAS, type OperatorAction } from '../workflows/refund.contract';
import { BULK_MAX, type BulkFilter, type BulkProgress, type BulkRefundOutcome } from './bulk';
import { HttpProblem } from './problem';
import { readRefund } from './refund-reads';
import { grpcCode, toHttpProblem } from './temporal-errors';
import { forEachLimited } from './util';
import { isoTime, listRefundPage, type ListedRefund } from './visibility';

/**
 * A bulk action's Temporal side: list the refunds it acts on, start one batch operation that signals exactly those
 * (an explicit list of executions, never the visibility query again: a refund that joins the filter after the count
 * is not signalled), follow the batch, and read each refund's verdict back from its audit trail.
 */

export interface BulkJobs {
  client: Client;
  taskQueue: string;
  /** How long a bulk action waits for its batch to finish before answering 202 with the progress. */
  waitMs: number;
}

const BATCH_STATE: Record<number, BulkProgress['state']> = { 1: 'RUNNING', 2: 'COMPLETED', 3: 'FAILED' };
const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;
const GRPC_RESOURCE_EXHAUSTED = 8;

/** A Temporal call of the bulk routes: 15 s at most, its errors as problems about `field`. */
export async function bulkCall<T>(jobs: BulkJobs, fn: () => Promise<T>, field = 'query'): Promise<T> {
  try {
    return await jobs.client.withDeadline(Date.now() + 15_000, fn);
  } catch (err) {
    throw toHttpProblem(err, '(bulk)', { field }) ?? err;
  }
}

/** The batch job, or undefined when there is none of that id. */
export async function describeJob(jobs: BulkJobs, jobId: string): Promise<BulkProgress | undefined> {
  const { client } = jobs;
  try {
    const d = await client.withDeadline(Date.now() + 15_000, () =>
      client.workflowService.describeBatchOperation({ namespace: client.options.namespace, jobId }),
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
}

/** Follows the job until it ends or the wait is over. */
export async function followJob(jobs: BulkJobs, jobId: string): Promise<BulkProgress | undefined> {
  const deadline = Date.now() + jobs.waitMs;
  for (;;) {
    const progress = await describeJob(jobs, jobId);
    if (!progress || progress.state !== 'RUNNING' || Date.now() >= deadline) return progress;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Every running refund the filter matches (capped at BULK_MAX + 1, so "too many" is known). */
export async function listTargets(jobs: BulkJobs, filter: BulkFilter): Promise<ListedRefund[]> {
  const targets: ListedRefund[] = [];
  let cursor: string | undefined;
  do {
    const page = await bulkCall(jobs, () =>
      listRefundPage(jobs.client, { ...filter, limit: 100, cursor }, jobs.taskQueue, { running: true }),
    );
    targets.push(...page.refunds);
    cursor = page.nextCursor;
  } while (cursor && targets.length <= BULK_MAX);
  return targets;
}

export interface BatchStart {
  jobId: string;
  action: OperatorAction;
  operator: string;
  requestId: string;
  input: Record<string, unknown>;
  /** The refunds to signal, exactly. */
  workflowIds: string[];
  reason: string;
}

/**
 * Starts the batch: the refund's own message, parsed at our door with the schema the workflow parses it with, to each
 * listed refund. 'exists': a job of that id was started already (the same request at the same moment). Temporal runs a
 * bounded number of batch operations per namespace at once (one by default): wait a little for the one running to
 * end, then say so (409 with Retry-After) instead of queueing behind it.
 */
export async function startBatch(jobs: BulkJobs, batch: BatchStart): Promise<'started' | 'exists'> {
  const { client } = jobs;
  const msg = MESSAGE_SCHEMAS[batch.action].parse({
    operator: batch.operator,
    requestId: batch.requestId,
    input: batch.input,
  });
  const payload = await encodeToPayload(client.options.loadedDataConverter, msg);
  const request: proto.api.workflowservice.v1.IStartBatchOperationRequest = {
    namespace: client.options.namespace,
    jobId: batch.jobId,
    // `executions`, which the SDK's newer API marks deprecated for `targetExecutions`: Temporal server 1.29, which
    // this service runs on, reads only `executions`.
    executions: batch.workflowIds.map((workflowId) => ({ workflowId })),
    reason: batch.reason,
    signalOperation: {
      signal: MESSAGES[batch.action].signal.name,
      input: { payloads: [payload] },
      identity: `refund-api:${batch.operator}`,
    },
  };
  const busyUntil = Date.now() + 8_000;
  for (;;) {
    try {
      await client.withDeadline(Date.now() + 15_000, () => client.workflowService.startBatchOperation(request));
      return 'started';
    } catch (err) {
      if (grpcCode(err) === GRPC_ALREADY_EXISTS) return 'exists';
      if (grpcCode(err) !== GRPC_RESOURCE_EXHAUSTED) throw toHttpProblem(err, '(bulk)', { field: 'query' }) ?? err;
      if (Date.now() >= busyUntil) throw anotherBulkRunning();
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const anotherBulkRunning = () =>
  new HttpProblem(
    'notAllowed',
    'Another bulk action is running in this namespace (Temporal runs them one at a time); nothing was sent. Try again when it has finished.',
    {
      headers: { 'Retry-After': '5' },
      problems: [{ code: 'ACTION_NOT_ALLOWED', message: 'another bulk action is running', field: 'bulk' }],
    },
  );

/** What each refund did with the message: its own audit entry for the request id (the signal's verdict, in its memo). */
export async function readBack(
  jobs: BulkJobs,
  targets: ListedRefund[],
  requestId: string,
): Promise<BulkRefundOutcome[]> {
  const out = new Map<string, BulkRefundOutcome>();
  await forEachLimited(targets, 8, async ({ row }) => {
    const base = { workflowId: row.workflowId, orderId: row.orderId, refundId: row.refundId };
    try {
      const { view, trail } = await jobs.client.withDeadline(Date.now() + 5_000, () =>
        readRefund(jobs.client, row.workflowId, jobs.taskQueue),
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
  return targets.map((t) => out.get(t.row.workflowId)!);
}
