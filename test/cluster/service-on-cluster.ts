import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { createLogger } from '../../common/logger';
import { newOperatorKey, writeKeysFile } from '../../common/operator-keys';
import { createSandbox, loadFixture, uniqueFixture, type Fixture, type Sandbox } from '../../sandbox';
import { buildRefundRequestedEvent } from '../../sandbox/bwp/events';
import { findTemporalServer, startCluster, type Cluster } from '../../tools/temporal/cluster';
import { freePort } from '../../tools/temporal/dev-server';
import { refundWorkflowId, type RefundResult } from '../../workflows/refund.contract';
import { ENTRY, ensureBuilt, killAll, startService, waitForHttp, type ServiceProcess } from '../scale/built-services';

/**
 * The service as production runs it, on a real Temporal cluster: `startCluster` (PostgreSQL, four server processes),
 * the sandbox of Buy with Prime and the store in this process (its ledgers and faults at hand), and the built API and
 * worker processes (`node dist/…`), configured only through their environment.
 */

// Production mode: every secret at least 16 characters and none a development default.
export const TOKENS = {
  bwpClientId: 'cluster-bwp-client-id',
  bwpClientSecret: 'cluster-bwp-client-secret-0123456789',
  refund: 'cluster-refund-token-0123456789',
  storeOrder: 'cluster-store-order-token-0123456789',
  bp: 'cluster-business-product',
};
export const WEBHOOK = { user: 'bwp-cluster', password: 'cluster-webhook-password' };
/** The operator the API knows by their key (OPERATOR_KEYS_FILE): the name in every audit entry. */
export const OPERATOR = 'Cluster Operator';

export interface Worker {
  process: ServiceProcess;
  identity: string;
  metricsPort: number;
}

export interface ServiceOnCluster {
  cluster: Cluster;
  sandbox: Sandbox;
  client: Client;
  api: ServiceProcess;
  apiUrl: string;
  workers: Worker[];
  /** The environment every API and worker process gets. */
  config: Record<string, string>;
  startWorker(name: string): Promise<Worker>;
  /** Seeds fresh copies of fixtures and posts their REFUND_REQUESTED events to the API's webhook, as BwP would. */
  request(names: string[]): Promise<{ fixture: Fixture; workflowId: string; handle: WorkflowHandle }[]>;
  /** A request to the API as OPERATOR (their key as bearer token). */
  operator(route: string, init?: { method?: string; body?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export async function startServiceOnCluster(opts: {
  shards: number;
  ratePerSecond: number;
  workers: number;
}): Promise<ServiceOnCluster> {
  const build = await ensureBuilt();
  assert.equal(build.exitCode, 0, build.output.slice(-4000));
  const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'warn', pretty: false });
  const binaries = await findTemporalServer({
    serverPath: process.env.TEMPORAL_SERVER || undefined,
    sqlToolPath: process.env.TEMPORAL_SQL_TOOL || undefined,
    log,
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refund-cluster-'));
  // Readable by the postgres user when the tests run as root.
  fs.chmodSync(dataDir, 0o755);
  const cluster = await startCluster({
    dataDir,
    binaries,
    shards: opts.shards,
    ports: 'random',
    postgresPort: 0,
    log,
  });
  const processes: ServiceProcess[] = [];
  let sandbox: Sandbox | undefined;
  let connection: Connection | undefined;
  try {
    sandbox = await createSandbox({
      bwpClientId: TOKENS.bwpClientId,
      bwpClientSecret: TOKENS.bwpClientSecret,
      refundToken: TOKENS.refund,
      storeOrderToken: TOKENS.storeOrder,
      businessProductId: TOKENS.bp,
    });
    const apiPort = await freePort();
    const operator = newOperatorKey(OPERATOR, 'operator');
    const keysFile = path.join(dataDir, 'operator-keys.json');
    writeKeysFile(keysFile, { version: 1, keys: [operator.entry] });
    const config: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      TEMPORAL_ADDRESS: cluster.address,
      TEMPORAL_NAMESPACE: cluster.namespace,
      ...sandbox.serviceEnv(),
      BWP_TIMEOUT_MS: '3000',
      // An attempt whose answer is lost is retried (same idempotency key) after 5 s + 5 s.
      REFUND_TIMEOUT_MS: '5000',
      REFUND_RATE_LIMIT_PER_SECOND: String(opts.ratePerSecond),
      // Parked refunds are flagged NeedsAttention after 3.6 s, so the README's query finds them in the test.
      REPAIR_ATTENTION_AFTER_HOURS: '0.001',
      WEBHOOK_BASIC_USER: WEBHOOK.user,
      WEBHOOK_BASIC_PASSWORD: WEBHOOK.password,
      OPERATOR_KEYS_FILE: keysFile,
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      SANDBOX_ENABLED: 'false',
    };
    const api = startService('api', ENTRY.api, config);
    processes.push(api);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const workers: Worker[] = [];
    const startWorker = async (name: string): Promise<Worker> => {
      const metricsPort = await freePort();
      const worker = startService(name, ENTRY.worker, { ...config, METRICS_PORT: String(metricsPort) });
      processes.push(worker);
      const running = await worker.waitForLine((l) => l.msg === 'worker running');
      return { process: worker, identity: String(running.identity), metricsPort };
    };
    workers.push(
      ...(await Promise.all(Array.from({ length: opts.workers }, (_, i) => startWorker(`worker-${i + 1}`)))),
    );
    await waitForHttp(api, `${apiUrl}/readyz`);
    connection = await Connection.connect({ address: cluster.address });
    const client = new Client({ connection, namespace: cluster.namespace });
    const sb = sandbox;
    const conn = connection;

    return {
      cluster,
      sandbox: sb,
      client,
      api,
      apiUrl,
      workers,
      config,
      startWorker,
      async request(names) {
        const fixtures = names.map((name) => uniqueFixture(loadFixture(name), { businessProductId: TOKENS.bp }));
        for (const f of fixtures) await sb.seed(f);
        return Promise.all(
          fixtures.map(async (fixture) => {
            const res = await fetch(`${apiUrl}/webhooks/bwp`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                authorization: `Basic ${Buffer.from(`${WEBHOOK.user}:${WEBHOOK.password}`).toString('base64')}`,
              },
              body: JSON.stringify(
                buildRefundRequestedEvent(fixture.bwpOrder, fixture.refundId, TOKENS.bp, new Date()),
              ),
            });
            const text = await res.text();
            assert.equal(res.status, 202, text);
            const workflowId = refundWorkflowId(fixture.bwpOrder.id, fixture.refundId);
            return { fixture, workflowId, handle: client.workflow.getHandle(workflowId) };
          }),
        );
      },
      operator(route, init = {}) {
        return fetch(`${apiUrl}${route}`, {
          method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
          headers: {
            authorization: `Bearer ${operator.key}`,
            ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        });
      },
      async close() {
        // Each step whatever the others do: a cluster left running outlives the test run (its processes are detached).
        const steps = [() => killAll(processes), () => conn.close(), () => sb.close(), () => cluster.stop()];
        for (const step of steps) await step().catch((err: unknown) => console.error('cluster teardown:', err));
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await killAll(processes);
    await connection?.close();
    await sandbox?.close();
    await cluster.stop();
    throw err;
  }
}

export async function resultWithin(handle: WorkflowHandle, ms: number): Promise<RefundResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      handle.result() as Promise<RefundResult>,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${handle.workflowId} not done within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export const refundPath = (workflowId: string, suffix = '') => `/refunds/${encodeURIComponent(workflowId)}${suffix}`;
