import { createHash } from 'node:crypto';
import { type Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { z } from 'zod';
import { MEMO, RefundStatus, SEARCH_ATTRIBUTES, type RefundView } from '../workflows/refund.contract';
import { refundWorkflow } from '../workflows';
import { Problem } from '../domain/problems';
import { HttpProblem } from './problem';
import { startView, viewOf } from './refund-reads';

/**
 * Finding refunds through Temporal visibility: the search attributes the workflow keeps current (status, order ids,
 * problem codes, needs-attention). The query is built from validated values only, so nothing a client sends can change
 * its shape.
 */

/** Values that go into a visibility query: safe characters only, so no quoting tricks. */
const QUERY_SAFE = /^[A-Za-z0-9._:@/-]+$/;

const boolParam = z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true');

export const ListRefundsQuery = z
  .object({
    status: z
      .string()
      .transform((s) => s.split(',').map((v) => v.trim()))
      .pipe(
        z
          .array(z.enum(RefundStatus, { message: `must be one or more of ${Object.values(RefundStatus).join(', ')}` }))
          .min(1),
      )
      .optional()
      .describe('One status or several separated by commas, e.g. AWAITING_REPAIR.'),
    needsAttention: boolParam
      .optional()
      .describe('true: only refunds parked longer than REPAIR_ATTENTION_AFTER_HOURS.'),
    orderId: z
      .string()
      .min(1)
      .max(200)
      .regex(QUERY_SAFE, 'must contain only letters, digits and . _ : @ / -')
      .optional(),
    storeOrderId: z
      .string()
      .min(1)
      .max(200)
      .regex(QUERY_SAFE, 'must contain only letters, digits and . _ : @ / -')
      .optional(),
    problemCode: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/, 'must be a problem code such as MISSING_ITEM_DETAIL')
      .max(100)
      .optional(),
    limit: z.coerce
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(100, 'must be at most 100')
      .default(20),
    expand: z
      .enum(['summary'], { message: 'must be summary' })
      .optional()
      .describe("summary: add each refund's requested amount, problems and parked time (from its memo)."),
    cursor: z
      .string()
      .max(4096)
      .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'must be the nextCursor of an earlier page')
      .optional(),
  })
  .strict();
export type ListRefundsQuery = z.output<typeof ListRefundsQuery>;

/** GET /refunds.csv: the list's filters, and how many refunds at most. */
export const ExportRefundsQuery = ListRefundsQuery.pick({
  status: true,
  needsAttention: true,
  orderId: true,
  storeOrderId: true,
  problemCode: true,
})
  .extend({
    max: z.coerce
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(5000, 'must be at most 5000')
      .default(1000)
      .describe('At most this many refunds, newest first.'),
  })
  .strict();

export const RefundRow = z.object({
  workflowId: z.string(),
  orderId: z.string(),
  refundId: z.string(),
  storeOrderId: z.string().optional(),
  status: z.string().describe('The refund status (RefundStatus search attribute).'),
  problemCodes: z.array(z.string()),
  needsAttention: z.boolean(),
  startTime: z.string().describe('ISO 8601'),
  closeTime: z.string().optional(),
  execution: z.string().describe('Temporal execution status: RUNNING, COMPLETED, FAILED, …'),
  summary: z
    .object({
      requested: z
        .object({ amount: z.string(), currency: z.string() })
        .optional()
        .describe("Amazon's estimate of the refund."),
      problems: z.array(Problem),
      parkedSince: z.string().optional(),
    })
    .optional()
    .describe('With expand=summary.'),
});
export type RefundRow = z.infer<typeof RefundRow>;

export const RefundPage = z.object({
  refunds: z.array(RefundRow),
  nextCursor: z.string().optional().describe('Pass as `cursor` to get the next page; absent on the last page.'),
});
export type RefundPage = z.infer<typeof RefundPage>;

const quote = (v: string) => `"${v}"`;

/**
 * The visibility query for the filters (every value already matched QUERY_SAFE or an enum), limited to the refunds of
 * this deployment's task queue (several deployments, or test runs, may share a namespace).
 */
export function buildListQuery(
  q: Omit<ListRefundsQuery, 'limit' | 'cursor' | 'expand'>,
  taskQueue: string,
  opts: { running?: boolean } = {},
): string {
  const clauses = [`WorkflowType = ${quote(refundWorkflow.name)}`, `TaskQueue = ${quote(taskQueue)}`];
  // Bulk actions: only a running workflow takes a signal.
  if (opts.running) clauses.push('ExecutionStatus = "Running"');
  if (q.status) {
    clauses.push(
      q.status.length === 1
        ? `${SEARCH_ATTRIBUTES.status.name} = ${quote(q.status[0]!)}`
        : `${SEARCH_ATTRIBUTES.status.name} IN (${q.status.map(quote).join(', ')})`,
    );
  }
  if (q.needsAttention !== undefined) clauses.push(`${SEARCH_ATTRIBUTES.needsAttention.name} = ${q.needsAttention}`);
  if (q.orderId) clauses.push(`${SEARCH_ATTRIBUTES.bwpOrderId.name} = ${quote(q.orderId)}`);
  if (q.storeOrderId) clauses.push(`${SEARCH_ATTRIBUTES.storeOrderId.name} = ${quote(q.storeOrderId)}`);
  // On a KeywordList, `=` means "contains".
  if (q.problemCode) clauses.push(`${SEARCH_ATTRIBUTES.problemCodes.name} = ${quote(q.problemCode)}`);
  return clauses.join(' AND ');
}

