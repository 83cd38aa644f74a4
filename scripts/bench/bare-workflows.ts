/**
 * The benchmark's bare workflow (bundled on its own by scripts/bench/bare-worker.ts; the production worker never
 * registers it): the healthy refund's shape, three activities on the same two task queues (the submission on the
 * rate-limited one), with no state, no search attributes, no memo, no logging and no-op activities. The refund
 * workflow's throughput over this one's is the cost of what the refund workflow does beyond its activities' calls.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { BareActivities } from './bare-activities';

export async function bareRefundWorkflow(input: { orderId: string; refundId: string }): Promise<{ status: string }> {
  const light = proxyActivities<BareActivities>({ startToCloseTimeout: '30s' });
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
