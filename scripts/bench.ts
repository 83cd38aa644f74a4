/**
 * `npm run bench -- [flags]`: on one Temporal server and machine, in one run:
 *   (a) N healthy refunds through the production worker (workers/main.ts), and (b) N bare workflows of the same shape
 *       (scripts/bench/bare-workflows.ts: same activity count, queues, limiter and worker options, no-op activities):
 *       throughput of each and the ratio;
 *   (c) against a store enforcing its limit (the sandbox's token bucket: --store-rate R, --store-burst B, 429 with
 *       Retry-After): the service (limiter --limit) and the naive peer (scripts/naive-peer.ts, --naive-workers K):
 *       goodput, throttled calls, p50/p99 event-to-refund time.
 * Flags: --refunds N (200) --rate 20 (limiter of a/b) --goodput-refunds M (300) --store-rate 5 --store-burst 6
 *   --limit 4.9 --naive-workers 10 --address host:port (an existing server; default: a dev server of its own)
 *   --server-pids 1,2,3 (with --address: the server processes whose CPU is reported)
 *   --profile DIR (node --cpu-prof of the workers and the sandbox into DIR).
 * Ends with `ratio refund/bare: X.XX` and `goodput/limit: service X.XX (throttled N), naive Y.YY (throttled M)`.
 */
import { Client, Connection } from '@temporalio/client';
import { startOrJoinRefund } from '../api/start-refund';
import { policyFromConfig } from '../common/policy';
import { loadConfig } from '../common/config';
import { loadFixture, uniqueFixture, type Fixture } from '../sandbox';
import type { refundWorkflow } from '../workflows/refund';
import { temporal } from '@temporalio/proto';
import { RefundStatus, refundWorkflowId } from '../workflows/refund.contract';
import {
  commonFlags,
  cpuMeter,
  header,
  loadavg,
  percentile,
  startSandbox,
  startWorker,
  temporalServer,
  TOKENS,
  workerEnv,
  type SandboxProcess,
  type Server,
} from './bench/lib';
import type { bareRefundWorkflow } from './bench/bare-workflows';
import { runNaivePeer } from './naive-peer';

const { flags, address, profileDir, serverPids } = commonFlags(process.argv.slice(2));
const num = (name: string, fallback: number) => (flags[name] === undefined ? fallback : Number(flags[name]));
const N = num('refunds', 200);
const RATE = num('rate', 20);
const GOODPUT_N = num('goodput-refunds', 300);
const STORE_RATE = num('store-rate', 5);
const STORE_BURST = num('store-burst', 6);
const LIMIT = num('limit', 4.9);
const NAIVE_WORKERS = num('naive-workers', 10);
/** Fixed names: on a cluster, deploy/temporal/dynamicconfig gives exactly these submission queues one partition. */
const QUEUE = flags['task-queue'] ?? 'bench';
/** Which parts to run (profiling one at a time): a, b, c. */
const PHASES = flags.phases ?? 'abc';
const LIMITED_QUEUE = `${QUEUE}-limited`;

const fixtures = (n: number) =>
  Array.from({ length: n }, () => uniqueFixture(loadFixture('healthy-multi-sku'), { businessProductId: TOKENS.bp }));

async function throughput(
  label: string,
  n: number,
  pids: Record<string, number | number[] | undefined>,
  run: (i: number) => Promise<void>,
): Promise<{ perSecond: number; seconds: number }> {
  const cpu = cpuMeter({ ...pids, bench: process.pid });
  const t0 = Date.now();
  await Promise.all(Array.from({ length: n }, (_, i) => run(i)));
  const seconds = (Date.now() - t0) / 1000;
  console.log(`${label.padEnd(26)}${n} in ${seconds.toFixed(1)} s: ${(n / seconds).toFixed(1)}/s (load ${loadavg()})`);
  console.log(`    cpu: ${cpu()}`);
  return { perSecond: n / seconds, seconds };
}

