import type { Config } from '../../common/config';
import type { Logger } from '../../common/logger';
import { createBwpClient, type BwpClient } from './bwp-client';
import { createRefundClient, type RefundClient } from './refund-client';

export * from './outcome';
export type { CallOptions } from './http';
export {
  createBwpClient,
  ORDER_FIELDS_FRAGMENT,
  ORDER_QUERY,
  UPDATE_ORDER_MUTATION,
  type BwpClient,
  type BwpClientOptions,
} from './bwp-client';
export { createRefundClient, type RefundClient, type RefundClientOptions } from './refund-client';

/** The clients the activities are built over (`createActivities({ bwp, refunds, log })`). */
export interface Clients {
  bwp: BwpClient;
  refunds: RefundClient;
}

/** Production wiring: both clients from the parsed config. Tokens go from config into headers only, never into logs. */
export function createClientsFromConfig(config: Config, logger: Logger): Clients {
  return {
    bwp: createBwpClient({
      url: config.BWP_API_URL,
      token: config.BWP_API_TOKEN,
      targetId: config.BWP_TARGET_ID,
      apiVersion: config.BWP_API_VERSION,
      timeoutMs: config.BWP_TIMEOUT_MS,
      perLineAmounts: config.BWP_PER_LINE_AMOUNTS ?? false,
      logger,
    }),
    refunds: createRefundClient({
      url: config.REFUND_API_URL,
      token: config.REFUND_API_TOKEN,
      timeoutMs: config.REFUND_TIMEOUT_MS,
      logger,
    }),
  };
}
