/**
 * `npm run fuzz [-- --cases N] [-- --seed S]`: schemathesis against the API's own /openapi.json, on a real stack (a
 * Temporal dev server, the sandbox, the workers and the API on random ports, refunds parked for repair seeded), once
 * per way of calling it: each operator role's API key, an OIDC token, no credentials, the webhook's Basic and bearer
 * schemes. Every answer of 500 or more is a failure, whoever sees it (schemathesis's not_a_server_error check, and a
 * counter in front of the app). Ends with `fuzz: N cases, E server errors` and exits 1 when E > 0.
 *
 * schemathesis comes from PyPI into a project-local virtualenv (.venv/, git-ignored), made on first use.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createClientsFromConfig } from '../activities/clients';
import { createApp } from '../api/app';
import { loadConfig, type Config } from '../common/config';
import { createLogger } from '../common/logger';
import { newOperatorKey, writeKeysFile, type Role } from '../common/operator-keys';
import { policyFromConfig } from '../common/policy';
import { createSandbox, loadFixture, uniqueFixture, type Fixture } from '../sandbox';
import { buildRefundRequestedEvent } from '../sandbox/bwp/events';
import { installRuntime } from '../workers/runtime';
import { findTemporalCli, startDevServer } from '../tools/temporal/dev-server';
import { createRefundWorkers, runWorkers, shutdownWorkers } from '../workers/worker';

const ROOT = path.resolve(__dirname, '..');
const VENV = path.join(ROOT, '.venv');
const ST = path.join(VENV, 'bin', 'st');
/** Pinned: a new schemathesis release must not change what CI runs without a commit. */
const SCHEMATHESIS = 'schemathesis==4.32.5';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { cases: { type: 'string', default: '1000' }, seed: { type: 'string', default: '1' } },
});
const TARGET = Number(values.cases);
const SEED = Number(values.seed);

const TOKENS = {
  bwpClientId: 'fuzz-bwp-client',
  bwpClientSecret: 'fuzz-bwp-secret-0123456789',
  refund: 'fuzz-refund-token-0123456789',
  bp: 'fuzz-bp',
};
const WEBHOOK = { user: 'bwp-fuzz', password: 'fuzz-webhook-password', bearer: 'fuzz-webhook-bearer-0123456789' };

/**
 * The newest Python 3 here (PYTHON, else python3.13/3.12 on PATH or under pyenv, else python3): CPython 3.11 before
 * 3.11.8 raises "AST constructor recursion depth mismatch" inside schemathesis for some schemas, losing those cases.
 */
