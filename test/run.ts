/**
 * `npm test` runner: starts ONE real Temporal dev server (from the binary workers/temporal-server.ts finds or builds),
 * runs every test file with node's test runner against it, and stops it. Node prints its own summary line.
 *   tsx test/run.ts [file-or-folder ...]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '../common/logger';
import { findTemporalCli, startDevServer } from '../workers/temporal-server';

function collect(target: string): string[] {
  const stat = fs.statSync(target);
  if (stat.isFile()) return [target];
  return fs
    .readdirSync(target, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? collect(path.join(target, e.name))
        : e.name.endsWith('.test.ts')
          ? [path.join(target, e.name)]
          : [],
    );
}

async function main() {
  const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'info', name: 'test-run', pretty: false });
  const root = path.resolve(__dirname, '..');
  const targets = process.argv.slice(2);
  const files = (targets.length ? targets : [path.join(root, 'test')]).flatMap(collect).sort();
  const cli = await findTemporalCli({ cliPath: process.env.TEMPORAL_CLI || undefined, log });
  const server = await startDevServer({ cli, headless: true, log });
  log.info({ address: server.address, files: files.length }, 'temporal dev server started for the test run');
  let code = 1;
  try {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 3}`,
        '--test-timeout=240000',
        ...files,
      ],
      { stdio: 'inherit', env: { ...process.env, TEMPORAL_TEST_ADDRESS: server.address, TEMPORAL_CLI: cli } },
    );
    code = (await new Promise<number | null>((resolve) => child.on('close', resolve))) ?? 1;
  } finally {
    await server.stop();
  }
  process.exit(code);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
