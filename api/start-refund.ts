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
        },
      ],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: [
        { key: SA.status, value: RefundStatus.FETCHING },
        { key: SA.bwpOrderId, value: args.orderId },
      ],
      staticSummary: `BwP refund ${args.refundId} of order ${args.orderId}`,
      staticDetails: `Started by event \`${args.eventId}\`. Find it with \`BwpOrderId="${args.orderId}"\`.`,
    });
    return { workflowId, outcome: 'started', runId: handle.firstExecutionRunId };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  try {
    await client.workflow
      .getHandle(workflowId)
      .signal(refundEventSignal, { eventId: args.eventId, descriptor: args.descriptor ?? 'REFUND_REQUESTED' });
    return { workflowId, outcome: 'joined' };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { workflowId, outcome: 'finished' };
    throw err;
  }
}
