import { BwpOrder } from '../../domain/schemas/bwp';
import { PURPLE_DOT_API_PREFIX, PURPLE_DOT_TOKEN_HEADER, StoreOrder } from '../../domain/schemas/store';
import { createSandbox, type Sandbox, type SandboxOptions } from '../../sandbox';
import assert from 'node:assert/strict';
import { loadFixture, uniqueFixture, type Fixture } from '../../sandbox/fixtures';

/** Shared by the sandbox contract tests: a sandbox on free ports, and thin HTTP calls that show status and body. */

export const CLIENT_ID = 'test-bwp-client-id';
export const CLIENT_SECRET = 'test-bwp-client-secret';
export const REFUND_TOKEN = 'test-refund-token';
export const STORE_ORDER_TOKEN = 'test-store-order-token';
export const BUSINESS_PRODUCT = 'test-business-product';
export const API_VERSION = '2024-11-01';

export function startSandbox(opts: Partial<SandboxOptions> = {}): Promise<Sandbox> {
  return createSandbox({
    bwpClientId: CLIENT_ID,
    bwpClientSecret: CLIENT_SECRET,
    refundToken: REFUND_TOKEN,
    storeOrderToken: STORE_ORDER_TOKEN,
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
  /** Purple Dot answers only: the envelope's `data`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data?: any;
}

async function answer(res: Response): Promise<HttpAnswer> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

// ---- Buy with Prime ----

/** POST /token, form-encoded, with the given client authentication (Basic by default). */
export async function requestToken(
  sandbox: Sandbox,
  opts: {
    clientId?: string;
    clientSecret?: string;
    via?: 'basic' | 'body' | 'none';
    form?: Record<string, string>;
    contentType?: string;
  } = {},
): Promise<HttpAnswer> {
  const clientId = opts.clientId ?? CLIENT_ID;
  const clientSecret = opts.clientSecret ?? CLIENT_SECRET;
  const via = opts.via ?? 'basic';
  const form = new URLSearchParams({ grant_type: 'client_credentials', ...opts.form });
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/x-www-form-urlencoded' };
  if (via === 'basic') {
    // RFC 6749 §2.3.1: each part form-urlencoded, then joined and base64-encoded.
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
  } else if (via === 'body') {
    form.set('client_id', clientId);
    form.set('client_secret', clientSecret);
  }
  return answer(await fetch(sandbox.bwpTokenUrl, { method: 'POST', headers, body: form.toString() }));
}

const tokens = new WeakMap<Sandbox, string>();

/** A valid access token for the sandbox (one token per sandbox, asked once). */
export async function accessToken(sandbox: Sandbox): Promise<string> {
  const cached = tokens.get(sandbox);
  if (cached && sandbox.state.bwp.tokens.check(cached) === 'valid') return cached;
  const res = await requestToken(sandbox);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  tokens.set(sandbox, res.body.access_token as string);
  return res.body.access_token as string;
}

export function bwpHeaders(token: string, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const headers: Record<string, string | undefined> = {
    'content-type': 'application/json',
    authorization: `Bearer ${token}`,
    'x-api-target-id': BUSINESS_PRODUCT,
    'x-api-version': API_VERSION,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined));
}

/** POST /graphql with a valid token and the documented headers (each may be overridden or, as undefined, left out). */
export async function gql(
  sandbox: Sandbox,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string | undefined> = {},
): Promise<HttpAnswer> {
  const token = 'authorization' in headers ? '' : await accessToken(sandbox);
  const res = await fetch(sandbox.bwpUrl, {
    method: 'POST',
    headers: bwpHeaders(token, headers),
    body: JSON.stringify({ query, variables }),
  });
  return answer(res);
}

/** The BwP order as the order query answers it, checked against the shared schema. */
export async function bwpOrderOf(sandbox: Sandbox, orderId: string): Promise<BwpOrder> {
  const res = await gql(sandbox, ORDER_BY_ID, { orderId });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return BwpOrder.parse(res.body.data.order);
}

/** Every field of schema.graphql's Order (a refund's lines by id only), so a query returns the whole stored order. */
export const ORDER_FIELDS = `
  id
  aliases { aliasType aliasId }
  discounts { summary { amount { amount currencyCode } displayString } details { amount { amount currencyCode } couponCode displayString aliases { aliasType aliasId } } }
  taxes { summary { collectableTaxAmount { amount currencyCode } } }
  lineItems {
    id
    aliases { aliasType aliasId }
    amount { unit value }
    createdAt
    product { title price { amount currencyCode } }
    taxes { summary { collectableTaxAmount { amount currencyCode } } }
    discounts { summary { amount { amount currencyCode } displayString } details { amount { amount currencyCode } couponCode } }
  }
  refunds {
    summary { refundTotal { totalAmount { amount currencyCode } } }
    details {
      id
      aliases { aliasType aliasId }
      createdAt
      updatedAt
      state
      refundRequestReason
      refundStatusReason
      refundTotal { totalAmount { amount currencyCode } }
      paymentDetails { id amount { amount currencyCode } paymentMethod { type displayString } state createdAt updatedAt aliases { aliasType aliasId } }
      refundFor { orderLineItems { lineItem { id } amount { unit value } } }
    }
  }
`;

export const ORDER_BY_ID = `query OrderById($orderId: ID!) {
  order(orderIdentifier: { orderId: $orderId }) { ${ORDER_FIELDS} }
}`;

export const UPDATE_ORDER = `mutation UpdateOrder($orderIdentifier: OrderIdentifierInput!, $input: UpdateOrderInput!) {
  updateOrder(orderIdentifier: $orderIdentifier, input: $input) { order { ${ORDER_FIELDS} } }
}`;

/** updateOrder on an order by id with these refund details. */
export function report(sandbox: Sandbox, orderId: string, details: Record<string, unknown>[]): Promise<HttpAnswer> {
  return gql(sandbox, UPDATE_ORDER, { orderIdentifier: { orderId }, input: { refunds: { details } } });
}

export const usd = (amount: number) => ({ amount, currencyCode: 'USD' });

/** A payment as the service reports one (PaymentDetailsInput). */
export const payment = (amount: number, id?: string) => ({
  ...(id ? { id } : {}),
  amount: usd(amount),
  paymentMethod: { type: 'AMAZON_PAY', displayString: 'Amazon Pay' },
  state: 'SUCCESS',
});

/** A refund update as the service reports one: cumulative total, this update's delta. */
export function refundUpdate(
  id: string | undefined,
  fields: { state?: string; total: number; delta?: number[]; [k: string]: unknown },
): Record<string, unknown> {
  const { state, total, delta, ...rest } = fields;
  return {
    ...(id === undefined ? {} : { id }),
    ...(state === undefined ? {} : { state }),
    refundTotal: { totalAmount: usd(total) },
    ...(delta ? { paymentDetails: delta.map((a, i) => payment(a, `payment-${i + 1}-${a}`)) } : {}),
    ...rest,
  };
}

/** A copy without null-valued keys (a query returns null for every selected field the order does not hold). */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => [k, withoutNulls(v)]),
    );
  }
  return value;
}

