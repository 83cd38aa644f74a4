import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Logger } from '../../common/logger';
import { newOperatorKey, writeKeysFile } from '../../common/operator-keys';
import { findTemporalCli, freePort, startDevServer, type DevServer } from '../../tools/temporal/dev-server';
import { OPERATOR, TOKENS, WEBHOOK } from '../cluster/service-on-cluster';
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
 * The service as separate processes for the chaos run: the Temporal dev server on a SQLite file (a small history limit,
 * so continue-as-new really happens), the sandbox (`node dist/sandbox/main.js`), the API and several workers (the built
 * entry points of test/scale, configured only through their environment). Each can be SIGKILLed and started again on
 * the same port (the dev server also on the same database file).
 */

export const OPERATORS = { first: OPERATOR, second: 'Chaos Second Operator', admin: 'Chaos Admin' } as const;

export interface ChaosStack {
  temporalAddress: string;
  apiUrl: string;
  bwpAdminUrl: string;
  storeAdminUrl: string;
  /** Bearer keys by operator. */
  keys: Record<keyof typeof OPERATORS, string>;
  webhookAuth: string;
  client(): Promise<Client>;
  workers: (ServiceProcess | undefined)[];
  killWorker(index: number): Promise<void>;
  killApi(): Promise<void>;
  killServer(): Promise<void>;
  close(): Promise<void>;
}

export async function startChaosStack(opts: {
  dataDir: string;
  workers: number;
  historyLimit: number;
  log: Logger;
}): Promise<ChaosStack> {
  const build = await ensureBuilt();
  if (build.exitCode !== 0) throw new Error(`npm run build failed:\n${build.output.slice(-4000)}`);
  const cli = await findTemporalCli({ cliPath: process.env.TEMPORAL_CLI || undefined, log: opts.log });
  const dbFile = path.join(opts.dataDir, 'temporal.sqlite');
  const temporalPort = await freePort();
  const extraArgs = ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${opts.historyLimit}`];
  const startServer = () =>
    startDevServer({ cli, dbFile, port: temporalPort, headless: true, extraArgs, log: opts.log });
  let server: DevServer = await startServer();

  const keys = {
    first: newOperatorKey(OPERATORS.first, 'operator'),
    second: newOperatorKey(OPERATORS.second, 'operator'),
    admin: newOperatorKey(OPERATORS.admin, 'admin'),
  };
  const keysFile = path.join(opts.dataDir, 'operator-keys.json');
  writeKeysFile(keysFile, { version: 1, keys: Object.values(keys).map((k) => k.entry) });
  const [apiPort, bwpPort, storePort] = [await freePort(), await freePort(), await freePort()];
  const config: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: server.address,
    BWP_API_URL: `http://127.0.0.1:${bwpPort}/graphql`,
    BWP_CLIENT_ID: TOKENS.bwpClientId,
    BWP_CLIENT_SECRET: TOKENS.bwpClientSecret,
    BWP_TARGET_ID: TOKENS.bp,
    BWP_TIMEOUT_MS: '3000',
    REFUND_API_URL: `http://127.0.0.1:${storePort}`,
    REFUND_API_TOKEN: TOKENS.refund,
    // The sandbox's merchant order-facts endpoint: the store order is read before planning.
    STORE_ORDER_URL: `http://127.0.0.1:${storePort}/merchant/orders`,
    STORE_ORDER_TOKEN: TOKENS.storeOrder,
    // An attempt whose answer is lost (commit-then-fail 'timeout') is given up after 3 s and retried under its key.
    REFUND_TIMEOUT_MS: '3000',
    REFUND_RATE_LIMIT_PER_SECOND: '20',
    RECHECK_INITIAL_SECONDS: '2',
    RECHECK_MAX_SECONDS: '10',
    REPAIR_ATTENTION_AFTER_HOURS: '0.01',
    SUBMIT_ATTENTION_AFTER_MINUTES: '1',
    UNKNOWN_OUTCOME_RETRIES: '3',
    WEBHOOK_BASIC_USER: WEBHOOK.user,
    WEBHOOK_BASIC_PASSWORD: WEBHOOK.password,
    OPERATOR_KEYS_FILE: keysFile,
    API_HOST: '127.0.0.1',
    API_PORT: String(apiPort),
    SANDBOX_ENABLED: 'false',
    SANDBOX_BWP_PORT: String(bwpPort),
    SANDBOX_STORE_PORT: String(storePort),
    // Two operators and an admin hammer the API from one address.
    AUTH_FAILURE_LIMIT: '100000',
  };
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const sandbox = startService('sandbox', path.join(DIST, 'sandbox', 'main.js'), config);
  await waitForHttp(sandbox, `http://127.0.0.1:${storePort}/admin/scenarios`).catch(async (err: unknown) => {
    await killAll([sandbox]);
    throw err;
  });

  const startApi = async () => {
    const api = startService('api', ENTRY.api, config);
    await waitForHttp(api, `${apiUrl}/healthz`);
    return api;
  };
  const startWorker = async (i: number) => {
    const worker = startService(`worker-${i + 1}`, ENTRY.worker, {
      ...config,
      // 'worker running' is an info line.
      LOG_LEVEL: 'info',
      METRICS_PORT: String(await freePort()),
    });
    await worker.waitForLine((l) => l.msg === 'worker running', 120_000);
    return worker;
  };
  let api: ServiceProcess | undefined = await startApi();
  const workers: (ServiceProcess | undefined)[] = [];
  for (let i = 0; i < opts.workers; i++) workers.push(await startWorker(i));

  let connection: Connection | undefined;
  let clientPromise: Promise<Client> | undefined;
  const client = () => {
    clientPromise ??= Connection.connect({ address: server.address }).then((c) => {
      connection = c;
      return new Client({ connection: c });
    });
    return clientPromise;
  };

  return {
    temporalAddress: server.address,
    apiUrl,
    bwpAdminUrl: `http://127.0.0.1:${bwpPort}/admin`,
    storeAdminUrl: `http://127.0.0.1:${storePort}/admin`,
    keys: { first: keys.first.key, second: keys.second.key, admin: keys.admin.key },
    webhookAuth: `Basic ${Buffer.from(`${WEBHOOK.user}:${WEBHOOK.password}`).toString('base64')}`,
    client,
    workers,
    async killWorker(index) {
      const w = workers[index];
      workers[index] = undefined;
      if (w) await w.stop('SIGKILL', 5_000);
      workers[index] = await startWorker(index);
    },
    async killApi() {
      const old = api;
      api = undefined;
      if (old) await old.stop('SIGKILL', 5_000);
      api = await startApi();
    },
    async killServer() {
      server.process.kill('SIGKILL');
      await new Promise<void>((resolve) => {
        if (server.process.exitCode !== null || server.process.signalCode !== null) resolve();
        else server.process.once('exit', () => resolve());
      });
      // Same port, same database file: clients and workers reconnect on their own.
      for (let attempt = 1; ; attempt++) {
        try {
          server = await startServer();
          return;
        } catch (err) {
          if (attempt >= 5) throw err;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    },
    async close() {
      await killAll([...workers, api, sandbox]);
      await connection?.close().catch(() => undefined);
      await server.stop();
    },
  };
}

/** Removes the run's data folder (the SQLite file and the operator keys) unless it should be kept. */
export function removeDataDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
