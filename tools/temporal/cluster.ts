import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { z } from 'zod';
import type { Logger } from '../../common/logger';
import { SEARCH_ATTRIBUTE_TYPES } from '../../workflows/refund.contract';
import { accepting, startLocalPostgres, tail, type LocalPostgres, type PostgresTarget } from './local-postgres';
import { ensureNamespaceSetup, goInstall, isExecutable, linkInto, onPath, PROJECT_ROOT } from './dev-server';

/**
 * Temporal's production server on this machine, as a real cluster: PostgreSQL (persistence and SQL visibility), the
 * schema tool, and frontend, history, matching and worker as four separate `temporal-server start --service …`
 * processes, all on 127.0.0.1. Used by `npm run cluster` (scripts/cluster.ts), the cluster tests and the benchmarks.
 * The server's config is the repo's template, deploy/temporal/config/refund-orchestrator.yaml, rendered by the server
 * from the environment set here; docker-compose.yml runs the same template, dynamic config and schema script.
 */

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const SERVER_MODULES = [
  `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`,
  `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
];
/** go install names the binaries after their folders; the server's images call them these names. */
const BINARIES = {
  server: { built: 'server', name: 'temporal-server' },
  sqlTool: { built: 'sql', name: 'temporal-sql-tool' },
};

export const DEPLOY_DIR = path.join(PROJECT_ROOT, 'deploy', 'temporal');
/** The server config template (one file: `--env refund-orchestrator` of this folder). */
export const SERVER_CONFIG_DIR = path.join(DEPLOY_DIR, 'config');
export const SERVER_CONFIG_ENV = 'refund-orchestrator';
export const DYNAMIC_CONFIG_FILE = path.join(DEPLOY_DIR, 'dynamicconfig', 'refund-orchestrator.yaml');
export const SCHEMA_SCRIPT = path.join(DEPLOY_DIR, 'setup-postgres.sh');

export const serverToolsDir = (root = PROJECT_ROOT) =>
  path.join(root, '.tools', `temporal-server-${TEMPORAL_SERVER_VERSION}`);
/** Per user and per version, shared by every clone on the machine (CI's fresh clone finds it). */
export const serverCacheDir = () =>
  path.join(
    process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
    'refund-orchestrator',
    `temporal-server-${TEMPORAL_SERVER_VERSION}`,
  );

export class TemporalServerNotFoundError extends Error {
  constructor(detail: string) {
    super(
      `Cannot find or build the Temporal server: ${detail}\n` +
        `Install temporal-server and temporal-sql-tool ${TEMPORAL_SERVER_VERSION} and set TEMPORAL_SERVER and ` +
        'TEMPORAL_SQL_TOOL to their paths, or install Go (1.25+) so they can be built.',
    );
    this.name = 'TemporalServerNotFoundError';
  }
}

export interface ServerBinaries {
  server: string;
  sqlTool: string;
}

/** `temporal-server --version` → "temporal version 1.29.1"; `temporal-sql-tool --version` → "… version 1.29.1". */
function versionOf(binary: string): string | undefined {
  try {
    return /version (\S+)/.exec(execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 }))?.[1];
  } catch {
    return undefined;
  }
}
const WANTED = TEMPORAL_SERVER_VERSION.replace(/^v/, '');

/**
 * Same rules as the Temporal CLI's finder (tools/temporal/dev-server.ts), per binary: TEMPORAL_SERVER /
 * TEMPORAL_SQL_TOOL; `temporal-server` / `temporal-sql-tool` on PATH when they are the pinned version (a database
 * migrated by another version's tool does not fit this server); the project's .tools/ folder; the per-user cache.
 * Otherwise both are built once with `go install` into the cache and linked into .tools/.
 */
export async function findTemporalServer(opts: {
  serverPath?: string;
  sqlToolPath?: string;
  log: Logger;
  root?: string;
}): Promise<ServerBinaries> {
  const found: Partial<ServerBinaries> = {};
  const explicit = { server: opts.serverPath, sqlTool: opts.sqlToolPath };
  const variable = { server: 'TEMPORAL_SERVER', sqlTool: 'TEMPORAL_SQL_TOOL' };
  for (const key of ['server', 'sqlTool'] as const) {
    const given = explicit[key];
    if (given) {
      if (!isExecutable(given))
        throw new TemporalServerNotFoundError(`${variable[key]}=${given} is not an executable file.`);
      const version = versionOf(given);
      if (version !== WANTED) {
        throw new TemporalServerNotFoundError(
          `${variable[key]}=${given} is version ${version ?? 'unknown'}, not ${WANTED}.`,
        );
      }
      found[key] = given;
      continue;
    }
    const fromPath = onPath(BINARIES[key].name);
    if (fromPath) {
      if (versionOf(fromPath) === WANTED) {
        found[key] = fromPath;
        continue;
      }
      opts.log.info({ binary: fromPath }, `skipping ${BINARIES[key].name} on PATH: not version ${WANTED}`);
    }
    const local = path.join(serverToolsDir(opts.root), BINARIES[key].name);
    if (isExecutable(local)) found[key] = local;
  }
  if (found.server && found.sqlTool) return found as ServerBinaries;

  const cache = serverCacheDir();
  const cached = (key: keyof ServerBinaries) => path.join(cache, BINARIES[key].name);
  if (!isExecutable(cached('server')) || !isExecutable(cached('sqlTool'))) await buildServer(cache, opts.log);
  for (const key of ['server', 'sqlTool'] as const) {
    if (found[key]) continue;
    const local = path.join(serverToolsDir(opts.root), BINARIES[key].name);
    linkInto(cached(key), local);
    found[key] = local;
  }
  return found as ServerBinaries;
}

async function buildServer(cache: string, log: Logger): Promise<void> {
  const go = onPath('go');
  if (!go) throw new TemporalServerNotFoundError('it is not in the cache and Go is not available to build it.');
  // Built into a staging folder and moved in by name, so a failed or interrupted build leaves no half-made cache.
  const staging = path.join(cache, `.build-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  const { code } = await goInstall({
    go,
    modules: SERVER_MODULES,
    into: staging,
    what: `the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL schema tool`,
    log,
  });
  try {
    for (const { built, name } of Object.values(BINARIES)) {
      const file = path.join(staging, built);
      if (code !== 0 || !isExecutable(file)) {
        throw new TemporalServerNotFoundError(`go install ${SERVER_MODULES.join(' ')} failed (exit ${code}).`);
      }
      fs.renameSync(file, path.join(cache, name));
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------------

export const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface ClusterPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

/**
 * The ports from one base (the frontend's gRPC port): gRPC base+0..3 (frontend, history, matching, worker), frontend
 * HTTP base+10, membership base+100..103. The default base 17233 stays clear of the dev server (7233, 8233) and of
 * the server's own defaults (6933-6939, 7233-7243), so both can run side by side.
 */
export function portsFrom(base: number): ClusterPorts {
  return {
    frontend: base,
    history: base + 1,
    matching: base + 2,
    worker: base + 3,
    frontendHttp: base + 10,
    frontendMembership: base + 100,
    historyMembership: base + 101,
    matchingMembership: base + 102,
    workerMembership: base + 103,
  };
}

/**
 * The server keeps membership ports in a SMALLINT column (cluster_membership.rpc_port), so every port must be below
 * 32768: above the kernel's ephemeral range start, port 0 would not do. Free ones are picked at random in 20000-32767.
 */
export const MAX_CLUSTER_PORT = 32767;

async function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function freeLowPort(taken: Set<number> = new Set()): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const port = 20000 + Math.floor(Math.random() * (MAX_CLUSTER_PORT - 20000));
    if (!taken.has(port) && (await bindable(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port below 32768');
}

async function randomPorts(): Promise<ClusterPorts> {
  const taken = new Set<number>();
  const ports: Partial<Record<keyof ClusterPorts, number>> = {};
  for (const key of Object.keys(portsFrom(0)) as (keyof ClusterPorts)[]) ports[key] = await freeLowPort(taken);
  return ports as ClusterPorts;
}

/** The server template's environment (deploy/temporal/config/refund-orchestrator.yaml) for this cluster. */
export function serverEnvironment(opts: {
  ports: ClusterPorts;
  postgres: PostgresTarget;
  databases: { temporal: string; visibility: string };
  shards: number;
  logLevel: string;
}): Record<string, string> {
  const { ports, postgres } = opts;
  return {
    BIND_ON_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    POSTGRES_SEEDS: postgres.host,
    DB_PORT: String(postgres.port),
    POSTGRES_USER: postgres.user,
    POSTGRES_PWD: postgres.password,
    DBNAME: opts.databases.temporal,
    VISIBILITY_DBNAME: opts.databases.visibility,
    NUM_HISTORY_SHARDS: String(opts.shards),
    LOG_LEVEL: opts.logLevel,
    DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG_FILE,
    TEMPORAL_ALLOW_NO_AUTH: 'true',
    FRONTEND_GRPC_PORT: String(ports.frontend),
    FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    HISTORY_GRPC_PORT: String(ports.history),
    HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    MATCHING_GRPC_PORT: String(ports.matching),
    MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    WORKER_GRPC_PORT: String(ports.worker),
    WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
  };
}

/** `temporal-server` arguments for one service, from the repo's template. */
export function serviceArgs(service: ServiceName): string[] {
  return ['--root', '/', '--config', SERVER_CONFIG_DIR, '--env', SERVER_CONFIG_ENV, 'start', '--service', service];
}

/** The schema script's environment (deploy/temporal/setup-postgres.sh) for this cluster. */
export function schemaEnvironment(opts: {
  sqlTool: string;
  postgres: PostgresTarget;
  databases: { temporal: string; visibility: string };
}): Record<string, string> {
  return {
    SQL_TOOL: opts.sqlTool,
    POSTGRES_SEEDS: opts.postgres.host,
    DB_PORT: String(opts.postgres.port),
    POSTGRES_USER: opts.postgres.user,
    SQL_PASSWORD: opts.postgres.password,
    DBNAME: opts.databases.temporal,
    VISIBILITY_DBNAME: opts.databases.visibility,
  };
}

/**
 * deploy/temporal/setup-postgres.sh, the schema job of docker-compose.yml: creates both databases if absent and
 * migrates their schemas to this tool's version (idempotent).
 */
export async function setupSchemas(opts: {
  sqlTool: string;
  postgres: PostgresTarget;
  databases: { temporal: string; visibility: string };
  log: Logger;
}): Promise<string> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/',
    ...schemaEnvironment(opts),
  };
  const started = Date.now();
  const child = spawn('sh', [SCHEMA_SCRIPT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`the schema script failed (exit ${code}):\n${out.slice(-6000)}`);
  opts.log.info(
    { databases: opts.databases, seconds: Math.round((Date.now() - started) / 100) / 10 },
    'Temporal schemas are up to date',
  );
  return out;
}

export interface ClusterService {
  name: ServiceName;
  /** The worker service serves no gRPC: it only joins the membership ring. */
  grpcPort: number;
  membershipPort: number;
  logFile: string;
  pid(): number | undefined;
  running(): boolean;
  /** Starts the process (again) and resolves once it listens on its membership port (every service joins the ring). */
  start(): Promise<void>;
  /** Sends the signal and resolves when the process has exited (SIGKILL after timeoutMs). */
  kill(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
}

export interface Cluster {
  /** host:port of the frontend: TEMPORAL_ADDRESS. */
  address: string;
  httpAddress: string;
  namespace: string;
  shards: number;
  ports: ClusterPorts;
  dataDir: string;
  postgres: PostgresTarget & { local?: LocalPostgres };
  databases: { temporal: string; visibility: string };
  services: Record<ServiceName, ClusterService>;
  /** Waits until the frontend answers and each service serves (see waitForCluster). */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Stops the four services (frontend first), then the private PostgreSQL. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Where the private PostgreSQL, the logs and the rendered config live (kept across runs). */
  dataDir: string;
  binaries: ServerBinaries;
  /** Fixed at the cluster's creation: a database created with another count is refused. Default 4. */
  shards?: number;
  /** A base port (see portsFrom), explicit ports, or 'random' (tests). Default portsFrom(17233). */
  ports?: number | ClusterPorts | 'random';
  /** An existing PostgreSQL; without it a private one is started in dataDir/postgres. */
  postgres?: PostgresTarget;
  /** The private PostgreSQL's port; 0 picks a free one. Default 15432. */
  postgresPort?: number;
  /** Database names; the visibility database is `<name>_visibility`. Default temporal. */
  database?: string;
  namespace?: string;
  /** The server's log level (its logs go to dataDir/logs/<service>.log). Default warn. */
  logLevel?: string;
  log: Logger;
}

export const DEFAULT_PORT_BASE = 17233;
export const DEFAULT_POSTGRES_PORT = 15432;

/**
 * Starts everything and resolves when the cluster serves: the namespace exists (30-day retention) with the workflow
 * contract's search attributes, usable in visibility queries. On failure everything started is stopped again.
 */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const log = opts.log;
  const dataDir = path.resolve(opts.dataDir);
  const logsDir = path.join(dataDir, 'logs');
  fs.mkdirSync(logsDir, { recursive: true });
  const shards = opts.shards ?? 4;
  const namespace = opts.namespace ?? 'default';
  const database = opts.database ?? 'temporal';
  const databases = { temporal: database, visibility: `${database}_visibility` };
  const ports =
    opts.ports === 'random'
      ? await randomPorts()
      : typeof opts.ports === 'object'
        ? opts.ports
        : portsFrom(opts.ports ?? DEFAULT_PORT_BASE);

  const tooHigh = Object.entries(ports).filter(([, p]) => p > MAX_CLUSTER_PORT);
  if (tooHigh.length > 0) {
    throw new Error(
      `Temporal keeps cluster ports in a SMALLINT: ${tooHigh.map(([k, p]) => `${k} ${p}`).join(', ')} must be below 32768.`,
    );
  }

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      await stop().catch((err: unknown) => log.error({ err }, 'error while stopping the cluster'));
    }
  };
  try {
    let local: LocalPostgres | undefined;
    if (!opts.postgres) {
      local = await startLocalPostgres({
        dir: path.join(dataDir, 'postgres'),
        port: opts.postgresPort ?? DEFAULT_POSTGRES_PORT,
        log,
      });
      stops.push(() => local!.stop('fast'));
    }
    const postgres: PostgresTarget = opts.postgres ?? local!;
    checkShards(dataDir, postgres, databases, shards);
    await setupSchemas({ sqlTool: opts.binaries.sqlTool, postgres, databases, log });

    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/',
      ...serverEnvironment({ ports, postgres, databases, shards, logLevel: opts.logLevel ?? 'warn' }),
    };
    const grpcPort: Record<ServiceName, number> = {
      frontend: ports.frontend,
      history: ports.history,
      matching: ports.matching,
      worker: ports.worker,
    };
    const membershipPort: Record<ServiceName, number> = {
      frontend: ports.frontendMembership,
      history: ports.historyMembership,
      matching: ports.matchingMembership,
      worker: ports.workerMembership,
    };
    const services = Object.fromEntries(
      SERVICES.map((name) => [
        name,
        serviceProcess({
          name,
          server: opts.binaries.server,
          env,
          grpcPort: grpcPort[name],
          membershipPort: membershipPort[name],
          logFile: path.join(logsDir, `${name}.log`),
          cwd: dataDir,
        }),
      ]),
    ) as Record<ServiceName, ClusterService>;
    // Stopped in this order: the frontend first (no new work), the worker service last.
    stops.push(async () => {
      for (const name of ['worker', 'history', 'matching', 'frontend'] as const) await services[name].kill('SIGTERM');
    });
    const startedAt = Date.now();
    // One first: on a new database each process writes the cluster's metadata at start, and four at once collide.
    await services.history.start();
    await Promise.all(SERVICES.map((name) => services[name].start()));
    fs.writeFileSync(path.join(dataDir, 'cluster.json'), JSON.stringify({ shards, databases }, null, 2));

    const address = `127.0.0.1:${ports.frontend}`;
    const cluster: Cluster = {
      address,
      httpAddress: `127.0.0.1:${ports.frontendHttp}`,
      namespace,
      shards,
      ports,
      dataDir,
      postgres: { host: postgres.host, port: postgres.port, user: postgres.user, password: postgres.password, local },
      databases,
      services,
      waitReady: (timeoutMs = 120_000) => waitForCluster({ address, namespace, services, timeoutMs }),
      stop: stopAll,
    };
    await setUpNamespace(address, namespace, services, log);
    await cluster.waitReady();
    log.info(
      { address, namespace, shards, seconds: Math.round((Date.now() - startedAt) / 100) / 10 },
      'Temporal cluster ready',
    );
    return cluster;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The shard count is fixed once a database holds a cluster: say so plainly instead of letting history crash-loop. */
function checkShards(dataDir: string, postgres: PostgresTarget, databases: { temporal: string }, shards: number): void {
  const file = path.join(dataDir, 'cluster.json');
  if (!fs.existsSync(file)) return;
  const saved = z
    .object({ shards: z.number(), databases: z.object({ temporal: z.string() }) })
    .safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!saved.success || saved.data.databases.temporal !== databases.temporal) return;
  if (saved.data.shards !== shards) {
    throw new Error(
      `The cluster in ${dataDir} (database ${databases.temporal} on ${postgres.host}:${postgres.port}) was created ` +
        `with ${saved.data.shards} history shards; a Temporal cluster's shard count cannot change. ` +
        `Use --shards ${saved.data.shards}, or another --data-dir (or --database) for a new cluster.`,
    );
  }
}

function serviceProcess(opts: {
  name: ServiceName;
  server: string;
  env: Record<string, string>;
  grpcPort: number;
  membershipPort: number;
  logFile: string;
  cwd: string;
}): ClusterService {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const running = () => !!child && child.exitCode === null && child.signalCode === null;
  const service: ClusterService = {
    name: opts.name,
    grpcPort: opts.grpcPort,
    membershipPort: opts.membershipPort,
    logFile: opts.logFile,
    pid: () => (running() ? child?.pid : undefined),
    running,
    async start() {
      if (running()) return;
      const out = fs.openSync(opts.logFile, 'a');
      // Its own process group: a Ctrl-C in the terminal reaches the runner, which stops the services in order.
      const proc = spawn(opts.server, serviceArgs(opts.name), {
        cwd: opts.cwd,
        env: opts.env,
        stdio: ['ignore', out, out],
        detached: true,
      });
      fs.closeSync(out);
      child = proc;
      exited = new Promise((resolve) => proc.once('exit', () => resolve()));
      const deadline = Date.now() + 60_000;
      while (!(await accepting(opts.membershipPort))) {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          throw new Error(
            `temporal-server ${opts.name} exited (${proc.exitCode ?? proc.signalCode}); ${opts.logFile}:\n${tail(opts.logFile)}`,
          );
        }
        if (Date.now() > deadline) {
          throw new Error(
            `temporal-server ${opts.name} did not listen on ${opts.membershipPort}:\n${tail(opts.logFile)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async kill(signal = 'SIGTERM', timeoutMs = 20_000) {
      const proc = child;
      if (!proc || !running()) return;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
  process.once('exit', () => {
    if (running()) child?.kill('SIGKILL');
  });
  return service;
}

async function connectOnce(address: string): Promise<Connection> {
  const connection = await Connection.connect({ address, connectTimeout: 2000 });
  try {
    await connection.workflowService.getSystemInfo({});
    return connection;
  } catch (err) {
    await connection.close();
    throw err;
  }
}

/** Creates the namespace and the search attributes, retrying while the services are still finding each other. */
async function setUpNamespace(
  address: string,
  namespace: string,
  services: Record<ServiceName, ClusterService>,
  log: Logger,
): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (let attempt = 1; ; attempt++) {
    assertRunning(services);
    try {
      const connection = await connectOnce(address);
      try {
        await ensureNamespaceSetup(connection, namespace, { register: true });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`could not set up namespace ${namespace}: ${String(err)}`);
      if (attempt % 10 === 0) log.info({ err: String(err) }, 'still waiting for the cluster to set up the namespace');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function assertRunning(services: Record<ServiceName, ClusterService>): void {
  for (const s of Object.values(services)) {
    if (!s.running()) throw new Error(`temporal-server ${s.name} is not running; ${s.logFile}:\n${tail(s.logFile)}`);
  }
}

/** A query naming every custom search attribute: it parses only once the frontend knows them all. */
const PROBE_QUERY = Object.entries(SEARCH_ATTRIBUTE_TYPES)
  .map(([name, type]) => (type === 'Bool' ? `${name} = true` : `${name} = "probe"`))
  .join(' AND ');

/**
 * Ready when each service answers through the frontend: visibility knows the search attributes (the frontend and
 * SQL visibility), matching describes a task queue, history answers for a workflow that does not exist, and the
 * worker service listens on its membership port.
 */
export async function waitForCluster(opts: {
  address: string;
  namespace: string;
  services: Record<ServiceName, ClusterService>;
  timeoutMs: number;
}): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      assertRunning(opts.services);
      const connection = await connectOnce(opts.address);
      try {
        const svc = connection.workflowService;
        await svc.listWorkflowExecutions({ namespace: opts.namespace, query: PROBE_QUERY, pageSize: 1 });
        await svc.describeTaskQueue({ namespace: opts.namespace, taskQueue: { name: 'cluster-readiness-probe' } });
        await svc
          .describeWorkflowExecution({
            namespace: opts.namespace,
            execution: { workflowId: 'cluster-readiness-probe' },
          })
          .catch((err: unknown) => {
            // NOT_FOUND comes from history itself: it is up.
            if ((err as { code?: number }).code !== 5) throw err;
          });
        if (!(await accepting(opts.services.worker.membershipPort))) {
          throw new Error('the worker service is not in the membership ring');
        }
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      last = err;
      if (String(err).includes('is not running')) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`the Temporal cluster at ${opts.address} is not ready after ${opts.timeoutMs} ms: ${String(last)}`);
}

// ---------------------------------------------------------------------------------------------------------------------

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Settings of `npm run cluster`, from the environment; each has a command-line flag too (scripts/cluster.ts). PGHOST,
 * PGPORT, PGUSER, PGPASSWORD (libpq's names) select an existing PostgreSQL instead of the private one: any of them set
 * means "use that server". The README's cluster table lists every variable (test/cluster/config.test.ts checks it).
 */
export const clusterConfigSchema = z.object({
  CLUSTER_DATA_DIR: z.string().min(1).default(path.join('.data', 'cluster')),
  CLUSTER_HISTORY_SHARDS: int(1, 16384).default(4),
  // The highest derived port (membership, base+103) must stay below 32768.
  CLUSTER_PORT: int(1024, MAX_CLUSTER_PORT - 103).default(DEFAULT_PORT_BASE),
  CLUSTER_POSTGRES_PORT: int(0, 65535).default(DEFAULT_POSTGRES_PORT),
  CLUSTER_DATABASE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,40}$/, 'must be a lower-case PostgreSQL name (letters, digits, _)')
    .default('temporal'),
  CLUSTER_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('warn'),
  CLUSTER_READY_FILE: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_SERVER: z.string().min(1).optional(),
  TEMPORAL_SQL_TOOL: z.string().min(1).optional(),
  PGHOST: z.string().min(1).optional(),
  PGPORT: int(1, 65535).optional(),
  PGUSER: z.string().min(1).optional(),
  PGPASSWORD: z.string().optional(),
});
export type ClusterConfig = z.output<typeof clusterConfigSchema>;
export const CLUSTER_VARIABLES = Object.keys(clusterConfigSchema.shape) as (keyof ClusterConfig)[];

/** Parses the settings (empty means unset, as in config.ts), naming each bad variable. */
export function loadClusterConfig(env: NodeJS.ProcessEnv): ClusterConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = clusterConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new Error(
      `Invalid cluster settings:\n${parsed.error.issues.map((i) => `  ${String(i.path[0])}: ${i.message}`).join('\n')}`,
    );
  }
  return parsed.data;
}

/** The existing PostgreSQL the PG* settings name, if any of them is set. */
export function postgresFromConfig(config: ClusterConfig): PostgresTarget | undefined {
  if (!config.PGHOST && !config.PGPORT && !config.PGUSER && config.PGPASSWORD === undefined) return undefined;
  return {
    host: config.PGHOST ?? '127.0.0.1',
    port: config.PGPORT ?? 5432,
    user: config.PGUSER ?? os.userInfo().username,
    password: config.PGPASSWORD ?? '',
  };
}
