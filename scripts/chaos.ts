import { parseArgs } from 'node:util';
import { runChaos } from '../test/chaos/run';

/**
 * `npm run chaos -- [--refunds N] [--seed S]`: the seeded adversarial run of the whole service (README, "Chaos run").
 * Exits 1 when any count of the last line is not zero; the seed printed first reproduces the schedule.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      refunds: { type: 'string', default: '60' },
      seed: { type: 'string' },
      workers: { type: 'string', default: '2' },
      concurrency: { type: 'string' },
      'keep-data': { type: 'boolean', default: false },
      'prove-judge': { type: 'boolean', default: false },
    },
  });
  const int = (name: string, raw: string | undefined, min: number): number | undefined => {
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min)
      throw new Error(`--${name} must be a whole number ≥ ${min} (got ${raw})`);
    return value;
  };
  const refunds = int('refunds', values.refunds, 1)!;
  const seed = int('seed', values.seed, 0) ?? Math.floor(Math.random() * 2 ** 31);
  const report = await runChaos({
    refunds,
    seed,
    workers: int('workers', values.workers, 2),
    concurrency: int('concurrency', values.concurrency, 1),
    keepData: values['keep-data'],
    proveJudge: values['prove-judge'],
  });
  const c = report.counts;
  process.exitCode = c.lost + c.doubled + c.overridden + c.unreported + c.wftFailures + c.stuck === 0 ? 0 : 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(2);
  },
);