async function refundPhase(client: Client, server: Server, sandbox: SandboxProcess) {
  const fs = fixtures(N);
  await sandbox.seed(fs);
  const worker = await startWorker('refund', workerEnv(server, sandbox, QUEUE, RATE), profileDir);
  try {
    const pids = { worker: worker.pid, sandbox: sandbox.pid, server: server.pid };
    const result = await throughput('(a) refund workflow:', N, pids, async (i) => {
      const f = fs[i]!;
      const { workflowId } = await startOrJoinRefund(client, {
        orderId: f.bwpOrder.id,
        refundId: f.refundId,
        eventId: `bench-${f.refundId}`,
        taskQueue: QUEUE,
      });
      const r = await client.workflow.getHandle<typeof refundWorkflow>(workflowId).result();
      if (r.status !== RefundStatus.REFUNDED) throw new Error(`${workflowId} ended ${r.status}`);
    });
    const histories = await historiesOf(client, fs);
    const events = historyStats(histories[0]!);
    console.log(
      `    per refund: ${events.events} history events, ${(events.bytes / 1024).toFixed(1)} KiB of history (${(events.payloadBytes / 1024).toFixed(1)} KiB in inputs and results); worker peak RSS ${worker.peakRssMiB().toFixed(0)} MiB`,
    );
    console.log(`    events: ${events.byType}`);
    printWorkflowTasks(histories);
    return result;
  } finally {
    await worker.stop();
  }
}

/** The history of each refund of a phase, read once for every figure drawn from them. */
async function historiesOf(client: Client, fs: Fixture[]): Promise<temporal.api.history.v1.IHistory[]> {
  const out: temporal.api.history.v1.IHistory[] = [];
  for (const f of fs)
    out.push(await client.workflow.getHandle(refundWorkflowId(f.bwpOrder.id, f.refundId)).fetchHistory());
  return out;
}

/** Events and payload bytes of one finished refund: what each refund costs the server and the worker. */
function historyStats(history: temporal.api.history.v1.IHistory) {
  const byType = new Map<string, number>();
  let payloadBytes = 0;
  for (const e of history.events ?? []) {
    const type = temporal.api.enums.v1.EventType[e.eventType ?? 0]?.replace('EVENT_TYPE_', '') ?? '?';
    byType.set(type, (byType.get(type) ?? 0) + 1);
    if (process.env.BENCH_DEBUG && e.upsertWorkflowSearchAttributesEventAttributes)
      console.log(
        e.eventId?.toString(),
        Object.keys(e.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {}).join(','),
      );
    const attrs = Object.values(e).find((v) => v && typeof v === 'object' && ('input' in v || 'result' in v)) as
      { input?: temporal.api.common.v1.IPayloads; result?: temporal.api.common.v1.IPayloads } | undefined;
    for (const p of [...(attrs?.input?.payloads ?? []), ...(attrs?.result?.payloads ?? [])])
      payloadBytes += p.data?.length ?? 0;
  }
  return {
    events: history.events?.length ?? 0,
    bytes: temporal.api.history.v1.History.encode(history).finish().length,
    payloadBytes,
    byType: [...byType].map(([t, n]) => `${t} ${n}`).join(', '),
  };
}

const eventMs = (e: temporal.api.history.v1.IHistoryEvent) =>
  Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);

/**
 * How long the worker held each workflow task of the phase (started → completed or failed) and how many the server
 * timed out: the margin under the workflow task timeout (the server's 10 s default) on this machine at this load.
 */
function printWorkflowTasks(histories: temporal.api.history.v1.IHistory[]) {
  const held: number[] = [];
  let timedOut = 0;
  for (const history of histories) {
    let startedAt: number | undefined;
    for (const e of history.events ?? []) {
      if (e.workflowTaskStartedEventAttributes) startedAt = eventMs(e);
      else if ((e.workflowTaskCompletedEventAttributes || e.workflowTaskFailedEventAttributes) && startedAt) {
        held.push(eventMs(e) - startedAt);
        startedAt = undefined;
      } else if (e.workflowTaskTimedOutEventAttributes) timedOut++;
    }
  }
  console.log(
    `    workflow tasks: ${held.length}, started→completed p50 ${percentile(held, 50)} ms, p99 ${percentile(held, 99)} ms, max ${Math.max(...held)} ms; timed out ${timedOut}`,
  );
}

/**
 * BENCH_DEBUG=1: pauses of over 800 ms between the starts of consecutive submissions of (c), and how many submissions
 * were scheduled and waiting through each (0: the refunds had not reached submission yet; more: the limiter or the
 * submission worker held them).
 */
