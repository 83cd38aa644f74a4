import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp, type AppDeps } from '../../api/app';
import { loadConfig, type Config } from '../../common/config';
import { createLogger } from '../../common/logger';
import { newOperatorKey, writeKeysFile, type Role } from '../../common/operator-keys';
import { buildRefundRequestedEvent } from '../../sandbox/bwp/events';
import { loadFixture, uniqueFixture, type Fixture } from '../../sandbox';
import { listen, type Listening } from '../../sandbox/http';
import { createHarness, TEST_POLICY, TOKENS, type Harness } from '../helpers/harness';
import { uniqueId } from '../helpers/temporal';

/**
 * The API as it runs in production (createApp on a real HTTP port, config parsed by loadConfig, the BwP and store
 * clients built from that config) in front of a real Temporal server, the real refund workflow and workers, and the
 * sandbox of both external systems.
 */

export const WEBHOOK = { user: 'bwp-test', password: 'webhook-password-1', bearer: 'webhook-bearer-token-0123456789' };

/** The people of the tests: one key each, by role (the audit trail records these names). */
export const OPERATORS: Record<Role, string> = { viewer: 'Vera Viewer', operator: 'Ada Operator', admin: 'Root Admin' };

/** A fresh keys file with one key per role; answers the file and the keys (shown once, as the CLI does). */
export function writeTestKeys(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'operator-keys-'))) {
  const file = path.join(dir, 'operator-keys.json');
  const keys = {} as Record<Role, string>;
  const entries = (Object.entries(OPERATORS) as [Role, string][]).map(([role, name]) => {
    const made = newOperatorKey(name, role);
    keys[role] = made.key;
    return made.entry;
  });
  writeKeysFile(file, { version: 1, keys: entries });
  return { file, keys };
}

export interface ApiHarness extends Harness {
  config: Config;
  url: string;
  http: Listening;
  /** Seeds a unique copy of a fixture (nothing started). */
  seed(name: string, mutate?: (f: Fixture) => void): Promise<Fixture>;
  /** The REFUND_REQUESTED event BwP would send for a seeded fixture. */
  eventFor(fixture: Fixture): ReturnType<typeof buildRefundRequestedEvent>;
  /** POSTs an event to the webhook with the configured Basic credentials. */
  postEvent(body: unknown, init?: { headers?: Record<string, string>; raw?: string }): Promise<Response>;
  /** An operator request with the key of `as` (default: the operator role), and an Idempotency-Key on mutations. */
  operator(
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string>; raw?: string; as?: Role },
  ): Promise<Response>;
  /** The keys file and each role's key. */
  keysFile: string;
  keys: Record<Role, string>;
  /** The config the harness runs with, with `env` over it. */
  configWith(env: Record<string, string>): Config;
  /** Another app on the same Temporal server, workers and sandbox (other config); closed with the harness. */
  serve(config: Config, deps?: Partial<AppDeps>): Promise<string>;
}

export async function createApiHarness(
  opts: { bodyLimit?: string; env?: Record<string, string> } = {},
): Promise<ApiHarness> {
  const base = await createHarness({ policy: TEST_POLICY });
  const { file: keysFile, keys } = writeTestKeys();
  const baseEnv: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    TEMPORAL_TASK_QUEUE: base.taskQueue,
    OPERATOR_KEYS_FILE: keysFile,
    WEBHOOK_BASIC_USER: WEBHOOK.user,
    WEBHOOK_BASIC_PASSWORD: WEBHOOK.password,
    ...base.sandbox.serviceEnv(),
    RECHECK_INITIAL_SECONDS: '30',
    SANDBOX_ENABLED: 'false',
    ...opts.env,
  };
  const configWith = (env: Record<string, string>) => loadConfig({ ...baseEnv, ...env });
  const config = configWith({});
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'api-test', pretty: false });
  const app = createApp({
    client: base.client,
    config,
    logger,
    policy: TEST_POLICY,
    ...(opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}),
  });
  const http = await listen(app, '127.0.0.1', 0);
  const url = `http://127.0.0.1:${http.port}`;
  const basic = `Basic ${Buffer.from(`${WEBHOOK.user}:${WEBHOOK.password}`).toString('base64')}`;
  const others: Listening[] = [];

  return {
    ...base,
    config,
    url,
    http,
    keysFile,
    keys,
    configWith,
    async serve(other, deps = {}) {
      const server = await listen(
        createApp({ client: base.client, config: other, logger, policy: TEST_POLICY, ...deps }),
        '127.0.0.1',
        0,
      );
      others.push(server);
      return `http://127.0.0.1:${server.port}`;
    },
    async seed(name, mutate) {
      const fixture = uniqueFixture(loadFixture(name), { businessProductId: TOKENS.businessProductId });
      mutate?.(fixture);
      await base.sandbox.seed(fixture);
      return fixture;
    },
    eventFor(fixture) {
      return buildRefundRequestedEvent(fixture.bwpOrder, fixture.refundId, fixture.businessProductId, new Date());
    },
    postEvent(body, init = {}) {
      return fetch(`${url}/webhooks/bwp`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: basic, ...init.headers },
        body: init.raw ?? JSON.stringify(body),
      });
    },
    operator(path, init = {}) {
      const method = init.method ?? (init.body === undefined && init.raw === undefined ? 'GET' : 'POST');
      return fetch(`${url}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${keys[init.as ?? 'operator']}`,
          ...(method === 'GET' ? {} : { 'Idempotency-Key': uniqueId('req') }),
          ...(init.body !== undefined || init.raw !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...init.headers,
        },
        body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
      });
    },
    async close() {
      for (const other of others) await other.close();
      await http.close();
      await base.close();
    },
  };
}

export const refundPath = (workflowId: string, suffix = '') => `/refunds/${encodeURIComponent(workflowId)}${suffix}`;

export interface ProblemJson {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { field: string; message: string; code?: string }[];
  problems?: { code: string; message: string; field?: string; lineItemId?: string }[];
}

/** Reads a problem answer, checking it is one. */
export async function problemOf(res: Response): Promise<ProblemJson> {
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('application/problem+json'))
    throw new Error(`expected a problem, got ${res.status} ${type}: ${await res.text()}`);
  return (await res.json()) as ProblemJson;
}

/** Polls until `fn` returns a value (not undefined) or the time is up. */
export async function eventually<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
