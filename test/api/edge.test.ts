import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type express from 'express';
import pino from 'pino';
import { createApp } from '../../api/app';
import { loadConfig } from '../../common/config';
import { REDACT_PATHS } from '../../common/logger';
import { toHttpProblem } from '../../api/temporal-errors';
import { listen, type Listening } from '../../sandbox/http';
import { createTestEnv } from '../helpers/temporal';
import { problemOf, writeTestKeys } from './api-harness';

/** Health, the OpenAPI document and its page, the static repair page, logging: the app without workers. */

const { file: keysFile, keys } = writeTestKeys();
const OPERATOR_KEY = keys.operator;
const config = loadConfig({ NODE_ENV: 'test', OPERATOR_KEYS_FILE: keysFile, SANDBOX_ENABLED: 'false' });

function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n'))
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, stream) };
}

/** Every METHOD path the app routes, read from express's router (nested routers included). */
function routesOf(app: express.Express): string[] {
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const out: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route)
        for (const m of Object.keys(layer.route.methods)) out.push(`${m.toUpperCase()} ${layer.route.path}`);
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return out;
}

describe('health, docs and the repair page', () => {
  let env: TestWorkflowEnvironment;
  let app: express.Express;
  let http: Listening;
  let url: string;
  const logs = memoryLogger();

  before(async () => {
    env = await createTestEnv();
    app = createApp({ client: env.client, config, logger: logs.logger });
    http = await listen(app, '127.0.0.1', 0);
    url = `http://127.0.0.1:${http.port}`;
  });
  after(async () => {
    await http?.close();
    await env?.teardown();
  });

  it('GET /healthz answers 200 while the process is up', async () => {
    const res = await fetch(`${url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('GET /readyz answers 200 when Temporal answers, and tells an anonymous caller only that (no version, no namespace)', async () => {
    const res = await fetch(`${url}/readyz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ready' });
  });

  it('GET /readyz answers 503 when Temporal is not reachable, within its timeout', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
    const offline = createApp({ client: new Client({ connection }), config, logger: pino({ level: 'silent' }) });
    const server = await listen(offline, '127.0.0.1', 0);
    try {
      const started = Date.now();
      const res = await fetch(`http://127.0.0.1:${server.port}/readyz`);
      assert.equal(res.status, 503);
      const text = await res.text();
      // Why is logged, never told to an unauthenticated caller (no address, no error text, no namespace).
      assert.deepEqual(JSON.parse(text), { status: 'unavailable' });
      assert.doesNotMatch(text, /127\.0\.0\.1|:1\b|error|ECONNREFUSED/i);
      assert.ok(Date.now() - started < 5_000, 'answers within the readiness timeout');
      // Liveness does not depend on Temporal.
      assert.equal((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status, 200);
    } finally {
      await server.close();
      await connection.close().catch(() => undefined);
    }
  });

  it('when Temporal is down, the webhook and the operator routes answer 503 with Retry-After, never a bare 500', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 300 });
    const offline = createApp({
      client: new Client({ connection }),
      config: loadConfig({
        NODE_ENV: 'test',
        OPERATOR_KEYS_FILE: keysFile,
        WEBHOOK_BASIC_PASSWORD: 'webhook-password-1',
      }),
      logger: pino({ level: 'silent' }),
      workflowTimeoutMs: 1_000,
    });
    const server = await listen(offline, '127.0.0.1', 0);
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const event = {
        eventDescriptor: 'REFUND_REQUESTED',
        eventId: 'evt-1',
        resources: ['businessProduct/sandbox-business-product/order/o-1/refund/r-1'],
      };
      const webhook = await fetch(`${base}/webhooks/bwp`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Basic ${Buffer.from('bwp:webhook-password-1').toString('base64')}`,
        },
        body: JSON.stringify(event),
      });
      assert.equal(webhook.status, 503);
      assert.equal((await problemOf(webhook)).type, '/problems/unavailable');
      assert.ok(webhook.headers.get('retry-after'));
      const list = await fetch(`${base}/refunds`, { headers: { Authorization: `Bearer ${OPERATOR_KEY}` } });
      assert.equal(list.status, 503);
      assert.equal((await problemOf(list)).type, '/problems/unavailable');
    } finally {
      await server.close();
      await connection.close().catch(() => undefined);
    }
  });

  it('GET /openapi.json documents every route the app serves', async () => {
    const res = await fetch(`${url}/openapi.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.match(doc.openapi, /^3\.1/);
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
      ),
    );
    const served = routesOf(app);
    assert.ok(served.length >= 12, served.join(', '));
    for (const route of served) assert.ok(documented.has(route), `${route} is not in /openapi.json`);
    // Generated from the zod schemas: the repair body names the per-SKU fields.
    assert.match(JSON.stringify(doc.paths['/refunds/{id}/repair']), /lineItemId/);
  });

  it('GET /docs renders every operation as plain HTML with nothing fetched from elsewhere', async () => {
    const res = await fetch(`${url}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    for (const op of [
      'POST /webhooks/bwp',
      'GET /refunds',
      'POST /refunds/{id}/repair',
      'POST /refunds/{id}/decline',
      'GET /readyz',
    ]) {
      assert.ok(html.includes(op), `${op} on the page`);
    }
    assert.doesNotMatch(html, /<script|https?:\/\/(?!127)/);
  });

  it('GET /console/ serves the repair page and its module, with a strict content security policy', async () => {
    const res = await fetch(`${url}/console/`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<script type="module" src="\/console\/app\.js">/);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const js = await fetch(`${url}/console/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
  });

  it('a path that is not valid percent-encoding (GET /refunds/%E0%A4%A) answers 400 naming the path, not 500', async () => {
    for (const path of ['/refunds/%E0%A4%A', '/refunds/%E0%A4%A/repair', '/refunds/%ZZ', '/refunds/%']) {
      const res = await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${OPERATOR_KEY}` } });
      assert.equal(res.status, 400, path);
      const problem = await problemOf(res);
      assert.equal(problem.type, '/problems/invalid-request');
      assert.equal(problem.errors?.[0]?.field, 'path');
    }
    // Unauthenticated, it is still refused first for want of credentials.
    assert.equal((await fetch(`${url}/refunds/%E0%A4%A`)).status, 401);
  });

  it('JSON answers carry Cache-Control: no-store (successes and problems alike); the page’s files are cacheable', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/nowhere', '/refunds']) {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.headers.get('cache-control'), 'no-store', path);
    }
    const me = await fetch(`${url}/me`, { headers: { Authorization: `Bearer ${OPERATOR_KEY}` } });
    assert.equal(me.status, 200);
    assert.equal(me.headers.get('cache-control'), 'no-store');
    assert.match((await fetch(`${url}/console/app.js`)).headers.get('cache-control') ?? '', /max-age=300/);
  });

  it('Temporal refusing a value the client chose (INVALID_ARGUMENT) is a 400 naming the field; RESOURCE_EXHAUSTED a 503', async () => {
    // Real answers of the server: a workflow id over its limit, an update id over its limit.
    const long = 'x'.repeat(1200);
    const startErr = await env.client.workflow
      .start('refundWorkflow', { workflowId: long, taskQueue: 'q' })
      .catch((e: unknown) => e);
    const started = toHttpProblem(startErr, long, { field: 'body.orderId' });
    assert.equal(started?.status, 400);
    assert.equal(started?.extras.errors?.[0]?.field, 'body.orderId');
    const updateErr = await env.client.workflow
      .getHandle('refund:o:r')
      .executeUpdate('repairUpdate', { updateId: 'k'.repeat(2000), args: [] })
      .catch((e: unknown) => e);
    const updated = toHttpProblem(updateErr, 'refund:o:r');
    assert.equal(updated?.status, 400);
    assert.equal(updated?.extras.errors?.[0]?.field, 'header.idempotency-key');
    assert.match(updated?.detail ?? '', /UpdateId length exceeds limit/);
    // The server throttling us (gRPC 8), as the client reports it.
    const exhausted = Object.assign(new Error('namespace rate limit exceeded'), { code: 8 });
    const busy = toHttpProblem(new Error('call failed', { cause: exhausted }), 'refund:o:r');
    assert.equal(busy?.status, 503);
    assert.equal(busy?.extras.headers?.['Retry-After'], '5');
  });

  it('an unknown route answers a 404 problem, not an HTML page', async () => {
    const res = await fetch(`${url}/nowhere`);
    assert.equal(res.status, 404);
    const problem = await problemOf(res);
    assert.match(problem.detail, /GET \/nowhere/);
  });

  it('logs each request with pino-http, the credentials redacted', async () => {
    await fetch(`${url}/refunds?limit=1`, { headers: { Authorization: `Bearer ${OPERATOR_KEY}` } });
    const line = logs.lines.find((l) => (l.req as { url?: string } | undefined)?.url === '/refunds?limit=1');
    assert.ok(line, 'a log line for the request');
    assert.equal((line.req as { headers: { authorization: string } }).headers.authorization, '[redacted]');
    assert.ok(!JSON.stringify(logs.lines).includes(OPERATOR_KEY), 'the token never reaches the log');
  });
});
