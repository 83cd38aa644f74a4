/**
 * `npm test` runner: starts ONE real Temporal dev server (from the binary tools/temporal/dev-server.ts finds or builds),
 * runs every test file with node's test runner against it, and stops it. Node prints its own summary line.
 *   tsx test/run.ts [file-or-folder ...]
 * test/cluster (`npm run test:cluster`) runs only when named; it starts its own Temporal cluster. The runner also finds
 * (or builds) the production server binaries first and passes them on as TEMPORAL_SERVER / TEMPORAL_SQL_TOOL.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '../common/logger';
import { findTemporalServer } from '../tools/temporal/cluster';
import { findTemporalCli, startDevServer } from '../tools/temporal/dev-server';

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

const inside = (file: string, dir: string) => path.resolve(file).startsWith(dir + path.sep);

async function main() {
  const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'info', name: 'test-run', pretty: false });
  const root = path.resolve(__dirname, '..');
  const targets = process.argv.slice(2);
  // The cluster suite (`npm run test:cluster`) runs only when named: it starts its own Temporal cluster.
  const clusterDir = path.join(root, 'test', 'cluster');
  const files = (
    targets.length ? targets.flatMap(collect) : collect(path.join(root, 'test')).filter((f) => !inside(f, clusterDir))
  ).sort();
  const cli = await findTemporalCli({ cliPath: process.env.TEMPORAL_CLI || undefined, log });
  // Found (or built) before any test starts, so a first build is not cut off by a test's timeout.
  const serverBinaries = await findTemporalServer({
    serverPath: process.env.TEMPORAL_SERVER || undefined,
    sqlToolPath: process.env.TEMPORAL_SQL_TOOL || undefined,
    log,
  });
  // The cluster suite alone needs no dev server.
  const server = files.every((f) => inside(f, clusterDir))
    ? undefined
    : await startDevServer({ cli, headless: true, log });
  log.info({ address: server?.address, files: files.length }, 'starting the test run');
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
      {
        stdio: 'inherit',
        env: {
          ...process.env,
          ...(server ? { TEMPORAL_TEST_ADDRESS: server.address } : {}),
          TEMPORAL_CLI: cli,
          TEMPORAL_SERVER: serverBinaries.server,
          TEMPORAL_SQL_TOOL: serverBinaries.sqlTool,
        },
      },
    );
    code = (await new Promise<number | null>((resolve) => child.on('close', resolve))) ?? 1;
  } finally {
    await server?.stop();
  }
  process.exit(code);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
