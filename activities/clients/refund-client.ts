import type { Logger } from '../../common/logger';
import {
  PURPLE_DOT_API_PREFIX,
  PURPLE_DOT_TOKEN_HEADER,
  RefundRequest,
  type RefundSuccess,
} from '../../domain/schemas/store';
import { checkToken, checkUrl, exchange, type CallOptions } from './http';
import { classifyRefundResponse, type Outcome } from './outcome';

export interface RefundClientOptions {
  /**
   * The store platform's base URL as a merchant copies it (REFUND_API_URL), e.g. https://www.purpledotprice.com: every
   * Purple Dot endpoint lives under /admin/api/v1/, which the client appends.
   */
  url: string;
  /** The store's private access token, sent as X-Purple-Dot-Access-Token; never logged. */
  token: string;
  timeoutMs: number;
  logger?: Logger;
}

/** The store's refund endpoint: Purple Dot's `POST /admin/api/v1/refund` (docs/domain.md). */
export interface RefundClient {
  /**
   * Submits a refund. `req.id` is the idempotency key: resend the same request with the same key on `throttled` and
   * `unknown`, never after `rejected` IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH. Throws only when `req` is malformed.
   */
  submitRefund(req: RefundRequest, opts?: CallOptions): Promise<Outcome<RefundSuccess>>;
}

/** `POST <base>/admin/api/v1/refund`, whatever trailing slash the base URL was given with. */
export function refundEndpoint(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${PURPLE_DOT_API_PREFIX}/refund`;
}

export function createRefundClient(options: RefundClientOptions): RefundClient {
  checkUrl('createRefundClient', options.url, options.timeoutMs);
  checkToken('createRefundClient', options.token);
  const url = refundEndpoint(options.url);
  const logger = options.logger?.child({ client: 'store-refund' });
  const headers = {
    accept: 'application/json',
    'content-type': 'application/json',
    [PURPLE_DOT_TOKEN_HEADER]: options.token,
  };

  return {
    async submitRefund(req, opts = {}) {
      // A malformed request is our bug, not an answer of the store: fail loudly before anything is sent.
      const body = RefundRequest.parse(req);
      return exchange(
        { method: 'POST', url, headers, body: JSON.stringify(body), timeoutMs: options.timeoutMs, signal: opts.signal },
        classifyRefundResponse,
        logger,
        { idempotencyKey: body.id, storeOrderId: body.order },
      );
    },
  };
}