function decode<T>(fields: Record<string, Payload> | null | undefined, name: string): T | undefined {
  const payload = fields?.[name];
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload<T>(payload);
  } catch {
    return undefined;
  }
}

interface Timestamp {
  seconds?: { toString(): string } | number | null;
  nanos?: number | null;
}

export function isoTime(ts: Timestamp | null | undefined): string | undefined {
  if (!ts || ts.seconds === undefined || ts.seconds === null) return undefined;
  return new Date(Number(ts.seconds.toString()) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString();
}

const EXECUTION_STATUS: Record<number, string> = {
  1: 'RUNNING',
  2: 'COMPLETED',
  3: 'FAILED',
  4: 'CANCELED',
  5: 'TERMINATED',
  6: 'CONTINUED_AS_NEW',
  7: 'TIMED_OUT',
};

/**
 * The cursor is Temporal's page token with a check of the query it belongs to, so a cursor from another query, or a
 * damaged one, is refused with a 400 instead of reaching the server.
 */
const cursorCheck = (query: string, token: Uint8Array) =>
  createHash('sha256').update(query).update('\u0000').update(token).digest().subarray(0, 12).toString('base64url');

export function encodeCursor(query: string, token: Uint8Array): string {
  return `${Buffer.from(token).toString('base64url')}.${cursorCheck(query, token)}`;
}

export function decodeCursor(query: string, cursor: string): Buffer | undefined {
  const [token, check] = cursor.split('.');
  if (!token || !check) return undefined;
  const bytes = Buffer.from(token, 'base64url');
  return check === cursorCheck(query, bytes) ? bytes : undefined;
}

const badCursor = () =>
  new HttpProblem('invalidRequest', 'The cursor is not one this API gave out for this query.', {
    errors: [{ field: 'query.cursor', message: 'must be the nextCursor of an earlier page with the same filters' }],
  });

/** A listed refund: its row and the view its memo holds (the start's view before the workflow first published). */
export interface ListedRefund {
  row: RefundRow;
  view: RefundView;
}

/**
 * One page of refunds, newest first, with an opaque cursor for the next one: search attributes and memo as the
 * visibility store holds them (eventually consistent, and never a call to a worker).
 */
export async function listRefundPage(
  client: Client,
  q: Omit<ListRefundsQuery, 'expand'>,
  taskQueue: string,
  opts: { running?: boolean } = {},
): Promise<{ refunds: ListedRefund[]; nextCursor?: string }> {
  const query = buildListQuery(q, taskQueue, opts);
  const nextPageToken = q.cursor ? decodeCursor(query, q.cursor) : undefined;
  if (q.cursor && !nextPageToken) throw badCursor();
  let response;
  try {
    response = await client.workflowService.listWorkflowExecutions({
      namespace: client.options.namespace,
      query,
      pageSize: q.limit,
      nextPageToken,
    });
  } catch (err) {
    // A forged token the server cannot read is still the client's mistake.
    if (q.cursor && isInvalidArgument(err)) throw badCursor();
    throw err;
  }
  const refunds = (response.executions ?? []).map((e): ListedRefund => {
    const fields = e.searchAttributes?.indexedFields as Record<string, Payload> | undefined;
    const memo = e.memo?.fields as Record<string, Payload> | undefined;
    const workflowId = e.execution?.workflowId ?? '';
    const orderId = decode<string>(fields, SEARCH_ATTRIBUTES.bwpOrderId.name) ?? '';
    const startTime = isoTime(e.startTime) ?? '';
    const closeTime = isoTime(e.closeTime);
    const view =
      viewOf({ [MEMO.view]: decode<unknown>(memo, MEMO.view) }) ??
      startView({ workflowId, orderId, status: decode<string>(fields, SEARCH_ATTRIBUTES.status.name), startTime });
    const storeOrderId = decode<string>(fields, SEARCH_ATTRIBUTES.storeOrderId.name);
    return {
      view,
      row: {
        workflowId,
        orderId: view.orderId,
        refundId: view.refundId,
        ...(storeOrderId ? { storeOrderId } : {}),
        status: decode<string>(fields, SEARCH_ATTRIBUTES.status.name) ?? view.status,
        problemCodes: decode<string[]>(fields, SEARCH_ATTRIBUTES.problemCodes.name) ?? [],
        needsAttention: decode<boolean>(fields, SEARCH_ATTRIBUTES.needsAttention.name) ?? false,
        startTime,
        ...(closeTime ? { closeTime } : {}),
        execution: EXECUTION_STATUS[e.status ?? 0] ?? 'UNSPECIFIED',
      },
    };
  });
  const token = response.nextPageToken;
  return { refunds, ...(token && token.length > 0 ? { nextCursor: encodeCursor(query, token) } : {}) };
}

/** GET /refunds: a page of rows, each with its summary from the memo when asked (expand=summary). */
export async function listRefunds(
  client: Client,
  q: ListRefundsQuery,
  taskQueue: string,
  opts: { running?: boolean } = {},
): Promise<RefundPage> {
  const page = await listRefundPage(client, q, taskQueue, opts);
  return {
    refunds: page.refunds.map(({ row, view }) =>
      q.expand === 'summary'
        ? {
            ...row,
            summary: {
              ...(view.requested ? { requested: view.requested } : {}),
              problems: view.problems,
              ...(view.parkedSince ? { parkedSince: view.parkedSince } : {}),
            },
          }
        : row,
    ),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  };
}

/** gRPC INVALID_ARGUMENT (3). */
export function isInvalidArgument(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 3;
}
