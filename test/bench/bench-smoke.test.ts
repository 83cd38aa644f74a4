import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';

/**
 * The benchmarks are not tests (CI does not measure anything), but they must keep starting: each runs at a tiny size on
 * this run's Temporal server and prints its closing lines in the documented shape.
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

it('npm run bench prints the ratio and the goodput lines', async () => {
  const { code, out } = await run('scripts/bench.ts', [
    ...on,
    ...queue(),
    '--refunds',
    '3',
    '--goodput-refunds',
    '3',
    '--store-rate',
    '20',
    '--store-burst',
    '20',
    '--limit',
    '19',
  ]);
  assert.equal(code, 0, out);
  const lines = out.trim().split('\n');
  assert.match(lines.at(-2)!, /^ratio refund\/bare: \d+\.\d\d$/, out);
  assert.match(
    lines.at(-1)!,
    /^goodput\/limit: service \d+\.\d\d \(throttled \d+\), naive \d+\.\d\d \(throttled \d+\)$/,
    out,
  );
  assert.match(out, /load average at start: [\d.]+ [\d.]+ [\d.]+/);
});
