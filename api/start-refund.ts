import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  REFUND_TASK_QUEUE,
  refundEventSignal,
  refundWorkflowId,
  RefundStatus,
  SEARCH_ATTRIBUTES,
  type RefundTiming,
} from '../workflows/refund.contract';
import { refundWorkflow } from '../workflows';

export interface StartRefundResult {
  workflowId: string;
  /**
   * started: a new workflow; joined: delivered to the running one; finished: that refund's workflow already ended;
   * elsewhere: the id is held by a workflow of another type or task queue (another deployment sharing the namespace):
   * nothing was sent to it.
   */
  outcome: 'started' | 'joined' | 'finished' | 'elsewhere';
  runId?: string;
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
    /** Tests only: shorter waits. Production passes none; the worker's config owns timing (workers/timing.ts). */
    timing?: Partial<RefundTiming>;
    /** Default REFUND_TASK_QUEUE (config TEMPORAL_TASK_QUEUE). */
    taskQueue?: string;
    /** Who asked, in the workflow's details (default: the event). */
    startedBy?: string;
    /** An operator's start (POST /refunds): the first audit entry of the refund it starts. */
    operator?: { operator: string; requestId?: string };
  },
): Promise<StartRefundResult> {
  const workflowId = refundWorkflowId(args.orderId, args.refundId);
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
        { key: SEARCH_ATTRIBUTES.status, value: RefundStatus.FETCHING },
        { key: SEARCH_ATTRIBUTES.bwpOrderId, value: args.orderId },
        { key: SEARCH_ATTRIBUTES.problemCodes, value: [] },
        { key: SEARCH_ATTRIBUTES.needsAttention, value: false },
        { key: SEARCH_ATTRIBUTES.attention, value: [] },
      ],
      staticSummary: `BwP refund ${args.refundId} of order ${args.orderId}`,
      staticDetails: `${args.startedBy ?? `Started by event \`${args.eventId}\``}. Find it with \`BwpOrderId="${args.orderId}"\`.`,
    });
    return { workflowId, outcome: 'started', runId: handle.firstExecutionRunId };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  const held = await holderOf(client, workflowId, args.taskQueue ?? REFUND_TASK_QUEUE);
  if (held === 'elsewhere') return { workflowId, outcome: 'elsewhere' };
  const signalled =
    held === 'running' && (await signalRefund(client, workflowId, args.eventId, args.descriptor ?? 'REFUND_REQUESTED'));
  return { workflowId, outcome: signalled ? 'joined' : 'finished' };
}

/**
 * What holds a refund's workflow id: one of this deployment's refunds, running or not, or a workflow of another type
 * or task queue (a namespace shared by several deployments), which is never signalled.
 */
async function holderOf(
  client: Client,
  workflowId: string,
  taskQueue: string,
): Promise<'running' | 'closed' | 'elsewhere'> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    if (d.type !== refundWorkflow.name || d.taskQueue !== taskQueue) return 'elsewhere';
    return d.status.name === 'RUNNING' ? 'running' : 'closed';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'closed';
    throw err;
  }
}

/**
 * A later event about a refund (REFUND_COMPLETED, …): its running workflow re-checks Buy with Prime now. Nothing is
 * started for a refund that has no running workflow.
 */
export async function recheckRefund(
  client: Client,
  args: { orderId: string; refundId: string; eventId: string; descriptor: string; taskQueue?: string },
): Promise<{ workflowId: string; outcome: 'rechecked' | 'notRunning' | 'elsewhere' }> {
  const workflowId = refundWorkflowId(args.orderId, args.refundId);
  const held = await holderOf(client, workflowId, args.taskQueue ?? REFUND_TASK_QUEUE);
  if (held === 'elsewhere') return { workflowId, outcome: 'elsewhere' };
  const signalled = held === 'running' && (await signalRefund(client, workflowId, args.eventId, args.descriptor));
  return { workflowId, outcome: signalled ? 'rechecked' : 'notRunning' };
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
