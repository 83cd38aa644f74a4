import type { Logger } from '../../common/logger';
import { RefundRequest, type RefundSuccess, type StoreOrder } from '../../domain/schemas/store';
import { checkBaseOptions, exchange, type CallOptions } from './http';
import { classifyRefundResponse, classifyStoreOrderResponse, type Outcome } from './outcome';

export interface RefundClientOptions {
  /** Base URL of the store API, e.g. https://store.example.com/api (REFUND_API_URL); `/refund` is appended. */
  url: string;
  /** Sent as `X-Access-Token`; never logged. */
  token: string;
  timeoutMs: number;
  logger?: Logger;
}

/** The merchant's store API: `POST /refund` moves money, `GET /orders/:id` reads the order it would move it on. */
export interface RefundClient {
  /**
   * Submits a refund. `req.id` is the idempotency key: resend the same request with the same key on `throttled` and
   * `unknown`, never after `rejected` IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH. Throws only when `req` is malformed.
   */
  submitRefund(req: RefundRequest, opts?: CallOptions): Promise<Outcome<RefundSuccess>>;
  /** The store's order, or null when the store answers 404 UNKNOWN_ORDER. */
  getStoreOrder(orderId: string, opts?: CallOptions): Promise<Outcome<StoreOrder | null>>;
}

export function createRefundClient(options: RefundClientOptions): RefundClient {
  checkBaseOptions('createRefundClient', options);
  const { token, timeoutMs } = options;
  const base = options.url.replace(/\/+$/, '');
  const logger = options.logger?.child({ client: 'store-refund' });
  const headers = { accept: 'application/json', 'x-access-token': token };

  return {
    async submitRefund(req, opts = {}) {
      // A malformed request is our bug, not an answer of the store: fail loudly before anything is sent.
      const body = RefundRequest.parse(req);
      return exchange(
        {
          method: 'POST',
          url: `${base}/refund`,
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          timeoutMs,
          signal: opts.signal,
        },
        classifyRefundResponse,
        logger,
        { idempotencyKey: body.id, storeOrderId: body.order },
      );
    },

    async getStoreOrder(orderId, opts = {}) {
      if (typeof orderId !== 'string' || orderId === '') throw new TypeError('getStoreOrder: orderId is required');
      return exchange(
        {
          method: 'GET',
          url: `${base}/orders/${encodeURIComponent(orderId)}`,
          headers,
          timeoutMs,
          signal: opts.signal,
        },
        classifyStoreOrderResponse,
        logger,
      );
    },
  };
}
