import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { Connection } from '@temporalio/client';
import { portsFrom } from '../../tools/temporal/cluster';
import { SEARCH_ATTRIBUTE_TYPES } from '../../workflows/refund.contract';
import { spawnEntry, until, type Child } from '../helpers/processes';

/**
 * `npm run cluster` as a user or a script (the benchmarks) runs it: `scripts/cluster.ts` with flags, ready when it prints
 * `TEMPORAL_ADDRESS=…` and writes --ready-file; the namespace and search attributes exist; a second start on the same
 * data resumes; another shard count is refused; SIGINT stops every process it started and removes the ready file.
 */

const children: Child[] = [];
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refund-cluster-cli-'));
fs.chmodSync(dataDir, 0o755);
after(() => {
  for (const c of children) c.kill();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const bindable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/** A base whose nine derived ports are free, below 32768 (see portsFrom). */
async function freeBase(): Promise<number> {
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * 12000);
    const all = await Promise.all(Object.values(portsFrom(base)).map(bindable));
    if (all.every(Boolean)) return base;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface Ready {
  address: string;
  namespace: string;
  shards: number;
  pid: number;
  postgres: { private: boolean; port: number };
  services: Record<string, { pid: number }>;
}

it('npm run cluster: ready line and file, namespace set up, resumes on the same data, refuses another shard count, Ctrl-C stops all', async () => {
  const base = await freeBase();
  const readyFile = path.join(dataDir, 'ready.json');
  const args = ['--data-dir', dataDir, '--port', String(base), '--postgres-port', '0', '--ready-file', readyFile];
  const start = async (extra: string[] = []) => {
    // The binaries test/run.ts found (or built), as a user's TEMPORAL_SERVER / TEMPORAL_SQL_TOOL would give them.
    const env = Object.fromEntries(
      ['TEMPORAL_SERVER', 'TEMPORAL_SQL_TOOL', 'XDG_CACHE_HOME'].flatMap((k) =>
        process.env[k] ? [[k, process.env[k]]] : [],
      ),
    );
    const child = spawnEntry('scripts/cluster.ts', env, { args: [...args, ...extra] });
    children.push(child);
    return child;
  };

  const first = await start(['--shards', '2']);
  await until(
    'the ready line',
    () => {
      if (first.process.exitCode !== null) throw new Error(`npm run cluster exited:\n${first.output()}`);
      return first.output().includes(`TEMPORAL_ADDRESS=127.0.0.1:${base}\n`);
    },
    120_000,
  );
  const ready = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as Ready;
  assert.equal(ready.address, `127.0.0.1:${base}`);
  assert.equal(ready.shards, 2);
  assert.equal(ready.postgres.private, true);
  assert.deepEqual(Object.keys(ready.services).sort(), ['frontend', 'history', 'matching', 'worker']);

  const connection = await Connection.connect({ address: ready.address });
  try {
    const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
    assert.equal(Number(ns.config?.workflowExecutionRetentionTtl?.seconds), 30 * 24 * 3600);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    assert.deepEqual(Object.keys(customAttributes ?? {}).sort(), Object.keys(SEARCH_ATTRIBUTE_TYPES).sort());
  } finally {
    await connection.close();
  }

  const stop = async (child: Child, r: Ready) => {
    child.signal('SIGINT');
    assert.equal(await child.exited, 0, child.output().slice(-3000));
    const pids = [r.pid, ...Object.values(r.services).map((s) => s.pid)];
    assert.deepEqual(pids.filter(alive), [], 'every process it started has exited');
    assert.ok(!fs.existsSync(readyFile), 'the ready file is removed');
    assert.equal(await bindable(r.postgres.port), true, 'PostgreSQL stopped');
  };
  await stop(first, ready);

  // Another shard count on the same data: refused at once, naming the count to use.
  const wrong = await start(['--shards', '4']);
  assert.equal(await wrong.exited, 1);
  assert.match(wrong.output(), /created with 2 history shards.*Use --shards 2/s);

  // Started again: the same cluster (its database, namespace), ready again.
  const second = await start(['--shards', '2']);
  await until('ready again', () => second.output().includes('TEMPORAL_ADDRESS='), 120_000);
  await stop(second, JSON.parse(fs.readFileSync(readyFile, 'utf8')) as Ready);
});
