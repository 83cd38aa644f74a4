/**
 * `npm run bench:parked -- N [flags]`: N refunds parked for repair (the flat-goodwill-10-usd fixture: no item detail,
 * so validation parks it with a suggested repair) on one production worker (workers/main.ts, its own process), then,
 * while all are parked: the worker's peak RSS, `GET /refunds?status=AWAITING_REPAIR` at page size 50 (p50/p99, pages
 * walked with the cursor), `GET /refunds/:id` of refunds spread over the set (p50/p99) and the repair round trip (POST /refunds/:id/repair: the update sent, accepted and answered;
 * p50/p99). Meanwhile a sample of refunds on a second worker whose timing config is compressed (a day of re-checks and
 * the PARKED_TOO_LONG flag in --day-seconds) gives the history events per parked refund after a day.
 * Flags: --address host:port (--server-pids 1,2,3 for its CPU), --lists 100, --details 100, --repairs 100, --sample 20, --day-seconds 120, --concurrency 50,
 *   --recheck-initial-seconds (the main worker's RECHECK_INITIAL_SECONDS; default 21600, the steady state of refunds
 *   parked for days), --cache N (the worker's WORKFLOW_CACHE_SIZE; default: its own default), --profile DIR.
 * Last line: `parked: N refunds, worker rss X MiB, list p99 Y ms, detail p99 D ms, repair p99 Z ms`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../api/app';
import { startOrJoinRefund } from '../api/start-refund';
import { loadConfig } from '../common/config';
import { newOperatorKey, writeKeysFile } from '../common/operator-keys';
import { loadFixture, uniqueFixture, type Fixture } from '../sandbox';
import { listen } from '../sandbox/http';
import { refundWorkflowId, RefundStatus, SEARCH_ATTRIBUTES } from '../workflows/refund.contract';
import {
  commonFlags,
  cpuMeter,
  header,
  loadavg,
  log,
  percentile,
  sandboxEnv,
  startSandbox,
  startWorker,
  temporalServer,
  TOKENS,
  workerEnv,
  type SandboxProcess,
  type Server,
} from './bench/lib';

const { flags, rest, address, profileDir, serverPids } = commonFlags(process.argv.slice(2));
const num = (name: string, fallback: number) => (flags[name] === undefined ? fallback : Number(flags[name]));
const N = Number(rest[0] ?? 1000);
const LISTS = num('lists', 100);
const DETAILS = Math.min(N, num('details', 100));
const REPAIRS = Math.min(N, num('repairs', 100));
const SAMPLE = num('sample', 20);
const DAY_SECONDS = num('day-seconds', 120);
const CONCURRENCY = num('concurrency', 50);
const QUEUE = flags['task-queue'] ?? 'bench-parked';
const DAY_QUEUE = `${QUEUE}-day`;

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  const one = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, one));
}

const fixtures = (n: number) =>
  Array.from({ length: n }, () => uniqueFixture(loadFixture('flat-goodwill-10-usd'), { businessProductId: TOKENS.bp }));

async function park(client: Client, queue: string, fs: Fixture[]) {
  await forEachLimited(fs, CONCURRENCY, async (f) => {
    await startOrJoinRefund(client, {
      orderId: f.bwpOrder.id,
      refundId: f.refundId,
      eventId: `bench-${f.refundId}`,
      taskQueue: queue,
    });
  });
}

async function countParked(client: Client, queue: string): Promise<number> {
  const { count } = await client.workflowService.countWorkflowExecutions({
    namespace: client.options.namespace,
    query: `TaskQueue = "${queue}" AND ${SEARCH_ATTRIBUTES.status.name} = "${RefundStatus.AWAITING_REPAIR}" AND ExecutionStatus = "Running"`,
  });
  return Number(count ?? 0);
}

async function waitParked(client: Client, queue: string, n: number, what: string) {
  const t0 = Date.now();
  let last = -1;
  for (;;) {
    const parked = await countParked(client, queue);
    if (parked >= n) break;
    if (parked !== last && Date.now() - t0 > 10_000)
      console.log(`    ${what}: ${parked}/${n} parked (load ${loadavg()})`);
    last = parked;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return (Date.now() - t0) / 1000;
}

async function api(server: Server, sandbox: SandboxProcess, client: Client) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-keys-'));
  const made = newOperatorKey('Bench Operator', 'operator');
  writeKeysFile(path.join(dir, 'keys.json'), { version: 1, keys: [made.entry] });
  const config = loadConfig({
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    TEMPORAL_TASK_QUEUE: QUEUE,
    OPERATOR_KEYS_FILE: path.join(dir, 'keys.json'),
    ...sandboxEnv(sandbox),
    SANDBOX_ENABLED: 'false',
  });
  const http = await listen(createApp({ client, config, logger: log }), '127.0.0.1', 0);
  const base = `http://127.0.0.1:${http.port}`;
  let n = 0;
  const call = async (p: string, body?: unknown) => {
    const res = await fetch(`${base}${p}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        Authorization: `Bearer ${made.key}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json', 'Idempotency-Key': `bench-${++n}` }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${p}: ${res.status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  return { call, close: () => http.close() };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function main() {
  const server = await temporalServer(address, flags.namespace, serverPids);
  header('refund-orchestrator parked benchmark', server.engine);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const sandbox = await startSandbox({}, profileDir);
  const scale = 86_400 / DAY_SECONDS;
  const worker = await startWorker(
    'refund',
    workerEnv(server, sandbox, QUEUE, 5, {
      // Refunds parked for days re-check every RECHECK_MAX_SECONDS: the N are measured in that steady state, not all
      // in their first day at once (the sample shows the first day).
      RECHECK_INITIAL_SECONDS: flags['recheck-initial-seconds'] ?? String(6 * 3600),
      ...(flags.cache ? { WORKFLOW_CACHE_SIZE: flags.cache } : {}),
    }),
    profileDir,
    // The worker's heap as README "Benchmark" advises for production: V8 collects sooner.
    [`--max-old-space-size=${flags['worker-heap-mib'] ?? '512'}`],
  );
  // The compressed day: the worker's own timing config (workers/timing.ts), every wait divided by `scale`.
  const dayWorker = await startWorker(
    'refund',
    workerEnv(server, sandbox, DAY_QUEUE, 5, {
      RECHECK_INITIAL_SECONDS: String(60 / scale),
      RECHECK_MAX_SECONDS: String((6 * 3600) / scale),
      REPAIR_ATTENTION_AFTER_HOURS: String(24 / scale),
    }),
  );
  let rssPeak = 0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, worker.peakRssMiB())), 1000);
  const api_ = await api(server, sandbox, client);
  try {
    console.log(
      `${N} parked refunds (flat-goodwill-10-usd), ${LISTS} list pages, ${REPAIRS} repairs; a compressed day (${DAY_SECONDS} s) for ${SAMPLE}`,
    );
    const sample = fixtures(SAMPLE);
    const main = fixtures(N);
    const seedStart = Date.now();
    await sandbox.seed([...sample, ...main]);
    console.log(`seeded ${N + SAMPLE} orders in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

    await park(client, DAY_QUEUE, sample);
    const dayStart = Date.now();
    // Counted when the compressed day ends (a tenth later, so the flag due at its end has fired), while the N are still
    // parking or being measured: a large N takes many such days, and the sample keeps re-checking.
    const dayEnd = (async () => {
      await new Promise((r) => setTimeout(r, DAY_SECONDS * 1100));
      const events: number[] = [];
      let continued = 0;
      for (const f of sample) {
        const handle = client.workflow.getHandle(refundWorkflowId(f.bwpOrder.id, f.refundId));
        const description = await handle.describe();
        events.push(Number(description.raw.workflowExecutionInfo?.historyLength ?? 0));
        if (description.runId !== description.raw.workflowExecutionInfo?.firstRunId) continued += 1;
      }
      const flagged = await client.workflowService.countWorkflowExecutions({
        namespace: client.options.namespace,
        query: `TaskQueue = "${DAY_QUEUE}" AND ${SEARCH_ATTRIBUTES.needsAttention.name} = true`,
      });
      return { events, continued, flagged: Number(flagged.count ?? 0), late: (Date.now() - dayStart) / 1000 };
    })();
    // Not awaited until the end: a failure there must not go unhandled meanwhile.
    dayEnd.catch(() => undefined);
    const cpu = cpuMeter({ worker: worker.pid, sandbox: sandbox.pid, server: server.pid });
    const t0 = Date.now();
    await park(client, QUEUE, main);
    const startedIn = (Date.now() - t0) / 1000;
    const parkedIn = await waitParked(client, QUEUE, N, 'main');
    console.log(
      `parking: ${N} started in ${startedIn.toFixed(1)} s, all parked after ${((Date.now() - t0) / 1000).toFixed(1)} s (${(N / ((Date.now() - t0) / 1000)).toFixed(1)}/s, load ${loadavg()})`,
    );
    console.log(`    cpu: ${cpu()}; waited ${parkedIn.toFixed(0)} s for the last`);

    // Every refund parked: list pages at page size 50, walked with the cursor (and again from the start at the end).
    const lists: number[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < LISTS; i++) {
      const q = `/refunds?status=AWAITING_REPAIR&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      let page: Record<string, unknown> = {};
      lists.push(await timed(async () => (page = await api_.call(q))));
      cursor = page.nextCursor as string | undefined;
    }
    console.log(
      `GET /refunds?status=AWAITING_REPAIR&limit=50: p50 ${percentile(lists, 50).toFixed(0)} ms, p99 ${percentile(lists, 99).toFixed(0)} ms over ${LISTS} pages (load ${loadavg()})`,
    );

    // Details of refunds spread over the whole set: each a describe() of its memo, no worker involved.
    const details: number[] = [];
    for (let i = 0; i < DETAILS; i++) {
      const f = main[Math.floor((i * N) / DETAILS + N / DETAILS / 2) % N]!;
      const id = encodeURIComponent(refundWorkflowId(f.bwpOrder.id, f.refundId));
      details.push(await timed(() => api_.call(`/refunds/${id}`)));
    }
    console.log(
      `GET /refunds/:id: p50 ${percentile(details, 50).toFixed(0)} ms, p99 ${percentile(details, 99).toFixed(0)} ms over ${DETAILS} (load ${loadavg()})`,
    );

    // Repairs of refunds spread over the whole set (most of them evicted from the worker's cache by now).
    const repairs: number[] = [];
    for (let i = 0; i < REPAIRS; i++) {
      const f = main[Math.floor((i * N) / REPAIRS)]!;
      const id = encodeURIComponent(refundWorkflowId(f.bwpOrder.id, f.refundId));
      const form = (await api_.call(`/refunds/${id}/repair`)) as { suggestion?: { repair: unknown } };
      if (!form.suggestion) throw new Error(`${id}: no suggestion to repair with`);
      repairs.push(await timed(() => api_.call(`/refunds/${id}/repair`, form.suggestion!.repair)));
    }
    console.log(
      `POST /refunds/:id/repair (update sent → accepted answer): p50 ${percentile(repairs, 50).toFixed(0)} ms, p99 ${percentile(repairs, 99).toFixed(0)} ms over ${REPAIRS} (load ${loadavg()})`,
    );

    const day = await dayEnd;
    console.log(
      `a compressed day parked (${DAY_SECONDS} s, counted at ${day.late.toFixed(0)} s): history events per refund p50 ${percentile(day.events, 50)}, max ${Math.max(...day.events)}; ${day.flagged}/${SAMPLE} flagged PARKED_TOO_LONG; ${day.continued} continued as new`,
    );
    rssPeak = Math.max(rssPeak, worker.peakRssMiB());
    console.log(`load average at end: ${loadavg()}`);
    console.log(
      `parked: ${N} refunds, worker rss ${rssPeak.toFixed(0)} MiB, list p99 ${percentile(lists, 99).toFixed(0)} ms, detail p99 ${percentile(details, 99).toFixed(0)} ms, repair p99 ${percentile(repairs, 99).toFixed(0)} ms`,
    );
  } finally {
    clearInterval(sampler);
    await api_.close();
    await worker.stop();
    await dayWorker.stop();
    await sandbox.stop();
    await connection.close();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