// ---- Purple Dot and the merchant's order endpoint ----

export const REFUND_PATH = `${PURPLE_DOT_API_PREFIX}/refund`;

/** POST /admin/api/v1/refund with X-Purple-Dot-Access-Token; `data` is the envelope's data. */
export async function postRefund(
  sandbox: Sandbox,
  body: unknown,
  opts: { token?: string | null; signal?: AbortSignal; path?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
  if (opts.token !== null) headers[PURPLE_DOT_TOKEN_HEADER] = opts.token ?? REFUND_TOKEN;
  const res = await fetch(`${sandbox.storeUrl}${opts.path ?? REFUND_PATH}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: opts.signal,
  });
  const read = await answer(res);
  return { ...read, data: read.body?.data };
}

/** GET /merchant/orders/:id (the merchant's own endpoint, not Purple Dot's) with a bearer token. */
export async function getStoreOrder(
  sandbox: Sandbox,
  id: string,
  token: string | null = STORE_ORDER_TOKEN,
): Promise<HttpAnswer> {
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  return answer(await fetch(`${sandbox.storeOrderUrl}/${encodeURIComponent(id)}`, { headers }));
}

/** The store order as the merchant's endpoint answers it, checked against the shared schema. */
export async function storeOrderOf(sandbox: Sandbox, id: string): Promise<StoreOrder> {
  const res = await getStoreOrder(sandbox, id);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return StoreOrder.parse(res.body);
}

// ---- admin ----

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
