import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alive } from '../../tools/temporal/local-postgres';

/**
 * The service as production runs it: `npm run build` once per test run, then `node dist/…` child processes configured
 * only through their environment. Used by test/compose (the build runs) and test/scale (several workers).
 * (test/helpers/processes.ts runs the TypeScript entry points with tsx; this runs the compiled ones and reads their
 * JSON logs and metrics.)
 */

export const ROOT = path.resolve(__dirname, '..', '..');
export const DIST = path.join(ROOT, 'dist');
export const ENTRY = {
  worker: path.join(DIST, 'workers', 'main.js'),
  api: path.join(DIST, 'api', 'main.js'),
} as const;

/** One id per `npm test` run (its dev server), so the test files of a run build once between them. */
const RUN_ID = process.env.TEMPORAL_TEST_ADDRESS
  ? `run:${process.env.TEMPORAL_TEST_ADDRESS}:${process.ppid}`
  : `pid:${process.pid}`;
const STAMP = path.join(DIST, '.test-build-stamp');
const LOCK = path.join(os.tmpdir(), `refund-orchestrator-build-${Buffer.from(ROOT).toString('hex').slice(-32)}.lock`);

export interface BuildResult {
  /** False when another test file of this run already built (and checked) dist/. */
  built: boolean;
  exitCode: number | null;
  output: string;
  seconds: number;
}

/**
 * Runs `npm run build` unless another file of this test run already did. A lock directory keeps two files from
 * building at once (the build starts with `rm -rf dist`).
 */
export async function ensureBuilt(): Promise<BuildResult> {
  const release = await lock(LOCK, 180_000);
  try {
    if (fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8') === RUN_ID && fs.existsSync(ENTRY.worker)) {
      return { built: false, exitCode: 0, output: '', seconds: 0 };
    }
    const started = Date.now();
    const child = spawn('npm', ['run', 'build'], { cwd: ROOT, env: childEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (exitCode === 0 && fs.existsSync(DIST)) fs.writeFileSync(STAMP, RUN_ID);
    return { built: true, exitCode, output, seconds: (Date.now() - started) / 1000 };
  } finally {
    release();
  }
}

async function lock(dir: string, timeoutMs: number): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'pid'), String(process.pid));
      return () => fs.rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // A lock left by a process that died is taken over.
    const holder = Number(readOr(path.join(dir, 'pid'), '0'));
    if (holder > 0 && !alive(holder)) fs.rmSync(dir, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`build lock ${dir} still held by pid ${holder}`);
    await sleep(250);
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A child's environment: the given config and nothing of this process's own settings (no TEMPORAL_ADDRESS, NODE_OPTIONS
 * or node:test's NODE_TEST_CONTEXT leaking in), so the process sees exactly what a container would.
 */
export function childEnv(config: Record<string, string>): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'XDG_CACHE_HOME', 'npm_config_cache'];
  const base = Object.fromEntries(keep.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]]])));
  return { ...base, ...config };
}

export interface LogLine {
  msg?: string;
  level?: number;
  [key: string]: unknown;
}

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Every JSON log line so far (pino writes JSON when stdout is not a terminal). */
  lines: LogLine[];
  /** The last few KiB of raw output, for failure messages. */
  tail(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Resolves with the first log line that matches, or fails after timeoutMs (or when the process exits). */
  waitForLine(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends a signal and waits for the exit (SIGKILL after timeoutMs). */
  stop(
    signal?: NodeJS.Signals,
    timeoutMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `node <script>` with only the given config in its environment. */
export function startService(name: string, script: string, config: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    env: childEnv(config),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  let raw = '';
  let partial = '';
  const onData = (b: Buffer) => {
    const text = b.toString();
    raw = (raw + text).slice(-8000);
    partial += text;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) {
      if (!part.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        // not a log line
      }
    }
    for (const wake of waiters) wake();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      for (const wake of waiters) wake();
      resolve({ code, signal, at: Date.now() });
    }),
  );
  const service: ServiceProcess = {
    name,
    child,
    pid: child.pid!,
    lines,
    tail: () => raw,
    exited,
    async waitForLine(match, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find(match);
        if (found) return found;
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(
            `${name} exited (${child.exitCode ?? child.signalCode}) before the expected log line:\n${raw}`,
          );
        }
        if (Date.now() > deadline)
          throw new Error(`${name}: expected log line not seen within ${timeoutMs} ms:\n${raw}`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, 250);
          waiters.add(wake);
        });
      }
    },
    async stop(signal = 'SIGTERM', timeoutMs = 45_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  return service;
}

/** Polls `url` until it answers 200 (e.g. the API's /healthz), failing early if the service exits. */
export async function waitForHttp(service: ServiceProcess, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      throw new Error(`${service.name} exited before ${url} answered:\n${service.tail()}`);
    }
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${service.tail()}`);
    await sleep(200);
  }
}

/** Kills whatever is still running (for `after` hooks: a failed test never leaves processes behind). */
export async function killAll(services: (ServiceProcess | undefined)[]): Promise<void> {
  await Promise.all(
    services.map(async (s) => {
      if (s && s.child.exitCode === null && s.child.signalCode === null) await s.stop('SIGKILL', 5_000);
    }),
  );
}

/** Prometheus text format → samples (name, labels, value). */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

export async function scrape(port: number): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`metrics on :${port} answered ${res.status}`);
  return parsePrometheus(await res.text());
}

/** Sum of a metric's samples whose labels include `where`. */
export function total(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
