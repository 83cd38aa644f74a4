/**
 * What the benchmarks share (scripts/bench.ts, scripts/bench-parked.ts): the Temporal server (a dev server with a
 * SQLite file, or --address), the sandbox and the workers as child processes (so each is measured and profiled on its
 * own), percentiles and the machine's load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createBwpClient,
  createBwpTokenSource,
  createRefundClient,
  createStoreOrderClient,
  type BwpClient,
  type RefundClient,
  type StoreOrderClient,
} from '../../activities/clients';
import { SANDBOX_STORE_ORDER_TOKEN } from '../../common/config';
import { createLogger } from '../../common/logger';
import type { Fixture } from '../../sandbox';
import type { StoreLedgerEntry } from '../../sandbox/store/simulator';
import type { RequestRecord } from '../../sandbox/http';
import { findTemporalCli, startDevServer } from '../../tools/temporal/dev-server';
import { DefaultLogger } from '@temporalio/worker';
import { writeWorkflowBundle } from '../build-workflow-bundle';

export const ROOT = path.resolve(__dirname, '..', '..');
export const TOKENS = {
  bwpClientId: 'bench-bwp-client',
  bwpClientSecret: 'bench-bwp-secret',
  refund: 'bench-refund',
  bp: 'bench-bp',
};
export const log = createLogger({ level: 'warn', pretty: false });

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

export const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

export function header(what: string, engine: string): void {
  console.log(`${what}: ${os.cpus().length} cores, Node ${process.version}, ${engine}`);
  console.log(`load average at start: ${loadavg()}`);
}

/** CPU seconds (user + system) a process has used so far; NaN when it cannot be read (not on this machine). */
export function cpuSeconds(pid: number | number[] | undefined): number {
  if (Array.isArray(pid)) return pid.length ? pid.reduce((sum, p) => sum + cpuSeconds(p), 0) : NaN;
  if (!pid) return NaN;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU used by each process (or group of processes) between two calls: where a phase's time went. */
export function cpuMeter(pids: Record<string, number | number[] | undefined>) {
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  return () =>
    Object.entries(pids)
      .map(([k, pid]) => {
        const used = cpuSeconds(pid) - start[k]!;
        return `${k} ${Number.isNaN(used) ? 'n/a' : `${used.toFixed(1)} s`}`;
      })
      .join(', ');
}

export interface Server {
  address: string;
  namespace: string;
  engine: string;
  /** The dev server's pid; with --address, the processes given by --server-pids (e.g. a cluster's four services). */
  pid?: number | number[];
  stop(): Promise<void>;
}

/** The given server (--address), or a dev server of its own with a SQLite file in a temporary directory. */
export async function temporalServer(
  address: string | undefined,
  namespace = 'default',
  serverPids: number[] = [],
): Promise<Server> {
  if (address)
    return {
      address,
      namespace,
      engine: `Temporal server at ${address}`,
      pid: serverPids,
      stop: async () => undefined,
    };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refund-bench-'));
  const server = await startDevServer({
    cli: await findTemporalCli({ log }),
    dbFile: path.join(dir, 'temporal.db'),
    namespace,
    headless: true,
    log,
  });
  return {
    address: server.address,
    namespace,
    engine: 'Temporal dev server (SQLite file)',
    pid: server.process.pid,
    stop: async () => {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Child {
  pid: number;
  child: ChildProcess;
  output(): string;
  /** SIGTERM, then wait for the exit (SIGKILL after 20 s). */
  stop(): Promise<void>;
}

/** Runs a TypeScript entry of the project as `node --import tsx` (one process: its pid is the one measured). */
export function spawnTs(
  entry: string,
  args: string[],
  env: Record<string, string>,
  profile?: { dir: string; label: string },
  nodeFlags: string[] = [],
): Child {
  // One folder per process (its threads write one profile each: main, then the workflow threads).
  const flags = [
    ...nodeFlags,
    ...(profile ? ['--cpu-prof', '--cpu-prof-dir', path.join(profile.dir, profile.label)] : []),
  ];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', path.join(ROOT, entry), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => (out = (out + b.toString()).slice(-20_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  process.once('exit', () => child.kill('SIGKILL'));
  return {
    pid: child.pid!,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitFor(child: Child, what: string, match: (out: string) => boolean, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!match(child.output())) {
    if (child.child.exitCode !== null) throw new Error(`${what} exited:\n${child.output()}`);
    if (Date.now() > deadline) throw new Error(`${what} not ready in ${timeoutMs} ms:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface SandboxProcess extends Child {
  bwpUrl: string;
  storeUrl: string;
  seed(fixtures: Fixture[]): Promise<void>;
  storeRequests(): Promise<RequestRecord[]>;
  storeLedger(): Promise<StoreLedgerEntry[]>;
  clients(): { bwp: BwpClient; refunds: RefundClient; storeOrders: StoreOrderClient };
}

export async function startSandbox(
  opts: { storeRatePerSecond?: number; storeRateBurst?: number },
  profileDir?: string,
): Promise<SandboxProcess> {
  const child = spawnTs(
    'scripts/bench/sandbox-process.ts',
    [JSON.stringify({ tokens: TOKENS, ...opts })],
    {},
    profileDir ? { dir: profileDir, label: `sandbox-${Date.now()}` } : undefined,
  );
  await waitFor(child, 'sandbox', (out) => out.includes('"ready":true'));
  const line = child
    .output()
    .split('\n')
    .find((l) => l.includes('"ready":true'))!;
  const { bwpUrl, storeUrl } = JSON.parse(line) as { bwpUrl: string; storeUrl: string };
  const admin = `${storeUrl}/admin`;
  const get = async <T>(p: string): Promise<T> => (await fetch(`${admin}${p}`)).json() as Promise<T>;
  return {
    ...child,
    bwpUrl,
    storeUrl,
    async seed(fixtures) {
      // A few at a time: the admin API is loopback HTTP, one fixture per call.
      let next = 0;
      const one = async () => {
        while (next < fixtures.length) {
          const f = fixtures[next++]!;
          const res = await fetch(`${admin}/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(f),
          });
          if (res.status !== 201) throw new Error(`seeding ${f.name}: ${res.status} ${await res.text()}`);
        }
      };
      await Promise.all(Array.from({ length: 8 }, one));
    },
    storeRequests: async () => (await get<{ requests: RequestRecord[] }>('/requests')).requests,
    storeLedger: async () => (await get<{ entries: StoreLedgerEntry[] }>('/ledger')).entries,
    clients: () => ({
      bwp: createBwpClient({
        url: bwpUrl,
        tokens: createBwpTokenSource({
          url: new URL('/token', bwpUrl).toString(),
          clientId: TOKENS.bwpClientId,
          clientSecret: TOKENS.bwpClientSecret,
          timeoutMs: 10_000,
        }),
        targetId: TOKENS.bp,
        apiVersion: '2024-11-01',
        timeoutMs: 10_000,
      }),
      refunds: createRefundClient({ url: storeUrl, token: TOKENS.refund, timeoutMs: 10_000 }),
      storeOrders: createStoreOrderClient({
        url: `${storeUrl}/merchant/orders`,
        token: SANDBOX_STORE_ORDER_TOKEN,
        timeoutMs: 10_000,
      }),
    }),
  };
}

/** The sandbox as a worker's config names it: URLs and the credentials it accepts; the store order is read. */
export function sandboxEnv(sandbox: { bwpUrl: string; storeUrl: string }): Record<string, string> {
  return {
    BWP_API_URL: sandbox.bwpUrl,
    BWP_CLIENT_ID: TOKENS.bwpClientId,
    BWP_CLIENT_SECRET: TOKENS.bwpClientSecret,
    BWP_TARGET_ID: TOKENS.bp,
    REFUND_API_URL: sandbox.storeUrl,
    REFUND_API_TOKEN: TOKENS.refund,
    STORE_ORDER_URL: `${sandbox.storeUrl}/merchant/orders`,
    STORE_ORDER_TOKEN: SANDBOX_STORE_ORDER_TOKEN,
  };
}

/** The environment of a worker process (workers/main.ts or the bare twin) against the sandbox and the server. */
export function workerEnv(
  server: Server,
  sandbox: SandboxProcess,
  taskQueue: string,
  ratePerSecond: number,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'development',
    // As in production: the worker logs at info.
    LOG_LEVEL: 'info',
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    REFUND_RATE_LIMIT_PER_SECOND: String(ratePerSecond),
    METRICS_PORT: '0',
    ...sandboxEnv(sandbox),
    ...extra,
  };
}

