import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { SEARCH_ATTRIBUTE_TYPES } from '../../workflows/refund.contract';
import type { Logger } from '../../common/logger';

/**
 * Finds, builds and runs the Temporal dev server (`temporal server start-dev`, SQLite persistence, Web UI) with no
 * download from outside the package registries. Used by `npm start` and by the test runner.
 */

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const CLI_MODULE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;
/** The project's root: the nearest folder up with a package.json (from source, or from dist/ when compiled). */
export const PROJECT_ROOT = ((): string => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();

/** The project's ignored tools folder. */
export const toolsDir = (root = PROJECT_ROOT) => path.join(root, '.tools', `temporal-cli-${TEMPORAL_CLI_VERSION}`);
/** A per-user cache shared by every clone on this machine, so a fresh clone (CI) does not rebuild. */
export const userCacheDir = () =>
  path.join(
    process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
    'refund-orchestrator',
    `temporal-cli-${TEMPORAL_CLI_VERSION}`,
  );

export class TemporalCliNotFoundError extends Error {
  constructor(detail: string) {
    super(
      `Cannot find or build the Temporal CLI: ${detail}\n` +
        'Install the Temporal CLI (https://docs.temporal.io/cli) and set TEMPORAL_CLI to its path, ' +
        'or set TEMPORAL_ADDRESS to a Temporal server you already run.',
    );
    this.name = 'TemporalCliNotFoundError';
  }
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Order: TEMPORAL_CLI, `temporal` on PATH, the project's tools folder (or the per-user cache it links to);
 * otherwise builds it with `go install` into the cache and links it into the tools folder.
 */
export async function findTemporalCli(opts: { cliPath?: string; log: Logger; root?: string }): Promise<string> {
  if (opts.cliPath) {
    if (!isExecutable(opts.cliPath))
      throw new TemporalCliNotFoundError(`TEMPORAL_CLI=${opts.cliPath} is not an executable file.`);
    return opts.cliPath;
  }
  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;
  const local = path.join(toolsDir(opts.root), 'temporal');
  if (isExecutable(local)) return local;
  const cached = path.join(userCacheDir(), 'temporal');
  if (!isExecutable(cached)) {
    const go = onPath('go');
    if (!go) throw new TemporalCliNotFoundError('it is not installed and Go is not available to build it.');
    const built = await goInstall({
      go,
      modules: [CLI_MODULE],
      into: userCacheDir(),
      what: 'the Temporal CLI',
      log: opts.log,
    });
    if (built.code !== 0 || !isExecutable(cached)) {
      throw new TemporalCliNotFoundError(`go install ${CLI_MODULE} failed (exit ${built.code}).`);
    }
  }
  linkInto(cached, local);
  return local;
}

/** Links a cached binary into the project's tools folder (replacing what is there). */
export function linkInto(cached: string, link: string): void {
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { force: true });
  fs.symlinkSync(cached, link);
}

/**
 * `go install` of pinned modules into a folder (static binaries, no toolchain download), with a progress line every
 * 15 s: the first build takes minutes. Resolves with go's exit code.
 */
export async function goInstall(opts: {
  go: string;
  modules: string[];
  into: string;
  what: string;
  log: Logger;
}): Promise<{ code: number | null }> {
  fs.mkdirSync(opts.into, { recursive: true });
  opts.log.info(
    { modules: opts.modules, into: opts.into },
    `building ${opts.what} with go install (first run only; takes several minutes)`,
  );
  const started = Date.now();
  const child = spawn(opts.go, ['install', '-trimpath', '-ldflags', '-s -w', ...opts.modules], {
    env: {
      ...process.env,
      CGO_ENABLED: '0',
      GOTOOLCHAIN: 'local',
      GOBIN: opts.into,
      GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim(),
    },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let downloads = 0;
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.startsWith('go: downloading')) downloads++;
      else if (line.trim()) process.stderr.write(`[go] ${line}\n`);
    }
  });
  const ticker = setInterval(() => {
    opts.log.info(
      { elapsedSeconds: Math.round((Date.now() - started) / 1000), modulesDownloaded: downloads },
      `still building ${opts.what}…`,
    );
  }, 15_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(ticker);
  if (code === 0) opts.log.info({ seconds: Math.round((Date.now() - started) / 1000) }, `built ${opts.what}`);
  return { code };
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  namespace: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  cli: string;
  /** SQLite file; omit for an in-memory server (tests). */
  dbFile?: string;
  port?: number;
  uiPort?: number;
  headless?: boolean;
  namespace?: string;
  /** More `start-dev` flags (tests: dynamic config). */
  extraArgs?: string[];
  log: Logger;
}

