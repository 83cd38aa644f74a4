import type { RefundResult, RefundWorkflowInput } from './refund.contract';
import { RefundRun } from './refund-run';

/**
 * One Buy with Prime refund, from REFUND_REQUESTED to a state that is no longer PENDING (docs/protocol.md): a
 * `RefundRun` (refund-run.ts) owns the state, records every message and runs the one loop.
 */
export async function refundWorkflow(input: RefundWorkflowInput): Promise<RefundResult> {
  return new RefundRun(input).run();
}
