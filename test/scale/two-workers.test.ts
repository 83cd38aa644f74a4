import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { createSandbox, loadFixture, uniqueFixture, type Fixture, type Sandbox } from '../../sandbox';
import { buildRefundRequestedEvent } from '../../sandbox/bwp/events';
import { createLogger } from '../../common/logger';
import { findTemporalCli, freePort } from '../../tools/temporal/dev-server';
import { RefundStatus, submitTaskQueue, type RefundResult } from '../../workflows/refund.contract';
import { temporalAddress, uniqueId } from '../helpers/temporal';
import {
  ENTRY,
  ensureBuilt,
  killAll,
  scrape,
  sleep,
  startService,
  total,
  waitForHttp,
  type ServiceProcess,
} from './built-services';

/**
 * Workers scale out: several `node dist/workers/main.js` processes on one task queue share the refunds, each under its
 * own identity and with its own metrics endpoint, while the Temporal server holds the POST /refund rate limit across
 * all of them; SIGTERM drains a submission in flight before the process exits.
 */

// Production mode refuses secrets shorter than 16 characters.
const TOKENS = {
  bwpClientId: 'scale-bwp-client-id',
  bwpClientSecret: 'scale-bwp-client-secret-0123456789',
  refund: 'scale-refund-token-0123456789',
  bp: 'scale-business-product',
};
const WEBHOOK = { user: 'bwp-scale', password: 'scale-webhook-password' };
const RATE = 2;
/** Allowance for dispatch-to-arrival delay (both processes and the sandbox share 2 cores with the server). */
const JITTER_MS = 250;

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

interface Harness {
  sandbox: Sandbox;
  client: Client;
  apiUrl: string;
  temporalAddress: string;
}

/** Worker/API config, as docker-compose sets it: environment only. */
async function serviceConfig(sandbox: Sandbox, taskQueue: string, extra: Record<string, string> = {}) {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    TEMPORAL_ADDRESS: await temporalAddress(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...sandbox.serviceEnv(),
    WEBHOOK_BASIC_USER: WEBHOOK.user,
    WEBHOOK_BASIC_PASSWORD: WEBHOOK.password,
    SANDBOX_ENABLED: 'false',
    ...extra,
  };
}

async function startWorker(name: string, config: Record<string, string>) {
  const metricsPort = await freePort();
  const worker = startService(name, ENTRY.worker, { ...config, METRICS_PORT: String(metricsPort) });
  const running = await worker.waitForLine((l) => l.msg === 'worker running');
  return { worker, metricsPort, identity: String(running.identity) };
}

