import assert from 'node:assert/strict';
import { it } from 'node:test';
import { onServer, ownQueue, runScript } from './run-script';

/**
 * The benchmarks are not tests (CI does not measure anything), but they must keep starting: each runs at a tiny size on
 * this run's Temporal server and prints its closing lines in the documented shape.
 */

it('npm run bench prints the ratio and the goodput lines', async () => {
  const { code, out } = await runScript('scripts/bench.ts', [
    ...onServer,
    ...ownQueue(),
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