export interface WorkerProcess extends Child {
  /** Peak resident set size of the worker process so far (VmHWM), MiB. */
  peakRssMiB(): number;
}

let bundle: Promise<string> | undefined;

/** The workflow bundle of the current code, built once per benchmark process into a temporary file. */
function prebuiltBundle(): Promise<string> {
  bundle ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refund-bench-bundle-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    const out = path.join(dir, 'workflow-bundle.js');
    // Webpack's report only when it fails.
    await writeWorkflowBundle(out, new DefaultLogger('WARN'));
    return out;
  })();
  return bundle;
}

/** The production worker (workers/main.ts) or the bare twin, as its own process; resolves once it polls. */
export async function startWorker(
  kind: 'refund' | 'bare',
  env: Record<string, string>,
  profileDir?: string,
  nodeFlags: string[] = [],
): Promise<WorkerProcess> {
  const entry = kind === 'refund' ? 'workers/main.ts' : 'scripts/bench/bare-worker.ts';
  const profile = profileDir ? { dir: profileDir, label: `${kind}-worker-${Date.now()}` } : undefined;
  // As in production, the refund worker loads a prebuilt bundle: bundling at start (what a worker run from source does)
  // would put webpack in its CPU profile and its peak RSS.
  if (kind === 'refund' && !env.WORKFLOW_BUNDLE_PATH) env = { ...env, WORKFLOW_BUNDLE_PATH: await prebuiltBundle() };
  const child = spawnTs(entry, [], env, profile, nodeFlags);
  await waitFor(child, `${kind} worker`, (out) => out.includes('worker running'));
  return {
    ...child,
    peakRssMiB() {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
      return kb / 1024;
    },
  };
}

/** Flags shared by both benchmarks. */
export function commonFlags(argv: string[]) {
  const flags: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
      flags[k] = v ?? argv[++i] ?? '';
    } else rest.push(a);
  }
  const profileDir = flags.profile ? path.resolve(flags.profile) : undefined;
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  // --server-pids 1,2,3: with --address, whose CPU counts as the server's (npm run cluster's ready file lists them).
  const serverPids = (flags['server-pids'] ?? '').split(',').filter(Boolean).map(Number);
  return { flags, rest, address: flags.address || undefined, profileDir, serverPids };
}
