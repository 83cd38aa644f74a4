import assert from 'node:assert/strict';
import { it } from 'node:test';
import { onServer, ownQueue, runScript } from './run-script';

/**
 * The parked benchmark is not a test (CI does not measure anything), but it must keep starting: it runs at a tiny size on
 * this run's Temporal server and prints its closing line in the documented shape (its own file, so it runs beside the
 * other benchmark's smoke test).
 */

it('npm run bench:parked prints the parked line', async () => {
  const { code, out } = await runScript('scripts/bench-parked.ts', [
    '3',
    ...onServer,
    ...ownQueue(),
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
    /^parked: 3 refunds, worker rss \d+ MiB, list p99 \d+ ms, detail p99 \d+ ms, repair p99 \d+ ms$/,
    out,
  );
});
