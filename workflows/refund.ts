import { deprecatePatch } from '@temporalio/workflow';
import { PROTOCOL_PATCH, type RefundResult, type RefundWorkflowInput } from './refund.contract';
import { refundWorkflowV2 } from './refund-v2';

/**
 * One Buy with Prime refund, from REFUND_REQUESTED to a state that is no longer PENDING (docs/protocol.md).
 *
 * The pre-protocol implementation is gone (never released: see CHANGELOG.md). The protocol's marker is kept as a
 * deprecated patch so that the saved protocol histories, which carry it, keep replaying.
 */
export async function refundWorkflow(input: RefundWorkflowInput): Promise<RefundResult> {
  deprecatePatch(PROTOCOL_PATCH);
  return refundWorkflowV2(input);
}
