import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Connection } from '@temporalio/client';
import { createLogger } from '../../common/logger';
import {
  findTemporalCli,
  freePort,
  startDevServer,
  TemporalCliNotFoundError,
  toolsDir,
} from '../../tools/temporal/dev-server';
import { SEARCH_ATTRIBUTE_TYPES } from '../../workflows/refund.contract';

const log = createLogger({ level: 'silent', pretty: false });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function fakeBinary(dir: string, name = 'temporal'): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, '#!/bin/sh\necho fake\n', { mode: 0o755 });
  return file;
}

/** Runs `fn` with PATH, HOME and XDG_CACHE_HOME pointed at test folders. */
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

describe('finding the Temporal CLI', () => {
  it('TEMPORAL_CLI wins when it is an executable', async () => {
    const bin = fakeBinary(path.join(tmp, 'explicit'));
    assert.equal(await findTemporalCli({ cliPath: bin, log }), bin);
  });

  it('TEMPORAL_CLI that is not executable is a clear error naming it', async () => {
    await assert.rejects(
      findTemporalCli({ cliPath: path.join(tmp, 'missing'), log }),
      /TEMPORAL_CLI=.*missing is not an executable/,
    );
  });

  it('then `temporal` on PATH', async () => {
    const dir = path.join(tmp, 'on-path');
    const bin = fakeBinary(dir);
    assert.equal(await withEnv({ PATH: dir }, () => findTemporalCli({ log, root: path.join(tmp, 'root-a') })), bin);
  });

  it("then the project's tools folder", async () => {
    const root = path.join(tmp, 'root-b');
    const bin = fakeBinary(toolsDir(root));
    const emptyPath = path.join(tmp, 'empty-path');
    fs.mkdirSync(emptyPath, { recursive: true });
    assert.equal(await withEnv({ PATH: emptyPath }, () => findTemporalCli({ log, root })), bin);
  });

  it('then the per-user cache, linked into the tools folder (a fresh clone does not rebuild)', async () => {
    const root = path.join(tmp, 'root-c');
    const cache = path.join(tmp, 'cache-c');
    fakeBinary(path.join(cache, 'refund-orchestrator', 'temporal-cli-v1.5.1'));
    const emptyPath = path.join(tmp, 'empty-path');
    const found = await withEnv({ PATH: emptyPath, XDG_CACHE_HOME: cache }, () => findTemporalCli({ log, root }));
    assert.equal(found, path.join(toolsDir(root), 'temporal'));
    assert.ok(fs.lstatSync(found).isSymbolicLink());
  });

  it('without a binary and without Go it stops with a clear message: install the CLI or set TEMPORAL_ADDRESS', async () => {
    const emptyPath = path.join(tmp, 'empty-path');
    const err = await withEnv({ PATH: emptyPath, XDG_CACHE_HOME: path.join(tmp, 'cache-empty') }, () =>
      findTemporalCli({ log, root: path.join(tmp, 'root-d') }).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e,
      ),
    );
    assert.ok(err instanceof TemporalCliNotFoundError);
    assert.match(err.message, /Go is not available/);
    assert.match(err.message, /Install the Temporal CLI/);
    assert.match(err.message, /TEMPORAL_ADDRESS/);
  });
});

describe('the dev server', () => {
  it('keeps workflows in its SQLite file and registers the search attributes even when the database already exists', async () => {
    const cli = await findTemporalCli({ cliPath: process.env.TEMPORAL_CLI || undefined, log });
    const dbFile = path.join(tmp, 'existing', 'temporal.db');
    fs.mkdirSync(path.dirname(dbFile), { recursive: true });
    // A database created by a plain `start-dev`, without our search attributes.
    const port = await freePort();
    const plain = spawn(
      cli,
      ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', dbFile],
      {
        stdio: 'ignore',
      },
    );
    let ready = false;
    for (let i = 0; i < 200 && !ready; i++) {
      ready = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 500 })
        .then(async (c) => {
          await c.workflowService.getSystemInfo({});
          await c.close();
          return true;
        })
        .catch(() => false);
      if (!ready) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(ready, 'plain dev server started');
    plain.kill('SIGTERM');
    await new Promise((r) => plain.on('exit', r));

    const server = await startDevServer({ cli, dbFile, headless: true, log });
    try {
      const connection = await Connection.connect({ address: server.address });
      const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      await connection.close();
      for (const name of Object.keys(SEARCH_ATTRIBUTE_TYPES))
        assert.ok(name in (listed.customAttributes ?? {}), `${name} registered`);
    } finally {
      await server.stop();
    }
  });
});
