import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../common/logger';
import {
  findTemporalServer,
  loadClusterConfig,
  postgresFromConfig,
  startCluster,
  SERVICES,
  type Cluster,
} from '../tools/temporal/cluster';

/**
 * `npm run cluster [-- flags]`: Temporal's production server on this machine (PostgreSQL, frontend, history, matching
 * and worker as four processes), ready for `TEMPORAL_ADDRESS=… npm start`. Ctrl-C stops everything it started.
 * Each flag overrides its variable (README, "A real Temporal cluster"):
 *   --data-dir DIR (CLUSTER_DATA_DIR)   --shards N (CLUSTER_HISTORY_SHARDS)   --port P (CLUSTER_PORT)
 *   --postgres-port P (CLUSTER_POSTGRES_PORT)   --database NAME (CLUSTER_DATABASE)   --namespace NS (TEMPORAL_NAMESPACE)
 *   --log-level L (CLUSTER_LOG_LEVEL)   --ready-file FILE (CLUSTER_READY_FILE)
 * For scripts: once ready it prints one line `TEMPORAL_ADDRESS=host:port` on stdout and writes --ready-file (JSON:
 * address, namespace, ports, pids); it removes the file when it stops.
 */

const FLAGS = {
  'data-dir': 'CLUSTER_DATA_DIR',
  shards: 'CLUSTER_HISTORY_SHARDS',
  port: 'CLUSTER_PORT',
  'postgres-port': 'CLUSTER_POSTGRES_PORT',
  database: 'CLUSTER_DATABASE',
  namespace: 'TEMPORAL_NAMESPACE',
  'log-level': 'CLUSTER_LOG_LEVEL',
  'ready-file': 'CLUSTER_READY_FILE',
} as const;

async function main() {
  const { values } = parseArgs({
    options: Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: 'string' as const }])),
    strict: true,
  });
  const fromFlags = Object.fromEntries(
    Object.entries(values).map(([flag, value]) => [FLAGS[flag as keyof typeof FLAGS], value]),
  );
  const config = loadClusterConfig({ ...process.env, ...fromFlags });
  const log = createLogger({ level: 'info', name: 'cluster' });
  const binaries = await findTemporalServer({
    serverPath: config.TEMPORAL_SERVER,
    sqlToolPath: config.TEMPORAL_SQL_TOOL,
    log,
  });

  // Set once started; a signal during start-up stops what startCluster has started by then (it cleans up on failure).
  const running: { cluster?: Cluster } = {};
  let stopping = false;
  const readyFile = config.CLUSTER_READY_FILE ? path.resolve(config.CLUSTER_READY_FILE) : undefined;
  const shutdown = async (signal: string) => {
    running.cluster = cluster;
    if (stopping) {
      await cluster.stop();
      return;
    }
    stopping = true;
    log.info({ signal }, 'stopping the Temporal cluster');
    await running.cluster?.stop();
    if (readyFile) fs.rmSync(readyFile, { force: true });
    log.info('stopped');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void shutdown(signal));

  const cluster = await startCluster({
    dataDir: config.CLUSTER_DATA_DIR,
    binaries,
    shards: config.CLUSTER_HISTORY_SHARDS,
    ports: config.CLUSTER_PORT,
    postgres: postgresFromConfig(config),
    postgresPort: config.CLUSTER_POSTGRES_PORT,
    database: config.CLUSTER_DATABASE,
    namespace: config.TEMPORAL_NAMESPACE,
    logLevel: config.CLUSTER_LOG_LEVEL,
    log,
  });
  if (stopping) return;

  const ready = {
    address: cluster.address,
    httpAddress: cluster.httpAddress,
    namespace: cluster.namespace,
    shards: cluster.shards,
    ports: cluster.ports,
    postgres: {
      host: cluster.postgres.host,
      port: cluster.postgres.port,
      user: cluster.postgres.user,
      private: !!cluster.postgres.local,
    },
    databases: cluster.databases,
    pid: process.pid,
    services: Object.fromEntries(
      SERVICES.map((s) => [s, { pid: cluster.services[s].pid(), log: cluster.services[s].logFile }]),
    ),
  };
  if (readyFile) {
    fs.mkdirSync(path.dirname(readyFile), { recursive: true });
    fs.writeFileSync(`${readyFile}.tmp`, JSON.stringify(ready, null, 2));
    fs.renameSync(`${readyFile}.tmp`, readyFile);
  }
  log.info(
    {
      temporal: cluster.address,
      http: cluster.httpAddress,
      namespace: cluster.namespace,
      shards: cluster.shards,
      postgres: `${cluster.postgres.user}@${cluster.postgres.host}:${cluster.postgres.port} (${cluster.postgres.local ? 'private, ' + cluster.postgres.local.dir : 'external'})`,
      services: Object.fromEntries(SERVICES.map((s) => [s, `127.0.0.1:${cluster.services[s].grpcPort}`])),
      logs: path.join(cluster.dataDir, 'logs'),
    },
    `Temporal cluster running (Ctrl-C to stop). Run the service on it: TEMPORAL_ADDRESS=${cluster.address} npm start`,
  );
  process.stdout.write(`TEMPORAL_ADDRESS=${cluster.address}\n`);

  // A service that dies leaves the cluster degraded (nothing restarts it here): say so.
  for (const name of SERVICES) {
    void (async () => {
      while (!stopping && cluster.services[name].running()) await new Promise((r) => setTimeout(r, 1000));
      if (!stopping) log.error({ service: name, log: cluster.services[name].logFile }, 'a Temporal service exited');
    })();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
