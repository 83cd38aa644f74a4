import { BwpValidationReason } from '../../domain/schemas/bwp';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  buildSchema,
  graphql,
  Kind,
  parse,
  validate,
  type FragmentDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
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
import { bwpOrder } from './fixtures';
import { captureLines, startStub, type RecordedRequest, type Reply, type StubServer } from './stub-server';

const TOKEN = 'bwp-secret-token-456';
const TARGET = 'bp-123';
const VERSION = '2024-11-01';
// Generous: under a loaded CI machine a healthy answer must never look like a timeout.
const TIMEOUT_MS = 1500;
const sdl = readFileSync(path.join(__dirname, '../../sandbox/bwp/schema.graphql'), 'utf8');
const schema = buildSchema(sdl);

const update: UpdateOrderInput = {
  orderId: bwpOrder.id,
  refunds: [
    {
      id: 'refund-1',
      state: 'SUCCESS',
      refundTotal: { totalAmount: { amount: 13.5, currencyCode: 'USD' } },
      paymentDetails: [{ amount: { amount: 13.5, currencyCode: 'USD' } }],
      aliases: [{ aliasType: 'EXTERNAL_REFUND_ID', aliasId: 'store-refund-9' }],
    },
  ],
};

const gqlErrors = (code: string, reason?: string, status = 200, headers?: Record<string, string>): Reply => ({
  status,
  headers,
  body: {
    data: null,
    errors: [{ message: `${code} from the stub`, extensions: reason ? { code, reason } : { code } }],
  },
});

/**
 * Answers like a real GraphQL server over schema.graphql: the client's documents and variables are parsed, validated
 * and executed by graphql-js, so a field the schema lacks or a mistyped variable fails here as it would in production.
 */
async function executeForReal(req: RecordedRequest): Promise<Reply> {
  const { query, variables } = JSON.parse(req.body) as { query: string; variables: Record<string, unknown> };
  const rootValue = {
    order: (args: { orderId?: string; orderIdentifier?: { alias: { aliasType: string; aliasId: string } } }) => {
      if (args.orderId === bwpOrder.id) return bwpOrder;
      const alias = args.orderIdentifier?.alias;
      if (alias?.aliasType === 'EXTERNAL_ID' && alias.aliasId === 'store-order-1') return bwpOrder;
      return null;
    },
    updateOrder: (args: { input: UpdateOrderInput }) => ({
      order: {
        ...bwpOrder,
        refunds: { details: [{ ...bwpOrder.refunds.details[0]!, state: args.input.refunds[0]!.state }] },
      },
    }),
  };
  return { status: 200, body: await graphql({ schema, source: query, variableValues: variables, rootValue }) };
}

