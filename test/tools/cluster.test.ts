import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger } from '../../common/logger';
import {
  CLUSTER_VARIABLES,
  DEFAULT_PORT_BASE,
  findTemporalServer,
  loadClusterConfig,
  MAX_CLUSTER_PORT,
  portsFrom,
  postgresFromConfig,
  serverToolsDir,
  startCluster,
  TEMPORAL_SERVER_VERSION,
  TemporalServerNotFoundError,
} from '../../tools/temporal/cluster';

/**
 * The production server's finder (same rules as the CLI's: explicit path, PATH at the pinned version, .tools/, the
 * per-user cache, else go install), the settings of `npm run cluster` and their documentation, and the checks
 * startCluster makes before it starts anything. The cluster itself runs in test/cluster (`npm run test:cluster`).
 */

const log = createLogger({ level: 'silent', pretty: false });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-server-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const VERSION = TEMPORAL_SERVER_VERSION.replace(/^v/, '');
const ROOT = path.resolve(__dirname, '..', '..');

/** A fake binary answering `--version` as the real ones do. */
function fake(dir: string, name: string, version = VERSION): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\necho "${name} version ${version}"\n`, { mode: 0o755 });
  return file;
}

async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = { PATH: process.env.PATH, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    process.env.PATH = saved.PATH;
    if (saved.XDG_CACHE_HOME === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved.XDG_CACHE_HOME;
  }
}
/** PATH with only sh (the fakes' interpreter) and nothing named temporal-*, go or initdb. */
const bareBin = path.join(tmp, 'bare-bin');
fs.mkdirSync(bareBin, { recursive: true });
fs.symlinkSync('/bin/sh', path.join(bareBin, 'sh'));
const isolated = (extra: string[] = []) => ({
  PATH: [...extra, bareBin].join(path.delimiter),
  XDG_CACHE_HOME: path.join(tmp, `cache-${Math.random()}`),
});

describe('finding the Temporal server and its schema tool', () => {
  it('TEMPORAL_SERVER and TEMPORAL_SQL_TOOL win when they are the pinned version', async () => {
    const server = fake(path.join(tmp, 'explicit'), 'temporal-server');
    const sqlTool = fake(path.join(tmp, 'explicit'), 'temporal-sql-tool');
    const found = await withEnv(isolated(), () =>
      findTemporalServer({ serverPath: server, sqlToolPath: sqlTool, log }),
    );
    assert.deepEqual(found, { server, sqlTool });
  });

  it('an explicit binary of another version is refused, naming the variable and both versions', async () => {
    const server = fake(path.join(tmp, 'old'), 'temporal-server', '1.22.0');
    await assert.rejects(
      withEnv(isolated(), () => findTemporalServer({ serverPath: server, log, root: path.join(tmp, 'r0') })),
      new RegExp(`TEMPORAL_SERVER=.*is version 1\\.22\\.0, not ${VERSION.replace(/\./g, '\\.')}`),
    );
    await assert.rejects(
      findTemporalServer({ sqlToolPath: path.join(tmp, 'missing'), log }),
      /TEMPORAL_SQL_TOOL=.*missing is not an executable file/,
    );
  });

  it('then the binaries on PATH, but only at the pinned version', async () => {
    const good = path.join(tmp, 'path-good');
    const bad = path.join(tmp, 'path-bad');
    const server = fake(good, 'temporal-server');
    const sqlTool = fake(good, 'temporal-sql-tool');
    fake(bad, 'temporal-server', '1.28.0');
    fake(bad, 'temporal-sql-tool', '1.28.0');
    assert.deepEqual(await withEnv(isolated([good]), () => findTemporalServer({ log, root: path.join(tmp, 'r1') })), {
      server,
      sqlTool,
    });
    // Another version on PATH is skipped: the project's tools folder is next.
    const root = path.join(tmp, 'r2');
    const tools = {
      server: fake(serverToolsDir(root), 'temporal-server'),
      sqlTool: fake(serverToolsDir(root), 'temporal-sql-tool'),
    };
    assert.deepEqual(await withEnv(isolated([bad]), () => findTemporalServer({ log, root })), tools);
  });

  it('then the per-user cache, linked into .tools/ (a fresh clone does not rebuild)', async () => {
    const env = isolated();
    const cache = path.join(env.XDG_CACHE_HOME, 'refund-orchestrator', `temporal-server-${TEMPORAL_SERVER_VERSION}`);
    fake(cache, 'temporal-server');
    fake(cache, 'temporal-sql-tool');
    const root = path.join(tmp, 'r3');
    const found = await withEnv(env, () => findTemporalServer({ log, root }));
    assert.deepEqual(found, {
      server: path.join(serverToolsDir(root), 'temporal-server'),
      sqlTool: path.join(serverToolsDir(root), 'temporal-sql-tool'),
    });
    assert.equal(fs.readlinkSync(found.server), path.join(cache, 'temporal-server'));
    assert.equal(fs.readlinkSync(found.sqlTool), path.join(cache, 'temporal-sql-tool'));
  });

  it('without a binary and without Go it stops with a clear message naming what to install or set', async () => {
    const err = await withEnv(isolated(), () =>
      findTemporalServer({ log, root: path.join(tmp, 'r4') }).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e,
      ),
    );
    assert.ok(err instanceof TemporalServerNotFoundError);
    assert.match(err.message, /Go is not available/);
    assert.match(err.message, /TEMPORAL_SERVER/);
    assert.match(err.message, new RegExp(TEMPORAL_SERVER_VERSION));
  });
});

describe('the settings of npm run cluster', () => {
  it('defaults: 4 shards, ports from 17233, a private PostgreSQL on 15432, namespace default', () => {
    const config = loadClusterConfig({});
    assert.equal(config.CLUSTER_HISTORY_SHARDS, 4);
    assert.equal(config.CLUSTER_PORT, DEFAULT_PORT_BASE);
    assert.equal(config.CLUSTER_POSTGRES_PORT, 15432);
    assert.equal(config.TEMPORAL_NAMESPACE, 'default');
    assert.equal(postgresFromConfig(config), undefined, 'no PG* setting: the private PostgreSQL');
  });

  it('any PG* setting selects that PostgreSQL, with libpq defaults for the rest', () => {
    assert.deepEqual(postgresFromConfig(loadClusterConfig({ PGHOST: 'db.internal', PGPASSWORD: 's3cret' })), {
      host: 'db.internal',
      port: 5432,
      user: os.userInfo().username,
      password: 's3cret',
    });
    assert.deepEqual(postgresFromConfig(loadClusterConfig({ PGPORT: '6543', PGUSER: 'temporal' })), {
      host: '127.0.0.1',
      port: 6543,
      user: 'temporal',
      password: '',
    });
  });

  it('a bad value stops start-up naming the variable', () => {
    assert.throws(() => loadClusterConfig({ CLUSTER_HISTORY_SHARDS: 'many' }), /CLUSTER_HISTORY_SHARDS/);
    assert.throws(() => loadClusterConfig({ CLUSTER_PORT: '40000' }), /CLUSTER_PORT/);
    assert.throws(
      () => loadClusterConfig({ CLUSTER_DATABASE: 'Temporal-DB' }),
      /CLUSTER_DATABASE: must be a lower-case/,
    );
    assert.throws(() => loadClusterConfig({ PGPORT: 'x' }), /PGPORT/);
  });

  it("derives every port from the base, clear of the dev server's and the server's defaults, below 32768", () => {
    for (const base of [DEFAULT_PORT_BASE, MAX_CLUSTER_PORT - 103]) {
      const ports = Object.values(portsFrom(base));
      assert.equal(new Set(ports).size, ports.length, 'all distinct');
      assert.ok(ports.every((p) => p <= MAX_CLUSTER_PORT));
    }
    const defaults = new Set(Object.values(portsFrom(DEFAULT_PORT_BASE)));
    for (const taken of [7233, 7234, 7235, 7239, 7243, 8233, 6933, 6934, 6935, 6939]) assert.ok(!defaults.has(taken));
  });

  it('the README documents every variable and every flag', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## A real Temporal cluster');
    assert.ok(start >= 0, 'the README has the cluster section');
    const end = readme.indexOf('\n## ', start + 1);
    const section = readme.slice(start, end < 0 ? undefined : end);
    const rows = new Set([...section.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`/gm)].map((m) => m[1]));
    assert.deepEqual(
      CLUSTER_VARIABLES.filter((v) => !rows.has(v)),
      [],
      'missing from the README cluster table',
    );
    const script = fs.readFileSync(path.join(ROOT, 'scripts', 'cluster.ts'), 'utf8');
    const flags = [...script.matchAll(/^\s+'?([a-z-]+)'?: '([A-Z_]+)',$/gm)].map((m) => [m[1]!, m[2]!] as const);
    assert.ok(flags.length >= 8, 'the flags of scripts/cluster.ts');
    for (const [flag, variable] of flags) {
      assert.ok(
        CLUSTER_VARIABLES.includes(variable as (typeof CLUSTER_VARIABLES)[number]),
        `--${flag} sets ${variable}`,
      );
      assert.match(section, new RegExp(`--${flag}\\b`), `the README names --${flag}`);
    }
  });
});

describe('startCluster refuses before starting anything', () => {
  const binaries = {
    server: fake(path.join(tmp, 'bin'), 'temporal-server'),
    sqlTool: fake(path.join(tmp, 'bin'), 'temporal-sql-tool'),
  };
  const postgres = { host: '127.0.0.1', port: 1, user: 'temporal', password: 'x' };

  it('a port the server cannot keep (its membership table stores ports as SMALLINT)', async () => {
    await assert.rejects(
      startCluster({ dataDir: path.join(tmp, 'c1'), binaries, ports: 40000, postgres, log }),
      /must be below 32768/,
    );
  });

  it('another shard count than the one the cluster was created with', async () => {
    const dataDir = path.join(tmp, 'c2');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(
      path.join(dataDir, 'cluster.json'),
      JSON.stringify({ shards: 8, databases: { temporal: 'temporal' } }),
    );
    await assert.rejects(
      startCluster({ dataDir, binaries, shards: 4, postgres, log }),
      /created with 8 history shards; a Temporal cluster's shard count cannot change\. Use --shards 8/,
    );
  });
});