/** Starts `temporal server start-dev` and resolves once the frontend answers and the search attributes exist. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const namespace = opts.namespace ?? 'default';
  const port = opts.port || (await freePort());
  const uiPort = opts.headless ? undefined : opts.uiPort || (await freePort());
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
  ];
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  args.push(...(uiPort ? ['--ui-port', String(uiPort)] : ['--headless']));
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_TYPES)) args.push('--search-attribute', `${name}=${type}`);
  // One partition per task queue so the server-side activity rate limit is exact, even at small rates.
  args.push(
    '--dynamic-config-value',
    'matching.numTaskqueueReadPartitions=1',
    '--dynamic-config-value',
    'matching.numTaskqueueWritePartitions=1',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    '--dynamic-config-value',
    'frontend.enableExecuteMultiOperation=true',
    '--sqlite-pragma',
    'journal_mode=WAL',
    ...(opts.extraArgs ?? []),
  );
  const child = spawn(opts.cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  let output = '';
  const collect = (b: Buffer) => {
    output = (output + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  let connection: Connection | undefined;
  while (!connection) {
    if (child.exitCode !== null) throw new Error(`temporal server start-dev exited (${child.exitCode}):\n${output}`);
    try {
      connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
    } catch (err) {
      await connection?.close();
      connection = undefined;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server did not become ready on ${address}: ${String(err)}\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    await ensureNamespaceSetup(connection, namespace);
  } finally {
    await connection.close();
  }
  opts.log.debug({ address, uiPort, dbFile: opts.dbFile }, 'temporal dev server ready');

  return {
    address,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined,
    namespace,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const SA_TYPE_ENUM: Record<string, number> = {
  Text: 1,
  Keyword: 2,
  Int: 3,
  Double: 4,
  Bool: 5,
  Datetime: 6,
  KeywordList: 7,
};

const RETENTION = msToTs(30 * 24 * 3600_000);

/**
 * Registers the project's custom search attributes (also on an existing database, where `--search-attribute` is ignored)
 * and keeps closed workflows for 30 days instead of the dev server's 24 hours. With `register`, first creates the
 * namespace if it does not exist (a production cluster starts without one; the dev server creates it itself).
 */
export async function ensureNamespaceSetup(
  connection: Connection,
  namespace: string,
  opts: { register?: boolean } = {},
): Promise<void> {
  if (opts.register) {
    const exists = await connection.workflowService.describeNamespace({ namespace }).then(
      () => true,
      (err: unknown) => {
        if ((err as { code?: number }).code === 5) return false; // NOT_FOUND
        throw err;
      },
    );
    if (!exists) {
      await connection.workflowService
        .registerNamespace({ namespace, workflowExecutionRetentionPeriod: RETENTION })
        .catch((err: unknown) => {
          if ((err as { code?: number }).code !== 6) throw err; // ALREADY_EXISTS: another process won the race
        });
    }
  }
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.entries(SEARCH_ATTRIBUTE_TYPES).filter(
    ([name]) => !(name in (existing.customAttributes ?? {})),
  );
  if (missing.length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, SA_TYPE_ENUM[type]!])),
    });
  }
  await connection.workflowService.updateNamespace({
    namespace,
    config: { workflowExecutionRetentionTtl: RETENTION },
  });
}