function printSubmitPauses(histories: temporal.api.history.v1.IHistory[], since: number) {
  const rows: { scheduled: number; started: number }[] = [];
  for (const history of histories) {
    const byId = new Map<string, { scheduled: number; started: number }>();
    for (const e of history.events ?? []) {
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name?.startsWith('submit'))
        byId.set(String(e.eventId), { scheduled: eventMs(e) - since, started: 0 });
      const started = e.activityTaskStartedEventAttributes;
      const row = started && byId.get(String(started.scheduledEventId));
      if (row) row.started = eventMs(e) - since;
    }
    rows.push(...byId.values());
  }
  rows.sort((a, b) => a.started - b.started);
  for (let i = 1; i < rows.length; i++) {
    const gap = rows[i]!.started - rows[i - 1]!.started;
    if (gap > 800) {
      const waiting = rows.filter((r) => r.scheduled < rows[i - 1]!.started && r.started >= rows[i]!.started).length;
      console.log(
        `    pause of ${gap} ms in submit starts at +${rows[i - 1]!.started} ms; ${waiting} submit tasks were scheduled and waiting`,
      );
    }
  }
  console.log(
    `    submits: first scheduled +${Math.min(...rows.map((r) => r.scheduled))} ms, last scheduled +${Math.max(...rows.map((r) => r.scheduled))} ms`,
  );
}

async function barePhase(client: Client, server: Server, sandbox: SandboxProcess) {
  const worker = await startWorker('bare', workerEnv(server, sandbox, QUEUE, RATE), profileDir);
  const run = `${Date.now()}`;
  try {
    const pids = { worker: worker.pid, sandbox: sandbox.pid, server: server.pid };
    return await throughput('(b) bare workflow:', N, pids, async (i) => {
      const handle = await client.workflow.start<typeof bareRefundWorkflow>('bareRefundWorkflow', {
        workflowId: `bare:${run}:${i}`,
        taskQueue: QUEUE,
        args: [{ orderId: `bare-${run}-${i}`, refundId: `r-${i}` }],
      });
      await handle.result();
    });
  } finally {
    await worker.stop();
  }
}

interface Goodput {
  goodput: number;
  throttled: number;
  p50: number;
  p99: number;
  refunded: number;
  perSecond: number;
  /** The longest pause between two consecutive POST /refund calls of the phase (ms). */
  longestGap: number;
  /** When each throttled call arrived, in seconds from the phase's first call. */
  throttledAt: number[];
  /** The most calls that arrived within any 1 s, and within any 5 s (the store allows B + R s in s seconds). */
  densest: { in1s: number; in5s: number };
}

