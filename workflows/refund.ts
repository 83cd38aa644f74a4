import { type RefundResult, type RefundWorkflowInput } from './refund.contract';
import { refundWorkflowV2 } from './refund-v2';

/** One Buy with Prime refund, from REFUND_REQUESTED to a state that is no longer PENDING (docs/protocol.md). */
export async function refundWorkflow(input: RefundWorkflowInput): Promise<RefundResult> {
  return refundWorkflowV2(input);
}
