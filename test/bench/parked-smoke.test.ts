import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';

/**
 * The parked benchmark is not a test (CI does not measure anything), but it must keep starting: it runs at a tiny size on
 * this run's Temporal server and prints its closing line in the documented shape (its own file, so it runs beside the
 * other benchmark's smoke test).
 */

const ROOT = path.resolve(__dirname, '..', '..');
const address = process.env.TEMPORAL_TEST_ADDRESS;

function run(script: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

const on = address ? ['--address', address] : [];
const queue = () => ['--task-queue', `smoke-${Math.random().toString(36).slice(2, 8)}`];

it('npm run bench:parked prints the parked line', async () => {
  const { code, out } = await run('scripts/bench-parked.ts', [
    '3',
    ...on,
    ...queue(),
    '--lists',
    '2',
    '--repairs',
    '2',
    '--sample',
    '1',
    '--day-seconds',
    '5',
  ]);
  assert.equal(code, 0, out);
  assert.match(
    out.trim().split('\n').at(-1)!,
    /^parked: 3 refunds, worker rss \d+ MiB, list p99 \d+ ms, repair p99 \d+ ms$/,
    out,
  );
});