/** The most timestamps (ms, sorted) within any window of `ms`. */
function densest(at: number[], ms: number): number {
  let most = 0;
  for (let i = 0, j = 0; j < at.length; j++) {
    while (at[j]! - at[i]! >= ms) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

/**
 * Goodput over limit: refunds the store applied over what its bucket allowed in the same span (B + R × span, span from
 * the first POST /refund of the phase to its last refund). 1.00 is every token turned into a refund.
 */
async function storeFigures(sandbox: SandboxProcess, since: number, startedAt: Map<string, number>): Promise<Goodput> {
  const calls = (await sandbox.storeRequests()).filter((r) => r.path === '/admin/api/v1/refund' && r.at >= since);
  const ledger = (await sandbox.storeLedger()).filter((e) => startedAt.has(e.key.order));
  const done = ledger.map((e) => Date.parse(e.at));
  const first = Math.min(...calls.map((c) => c.at));
  const last = Math.max(...done);
  const span = (last - first) / 1000;
  const latencies = ledger.map((e) => Date.parse(e.at) - startedAt.get(e.key.order)!);
  const at = calls.map((c) => c.at).sort((a, b) => a - b);
  const longestGap = at.reduce((gap, t, i) => (i === 0 ? 0 : Math.max(gap, t - at[i - 1]!)), 0);
  return {
    goodput: ledger.length / (STORE_BURST + STORE_RATE * span),
    throttled: calls.filter((c) => c.status === 429).length,
    throttledAt: calls.filter((c) => c.status === 429).map((c) => (c.at - first) / 1000),
    densest: { in1s: densest(at, 1000), in5s: densest(at, 5000) },
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    refunded: ledger.length,
    perSecond: ledger.length / span,
    longestGap,
  };
}

function printGoodput(label: string, g: Goodput) {
  console.log(
    `${label.padEnd(26)}${g.refunded} refunded, ${g.perSecond.toFixed(2)}/s, goodput/limit ${g.goodput.toFixed(3)}, throttled ${g.throttled}, event-to-refund p50 ${g.p50} ms p99 ${g.p99} ms, longest pause between calls ${g.longestGap} ms (load ${loadavg()})`,
  );
  const when = g.throttledAt.length
    ? `; throttled at ${g.throttledAt
        .slice(0, 10)
        .map((t) => `+${t.toFixed(1)} s`)
        .join(', ')}`
    : '';
  console.log(
    `    calls: at most ${g.densest.in1s} in 1 s and ${g.densest.in5s} in 5 s (the store allows ${STORE_BURST + STORE_RATE} and ${STORE_BURST + 5 * STORE_RATE})${when}`,
  );
}

async function goodputPhase(client: Client, server: Server) {
  const sandbox = await startSandbox({ storeRatePerSecond: STORE_RATE, storeRateBurst: STORE_BURST }, profileDir);
  try {
    // The service: every event starts a refund at once; Temporal's task-queue limit paces POST /refund.
    const serviceFixtures = fixtures(GOODPUT_N);
    await sandbox.seed(serviceFixtures);
    const worker = await startWorker('refund', workerEnv(server, sandbox, LIMITED_QUEUE, LIMIT), profileDir);
    const startedAt = new Map<string, number>();
    const since = Date.now();
    try {
      await Promise.all(
        serviceFixtures.map(async (f) => {
          startedAt.set(f.storeOrder.id, Date.now());
          const { workflowId } = await startOrJoinRefund(client, {
            orderId: f.bwpOrder.id,
            refundId: f.refundId,
            eventId: `bench-${f.refundId}`,
            taskQueue: LIMITED_QUEUE,
          });
          const r = await client.workflow.getHandle<typeof refundWorkflow>(workflowId).result();
          if (r.status !== RefundStatus.REFUNDED) throw new Error(`${workflowId} ended ${r.status}`);
        }),
      );
    } finally {
      await worker.stop();
    }
    const service = await storeFigures(sandbox, since, startedAt);
    printGoodput('(c) service:', service);
    const histories = await historiesOf(client, serviceFixtures);
    if (process.env.BENCH_DEBUG) printSubmitPauses(histories, since);
    printWorkflowTasks(histories);

    // The naive peer: the same events in a queue, K consumers, retry after Retry-After, no global limiter.
    await new Promise((r) => setTimeout(r, (STORE_BURST / STORE_RATE) * 1000 + 1000)); // the store's bucket refills
    const naiveFixtures = fixtures(GOODPUT_N);
    await sandbox.seed(naiveFixtures);
    const naiveStarted = new Map<string, number>();
    const naiveSince = Date.now();
    for (const f of naiveFixtures) naiveStarted.set(f.storeOrder.id, naiveSince);
    const result = await runNaivePeer({
      ...sandbox.clients(),
      policy: policyFromConfig(loadConfig({})),
      events: naiveFixtures.map((f) => ({ orderId: f.bwpOrder.id, refundId: f.refundId })),
      workers: NAIVE_WORKERS,
    });
    if (result.failed.length > 0) throw new Error(`naive peer failed: ${JSON.stringify(result.failed.slice(0, 3))}`);
    const naive = await storeFigures(sandbox, naiveSince, naiveStarted);
    printGoodput(`(c) naive, K=${NAIVE_WORKERS}:`, naive);
    return { service, naive };
  } finally {
    await sandbox.stop();
  }
}

async function main() {
  const server = await temporalServer(address, flags.namespace, serverPids);
  header('refund-orchestrator benchmark', server.engine);
  console.log(
    `(a)/(b): ${N} each, limiter ${RATE}/s; (c): ${GOODPUT_N} each, store bucket ${STORE_RATE}/s burst ${STORE_BURST}, service limiter ${LIMIT}/s, naive K=${NAIVE_WORKERS}`,
  );
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  try {
    const sandbox = await startSandbox({}, profileDir);
    let refund, bare;
    try {
      if (PHASES.includes('a')) refund = await refundPhase(client, server, sandbox);
      if (PHASES.includes('b')) bare = await barePhase(client, server, sandbox);
    } finally {
      await sandbox.stop();
    }
    const goodput = PHASES.includes('c') ? await goodputPhase(client, server) : undefined;
    console.log(`load average at end: ${loadavg()}`);
    if (refund && bare) console.log(`ratio refund/bare: ${(refund.perSecond / bare.perSecond).toFixed(2)}`);
    if (goodput) {
      const { service, naive } = goodput;
      console.log(
        `goodput/limit: service ${service.goodput.toFixed(2)} (throttled ${service.throttled}), naive ${naive.goodput.toFixed(2)} (throttled ${naive.throttled})`,
      );
    }
  } finally {
    await connection.close();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
