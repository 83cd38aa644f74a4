import { BwpValidationReason } from '../../domain/schemas/bwp';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { buildSchema, graphql, Kind, parse, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import pino from 'pino';
import { z } from 'zod';
import {
  createBwpClient,
  ORDER_FIELDS_FRAGMENT,
  ORDER_QUERY,
  UPDATE_ORDER_MUTATION,
  type BwpClient,
} from '../../activities/clients';
import { BwpOrder, type UpdateOrderInput } from '../../domain/schemas/bwp';
import { bwpOrder, FakeTokens } from './fixtures';
import { captureLines, startStub, type RecordedRequest, type Reply, type StubServer } from './stub-server';

const TOKEN = 'bwp-secret-token-456';
const TARGET = 'bp-123';
const VERSION = '2024-11-01';
// Generous: under a loaded CI machine a healthy answer must never look like a timeout.
const TIMEOUT_MS = 1500;
const sdl = readFileSync(path.join(__dirname, '../../sandbox/bwp/schema.graphql'), 'utf8');
const schema = buildSchema(sdl);

const update: UpdateOrderInput = {
  orderIdentifier: { orderId: bwpOrder.id },
  input: {
    refunds: {
      details: [
        {
          id: 'refund-1',
          state: 'SUCCESS',
          refundTotal: { totalAmount: { amount: 13.5, currencyCode: 'USD' } },
          paymentDetails: [
            {
              id: 'store-refund-9',
              amount: { amount: 13.5, currencyCode: 'USD' },
              paymentMethod: { type: 'AMAZON_PAY', displayString: 'Amazon Pay' },
              state: 'SUCCESS',
            },
          ],
          refundFor: { orderLineItems: [{ lineItemId: { lineItemId: 'li-1' } }] },
          aliases: [{ aliasType: 'EXTERNAL_REFUND_ID', aliasId: 'store-refund-9' }],
        },
      ],
    },
  },
};

/** A GraphQL error as the sandbox (and our reading of the troubleshooting tables) puts it: an Error Type and Code. */
const gqlErrors = (errorType: string, errorCode?: string, status = 200, headers?: Record<string, string>): Reply => ({
  status,
  headers,
  body: {
    data: null,
    errors: [
      { message: `${errorType} from the stub`, extensions: errorCode ? { errorType, errorCode } : { errorType } },
    ],
  },
});

/**
 * Answers like a real GraphQL server over schema.graphql: the client's documents and variables are parsed, validated
 * and executed by graphql-js, so a field the schema lacks or a mistyped variable fails here as it would in production.
 */
async function executeForReal(req: RecordedRequest): Promise<Reply> {
  const { query, variables } = JSON.parse(req.body) as { query: string; variables: Record<string, unknown> };
  type Identifier = { orderId?: string; alias?: { aliasType: string; aliasId: string } };
  const find = (id: Identifier) =>
    id.orderId === bwpOrder.id || (id.alias?.aliasType === 'EXTERNAL_ID' && id.alias.aliasId === 'store-order-1')
      ? bwpOrder
      : null;
  const rootValue = {
    order: (args: { orderIdentifier: Identifier }) => find(args.orderIdentifier),
    updateOrder: (args: { orderIdentifier: Identifier; input: UpdateOrderInput['input'] }) => ({
      order: {
        ...find(args.orderIdentifier),
        refunds: {
          details: [{ ...bwpOrder.refunds.details[0]!, state: args.input.refunds.details[0]!.state }],
        },
      },
    }),
  };
  const result = await graphql({ schema, source: query, variableValues: variables, rootValue });
  return { status: result.data === undefined ? 400 : 200, body: result };
}

void describe('BwP client over real HTTP', () => {
  let stub: StubServer;
  let client: BwpClient;
  let tokens: FakeTokens;
  /** What the stub answers next; each test sets it. */
  let next: (req: RecordedRequest) => Reply | Promise<Reply>;

  before(async () => {
    stub = await startStub((req) => next(req));
    client = createBwpClient({
      url: `${stub.url}/graphql`,
      tokens: (tokens = new FakeTokens(TOKEN)),
      targetId: TARGET,
      apiVersion: VERSION,
      timeoutMs: TIMEOUT_MS,
    });
  });
  after(() => stub.close());
  beforeEach(() => {
    stub.requests.length = 0;
    tokens.current = TOKEN;
    tokens.invalidated.length = 0;
    next = executeForReal;
  });

  void it('reads an order by id with the bearer token, target id and API version', async () => {
    assert.deepEqual(await client.getOrder(bwpOrder.id), { kind: 'success', value: bwpOrder });
    const [sent] = stub.requests;
    assert.equal(sent?.method, 'POST');
    assert.equal(sent?.path, '/graphql');
    assert.equal(sent?.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(sent?.headers['x-api-target-id'], TARGET);
    assert.equal(sent?.headers['x-api-version'], VERSION);
    assert.match(String(sent?.headers['content-type']), /application\/json/);
    assert.deepEqual(JSON.parse(sent?.body ?? ''), {
      query: ORDER_QUERY,
      variables: { orderIdentifier: { orderId: bwpOrder.id } },
    });
  });

  void it("reads an order by the store's order id (EXTERNAL_ID alias), sending only the identifier", async () => {
    assert.deepEqual(await client.getOrderByExternalId('store-order-1'), { kind: 'success', value: bwpOrder });
    assert.deepEqual(JSON.parse(stub.requests[0]!.body).variables, {
      orderIdentifier: { alias: { aliasType: 'EXTERNAL_ID', aliasId: 'store-order-1' } },
    });
  });

  void it('returns null for an order BwP does not know', async () => {
    assert.deepEqual(await client.getOrder('no-such-order'), { kind: 'success', value: null });
    assert.deepEqual(await client.getOrderByExternalId('no-such-store-order'), { kind: 'success', value: null });
  });

  void it('reports refunds with updateOrder(orderIdentifier:, input:) and returns the order as it now stands', async () => {
    const outcome = await client.updateOrder(update);
    assert.equal(outcome.kind, 'success', JSON.stringify(outcome));
    assert.equal(outcome.kind === 'success' && outcome.value.refunds.details[0]?.state, 'SUCCESS');
    assert.deepEqual(JSON.parse(stub.requests[0]!.body), { query: UPDATE_ORDER_MUTATION, variables: update });
  });

  void it('a 401 hands the token back, gets a fresh one and tries once more', async () => {
    next = (req) =>
      req.headers.authorization === `Bearer ${TOKEN}`
        ? gqlErrors('AccessDeniedError', undefined, 401)
        : executeForReal(req);
    const outcome = await client.getOrder(bwpOrder.id);
    assert.equal(outcome.kind, 'success', JSON.stringify(outcome));
    assert.deepEqual(tokens.invalidated, [TOKEN]);
    assert.deepEqual(
      stub.requests.map((r) => r.headers.authorization),
      [`Bearer ${TOKEN}`, `Bearer ${TOKEN}-2`],
    );
  });

  void it('a second 401 is the answer: rejected UNAUTHORIZED after exactly two calls, no loop', async () => {
    next = () => gqlErrors('AccessDeniedError', undefined, 401);
    const outcome = await client.getOrder(bwpOrder.id);
    assert.equal(outcome.kind === 'rejected' && outcome.code, 'UNAUTHORIZED');
    assert.equal(stub.requests.length, 2);
  });

  void it('a 403 (access denied to this target) is not retried with another token', async () => {
    next = () => gqlErrors('AccessDeniedError', undefined, 403);
    assert.equal((await client.getOrder(bwpOrder.id)).kind, 'rejected');
    assert.equal(stub.requests.length, 1);
    assert.deepEqual(tokens.invalidated, []);
  });

  void it('a token the token endpoint would not give is the outcome, and nothing is sent', async () => {
    const refused = createBwpClient({
      url: `${stub.url}/graphql`,
      tokens: {
        token: async () => ({ kind: 'rejected', code: 'UNAUTHORIZED', message: 'invalid_client', status: 401 }),
        invalidate: () => {},
        requests: () => 1,
      },
      targetId: TARGET,
      apiVersion: VERSION,
      timeoutMs: TIMEOUT_MS,
    });
    assert.equal((await refused.getOrder(bwpOrder.id)).kind, 'rejected');
    assert.equal(stub.requests.length, 0);
  });

  const reasons = BwpValidationReason.options;
  for (const reason of reasons) {
    void it(`reports ValidationError ${reason} as a definitive rejection with that code`, async () => {
      next = () => gqlErrors('ValidationError', reason);
      assert.deepEqual(await client.updateOrder(update), {
        kind: 'rejected',
        code: reason,
        status: 200,
        message: `ValidationError/${reason}: ValidationError from the stub`,
      });
    });
  }

  void it('reports ThrottlingError in a 200 as throttled, with no delay of its own (the caller backs off)', async () => {
    next = () => gqlErrors('ThrottlingError');
    const outcome = await client.getOrder(bwpOrder.id);
    assert.equal(outcome.kind, 'throttled');
    assert.equal(outcome.kind === 'throttled' && outcome.retryAfterMs, undefined);
  });

  void it('reads the error type and code from extensions.code/reason too, and a documented code from the message', async () => {
    next = () => ({
      status: 200,
      body: {
        data: null,
        errors: [{ message: 'x', extensions: { code: 'ValidationError', reason: 'InvalidRefundId' } }],
      },
    });
    assert.equal((await client.updateOrder(update)).kind === 'rejected' && 'ok', 'ok');
    next = () => ({
      status: 200,
      body: { data: null, errors: [{ message: 'InvalidRefundStateTransition: SUCCESS cannot move to FAILURE' }] },
    });
    const outcome = await client.updateOrder(update);
    assert.equal(outcome.kind === 'rejected' && outcome.code, 'InvalidRefundStateTransition');
  });

  void it('reports ThrottlingError as 429 with Retry-After seconds as throttled for that long', async () => {
    next = () => gqlErrors('ThrottlingError', undefined, 429, { 'retry-after': '2' });
    const outcome = await client.updateOrder(update);
    assert.equal(outcome.kind === 'throttled' && outcome.retryAfterMs, 2_000);
  });

  void it('reports a 429 with a Retry-After HTTP-date as throttled until then', async () => {
    next = () =>
      gqlErrors('ThrottlingError', undefined, 429, { 'retry-after': new Date(Date.now() + 5_000).toUTCString() });
    const outcome = await client.getOrder(bwpOrder.id);
    const ms = outcome.kind === 'throttled' ? (outcome.retryAfterMs ?? -1) : -1;
    assert.ok(ms > 3_000 && ms <= 5_000, `retryAfterMs ${ms}`);
  });

  for (const status of [401, 403]) {
    void it(`reports ${status} AccessDeniedError as rejected UNAUTHORIZED`, async () => {
      next = () => gqlErrors('AccessDeniedError', undefined, status);
      const outcome = await client.getOrder(bwpOrder.id);
      assert.equal(outcome.kind === 'rejected' && outcome.code, 'UNAUTHORIZED');
    });
  }

  void it('gives up on a slow answer at the timeout and calls the outcome unknown', async () => {
    next = async (req) => ({ ...(await executeForReal(req)), delayMs: TIMEOUT_MS * 4 });
    const started = Date.now();
    const outcome = await client.updateOrder(update);
    assert.equal(outcome.kind, 'unknown');
    assert.match(outcome.kind === 'unknown' ? outcome.message : '', new RegExp(`timed out after ${TIMEOUT_MS} ms`));
    assert.ok(Date.now() - started < TIMEOUT_MS * 3);
  });

  void it('calls a connection reset unknown', async () => {
    next = () => ({ fault: 'reset' });
    assert.equal((await client.updateOrder(update)).kind, 'unknown');
  });

  void it('calls a 502 unknown', async () => {
    next = () => ({ status: 502, body: '<html>Bad Gateway</html>' });
    assert.deepEqual(await client.updateOrder(update), {
      kind: 'unknown',
      status: 502,
      message: 'Buy with Prime answered 502: <html>Bad Gateway</html>',
    });
  });

  void it('calls a 200 with a broken body unknown', async () => {
    next = () => ({ status: 200, body: '{"data":{"updateOrder":' });
    assert.equal((await client.updateOrder(update)).kind, 'unknown');
  });

  void it('calls an order that does not match BwpOrder unknown, naming the field', async () => {
    next = () => ({
      status: 200,
      body: { data: { order: { ...bwpOrder, lineItems: [{ ...bwpOrder.lineItems[0], amount: 2 }] } } },
    });
    const outcome = await client.getOrder(bwpOrder.id);
    assert.equal(outcome.kind, 'unknown');
    assert.match(outcome.kind === 'unknown' ? outcome.message : '', /order\.lineItems\.0\.amount/);
  });

  void it('throws on a malformed update and sends nothing', async () => {
    await assert.rejects(client.updateOrder({ ...update, input: { refunds: { details: [] } } }));
    await assert.rejects(client.updateOrder({ orderId: 'x', refunds: [] } as never));
    assert.equal(stub.requests.length, 0);
  });
});

void describe('BwP GraphQL documents', () => {
  void it('select exactly the fields BwpOrder reads', () => {
    const fragment = parse(ORDER_FIELDS_FRAGMENT).definitions[0] as FragmentDefinitionNode;
    assert.deepEqual(selectionTree(fragment.selectionSet), zodTree(BwpOrder));
  });
});

void describe('BwP client logging', () => {
  void it('logs the operation, path, status and outcome, and never the token', async () => {
    const stub = await startStub(executeForReal);
    const { lines, stream } = captureLines();
    try {
      const client = createBwpClient({
        url: `${stub.url}/graphql`,
        tokens: new FakeTokens(TOKEN),
        targetId: TARGET,
        apiVersion: VERSION,
        timeoutMs: 1_000,
        logger: pino({ level: 'debug' }, stream),
      });
      await client.getOrder(bwpOrder.id);
      await client.updateOrder(update);
    } finally {
      await stub.close();
    }
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      logged.map((l) => [l.client, l.operation, l.method, l.path, l.status, l.outcome]),
      [
        ['bwp', 'order', 'POST', '/graphql', 200, 'success'],
        ['bwp', 'updateOrder', 'POST', '/graphql', 200, 'success'],
      ],
    );
    for (const line of lines) assert.ok(!line.includes(TOKEN), `token leaked: ${line}`);
  });
});

type Tree = { [field: string]: Tree };

function selectionTree(set: SelectionSetNode | undefined): Tree {
  const tree: Tree = {};
  for (const sel of set?.selections ?? []) {
    assert.equal(sel.kind, Kind.FIELD, 'the order fragment uses plain fields only');
    if (sel.kind === Kind.FIELD) tree[sel.name.value] = selectionTree(sel.selectionSet);
  }
  return tree;
}

/** The field tree a zod schema reads, looking through optional/nullable/default wrappers, transforms and arrays. */
function zodTree(type: z.ZodType): Tree {
  const def = (type as unknown as { def: { type: string; innerType?: z.ZodType; element?: z.ZodType; in?: z.ZodType } })
    .def;
  if (def.innerType) return zodTree(def.innerType);
  if (def.type === 'pipe' && def.in) return zodTree(def.in);
  if (def.type === 'array' && def.element) return zodTree(def.element);
  if (type instanceof z.ZodObject) {
    return Object.fromEntries(Object.entries(type.shape as Record<string, z.ZodType>).map(([k, v]) => [k, zodTree(v)]));
  }
  return {};
}
