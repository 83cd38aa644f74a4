import type { Config } from '../common/config';
import type { RefundTiming } from '../workflows/refund.contract';

/**
 * The worker's timing, from its config: activity timeouts (above the clients' own timeouts, so a slow answer is
 * classified rather than cut off), waits and bounds. Handed to each refund workflow with every read of the order, so a
 * change of config reaches running refunds and nothing is frozen into a workflow's input.
 */
export function timingFromConfig(config: Config): Partial<RefundTiming> {
  return {
    recheckInitialMs: config.RECHECK_INITIAL_SECONDS * 1000,
    recheckMaxMs: config.RECHECK_MAX_SECONDS * 1000,
    attentionAfterMs: config.REPAIR_ATTENTION_AFTER_HOURS * 3600_000,
    lookupTimeoutMs: 2 * config.BWP_TIMEOUT_MS + config.REFUND_TIMEOUT_MS + 5_000,
    submitTimeoutMs: config.REFUND_TIMEOUT_MS + 5_000,
    submitAttentionAfterMs: config.SUBMIT_ATTENTION_AFTER_MINUTES * 60_000,
    settleAttentionAfterMs: config.SETTLEMENT_ATTENTION_AFTER_HOURS * 3600_000,
    unknownOutcomeRetries: config.UNKNOWN_OUTCOME_RETRIES,
  };
}
