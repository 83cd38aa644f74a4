import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { createSandbox, loadFixture, uniqueFixture, type Sandbox } from '../../sandbox';
import { buildRefundRequestedEvent } from '../../sandbox/bwp/events';
import { freePort } from '../../tools/temporal/dev-server';
import { RefundStatus, type RefundResult } from '../../workflows/refund.contract';
import { temporalAddress, uniqueId } from '../helpers/temporal';
import {
  DIST,
  ENTRY,
  ensureBuilt,
  killAll,
  startService,
  waitForHttp,
  type ServiceProcess,
} from '../scale/built-services';

/**
 * `npm run build` output is what the Docker images run: `node dist/workers/main.js` and `node dist/api/main.js`,
 * configured only through the environment, process a refund end to end and stop cleanly on SIGTERM.
 */

// Production mode refuses secrets shorter than 16 characters.
const TOKENS = {
  bwpClientId: 'dist-bwp-client-id',
  bwpClientSecret: 'dist-bwp-client-secret-0123456789',
  refund: 'dist-refund-token-0123456789',
  bp: 'dist-business-product',
};
const WEBHOOK = { user: 'bwp-dist', password: 'dist-webhook-password' };

describe('the production build (npm run build, then node dist/…)', () => {
  let sandbox: Sandbox | undefined;
  let worker: ServiceProcess | undefined;
  let api: ServiceProcess | undefined;
  let connection: Connection | undefined;
  let client: Client;
  let apiUrl = '';

  before(async () => {
    sandbox = await createSandbox({
      bwpClientId: TOKENS.bwpClientId,
      bwpClientSecret: TOKENS.bwpClientSecret,
      refundToken: TOKENS.refund,
      storeOrderToken: `${TOKENS.refund}-orders`,
      businessProductId: TOKENS.bp,
    });
    connection = await Connection.connect({ address: await temporalAddress() });
    client = new Client({ connection });
  });

  after(async () => {
    await killAll([worker, api]);
    await sandbox?.close();
    await connection?.close();
  });

  it('builds dist/ with both entry points, the prebuilt workflow bundle and the repair page', async (t) => {
    const build = await ensureBuilt();
    assert.equal(build.exitCode, 0, build.output.slice(-4000));
    t.diagnostic(
      build.built ? `npm run build took ${build.seconds.toFixed(1)} s` : 'dist/ was built by another file of this run',
    );
    // Everything the compiled code reads beside itself must be there too.
    for (const file of [
      ENTRY.worker,
      ENTRY.api,
      `${DIST}/sandbox/main.js`,
      `${DIST}/workflow-bundle.js`,
      `${DIST}/api/console/index.html`,
      `${DIST}/sandbox/bwp/schema.graphql`,
      `${DIST}/sandbox/fixtures/healthy-single-sku.json`,
    ]) {
      assert.ok(fs.existsSync(file), `${file} is missing after npm run build:\n${build.output.slice(-4000)}`);
    }
  });

  it('when BwP posts REFUND_REQUESTED to the built API, the built worker refunds it, and both exit 0 on SIGTERM', async (t) => {
    assert.ok(fs.existsSync(ENTRY.worker), 'needs the build of the previous test');
    const [metricsPort, apiPort] = [await freePort(), await freePort()];
    const config = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      TEMPORAL_ADDRESS: await temporalAddress(),
      TEMPORAL_TASK_QUEUE: uniqueId('dist-refunds'),
      ...sandbox!.serviceEnv(),
      METRICS_PORT: String(metricsPort),
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      WEBHOOK_BASIC_USER: WEBHOOK.user,
      WEBHOOK_BASIC_PASSWORD: WEBHOOK.password,
      SANDBOX_ENABLED: 'false',
    };
    worker = startService('worker', ENTRY.worker, config);
    api = startService('api', ENTRY.api, config);
    const running = await worker.waitForLine((l) => l.msg === 'worker running');
    apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitForHttp(api, `${apiUrl}/healthz`);
    t.diagnostic(`worker identity ${String(running.identity)}`);

    const fixture = uniqueFixture(loadFixture('healthy-single-sku'), { businessProductId: TOKENS.bp });
    await sandbox!.seed(fixture);
    const event = buildRefundRequestedEvent(fixture.bwpOrder, fixture.refundId, TOKENS.bp, new Date());
    const res = await fetch(`${apiUrl}/webhooks/bwp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${WEBHOOK.user}:${WEBHOOK.password}`).toString('base64')}`,
      },
      body: JSON.stringify(event),
    });
    const body = (await res.json()) as { refunds: { workflowId: string; outcome: string }[] };
    assert.equal(res.status, 202, JSON.stringify(body));
    assert.equal(body.refunds.length, 1);
    assert.equal(body.refunds[0]!.outcome, 'started');

    const result = (await withTimeout(client.workflow.getHandle(body.refunds[0]!.workflowId).result(), 60_000, () =>
      worker!.tail(),
    )) as RefundResult;
    assert.equal(result.status, RefundStatus.REFUNDED);
    const ledger = sandbox!.state.store.ledger().filter((e) => e.key.order === fixture.storeOrder.id);
    assert.equal(ledger.length, 1, 'the store refunded exactly once');
    assert.ok(result.refunded, 'the result names what was refunded');

    const [workerExit, apiExit] = await Promise.all([worker.stop('SIGTERM', 40_000), api.stop('SIGTERM', 20_000)]);
    assert.deepEqual({ code: workerExit.code, signal: workerExit.signal }, { code: 0, signal: null }, worker.tail());
    assert.deepEqual({ code: apiExit.code, signal: apiExit.signal }, { code: 0, signal: null }, api.tail());
    assert.ok(
      worker.lines.some((l) => l.msg === 'worker stopped'),
      'the worker drained and said so',
    );
  });
});

async function withTimeout<T>(promise: Promise<T>, ms: number, context: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not done within ${ms} ms; worker output:\n${context()}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
