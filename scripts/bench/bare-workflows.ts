/**
 * The benchmark's bare workflow (bundled on its own by scripts/bench/bare-worker.ts; the production worker never
 * registers it): the healthy refund's shape, three activities called as the refund calls them (the order read and the
 * report as local activities, the submission as a regular activity on the rate-limited queue), with no state, no search
 * attributes, no memo, no logging and no-op activities. The refund workflow's throughput over this one's is the cost of
 * what the refund workflow does beyond its activities' calls.
 */
import { proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { BareActivities } from './bare-activities';

export async function bareRefundWorkflow(input: { orderId: string; refundId: string }): Promise<{ status: string }> {
  const light = proxyLocalActivities<BareActivities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 1 } });
  const submit = proxyActivities<BareActivities>({
    taskQueue: `${workflowInfo().taskQueue}-submissions`,
    startToCloseTimeout: '30s',
    retry: { maximumAttempts: 1 },
  });
  await light.fetchRefundContext({ orderId: input.orderId });
  await submit.submitRefundAttempt({ request: { id: input.refundId } });
  await light.reportToBwp({ orderId: input.orderId });
  return { status: 'REFUNDED' };
}
