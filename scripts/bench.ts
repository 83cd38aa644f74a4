/**
 * Benchmark: N refunds end to end on this machine, through a real Temporal dev server (SQLite file), the sandbox over
 * real HTTP, and the real workers. Prints throughput, end-to-end latency percentiles and the submission rate the store
 * saw against the configured task-queue limit.
 *   npx tsx scripts/bench.ts [refunds=200] [ratePerSecond=20]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createBwpClient, createRefundClient } from '../activities/clients';
import { startOrJoinRefund } from '../api/start-refund';
import { createLogger } from '../common/logger';
import { DEFAULT_MERCHANT_REASONS, DEFAULT_REASON_MAP } from '../domain/reasons';
import { createSandbox, loadFixture, uniqueFixture } from '../sandbox';
import { installRuntime } from '../workers/runtime';
import { findTemporalCli, startDevServer } from '../workers/temporal-server';
import { createRefundWorkers, runWorkers, shutdownWorkers } from '../workers/worker';
import type { refundWorkflow } from '../workflows/refund';
import { RefundStatus } from '../workflows/refund.contract';

const N = Number(process.argv[2] ?? 200);
const RATE = Number(process.argv[3] ?? 20);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main() {
  const log = createLogger({ level: 'warn', pretty: false });
  installRuntime(log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refund-bench-'));
  const server = await startDevServer({
    cli: await findTemporalCli({ log }),
    dbFile: path.join(dir, 'temporal.db'),
    headless: true,
    log,
  });
  const tokens = { bwp: 'bench', refund: 'bench', bp: 'bench-bp' };
  const sandbox = await createSandbox({
    bwpToken: tokens.bwp,
    refundToken: tokens.refund,
    businessProductId: tokens.bp,
    logger: log,
  });
  const native = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const taskQueue = 'bench';
  const workers = await createRefundWorkers({
    connection: native,
    namespace: 'default',
    taskQueue,
    submitRatePerSecond: RATE,
    deps: {
      bwp: createBwpClient({
        url: sandbox.bwpUrl,
        token: tokens.bwp,
        targetId: tokens.bp,
        apiVersion: '2024-11-01',
        timeoutMs: 10_000,
        perLineAmounts: true,
      }),
      refunds: createRefundClient({ url: sandbox.storeUrl, token: tokens.refund, timeoutMs: 10_000 }),
      policy: {
        reasons: { map: DEFAULT_REASON_MAP, merchantReasons: DEFAULT_MERCHANT_REASONS },
        allowAppeasement: true,
      },
    },
  });
  const running = runWorkers(workers);

  const fixtures = Array.from({ length: N }, () =>
    uniqueFixture(loadFixture('healthy-multi-sku'), { businessProductId: tokens.bp }),
  );
  for (const f of fixtures) await sandbox.seed(f);
  const timing = { settleInitialMs: 100, settleMaxMs: 1000 };

  const t0 = Date.now();
  const latencies = await Promise.all(
    fixtures.map(async (f) => {
      const start = Date.now();
      const { workflowId } = await startOrJoinRefund(client, {
        orderId: f.bwpOrder.id,
        refundId: f.refundId,
        eventId: `bench-${f.refundId}`,
        taskQueue,
        timing,
      });
      const result = await client.workflow.getHandle<typeof refundWorkflow>(workflowId).result();
      if (result.status !== RefundStatus.REFUNDED) throw new Error(`${workflowId} ended ${result.status}`);
      return Date.now() - start;
    }),
  );
  const elapsed = (Date.now() - t0) / 1000;

  const calls = sandbox.state.store
    .requests()
    .filter((r) => r.path === '/refund')
    .map((r) => r.at)
    .sort((a, b) => a - b);
  let maxInWindow = 0;
  for (let i = 0, j = 0; i < calls.length; i++) {
    while (calls[i]! - calls[j]! >= 1000) j++;
    maxInWindow = Math.max(maxInWindow, i - j + 1);
  }
  const ledger = sandbox.state.store.ledger();
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    `refund-orchestrator benchmark — ${os.cpus().length} cores, Node ${process.version}, Temporal dev server (SQLite file)`,
  );
  console.log(`refunds:                  ${N} (healthy-multi-sku), all REFUNDED`);
  console.log(`wall time:                ${elapsed.toFixed(1)} s`);
  console.log(`throughput:               ${(N / elapsed).toFixed(1)} refunds/s`);
  console.log(
    `end-to-end latency:       p50 ${percentile(sorted, 50)} ms, p95 ${percentile(sorted, 95)} ms, max ${sorted.at(-1)} ms`,
  );
  console.log(
    `POST /refund rate limit:  ${RATE}/s configured; store saw ${calls.length} calls, at most ${maxInWindow} in any 1 s window`,
  );
  console.log(
    `store ledger:             ${ledger.length} refunds applied for ${N} refunds (${ledger.length === N ? 'exactly once' : 'MISMATCH'})`,
  );

  shutdownWorkers(workers);
  await running;
  await connection.close();
  await native.close();
  await sandbox.close();
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