/** Seeds a fresh healthy refund and posts its REFUND_REQUESTED event to the API, as BwP would. */
async function requestRefund(h: Harness): Promise<{ fixture: Fixture; handle: WorkflowHandle }> {
  const fixture = uniqueFixture(loadFixture('healthy-single-sku'), { businessProductId: TOKENS.bp });
  await h.sandbox.seed(fixture);
  const res = await fetch(`${h.apiUrl}/webhooks/bwp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${WEBHOOK.user}:${WEBHOOK.password}`).toString('base64')}`,
    },
    body: JSON.stringify(buildRefundRequestedEvent(fixture.bwpOrder, fixture.refundId, TOKENS.bp, new Date())),
  });
  const body = (await res.json()) as { refunds: { workflowId: string }[] };
  assert.equal(res.status, 202, JSON.stringify(body));
  return { fixture, handle: h.client.workflow.getHandle(body.refunds[0]!.workflowId) };
}

async function resultWithin(handle: WorkflowHandle, ms: number): Promise<RefundResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      handle.result() as Promise<RefundResult>,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${handle.workflowId} not done within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Who started each activity, by activity type (from the workflow's history). */
function activityStarts(history: History): { type: string; identity: string; attempt: number; completed: boolean }[] {
  const events = history.events ?? [];
  const scheduled = new Map<string, string>();
  const completedFor = new Set<string>();
  for (const e of events) {
    if (e.activityTaskScheduledEventAttributes) {
      scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
    }
    if (e.activityTaskCompletedEventAttributes)
      completedFor.add(String(e.activityTaskCompletedEventAttributes.scheduledEventId));
  }
  return events.flatMap((e) => {
    const a = e.activityTaskStartedEventAttributes;
    if (!a) return [];
    const id = String(a.scheduledEventId);
    return [
      {
        type: scheduled.get(id) ?? '?',
        identity: a.identity ?? '',
        attempt: a.attempt ?? 0,
        completed: completedFor.has(id),
      },
    ];
  });
}

/** The most POST /refund arrivals inside any window of `windowMs`. */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while (sorted[j]! - sorted[i]! >= windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

describe('two worker processes against one Temporal server', () => {
  let sandbox: Sandbox | undefined;
  let connection: Connection | undefined;
  let h: Harness;
  const workers: { worker: ServiceProcess; metricsPort: number; identity: string }[] = [];
  let api: ServiceProcess | undefined;
  let firstBatch: WorkflowHandle[] = [];
  let taskQueue = '';

  before(async () => {
    const build = await ensureBuilt();
    assert.equal(build.exitCode, 0, build.output.slice(-4000));
    sandbox = await createSandbox({
      bwpClientId: TOKENS.bwpClientId,
      bwpClientSecret: TOKENS.bwpClientSecret,
      refundToken: TOKENS.refund,
      storeOrderToken: `${TOKENS.refund}-orders`,
      businessProductId: TOKENS.bp,
    });
    connection = await Connection.connect({ address: await temporalAddress() });
    const apiPort = await freePort();
    taskQueue = uniqueId('scale-refunds');
    const config = await serviceConfig(sandbox, taskQueue, {
      REFUND_RATE_LIMIT_PER_SECOND: String(RATE),
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
    });
    api = startService('api', ENTRY.api, config);
    workers.push(...(await Promise.all([startWorker('worker-a', config), startWorker('worker-b', config)])));
    await waitForHttp(api, `http://127.0.0.1:${apiPort}/healthz`);
    h = {
      sandbox,
      client: new Client({ connection }),
      apiUrl: `http://127.0.0.1:${apiPort}`,
      temporalAddress: await temporalAddress(),
    };
  });

  /** When each POST /refund reached the store since `since` (epoch ms, ascending). */
  const postRefundArrivals = (since: number) =>
    sandbox!.state.store
      .requests()
      .filter((r) => r.method === 'POST' && r.path === '/admin/api/v1/refund' && r.at >= since)
      .map((r) => r.at)
      .sort((a, b) => a - b);

  after(async () => {
    await killAll([...workers.map((w) => w.worker), api]);
    await sandbox?.close();
    await connection?.close();
  });

  it('shares 20 refunds between both processes, each working under its own identity', async (t) => {
    assert.notEqual(workers[0]!.identity, workers[1]!.identity);
    const started = await Promise.all(Array.from({ length: 20 }, () => requestRefund(h)));
    firstBatch = started.map((s) => s.handle);
    const results = await Promise.all(firstBatch.map((handle) => resultWithin(handle, 90_000)));
    assert.ok(
      results.every((r) => r.status === RefundStatus.REFUNDED),
      JSON.stringify(results.map((r) => r.status)),
    );

    const byIdentity = new Map<string, number>();
    for (const handle of firstBatch) {
      for (const start of activityStarts(await handle.fetchHistory())) {
        byIdentity.set(start.identity, (byIdentity.get(start.identity) ?? 0) + 1);
      }
    }
    t.diagnostic(`activity tasks by worker identity: ${JSON.stringify(Object.fromEntries(byIdentity))}`);
    for (const { identity } of workers) assert.ok((byIdentity.get(identity) ?? 0) > 0, `${identity} ran no activity`);
    assert.deepEqual(
      [...byIdentity.keys()].sort(),
      workers.map((w) => w.identity).sort(),
      'only the two worker processes ran activities',
    );
  });

  it("reports the service's metrics and the SDK's on each worker's Prometheus endpoint", async (t) => {
    const scraped = await Promise.all(workers.map((w) => scrape(w.metricsPort)));
    for (const [i, samples] of scraped.entries()) {
      const names = new Set(samples.map((s) => s.name));
      t.diagnostic(`${workers[i]!.identity}: ${[...names].filter((n) => n.startsWith('refund_')).join(', ')}`);
      for (const name of ['refund_status_entered', 'refund_submissions', 'refund_end_to_end_seconds_count']) {
        assert.ok(names.has(name), `${workers[i]!.identity} does not report ${name}`);
      }
      assert.ok(names.has('temporal_activity_execution_latency_count'), 'the SDK metrics are on the same endpoint');
      assert.ok(names.has('temporal_workflow_completed'), 'the SDK metrics are on the same endpoint');
    }
    // Across the processes, every refund is counted exactly once (workflow metrics are not emitted on replay).
    const sum = (name: string, where: Record<string, string>) =>
      scraped.reduce((acc, s) => acc + total(s, name, where), 0);
    assert.equal(sum('refund_status_entered', { status: RefundStatus.REFUNDED }), 20);
    assert.equal(sum('refund_submissions', { answer: 'success' }), 20);
    assert.equal(sum('refund_end_to_end_seconds_count', {}), 20);
    assert.equal(sum('temporal_workflow_completed', {}), 20);
  });

  it(`holds POST /refund to ${RATE} per second across both processes`, async (t) => {
    const since = Date.now();
    const started = await Promise.all(Array.from({ length: 12 }, () => requestRefund(h)));
    const results = await Promise.all(started.map((s) => resultWithin(s.handle, 90_000)));
    assert.ok(results.every((r) => r.status === RefundStatus.REFUNDED));

    const arrivals = postRefundArrivals(since);
    assert.equal(arrivals.length, 12, 'one POST /refund per refund');
    const first = arrivals[0]!;
    const busiestSecond = maxInWindow(arrivals, 1000);
    const spanMs = arrivals.at(-1)! - first;
    t.diagnostic(`POST /refund arrivals (ms after the first): ${arrivals.map((a) => a - first).join(' ')}`);
    t.diagnostic(`busiest 1-second window: ${busiestSecond}; 12 calls spread over ${spanMs} ms`);
    // The server's token bucket holds RATE tokens and starts full, so one second can see the full bucket plus one
    // second of refill: up to 2 × RATE. Measured on the dev server (one partition), 12 calls at once: two back to back,
    // then one every 500 ms (±5 ms alone, ±55 ms under the full suite); busiest 1-second window 3 or 4.
    assert.ok(busiestSecond <= 2 * RATE, `at most ${RATE} + a burst of ${RATE} in any second, saw ${busiestSecond}`);
    // The token-bucket bound itself, for every pair of calls: n calls within Δ ms need n ≤ burst + RATE·Δ/1000, with
    // JITTER_MS for the time between the server's dispatch and the arrival the sandbox records. Two buckets (one per
    // process) would break it at once.
    for (let i = 0; i < arrivals.length; i++) {
      for (let j = i + 1; j < arrivals.length; j++) {
        const allowed = RATE + (RATE * (arrivals[j]! - arrivals[i]! + JITTER_MS)) / 1000;
        assert.ok(j - i + 1 <= allowed, `${j - i + 1} calls within ${arrivals[j]! - arrivals[i]!} ms exceed ${RATE}/s`);
      }
    }
  });

  it('takes a new rate at run time from `temporal task-queue config set`, without restarting the workers', async (t) => {
    const cli = await findTemporalCli({
      cliPath: process.env.TEMPORAL_CLI || undefined,
      log: createLogger({ level: 'warn', pretty: false }),
    });
    const queue = submitTaskQueue(taskQueue);
    const set = (limit: string) =>
      execFileSync(
        cli,
        [
          'task-queue',
          'config',
          'set',
          '--address',
          h.temporalAddress,
          '-t',
          queue,
          '--task-queue-type',
          'activity',
          '--queue-rps-limit',
          limit,
          '--queue-rps-limit-reason',
          'scale test',
        ],
        { encoding: 'utf8' },
      );
    set('1');
    try {
      const since = Date.now();
      const started = await Promise.all(Array.from({ length: 6 }, () => requestRefund(h)));
      await Promise.all(started.map((s) => resultWithin(s.handle, 90_000)));
      const arrivals = postRefundArrivals(since);
      assert.equal(arrivals.length, 6);
      t.diagnostic(`at 1/s set at run time: arrivals ${arrivals.map((a) => a - arrivals[0]!).join(' ')} ms`);
      // 1/s with a bucket of 1: six calls take at least 5 s (the workers still ask for 2/s).
      assert.ok(
        arrivals.at(-1)! - arrivals[0]! >= 5000 - JITTER_MS,
        'the queue rate set at run time overrides the workers',
      );
    } finally {
      set('default');
    }
  });
});

