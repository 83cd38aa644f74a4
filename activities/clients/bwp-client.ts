import type { Logger } from '../../common/logger';
import { ALIAS_EXTERNAL_ID, type BwpOrder, UpdateOrderInput } from '../../domain/schemas/bwp';
import { checkBaseOptions, exchange, type CallOptions, type Classifier } from './http';
import { classifyBwpOrderQueryResponse, classifyBwpUpdateOrderResponse, type Outcome } from './outcome';

export interface BwpClientOptions {
  /** The GraphQL endpoint, e.g. https://api.buywithprime.amazon.com/graphql (BWP_API_URL). */
  url: string;
  /** Bearer token; never logged. */
  token: string;
  /** Business product id, sent as `x-api-target-id`. */
  targetId: string;
  /** Sent as `x-api-version`, e.g. 2024-11-01. */
  apiVersion: string;
  timeoutMs: number;
  /**
   * Read and report a money amount per refunded line (`refundAmount`). Off by default: Buy with Prime's published
   * schema has no such field, so the per-SKU split stays in our plan and audit trail, and BwP receives quantities, the
   * total and the delta only. The sandbox models the field (BWP_PER_LINE_AMOUNTS=true, on by itself under npm start).
   */
  perLineAmounts?: boolean;
  logger?: Logger;
}

export interface BwpClient {
  /** The order by BwP id, or null when BwP does not know it. */
  getOrder(orderId: string, opts?: CallOptions): Promise<Outcome<BwpOrder | null>>;
  /** The order whose `EXTERNAL_ID` alias is the store's order id, or null. */
  getOrderByExternalId(externalId: string, opts?: CallOptions): Promise<Outcome<BwpOrder | null>>;
  /** Reports refunds back; the order as it stands after the update. Throws only when `input` is malformed. */
  updateOrder(input: UpdateOrderInput, opts?: CallOptions): Promise<Outcome<BwpOrder>>;
}

const AMOUNT = '{ amount currencyCode }';
const ALIASES = 'aliases { aliasType aliasId }';

/**
 * Every field of sandbox/bwp/schema.graphql's Order that domain/schemas/bwp.ts's BwpOrder reads, and no more, shared by
 * the query and the mutation so both answers parse with the same schema. A test checks it against both files.
 */
export const ORDER_FIELDS_FRAGMENT = `fragment OrderFields on Order {
  id
  ${ALIASES}
  lineItems {
    id
    ${ALIASES}
    amount
    product { title sku price ${AMOUNT} }
    taxes { amount ${AMOUNT} }
    discounts { amount ${AMOUNT} }
  }
  shipping { amount ${AMOUNT} tax ${AMOUNT} }
  discounts { amount ${AMOUNT} }
  totals { grandTotal ${AMOUNT} }
  refunds {
    details {
      id
      ${ALIASES}
      createdAt
      updatedAt
      state
      refundRequestReason
      refundStatusReason
      refundTotal { totalAmount ${AMOUNT} }
      paymentDetails { amount ${AMOUNT} }
      refundFor {
        orderLineItems { lineItem { id } amount refundAmount ${AMOUNT} }
        shipping
      }
    }
  }
}`;

/** One document for both lookups: by `orderId` or by `orderIdentifier`, never both (BwP's rule). */
export const ORDER_QUERY = `query Order($orderId: ID, $orderIdentifier: OrderIdentifierInput) {
  order(orderId: $orderId, orderIdentifier: $orderIdentifier) { ...OrderFields }
}
${ORDER_FIELDS_FRAGMENT}`;

export const UPDATE_ORDER_MUTATION = `mutation UpdateOrder($input: UpdateOrderInput!) {
  updateOrder(input: $input) { order { ...OrderFields } }
}
${ORDER_FIELDS_FRAGMENT}`;

const WITHOUT_LINE_AMOUNTS = (document: string) => document.replace(` refundAmount ${AMOUNT}`, '');

export function createBwpClient(options: BwpClientOptions): BwpClient {
  checkBaseOptions('createBwpClient', options);
  if (!options.targetId) throw new TypeError('createBwpClient: targetId is required');
  if (!options.apiVersion) throw new TypeError('createBwpClient: apiVersion is required');
  const { url, timeoutMs } = options;
  const perLineAmounts = options.perLineAmounts ?? false;
  const orderQuery = perLineAmounts ? ORDER_QUERY : WITHOUT_LINE_AMOUNTS(ORDER_QUERY);
  const updateMutation = perLineAmounts ? UPDATE_ORDER_MUTATION : WITHOUT_LINE_AMOUNTS(UPDATE_ORDER_MUTATION);
  const logger = options.logger?.child({ client: 'bwp' });
  const headers = {
    accept: 'application/json',
    'content-type': 'application/json',
    authorization: `Bearer ${options.token}`,
    'x-api-target-id': options.targetId,
    'x-api-version': options.apiVersion,
  };

  function call<T>(
    operation: string,
    query: string,
    variables: Record<string, unknown>,
    classify: Classifier<T>,
    opts: CallOptions,
    logFields: Record<string, unknown>,
  ): Promise<Outcome<T>> {
    return exchange(
      { method: 'POST', url, headers, body: JSON.stringify({ query, variables }), timeoutMs, signal: opts.signal },
      classify,
      logger,
      { operation, ...logFields },
    );
  }

  return {
    async getOrder(orderId, opts = {}) {
      requireId('getOrder', orderId);
      return call('order', orderQuery, { orderId }, classifyBwpOrderQueryResponse, opts, { bwpOrderId: orderId });
    },

    async getOrderByExternalId(externalId, opts = {}) {
      requireId('getOrderByExternalId', externalId);
      const orderIdentifier = { alias: { aliasType: ALIAS_EXTERNAL_ID, aliasId: externalId } };
      return call('order', orderQuery, { orderIdentifier }, classifyBwpOrderQueryResponse, opts, {
        storeOrderId: externalId,
      });
    },

    async updateOrder(input, opts = {}) {
      // A malformed report is our bug: fail before BwP sees it rather than turn it into a rejection to repair.
      const parsed = UpdateOrderInput.parse(input);
      if (!perLineAmounts) {
        for (const refund of parsed.refunds)
          for (const line of refund.refundFor?.orderLineItems ?? []) delete line.refundAmount;
      }
      return call('updateOrder', updateMutation, { input: parsed }, classifyBwpUpdateOrderResponse, opts, {
        bwpOrderId: parsed.orderId,
        refundIds: parsed.refunds.map((r) => r.id),
      });
    },
  };
}

function requireId(method: string, id: string): void {
  if (typeof id !== 'string' || id === '') throw new TypeError(`${method}: an id is required`);
}
