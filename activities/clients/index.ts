import { bwpTokenUrl, type Config } from '../../common/config';
import type { Logger } from '../../common/logger';
import { createBwpClient, type BwpClient } from './bwp-client';
import { createBwpTokenSource, type BwpTokenSource } from './bwp-token';
import { createRefundClient, type RefundClient } from './refund-client';
import { createStoreOrderClient, type StoreOrderClient } from './store-order-client';

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
export { createBwpTokenSource, type BwpTokenSource, type BwpTokenSourceOptions } from './bwp-token';
export { createRefundClient, refundEndpoint, type RefundClient, type RefundClientOptions } from './refund-client';
export { createStoreOrderClient, type StoreOrderClient, type StoreOrderClientOptions } from './store-order-client';

/** The clients the activities are built over (`createActivities({ bwp, refunds, storeOrders, log })`). */
export interface Clients {
  bwp: BwpClient;
  refunds: RefundClient;
  /** Absent when STORE_ORDER_URL is not set: the store order is not read. */
  storeOrders?: StoreOrderClient;
  /** The process's one token source (its request count is a metric). */
  tokens: BwpTokenSource;
}

/** Production wiring from the parsed config. Credentials go from config into headers only, never into logs. */
export function createClientsFromConfig(config: Config, logger: Logger): Clients {
  const tokens = createBwpTokenSource({
    url: bwpTokenUrl(config),
    clientId: config.BWP_CLIENT_ID,
    clientSecret: config.BWP_CLIENT_SECRET,
    timeoutMs: config.BWP_TIMEOUT_MS,
    logger,
  });
  return {
    tokens,
    bwp: createBwpClient({
      url: config.BWP_API_URL,
      tokens,
      targetId: config.BWP_TARGET_ID,
      apiVersion: config.BWP_API_VERSION,
      timeoutMs: config.BWP_TIMEOUT_MS,
      logger,
    }),
    refunds: createRefundClient({
      url: config.REFUND_API_URL,
      token: config.REFUND_API_TOKEN,
      timeoutMs: config.REFUND_TIMEOUT_MS,
      logger,
    }),
    ...(config.STORE_ORDER_URL
      ? {
          storeOrders: createStoreOrderClient({
            url: config.STORE_ORDER_URL,
            token: config.STORE_ORDER_TOKEN,
            timeoutMs: config.REFUND_TIMEOUT_MS,
            logger,
          }),
        }
      : {}),
  };
}
