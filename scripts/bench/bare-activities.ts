/** No-op twins of the refund activities, by the same names (the bare workflow's; scripts/bench/bare-workflows.ts). */
export function createBareActivities() {
  return {
    fetchRefundContext: async (_input: { orderId: string }) => ({ ok: true }),
    checkRefundState: async (_input: { orderId: string; refundId: string }) => 'SUCCESS',
    submitRefundAttempt: async (_input: { request: { id: string } }) => ({ kind: 'refunded' }),
    reportToBwp: async (_input: { orderId: string }) => 'SUCCESS',
  };
}
export type BareActivities = ReturnType<typeof createBareActivities>;
