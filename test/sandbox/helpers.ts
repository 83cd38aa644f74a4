import { BwpOrder } from '../../domain/schemas/bwp';
import { StoreOrder } from '../../domain/schemas/store';
import { createSandbox, type Sandbox, type SandboxOptions } from '../../sandbox';
import assert from 'node:assert/strict';
import { loadFixture, uniqueFixture, type Fixture } from '../../sandbox/fixtures';

/** Shared by the sandbox contract tests: a sandbox on free ports, and thin HTTP calls that show status and body. */

export const BWP_TOKEN = 'test-bwp-token';
export const REFUND_TOKEN = 'test-refund-token';
export const BUSINESS_PRODUCT = 'test-business-product';
export const API_VERSION = '2024-11-01';

export function startSandbox(opts: Partial<SandboxOptions> = {}): Promise<Sandbox> {
  return createSandbox({
    bwpToken: BWP_TOKEN,
    refundToken: REFUND_TOKEN,
    businessProductId: BUSINESS_PRODUCT,
    bwpPort: 0,
    storePort: 0,
    ...opts,
  });
}

/** Seeds a fresh copy of a fixture (unique ids) and returns it. */
export async function seedScenario(sandbox: Sandbox, name: string): Promise<Fixture> {
  const fixture = uniqueFixture(loadFixture(name), { businessProductId: sandbox.businessProductId });
  await sandbox.seed(fixture);
  return fixture;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** JSON off the wire, read loosely on purpose: each test asserts the shape it expects. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

async function answer(res: Response): Promise<HttpAnswer> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

export function bwpHeaders(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const headers: Record<string, string | undefined> = {
    'content-type': 'application/json',
    authorization: `Bearer ${BWP_TOKEN}`,
    'x-api-target-id': BUSINESS_PRODUCT,
    'x-api-version': API_VERSION,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined));
}

export async function gql(
  sandbox: Sandbox,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string | undefined> = {},
): Promise<HttpAnswer> {
  const res = await fetch(sandbox.bwpUrl, {
    method: 'POST',
    headers: bwpHeaders(headers),
    body: JSON.stringify({ query, variables }),
  });
  return answer(res);
}

export async function postRefund(
  sandbox: Sandbox,
  body: unknown,
  opts: { token?: string | null; signal?: AbortSignal } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.token !== null) headers['x-access-token'] = opts.token ?? REFUND_TOKEN;
  const res = await fetch(`${sandbox.storeUrl}/refund`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: opts.signal,
  });
  return answer(res);
}

export async function getStoreOrder(sandbox: Sandbox, id: string, token = REFUND_TOKEN): Promise<HttpAnswer> {
  return answer(
    await fetch(`${sandbox.storeUrl}/orders/${encodeURIComponent(id)}`, { headers: { 'x-access-token': token } }),
  );
}

/** The store order as GET /orders/:id answers it, checked against the shared schema. */
export async function storeOrderOf(sandbox: Sandbox, id: string): Promise<StoreOrder> {
  const res = await getStoreOrder(sandbox, id);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return StoreOrder.parse(res.body);
}

/** The BwP order as the order query answers it, checked against the shared schema. */
export async function bwpOrderOf(sandbox: Sandbox, orderId: string): Promise<BwpOrder> {
  const res = await gql(sandbox, ORDER_BY_ID, { orderId });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return BwpOrder.parse(res.body.data.order);
}

export async function adminPost(adminUrl: string, path: string, body: unknown = {}): Promise<HttpAnswer> {
  const res = await fetch(`${adminUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return answer(res);
}

export async function adminGet(adminUrl: string, path: string): Promise<HttpAnswer> {
  return answer(await fetch(`${adminUrl}${path}`));
}

/** Every field of schema.graphql's Order, so a query returns the whole order. */
export const ORDER_FIELDS = `
  id
  aliases { aliasType aliasId }
  lineItems {
    id
    aliases { aliasType aliasId }
    amount
    product { title sku price { amount currencyCode } }
    taxes { amount { amount currencyCode } }
    discounts { amount { amount currencyCode } }
  }
  shipping { amount { amount currencyCode } tax { amount currencyCode } }
  discounts { amount { amount currencyCode } }
  totals { grandTotal { amount currencyCode } }
  refunds {
    details {
      id
      aliases { aliasType aliasId }
      createdAt
      updatedAt
      state
      refundRequestReason
      refundStatusReason
      refundTotal { totalAmount { amount currencyCode } }
      paymentDetails { amount { amount currencyCode } }
      refundFor {
        orderLineItems { lineItem { id } amount refundAmount { amount currencyCode } }
        shipping
      }
    }
  }
`;

export const ORDER_BY_ID = `query OrderById($orderId: ID!) { order(orderId: $orderId) { ${ORDER_FIELDS} } }`;

export const UPDATE_ORDER = `mutation Report($input: UpdateOrderInput!) {
  updateOrder(input: $input) { order { ${ORDER_FIELDS} } }
}`;

export const usd = (amount: number) => ({ amount, currencyCode: 'USD' });

/** A refund update as the service reports one: cumulative total, this update's delta. */
export function refundUpdate(
  id: string | undefined,
  fields: { state: string; total: number; delta?: number[]; [k: string]: unknown },
): Record<string, unknown> {
  const { state, total, delta, ...rest } = fields;
  return {
    ...(id === undefined ? {} : { id }),
    state,
    refundTotal: { totalAmount: usd(total) },
    ...(delta ? { paymentDetails: delta.map((a) => ({ amount: usd(a) })) } : {}),
    ...rest,
  };
}
