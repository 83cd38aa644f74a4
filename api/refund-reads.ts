import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { temporal as proto } from '@temporalio/proto';
import { LRUCache } from 'lru-cache';
import type { Policy } from '../domain/context';
import {
  MEMO,
  MEMO_VERSION,
  refundIdempotencyKey,
  refundIdOf,
  RefundStatus,
  SEARCH_ATTRIBUTES,
  type CarriedState,
  type FetchedOrder,
  type OrderSnapshot,
  type RefundDetailMemo,
  type RefundTrail,
  type RefundView,
} from '../workflows/refund.contract';
import { refundWorkflow } from '../workflows';
import { HttpProblem } from './problem';

/**
 * Every read of a refund comes from the Temporal server alone: its memo and search attributes (describe(), list()) and,
 * for the repair form, the order as its workflow last read it (from its history). No read runs a query, so no read waits
 * for, or wakes, a worker: a refund reads the same with every worker stopped (docs/operations.md, "Reads").
 */

/** A refund as its memo shows it, with the execution it belongs to. */
export interface RefundRecord {
  workflowId: string;
  runId: string;
  execution: { status: string; startTime: string; closeTime?: string };
  view: RefundView;
  detail: RefundDetailMemo;
  trail: RefundTrail;
  /** false: the workflow has not published yet (its first task has not run); the view is what its start says. */
  published: boolean;
}

/** The memo's view, when it is one this API knows (MEMO_VERSION). */
export function viewOf(memo: Record<string, unknown> | undefined): RefundView | undefined {
  const view = memo?.[MEMO.view];
  return typeof view === 'object' && view !== null && (view as { v?: unknown }).v === MEMO_VERSION
    ? (view as RefundView)
    : undefined;
}

/** What a refund shows before its workflow first publishes: its start's search attributes. */
export function startView(args: {
  workflowId: string;
  orderId: string;
  status?: string;
  startTime: string;
}): RefundView {
  const refundId = refundIdOf(args.workflowId) ?? '';
  return {
    v: MEMO_VERSION,
    orderId: args.orderId,
    refundId,
    status: (args.status as RefundStatus | undefined) ?? RefundStatus.FETCHING,
    startedAt: args.startTime,
    revision: 1,
    idempotencyKey: refundIdempotencyKey(args.orderId, refundId, 1),
    keys: [],
    moneyMoved: false,
    problems: [],
    attentions: [],
    needsAttention: false,
    hasSuggestion: false,
    attemptCount: 0,
    orderReads: 0,
  };
}

export function recordOf(workflowId: string, d: WorkflowExecutionDescription): RefundRecord {
  const memo = d.memo;
  const view = viewOf(memo);
  const startTime = d.startTime.toISOString();
  return {
    workflowId,
    runId: d.runId,
    execution: {
      status: d.status.name,
      startTime,
      ...(d.closeTime ? { closeTime: d.closeTime.toISOString() } : {}),
    },
    view:
      view ??
      startView({
        workflowId,
        orderId: d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.bwpOrderId) ?? '',
        status: d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.status),
        startTime,
      }),
    detail: (memo?.[MEMO.detail] as RefundDetailMemo | undefined) ?? {},
    trail: (memo?.[MEMO.trail] as RefundTrail | undefined) ?? { audit: [], attempts: [] },
    published: view !== undefined,
  };
}

/**
 * A refund of this deployment by workflow id (describe(): strongly consistent, from the server). Anything else under
 * that id (another workflow type, another deployment's task queue) is not found (404), as is no workflow at all.
 */
export async function readRefund(client: Client, workflowId: string, taskQueue: string): Promise<RefundRecord> {
  let description: WorkflowExecutionDescription;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notFound(workflowId);
    throw err;
  }
  if (description.type !== refundWorkflow.name || description.taskQueue !== taskQueue) throw notFound(workflowId);
  return recordOf(workflowId, description);
}

const notFound = (workflowId: string) => new HttpProblem('notFound', `No refund ${workflowId}.`);

/** The order a refund's workflow last read, and the policy it validates against. */
export interface OrderRead {
  orders?: OrderSnapshot;
  policy?: Policy;
}

/**
 * The order as the refund's workflow last read it, from the run's history: the result of its latest completed
 * `fetchRefundContext`, or, in a run continued as new before its first read, the order the run was handed. The result
 * of one read never changes, so it is cached by run and the view's `orderReads` (how many reads the refund has made):
 * a repair page checking as the operator types reads the history once.
 */
export interface OrderReader {
  read(client: Client, record: Pick<RefundRecord, 'workflowId' | 'runId' | 'view'>): Promise<OrderRead>;
}

const EventType = proto.api.enums.v1.EventType;

export function createOrderReader(opts: { maxEntries?: number } = {}): OrderReader {
  const cache = new LRUCache<string, OrderRead>({ max: opts.maxEntries ?? 1000 });
  return {
    async read(client, record) {
      const key = `${record.runId}:${record.view.orderReads}`;
      const cached = cache.get(key);
      if (cached) return cached;
      const read = await readFromHistory(client, record.workflowId, record.runId);
      cache.set(key, read);
      return read;
    },
  };
}

/** Newest events first, page by page, until the latest read of the order (or the run's start) is found. */
async function readFromHistory(client: Client, workflowId: string, runId: string): Promise<OrderRead> {
  const converter = client.options.loadedDataConverter;
  const completed = new Map<string, proto.api.common.v1.IPayloads | null | undefined>();
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistoryReverse({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      maximumPageSize: 200,
      nextPageToken,
    });
    for (const event of page.history?.events ?? []) {
      const id = String(event.eventId);
      if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
        const attrs = event.activityTaskCompletedEventAttributes;
        completed.set(String(attrs?.scheduledEventId), attrs?.result);
      } else if (
        event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
        event.activityTaskScheduledEventAttributes?.activityType?.name === 'fetchRefundContext' &&
        completed.has(id)
      ) {
        const fetched = await decodeFromPayloadsAtIndex<FetchedOrder>(converter, 0, completed.get(id)?.payloads);
        const { policy, timing: _timing, ...orders } = fetched;
        return { orders, policy };
      } else if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) {
        const input = await decodeFromPayloadsAtIndex<{ carried?: CarriedState } | undefined>(
          converter,
          0,
          event.workflowExecutionStartedEventAttributes?.input?.payloads,
        );
        const carried = input?.carried;
        return carried?.orders ? { orders: carried.orders, policy: carried.policy } : {};
      }
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return {};
}
