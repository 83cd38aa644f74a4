import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  REFUND_TASK_QUEUE,
  refundEventSignal,
  refundWorkflowId,
  RefundStatus,
  SA,
  type RefundTiming,
} from '../workflows/refund.contract';
import { refundWorkflow } from '../workflows';

export interface StartRefundResult {
  workflowId: string;
  /** started: a new workflow; joined: delivered to the running one; finished: that refund's workflow already ended. */
  outcome: 'started' | 'joined' | 'finished';
  runId?: string;
}

/**
 * The id a refund had before ids were encoded (`refund:<order>:<refund>` verbatim). It differs from refundWorkflowId
 * only when an id holds `:` or `%`; such a refund may still be running under it, and must be joined there, never
 * started a second time (that would refund twice).
 */
function legacyWorkflowId(orderId: string, refundId: string): string | undefined {
  const legacy = `refund:${orderId}:${refundId}`;
  return legacy === refundWorkflowId(orderId, refundId) ? undefined : legacy;
}

/**
 * The workflow of this refund under its legacy id, if there is one. The legacy id alone is ambiguous (`a:b`/`c` and
 * `a`/`b:c` shared it), so the order id the workflow was started with (its BwpOrderId search attribute) must match too:
 * with the order id fixed, the rest of the id is the refund id.
 */
async function legacyRefund(
  client: Client,
  orderId: string,
  refundId: string,
): Promise<{ workflowId: string; running: boolean } | undefined> {
  const workflowId = legacyWorkflowId(orderId, refundId);
  if (!workflowId) return undefined;
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    if (description.type !== refundWorkflow.name) return undefined;
    if (description.typedSearchAttributes.get(SA.bwpOrderId) !== orderId) return undefined;
    return { workflowId, running: description.status.name === 'RUNNING' };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Where a refund's events go: its running workflow under the legacy id if it has one, else its own id. */
async function refundTarget(client: Client, orderId: string, refundId: string) {
  const legacy = await legacyRefund(client, orderId, refundId);
  return legacy ?? { workflowId: refundWorkflowId(orderId, refundId), running: undefined };
}

/**
 * Starts the refund's workflow, or joins the running one with a signal (an immediate re-check of BwP). The workflow id is
 * derived from the refund, so duplicate and late events never start a second run; an event for a refund whose workflow
 * has finished is ignored (REJECT_DUPLICATE keeps the id closed).
 */
export async function startOrJoinRefund(
  client: Client,
  args: {
    orderId: string;
    refundId: string;
    businessProductId?: string;
    eventId: string;
    descriptor?: string;
    /** Tests only: shorter waits. Production passes none; the worker's config owns timing (common/timing.ts). */
    timing?: Partial<RefundTiming>;
    /** Default REFUND_TASK_QUEUE (config TEMPORAL_TASK_QUEUE). */
    taskQueue?: string;
    /** Who asked, in the workflow's details (default: the event). */
    startedBy?: string;
    /** An operator's start (POST /refunds): the first audit entry of the refund it starts. */
    operator?: { operator: string; requestId?: string };
  },
): Promise<StartRefundResult> {
  const legacy = await legacyRefund(client, args.orderId, args.refundId);
  if (legacy && !legacy.running) return { workflowId: legacy.workflowId, outcome: 'finished' };
  const workflowId = legacy?.workflowId ?? refundWorkflowId(args.orderId, args.refundId);
  if (!legacy) {
    try {
      const handle = await client.workflow.start(refundWorkflow, {
        workflowId,
        taskQueue: args.taskQueue ?? REFUND_TASK_QUEUE,
        args: [
          {
            orderId: args.orderId,
            refundId: args.refundId,
            businessProductId: args.businessProductId,
            timing: args.timing,
            ...(args.operator ? { startedBy: args.operator } : {}),
          },
        ],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
        // Every search attribute the workflow keeps, as a fresh refund has them: it publishes nothing until it moves.
        typedSearchAttributes: [
          { key: SA.status, value: RefundStatus.FETCHING },
          { key: SA.bwpOrderId, value: args.orderId },
          { key: SA.problemCodes, value: [] },
          { key: SA.needsAttention, value: false },
          { key: SA.attention, value: [] },
        ],
        staticSummary: `BwP refund ${args.refundId} of order ${args.orderId}`,
        staticDetails: `${args.startedBy ?? `Started by event \`${args.eventId}\``}. Find it with \`BwpOrderId="${args.orderId}"\`.`,
      });
      return { workflowId, outcome: 'started', runId: handle.firstExecutionRunId };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  const signalled = await signalRefund(client, workflowId, args.eventId, args.descriptor ?? 'REFUND_REQUESTED');
  return { workflowId, outcome: signalled ? 'joined' : 'finished' };
}

/**
 * A later event about a refund (REFUND_COMPLETED, …): its running workflow re-checks Buy with Prime now. Nothing is
 * started for a refund that has no running workflow.
 */
export async function recheckRefund(
  client: Client,
  args: { orderId: string; refundId: string; eventId: string; descriptor: string },
): Promise<{ workflowId: string; outcome: 'rechecked' | 'notRunning' }> {
  const target = await refundTarget(client, args.orderId, args.refundId);
  if (target.running === false) return { workflowId: target.workflowId, outcome: 'notRunning' };
  const signalled = await signalRefund(client, target.workflowId, args.eventId, args.descriptor);
  return { workflowId: target.workflowId, outcome: signalled ? 'rechecked' : 'notRunning' };
}

/** false when no workflow of that id is running (never started, or finished). */
async function signalRefund(client: Client, workflowId: string, eventId: string, descriptor: string) {
  try {
    await client.workflow.getHandle(workflowId).signal(refundEventSignal, { eventId, descriptor });
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
