import type { Logger } from '../../common/logger';
import type { StoreOrder } from '../../domain/schemas/store';
import { checkUrl, exchange, type CallOptions } from './http';
import { classifyStoreOrderResponse, type Outcome } from './outcome';

export interface StoreOrderClientOptions {
  /** STORE_ORDER_URL: `GET <url>/<store order id>` answers the order's facts (docs/domain.md, "What the store publishes"). */
  url: string;
  /** STORE_ORDER_TOKEN, sent as a bearer token when set; never logged. */
  token?: string;
  timeoutMs: number;
  logger?: Logger;
}

/**
 * The store order's facts (lines, quantities, prices, tax and shipping refunded, pre-orders) from an endpoint of the
 * merchant's own: Purple Dot documents no read of an order by its external id, so the service reads one only when
 * STORE_ORDER_URL names such an endpoint (off by default; docs/domain.md says which rules then rest on Buy with Prime's
 * data and the store's own refusals).
 */
export interface StoreOrderClient {
  /** The store's order, or null when the endpoint answers 404. */
  getStoreOrder(orderId: string, opts?: CallOptions): Promise<Outcome<StoreOrder | null>>;
}

export function createStoreOrderClient(options: StoreOrderClientOptions): StoreOrderClient {
  checkUrl('createStoreOrderClient', options.url, options.timeoutMs);
  const base = options.url.replace(/\/+$/, '');
  const logger = options.logger?.child({ client: 'store-order' });
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
  };
  return {
    async getStoreOrder(orderId, opts = {}) {
      if (typeof orderId !== 'string' || orderId === '') throw new TypeError('getStoreOrder: orderId is required');
      return exchange(
        {
          method: 'GET',
          url: `${base}/${encodeURIComponent(orderId)}`,
          headers,
          timeoutMs: options.timeoutMs,
          signal: opts.signal,
        },
        classifyStoreOrderResponse,
        logger,
        { storeOrderId: orderId },
      );
    },
  };
}
