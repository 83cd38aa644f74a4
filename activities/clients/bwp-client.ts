import type { Logger } from '../../common/logger';
import { ALIAS_EXTERNAL_ID, type BwpOrder, UpdateOrderInput } from '../../domain/schemas/bwp';
import type { BwpTokenSource } from './bwp-token';
import { checkUrl, exchange, type CallOptions, type Classifier } from './http';
import { classifyBwpOrderQueryResponse, classifyBwpUpdateOrderResponse, UNAUTHORIZED, type Outcome } from './outcome';

export interface BwpClientOptions {
  /** The GraphQL endpoint, e.g. https://api.buywithprime.amazon.com/graphql (BWP_API_URL). */
  url: string;
  /** Access tokens from the token endpoint (one source per process, shared by every client and activity). */
  tokens: BwpTokenSource;
  /** Business product id, sent as `x-api-target-id`. */
  targetId: string;
  /** Sent as `x-api-version`, e.g. 2024-11-01. */
  apiVersion: string;
  timeoutMs: number;
  logger?: Logger;
}

export interface BwpClient {
  /** The order by BwP id, or null when BwP does not know it. */
  getOrder(orderId: string, opts?: CallOptions): Promise<Outcome<BwpOrder | null>>;
  /** The order whose `EXTERNAL_ID` alias is the store's order id, or null. */
  getOrderByExternalId(externalId: string, opts?: CallOptions): Promise<Outcome<BwpOrder | null>>;
  /** Reports refunds back; the order as it stands after the update. Throws only when `update` is malformed. */
  updateOrder(update: UpdateOrderInput, opts?: CallOptions): Promise<Outcome<BwpOrder>>;
}

const MONEY = '{ amount currencyCode }';
const ALIASES = 'aliases { aliasType aliasId }';

/**
 * Every field of the published Order (sandbox/bwp/schema.graphql, transcribed from the 2024-11-01 reference) that
 * domain/schemas/bwp.ts's BwpOrder reads, and no more, shared by the query and the mutation so both answers parse with
 * the same schema. test/clients/bwp-documents.test.ts validates every document against the schema with graphql-js.
 */
export const ORDER_FIELDS_FRAGMENT = `fragment OrderFields on Order {
  id
  ${ALIASES}
  lineItems {
    id
    ${ALIASES}
    amount { unit value }
    product { title price ${MONEY} }
    taxes { summary { collectableTaxAmount ${MONEY} } }
    discounts { summary { amount ${MONEY} } details { amount ${MONEY} } }
  }
  discounts { summary { amount ${MONEY} } details { amount ${MONEY} } }
  refunds {
    details {
      id
      ${ALIASES}
      createdAt
      updatedAt
      state
      refundRequestReason
      refundStatusReason
      refundTotal { totalAmount ${MONEY} }
      paymentDetails { id amount ${MONEY} paymentMethod { type displayString } state }
      refundFor { orderLineItems { lineItem { id } amount { unit value } } }
    }
  }
}`;

/** `order(orderIdentifier:)`: the only argument since 2024-01-01 (BWP:order-queries-order). */
export const ORDER_QUERY = `query Order($orderIdentifier: OrderIdentifierInput!) {
  order(orderIdentifier: $orderIdentifier) { ...OrderFields }
}
${ORDER_FIELDS_FRAGMENT}`;

/** `updateOrder(orderIdentifier:, input:)` (BWP:order-mutations-updateorder). */
export const UPDATE_ORDER_MUTATION = `mutation UpdateOrder($orderIdentifier: OrderIdentifierInput!, $input: UpdateOrderInput!) {
  updateOrder(orderIdentifier: $orderIdentifier, input: $input) { order { ...OrderFields } }
}
${ORDER_FIELDS_FRAGMENT}`;

export function createBwpClient(options: BwpClientOptions): BwpClient {
  checkUrl('createBwpClient', options.url, options.timeoutMs);
  if (!options.targetId) throw new TypeError('createBwpClient: targetId is required');
  if (!options.apiVersion) throw new TypeError('createBwpClient: apiVersion is required');
  const { url, timeoutMs, tokens } = options;
  const logger = options.logger?.child({ client: 'bwp' });
  const headers = {
    accept: 'application/json',
    'content-type': 'application/json',
    'x-api-target-id': options.targetId,
    'x-api-version': options.apiVersion,
  };

  /** One call with a valid token; a 401 hands the token back and tries once more with a fresh one. */
  async function call<T>(
    operation: string,
    query: string,
    variables: Record<string, unknown>,
    classify: Classifier<T>,
    opts: CallOptions,
    logFields: Record<string, unknown>,
  ): Promise<Outcome<T>> {
    const body = JSON.stringify({ query, variables });
    let outcome: Outcome<T> | undefined;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const token = await tokens.token({ signal: opts.signal });
      if (token.kind !== 'success') return token;
      outcome = await exchange(
        {
          method: 'POST',
          url,
          headers: { ...headers, authorization: `Bearer ${token.value}` },
          body,
          timeoutMs,
          signal: opts.signal,
        },
        classify,
        logger,
        { operation, ...logFields },
      );
      if (!(outcome.kind === 'rejected' && outcome.code === UNAUTHORIZED && outcome.status === 401)) return outcome;
      tokens.invalidate(token.value);
    }
    return outcome!;
  }

  const readOrder = (orderIdentifier: Record<string, unknown>, opts: CallOptions, logFields: Record<string, unknown>) =>
    call('order', ORDER_QUERY, { orderIdentifier }, classifyBwpOrderQueryResponse, opts, logFields);

  return {
    async getOrder(orderId, opts = {}) {
      requireId('getOrder', orderId);
      return readOrder({ orderId }, opts, { bwpOrderId: orderId });
    },

    async getOrderByExternalId(externalId, opts = {}) {
      requireId('getOrderByExternalId', externalId);
      return readOrder({ alias: { aliasType: ALIAS_EXTERNAL_ID, aliasId: externalId } }, opts, {
        storeOrderId: externalId,
      });
    },

    async updateOrder(update, opts = {}) {
      // A malformed report is our bug: fail before BwP sees it rather than turn it into a rejection to repair.
      const variables = UpdateOrderInput.parse(update);
      return call('updateOrder', UPDATE_ORDER_MUTATION, variables, classifyBwpUpdateOrderResponse, opts, {
        bwpOrderId: variables.orderIdentifier.orderId,
        refundIds: variables.input.refunds.details.map((r) => r.id),
      });
    },
  };
}

function requireId(method: string, id: string): void {
  if (typeof id !== 'string' || id === '') throw new TypeError(`${method}: an id is required`);
}