function pickPython(): string {
  if (process.env.PYTHON) return process.env.PYTHON;
  const pyenv = path.join(os.homedir(), '.pyenv', 'versions');
  const installed = fs.existsSync(pyenv)
    ? fs
        .readdirSync(pyenv)
        .filter((v) => /^3\.(1[2-9])\.\d+$/.test(v))
        .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))
        .map((v) => path.join(pyenv, v, 'bin', 'python3'))
    : [];
  for (const candidate of ['python3.13', 'python3.12', ...installed]) {
    if (spawnSync(candidate, ['-c', 'import venv'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return 'python3';
}

function ensureSchemathesis(): void {
  const python = pickPython();
  const marker = path.join(VENV, '.made-for');
  const wanted = `${python} ${SCHEMATHESIS}`;
  if (fs.existsSync(ST) && fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === wanted) return;
  fs.rmSync(VENV, { recursive: true, force: true });
  console.error(`fuzz: installing ${SCHEMATHESIS} with ${python} into ${path.relative(ROOT, VENV)}/ (once)`);
  for (const [cmd, args] of [
    [python, ['-m', 'venv', VENV]],
    [path.join(VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', SCHEMATHESIS]],
  ] as const) {
    const r = spawnSync(cmd, args, { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
  }
  fs.writeFileSync(marker, wanted);
}

/** An identity provider of our own (discovery + JWKS on port 0), so OIDC tokens are fuzzed through real verification. */
async function startIssuer() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'fuzz', alg: 'ES256', use: 'sig' };
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration')
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    else res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const token = await new SignJWT({ email: 'fuzz@example.com', roles: ['operator'] })
    .setProtectedHeader({ alg: 'ES256', kid: 'fuzz' })
    .setIssuer(issuer)
    .setAudience('refund-orchestrator')
    .setSubject('fuzz-user')
    .setExpirationTime('2h')
    .sign(privateKey);
  return { issuer, token, close: () => new Promise((r) => server.close(r)) };
}

interface ServerError {
  method: string;
  url: string;
  status: number;
}

/** The app on port 0 behind a counter of every 5xx it answers. */
async function serve(
  config: Config,
  errors: ServerError[],
  logger: ReturnType<typeof createLogger>,
  client: Client,
  answered: { count: number; byStatus: Map<string, number> },
) {
  const outer = express();
  outer.use((req, res, next) => {
    res.on('finish', () => {
      answered.count++;
      // By route pattern and status, so the run shows what it reached (a 200 on a repair means a parked refund).
      const route = (req.route as { path?: string } | undefined)?.path ?? '(unrouted)';
      const key = `${req.method} ${route} ${res.statusCode}`;
      answered.byStatus.set(key, (answered.byStatus.get(key) ?? 0) + 1);
      if (res.statusCode >= 500) errors.push({ method: req.method, url: req.originalUrl, status: res.statusCode });
    });
    next();
  });
  outer.use(createApp({ client, config, logger, policy: policyFromConfig(config) }));
  const server = await new Promise<http.Server>((resolve) => {
    const s = outer.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface Run {
  name: string;
  url: string;
  auth: string[];
  /** schemathesis filters: which operations this way of calling applies to. */
  filter: string[];
  /** The webhook alone has no links to follow: no stateful phase. */
  phases?: string;
}

/** One schemathesis run; answers how many cases it made and how many failed the server-error check. */
async function schemathesis(run: Run, maxExamples: number, seed: number, reportDir: string) {
  const ndjson = path.join(reportDir, `${run.name}-${seed}.ndjson`);
  const args = [
    'run',
    `${run.url}/openapi.json`,
    '--checks',
    'not_a_server_error',
    '--max-examples',
    String(maxExamples),
    '--seed',
    String(seed),
    '--workers',
    '2',
    '--request-timeout',
    '30',
    '--phases',
    run.phases ?? 'examples,coverage,fuzzing,stateful',
    '--suppress-health-check',
    'all',
    '--no-color',
    '--report',
    'ndjson',
    '--report-ndjson-path',
    ndjson,
    ...run.auth,
    ...run.filter,
  ];
  // In the run's own folder: schemathesis keeps a cache (.schemathesis/) in its working directory.
  const child = spawn(ST, args, {
    cwd: reportDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, output, ...countReport(ndjson) };
}

interface ReportEvent {
  ScenarioFinished?: {
    recorder?: { cases?: Record<string, unknown>; checks?: Record<string, { name: string; status: string }[]> };
  };
  NonFatalError?: { label?: string; value?: { type?: string; message?: string } };
}

/**
 * Test cases and server-error failures from schemathesis's NDJSON event stream, and its own internal errors (a case
 * it could not generate: not an answer of ours, but reported so nothing is hidden).
 */
function countReport(file: string): { cases: number; failures: number; internal: string[] } {
  const counts = { cases: 0, failures: 0, internal: [] as string[] };
  if (!fs.existsSync(file)) return counts;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as ReportEvent;
    // A webhook-only run has no links to follow: expected, not an error.
    if (event.NonFatalError && event.NonFatalError.value?.type !== 'NoLinksFound') {
      const e = event.NonFatalError;
      counts.internal.push(`${e.label ?? '?'}: ${e.value?.type ?? ''} ${e.value?.message ?? ''}`);
    }
    const recorder = event.ScenarioFinished?.recorder;
    if (!recorder) continue;
    counts.cases += Object.keys(recorder.cases ?? {}).length;
    for (const checks of Object.values(recorder.checks ?? {}))
      counts.failures += checks.filter(
        (c) => c.name === 'not_a_server_error' && c.status.toLowerCase() === 'failure',
      ).length;
  }
  return counts;
}

async function main() {
  ensureSchemathesis();
  const started = Date.now();
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', pretty: false });
  installRuntime(log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refund-fuzz-'));
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const server = await startDevServer({ cli: await findTemporalCli({ log }), headless: true, log });
    stops.push(() => server.stop());
    const sandbox = await createSandbox({
      bwpClientId: TOKENS.bwpClientId,
      bwpClientSecret: TOKENS.bwpClientSecret,
      refundToken: TOKENS.refund,
      businessProductId: TOKENS.bp,
      logger: log,
    });
    stops.push(() => sandbox.close());
    const native = await NativeConnection.connect({ address: server.address });
    stops.push(() => native.close());
    const connection = await Connection.connect({ address: server.address });
    stops.push(() => connection.close());
    const client = new Client({ connection });
    const issuer = await startIssuer();
    stops.push(() => issuer.close());

    const keysFile = path.join(dir, 'operator-keys.json');
    const keys = {} as Record<Role, string>;
    const entries = (['viewer', 'operator', 'admin'] as const).map((role) => {
      const made = newOperatorKey(`fuzz ${role}`, role);
      keys[role] = made.key;
      return made.entry;
    });
    writeKeysFile(keysFile, { version: 1, keys: entries });

    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: dir,
      TEMPORAL_TASK_QUEUE: 'fuzz',
      OPERATOR_KEYS_FILE: keysFile,
      OIDC_ISSUER: issuer.issuer,
      OIDC_AUDIENCE: 'refund-orchestrator',
      // Every way of calling is fuzzed on its own merits, not cut short by the failed-authentication limit.
      AUTH_FAILURE_LIMIT: '1000000',
      WEBHOOK_BASIC_USER: WEBHOOK.user,
      WEBHOOK_BASIC_PASSWORD: WEBHOOK.password,
      ...sandbox.serviceEnv(),
      SANDBOX_ENABLED: 'false',
    };
    const basicConfig = loadConfig(env);
    const bearerConfig = loadConfig({ ...env, WEBHOOK_AUTH: 'bearer', WEBHOOK_BEARER_TOKEN: WEBHOOK.bearer });

    const workers = await createRefundWorkers({
      connection: native,
      namespace: 'default',
      taskQueue: basicConfig.TEMPORAL_TASK_QUEUE,
      submitRatePerSecond: 50,
      deps: { ...createClientsFromConfig(basicConfig, log), policy: policyFromConfig(basicConfig) },
    });
    const running = runWorkers(workers);
    stops.push(async () => {
      shutdownWorkers(workers);
      await running;
    });

    const apiLog = createLogger({ level: 'silent', pretty: false });
    const errors: ServerError[] = [];
    const answered = { count: 0, byStatus: new Map<string, number>() };
    const apiA = await serve(basicConfig, errors, apiLog, client, answered);
    stops.push(() => new Promise((r) => apiA.server.close(r)));
    const apiB = await serve(bearerConfig, errors, apiLog, client, answered);
    stops.push(() => new Promise((r) => apiB.server.close(r)));

    // Refunds parked for repair: twenty unique ones, and one under the OpenAPI example id, which the examples phase uses.
    const example = structuredClone(loadFixture('flat-goodwill-10-usd'));
    example.businessProductId = TOKENS.bp;
    example.bwpOrder.id = 'order-id';
    example.bwpOrder.refunds.details[0]!.id = 'example-refund-id';
    example.refundId = 'example-refund-id';
    const fixtures: Fixture[] = [
      example,
      ...Array.from({ length: 20 }, () =>
        uniqueFixture(loadFixture('flat-goodwill-10-usd'), { businessProductId: TOKENS.bp }),
      ),
    ];
    const basic = `Basic ${Buffer.from(`${WEBHOOK.user}:${WEBHOOK.password}`).toString('base64')}`;
    /** Starts the fixtures' refunds and waits until at least `parked` refunds are parked for repair. */
    const seedParked = async (batch: Fixture[], parked: number) => {
      for (const f of batch) {
        await sandbox.seed(f);
        const res = await fetch(`${apiA.url}/webhooks/bwp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: basic },
          body: JSON.stringify(buildRefundRequestedEvent(f.bwpOrder, f.refundId, TOKENS.bp, new Date())),
        });
        if (res.status !== 202) throw new Error(`seeding: the webhook answered ${res.status}: ${await res.text()}`);
      }
      const deadline = Date.now() + 120_000;
      for (;;) {
        const res = await fetch(`${apiA.url}/refunds?status=AWAITING_REPAIR&limit=100`, {
          headers: { authorization: `Bearer ${keys.admin}` },
        });
        const page = (await res.json()) as { refunds?: unknown[] };
        if ((page.refunds?.length ?? 0) >= parked) break;
        if (Date.now() > deadline) throw new Error(`seeding: only ${page.refunds?.length ?? 0} refunds parked`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    await seedParked(fixtures, fixtures.length);
    console.error(
      `fuzz: ${fixtures.length} refunds parked for repair; stack up in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );

    // Bulk actions run last in each round (they decline or repair every parked refund a filter matches); the round after
    // them starts with fresh parked refunds.
    const operatorOps = ['--exclude-path', '/webhooks/bwp', '--exclude-path-regex', '^/bulk/'];
    const bulkOps = ['--include-path-regex', '^/bulk/'];
    const webhookOnly = ['--include-path', '/webhooks/bwp'];
    const runs: Run[] = [
      { name: 'admin-key', url: apiA.url, auth: ['-H', `Authorization: Bearer ${keys.admin}`], filter: operatorOps },
      {
        name: 'operator-key',
        url: apiA.url,
        auth: ['-H', `Authorization: Bearer ${keys.operator}`],
        filter: operatorOps,
      },
      { name: 'viewer-key', url: apiA.url, auth: ['-H', `Authorization: Bearer ${keys.viewer}`], filter: operatorOps },
      { name: 'oidc-token', url: apiA.url, auth: ['-H', `Authorization: Bearer ${issuer.token}`], filter: operatorOps },
      { name: 'no-credentials', url: apiA.url, auth: [], filter: [] },
      {
        name: 'webhook-basic',
        url: apiA.url,
        auth: ['-a', `${WEBHOOK.user}:${WEBHOOK.password}`],
        filter: webhookOnly,
        phases: 'examples,coverage,fuzzing',
      },
      {
        name: 'webhook-bearer',
        url: apiB.url,
        auth: ['-H', `Authorization: Bearer ${WEBHOOK.bearer}`],
        filter: webhookOnly,
        phases: 'examples,coverage,fuzzing',
      },
      { name: 'bulk-admin', url: apiA.url, auth: ['-H', `Authorization: Bearer ${keys.admin}`], filter: bulkOps },
      { name: 'bulk-operator', url: apiA.url, auth: ['-H', `Authorization: Bearer ${keys.operator}`], filter: bulkOps },
      { name: 'bulk-viewer', url: apiA.url, auth: ['-H', `Authorization: Bearer ${keys.viewer}`], filter: bulkOps },
    ];
    const reportDir = path.join(dir, 'reports');
    fs.mkdirSync(reportDir, { recursive: true });
    let cases = 0;
    let failures = 0;
    const internal: string[] = [];
    // Rounds with new seeds until the target is reached; the first round sizes the cases per operation.
    const maxExamples = Math.max(5, Math.ceil(TARGET / 150));
    for (let round = 0; cases < TARGET && round < 50; round++) {
      if (round > 0) {
        await seedParked(
          Array.from({ length: 20 }, () =>
            uniqueFixture(loadFixture('flat-goodwill-10-usd'), { businessProductId: TOKENS.bp }),
          ),
          20,
        );
      }
      for (const run of runs) {
        const r = await schemathesis(run, maxExamples, SEED + round, reportDir);
        cases += r.cases;
        failures += r.failures;
        internal.push(...r.internal);
        console.error(
          `fuzz: round ${round + 1} ${run.name}: ${r.cases} cases, ${r.failures} server errors, ${r.internal.length} schemathesis-internal errors`,
        );
        // schemathesis exits 1 on its own internal errors too; anything else unexpected is shown whole.
        if (r.failures > 0 || r.cases === 0 || (r.code !== 0 && r.internal.length === 0))
          console.error(r.output.slice(-6000));
      }
    }
    for (const e of [...new Set(internal)])
      console.error(`fuzz: schemathesis could not generate a case (its own error): ${e}`);
    console.error(`fuzz: the API answered ${answered.count} requests:`);
    for (const [key, n] of [...answered.byStatus].sort()) console.error(`fuzz:   ${key}: ${n}`);
    const seen = errors.length;
    for (const e of errors.slice(0, 20)) console.error(`fuzz: ${e.status} ${e.method} ${e.url.slice(0, 300)}`);
    const serverErrors = Math.max(seen, failures);
    console.error(`fuzz: took ${((Date.now() - started) / 1000).toFixed(0)} s; reports in ${reportDir}`);
    console.log(`fuzz: ${cases} cases, ${serverErrors} server errors`);
    process.exitCode = serverErrors === 0 && cases >= TARGET ? 0 : 1;
  } finally {
    await stopAll();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
