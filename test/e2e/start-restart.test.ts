import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../tools/temporal/dev-server';
import { RefundStatus, refundWorkflowId, stateQuery } from '../../workflows/refund.contract';
import type { refundWorkflow } from '../../workflows/refund';
import { spawnEntry, until, type Child } from '../helpers/processes';

/**
 * `npm start` end to end, as a user runs it: the embedded dev server (SQLite in DATA_DIR), sandbox, worker and API in
 * one process. The reference REFUND_REQUESTED example is posted, the whole service is killed while POST /refund is in
 * flight, started again, and the refund finishes, refunded exactly once.
 */

const children: Child[] = [];
let connection: Connection | undefined;
after(async () => {
  for (const c of children) c.kill();
  await connection?.close();
});

it('when npm start is killed with a refund mid-flight, starting it again finishes that refund exactly once', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refund-start-'));
  const ports = {
    temporal: await freePort(),
    ui: await freePort(),
    api: await freePort(),
    bwp: await freePort(),
    store: await freePort(),
    metrics: await freePort(),
  };
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    TEMPORAL_DEV_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
    API_PORT: String(ports.api),
    SANDBOX_BWP_PORT: String(ports.bwp),
    SANDBOX_STORE_PORT: String(ports.store),
    METRICS_PORT: String(ports.metrics),
    BWP_API_URL: `http://127.0.0.1:${ports.bwp}/graphql`,
    REFUND_API_URL: `http://127.0.0.1:${ports.store}`,
    REFUND_TIMEOUT_MS: '2000',
    ...(process.env.TEMPORAL_CLI ? { TEMPORAL_CLI: process.env.TEMPORAL_CLI } : {}),
  };
  const api = `http://127.0.0.1:${ports.api}`;
  const storeAdmin = `http://127.0.0.1:${ports.store}/admin`;
  const start = async () => {
    const child = spawnEntry('workers/start.ts', env);
    children.push(child);
    await until(
      'the API to answer',
      async () => (await fetch(`${api}/healthz`).catch(() => undefined))?.ok,
      120_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${child.output()}`);
    });
    return child;
  };

  const first = await start();
  // Slow store answers keep the submission in flight long enough to kill the service in the middle of it.
  await fetch(`${storeAdmin}/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ latencyMs: 1500 }),
  });
  const event = fs.readFileSync(
    path.join(__dirname, '..', '..', 'sandbox', 'events', 'reference-example.json'),
    'utf8',
  );
  const posted = await fetch(`${api}/webhooks/bwp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from('bwp:dev-webhook-secret').toString('base64')}`,
    },
    body: event,
  });
  assert.equal(posted.status, 202, await posted.text());

  connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
  const client = new Client({ connection });
  const handle = client.workflow.getHandle<typeof refundWorkflow>(refundWorkflowId('order-id', 'example-refund-id'));
  await until('the submission to be in flight', async () => {
    const state = await handle.query(stateQuery).catch(() => undefined);
    return state?.status === RefundStatus.SUBMITTING;
  });
  await new Promise((r) => setTimeout(r, 300));
  first.kill('SIGKILL');
  await first.exited;
  await connection.close();
  connection = undefined;

  const second = await start();
  connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
  const again = new Client({ connection }).workflow.getHandle<typeof refundWorkflow>(
    refundWorkflowId('order-id', 'example-refund-id'),
  );
  const result = await again.result();
  assert.equal(result.status, RefundStatus.REFUNDED);
  assert.equal(result.refunded?.amount, '10.00', 'the result names the refunded amount');
  const { entries } = (await (await fetch(`${storeAdmin}/ledger`)).json()) as { entries: { key: { order: string } }[] };
  assert.equal(entries.filter((e) => e.key.order === 'example-store-order-id').length, 1, 'refunded exactly once');

  // SIGINT to the service process alone: it must stop the API, drain the workers and stop the sandbox and the dev
  // server it started itself.
  await connection.close();
  connection = undefined;
  second.signal('SIGINT');
  assert.equal(await second.exited, 0, second.output().slice(-3000));
  await assert.rejects(fetch(`${api}/healthz`), 'the API is down');
  const down = await Connection.connect({ address: `127.0.0.1:${ports.temporal}`, connectTimeout: 1000 })
    .then(async (c) => {
      await c.close();
      return false;
    })
    .catch(() => true);
  assert.ok(down, 'the dev server stopped with it');
});