describe('graceful shutdown of a worker process', () => {
  let sandbox: Sandbox | undefined;
  let connection: Connection | undefined;
  let draining: ServiceProcess | undefined;
  let successor: ServiceProcess | undefined;
  let api: ServiceProcess | undefined;

  after(async () => {
    await killAll([draining, successor, api]);
    await sandbox?.close();
    await connection?.close();
  });

  it('on SIGTERM, a POST /refund in flight completes before the process exits 0; nothing is refunded twice', async (t) => {
    const build = await ensureBuilt();
    assert.equal(build.exitCode, 0, build.output.slice(-4000));
    sandbox = await createSandbox({
      bwpClientId: TOKENS.bwpClientId,
      bwpClientSecret: TOKENS.bwpClientSecret,
      refundToken: TOKENS.refund,
      storeOrderToken: `${TOKENS.refund}-orders`,
      businessProductId: TOKENS.bp,
    });
    connection = await Connection.connect({ address: await temporalAddress() });
    const apiPort = await freePort();
    const config = await serviceConfig(sandbox, uniqueId('drain-refunds'), {
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
    });
    api = startService('api', ENTRY.api, config);
    const first = await startWorker('worker-draining', config);
    draining = first.worker;
    await waitForHttp(api, `http://127.0.0.1:${apiPort}/healthz`);
    const h: Harness = {
      sandbox,
      client: new Client({ connection }),
      apiUrl: `http://127.0.0.1:${apiPort}`,
      temporalAddress: await temporalAddress(),
    };

    // Every store call now takes 3 s: the submission is surely in flight when the signal arrives.
    sandbox.state.store.setFaults({ latencyMs: 3000 });
    const since = Date.now();
    const { fixture, handle } = await requestRefund(h);
    const deadline = Date.now() + 30_000;
    while (!sandbox.state.store.requests().some((r) => r.path === '/admin/api/v1/refund' && r.at >= since)) {
      assert.ok(Date.now() < deadline, `no POST /refund arrived:\n${draining.tail()}`);
      await sleep(50);
    }
    const signalledAt = Date.now();
    const exit = await draining.stop('SIGTERM', 40_000);
    const entry = sandbox.state.store.ledger().find((e) => e.key.order === fixture.storeOrder.id);
    t.diagnostic(
      `SIGTERM at +0 ms, refund applied at +${entry ? Date.parse(entry.at) - signalledAt : '?'} ms, exit at +${exit.at - signalledAt} ms`,
    );
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, draining.tail());
    assert.ok(entry, 'the submission in flight reached the store');
    assert.ok(Date.parse(entry.at) <= exit.at, 'the refund was applied before the process exited');

    // Another process takes over the rest of the refund; the drained submission is not sent again.
    sandbox.state.store.setFaults({ latencyMs: 0 });
    successor = (await startWorker('worker-successor', config)).worker;
    const result = await resultWithin(handle, 60_000);
    assert.equal(result.status, RefundStatus.REFUNDED);
    const submissions = activityStarts(await handle.fetchHistory()).filter((a) => a.type === 'submitRefundAttempt');
    assert.deepEqual(submissions, [
      { type: 'submitRefundAttempt', identity: first.identity, attempt: 1, completed: true },
    ]);
    assert.equal(sandbox.state.store.ledger().filter((e) => e.key.order === fixture.storeOrder.id).length, 1);
    assert.equal((await successor.stop('SIGTERM')).code, 0);
    assert.equal((await api.stop('SIGTERM')).code, 0);
  });
});
