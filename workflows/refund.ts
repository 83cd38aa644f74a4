import { patched } from '@temporalio/workflow';
import { PROTOCOL_PATCH, type RefundResult, type RefundWorkflowInput } from './refund.contract';
import { legacyRefundWorkflow } from './refund-legacy';
import { refundWorkflowV2 } from './refund-v2';

/**
 * One Buy with Prime refund, from REFUND_REQUESTED to a state that is no longer PENDING (docs/protocol.md).
 *
 * Running refunds keep replaying: every run started since the protocol shipped records PROTOCOL_PATCH and runs
 * refund-v2.ts; a history recorded before it has no marker, so it replays (and goes on) through refund-legacy.ts.
 * The rewrite was too deep for fine-grained patches; see docs/protocol.md "Running refunds" for the removal plan.
 */
export async function refundWorkflow(input: RefundWorkflowInput): Promise<RefundResult> {
  if (patched(PROTOCOL_PATCH)) return refundWorkflowV2(input);
  return legacyRefundWorkflow(input);
}