void describe('BwP client over real HTTP', () => {
  let stub: StubServer;
  let client: BwpClient;
  /** What the stub answers next; each test sets it. */
  let next: (req: RecordedRequest) => Reply | Promise<Reply>;

  before(async () => {
    stub = await startStub((req) => next(req));
    client = createBwpClient({
      url: `${stub.url}/graphql`,
      token: TOKEN,
      targetId: TARGET,
      apiVersion: VERSION,
      timeoutMs: TIMEOUT_MS,
      perLineAmounts: true,
    });
  });
  after(() => stub.close());
  beforeEach(() => {
    stub.requests.length = 0;
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
    assert.deepEqual(JSON.parse(sent?.body ?? ''), { query: ORDER_QUERY, variables: { orderId: bwpOrder.id } });
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

  void it('reports refunds with updateOrder and returns the order as it now stands', async () => {
    const outcome = await client.updateOrder(update);
    assert.equal(outcome.kind, 'success');
    assert.equal(outcome.kind === 'success' && outcome.value.refunds.details[0]?.state, 'SUCCESS');
    assert.deepEqual(JSON.parse(stub.requests[0]!.body), {
      query: UPDATE_ORDER_MUTATION,
      variables: { input: update },
    });
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

  void it('reports ThrottlingError in a 200 as throttled', async () => {
    next = () => gqlErrors('ThrottlingError');
    assert.equal((await client.getOrder(bwpOrder.id)).kind, 'throttled');
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
    const ms = outcome.kind === 'throttled' ? outcome.retryAfterMs : -1;
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
      body: { data: { order: { ...bwpOrder, totals: { grandTotal: { amount: '32' } } } } },
    });
    const outcome = await client.getOrder(bwpOrder.id);
    assert.equal(outcome.kind, 'unknown');
    assert.match(outcome.kind === 'unknown' ? outcome.message : '', /order\.totals\.grandTotal\.amount/);
  });

  void it('throws on a malformed update and sends nothing', async () => {
    await assert.rejects(client.updateOrder({ ...update, refunds: [] }));
    assert.equal(stub.requests.length, 0);
  });
});

void describe('BwP GraphQL documents', () => {
  void it('are valid against sandbox/bwp/schema.graphql', () => {
    for (const doc of [ORDER_QUERY, UPDATE_ORDER_MUTATION]) {
      assert.deepEqual(
        validate(schema, parse(doc)).map((e) => e.message),
        [],
      );
    }
  });

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
        token: TOKEN,
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

/** The field tree a zod schema reads, looking through optional/nullable/default wrappers and arrays. */
function zodTree(type: z.ZodType): Tree {
  const def = (type as unknown as { def: { type: string; innerType?: z.ZodType; element?: z.ZodType } }).def;
  if (def.innerType) return zodTree(def.innerType);
  if (def.type === 'array' && def.element) return zodTree(def.element);
  if (type instanceof z.ZodObject) {
    return Object.fromEntries(Object.entries(type.shape as Record<string, z.ZodType>).map(([k, v]) => [k, zodTree(v)]));
  }
  return {};
}

void describe('BwP client: per-line amounts (BWP_PER_LINE_AMOUNTS)', () => {
  /** Buy with Prime's published schema: the sandbox's, without the per-line `refundAmount` it adds. */
  const realSchema = buildSchema(
    sdl.replace(/^\s*"[^"\n]*"\n\s*refundAmount: Amount\n/m, '\n').replace(/^\s*refundAmount: AmountInput\n/m, ''),
  );
  const lineUpdate: UpdateOrderInput = {
    ...update,
    refunds: update.refunds.map((r) => ({
      ...r,
      refundFor: {
        orderLineItems: [{ lineItemId: 'li-1', amount: 1, refundAmount: { amount: 13.5, currencyCode: 'USD' } }],
      },
    })),
  };

  void it('the published schema has no per-line refundAmount (what the default is for)', () => {
    assert.ok(validate(schema, parse(ORDER_QUERY)).length === 0, 'the sandbox schema has it');
    assert.ok(validate(realSchema, parse(ORDER_QUERY)).length > 0, 'the published one does not');
  });

  void it('by default the client asks and reports only what the published schema has', async () => {
    const stub = await startStub(async (req) => {
      const { query, variables } = JSON.parse(req.body) as { query: string; variables: Record<string, unknown> };
      const errors = validate(realSchema, parse(query));
      if (errors.length > 0) return { status: 400, body: { errors: errors.map((e) => ({ message: e.message })) } };
      return executeForReal({ ...req, body: JSON.stringify({ query, variables }) });
    });
    try {
      const client = createBwpClient({
        url: `${stub.url}/graphql`,
        token: TOKEN,
        targetId: TARGET,
        apiVersion: VERSION,
        timeoutMs: TIMEOUT_MS,
      });
      const read = await client.getOrder(bwpOrder.id);
      assert.equal(read.kind, 'success', JSON.stringify(read));
      const reported = await client.updateOrder(lineUpdate);
      assert.equal(reported.kind, 'success', JSON.stringify(reported));
      const sent = JSON.parse(stub.requests[1]?.body ?? '{}') as { variables: { input: UpdateOrderInput } };
      assert.deepEqual(sent.variables.input.refunds[0]?.refundFor?.orderLineItems, [{ lineItemId: 'li-1', amount: 1 }]);
    } finally {
      await stub.close();
    }
  });

  void it('with per-line amounts on, the same reads fail against the published schema', async () => {
    const stub = await startStub((req) => {
      const { query } = JSON.parse(req.body) as { query: string };
      const errors = validate(realSchema, parse(query));
      return {
        status: 400,
        body: {
          errors: errors.map((e) => ({ message: e.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })),
        },
      };
    });
    try {
      const client = createBwpClient({
        url: `${stub.url}/graphql`,
        token: TOKEN,
        targetId: TARGET,
        apiVersion: VERSION,
        timeoutMs: TIMEOUT_MS,
        perLineAmounts: true,
      });
      assert.equal((await client.getOrder(bwpOrder.id)).kind, 'rejected');
    } finally {
      await stub.close();
    }
  });
});
