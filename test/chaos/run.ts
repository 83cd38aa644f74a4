import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createLogger } from '../../common/logger';
import { fixtureNames, loadFixture, uniqueFixture, type Fixture } from '../../sandbox/fixtures';
import type { BwpLedgerEntry } from '../../sandbox/bwp/simulator';
import type { StoreLedgerEntry } from '../../sandbox/store/simulator';
import {
  RefundStatus,
  refundWorkflowId,
  TERMINAL_STATUSES,
  type RefundResult,
  type RefundView,
  type RefundWorkflowState,
} from '../../workflows/refund.contract';
import { recordOf } from '../../api/refund-reads';
import { TOKENS } from '../cluster/service-on-cluster';
import { rng, type Rng } from './prng';
import { removeDataDir, startChaosStack, type ChaosStack } from './stack';

/**
 * The chaos run (issue 12): N refunds drawn across every sandbox fixture, on the service as separate processes, with a
 * seeded scheduler injecting event, operator, Temporal, store, BwP and process faults at random moments; then a judge
 * that reads only what the external systems recorded (the sandbox ledgers) and the workflow histories.
 */

/** What the chaos operators decide on: a refund's memo, as the API shows it. */
interface OperatorView {
  status: RefundStatus;
  inDoubt?: RefundView['inDoubt'];
  suggestion?: RefundWorkflowState['suggestion'];
}

export interface ChaosOptions {
  refunds: number;
  seed: number;
  workers?: number;
  /** Refunds in flight at once. */
  concurrency?: number;
  /** limit.historyCount.suggestContinueAsNew of the dev server. */
  historyLimit?: number;
  keepData?: boolean;
  /** Plant money moved behind the service's back (a doubled and an overridden refund) to show the judge counts it. */
  proveJudge?: boolean;
  print?: (line: string) => void;
}

export interface Counts {
  lost: number;
  doubled: number;
  overridden: number;
  unreported: number;
  wftFailures: number;
  stuck: number;
}

export interface ChaosReport {
  seed: number;
  refunds: number;
  counts: Counts;
  kills: { worker: number; api: number; server: number };
  lastLine: string;
  findings: string[];
  seconds: number;
}

type Decision = 'decline' | 'resolve' | 'cancel';
const DECISION_STATUS: Record<Decision, RefundStatus> = {
  decline: RefundStatus.DECLINED,
  resolve: RefundStatus.RESOLVED_ELSEWHERE,
  cancel: RefundStatus.CANCELLED,
};

interface Tracked {
  index: number;
  fixtureName: string;
  fixture: Fixture;
  workflowId: string;
  currency: string;
  requestedMinor: number;
  /** Largest total an operator approved by a repair (minor units). */
  approvedMinor: number;
  startedAt: number;
  endedAt?: number;
  /** Event ids a delivery of which was answered 2xx. */
  acked: string[];
  /** Faults this refund met (its own, and the global ones active while it was in flight). */
  faults: Set<string>;
  /** Decisions the API answered as carried out (200 finished), with the status it showed. */
  decisionsApplied: { kind: Decision; status: string; at: number }[];
  /** Decisions sent (by update or signal), to judge money moved after them. */
  decisionsSent: { kind: Decision; at: number; via: string }[];
  policySteps: number;
  log: string[];
}

interface Window {
  fault: string;
  from: number;
  to: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const DECLINE_REASONS = ['NON_RETURNABLE_ITEMS', 'EXCESSIVE_RETURNS', 'MISSING_ORIGINAL_PACKAGING'] as const;

/** Minor units of a BwP amount (a JSON number) or a store decimal string, with the currency's exponent. */
function exponent(currency: string): number {
  return ['JPY', 'KRW'].includes(currency) ? 0 : ['BHD', 'KWD'].includes(currency) ? 3 : 2;
}
const minorOf = (amount: number | string, currency: string) => Math.round(Number(amount) * 10 ** exponent(currency));

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const started = Date.now();
  const log = createLogger({ level: process.env.CHAOS_LOG_LEVEL ?? 'warn', pretty: false });
  const R = rng(opts.seed);
  const n = opts.refunds;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refund-chaos-'));
  print(`chaos: seed ${opts.seed}, ${n} refunds, data in ${dataDir}`);
  const stack = await startChaosStack({
    dataDir,
    workers: opts.workers ?? 2,
    historyLimit: opts.historyLimit ?? 40,
    log,
  });
  print(`chaos: service up in ${Math.round((Date.now() - started) / 1000)} s (temporal ${stack.temporalAddress})`);
  try {
    const client = await stack.client();
    const names = fixtureNames();
    const tracked: Tracked[] = [];
    const windows: Window[] = [];
    const kills = { worker: 0, api: 0, server: 0 };
    const deliveries = new Map<string, number>(); // eventId → deliveries with 2xx (for the table)

    // ---- plumbing ----
    const admin = async (base: string, route: string, body?: unknown): Promise<unknown> => {
      for (let attempt = 1; ; attempt++) {
        try {
          const res = await fetch(`${base}${route}`, {
            method: body === undefined ? 'GET' : 'POST',
            headers: { 'content-type': 'application/json' },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            signal: AbortSignal.timeout(60_000),
          });
          const json = await res.json();
          if (!res.ok) throw new Error(`${route} answered ${res.status}: ${JSON.stringify(json)}`);
          return json;
        } catch (err) {
          if (attempt >= 3) throw err;
          await sleep(500);
        }
      }
    };
    const api = async (
      who: keyof ChaosStack['keys'],
      route: string,
      body?: unknown,
    ): Promise<{ status: number; json: Record<string, unknown> }> => {
      try {
        const res = await fetch(`${stack.apiUrl}${route}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: {
            authorization: `Bearer ${stack.keys[who]}`,
            'idempotency-key': randomUUID(),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = { text };
        }
        return { status: res.status, json };
      } catch (err) {
        return { status: 0, json: { error: String(err) } };
      }
    };
    const refundRoute = (t: Tracked, suffix: string) => `/refunds/${encodeURIComponent(t.workflowId)}${suffix}`;
    /** What an operator sees of a refund: its memo, as the API reads it (never a query: workers are being killed). */
    const stateOf = async (t: Tracked): Promise<OperatorView | undefined> => {
      try {
        const { view, detail } = recordOf(t.workflowId, await client.workflow.getHandle(t.workflowId).describe());
        return { status: view.status, inDoubt: view.inDoubt, suggestion: detail.suggestion };
      } catch {
        return undefined;
      }
    };
    const closed = async (t: Tracked): Promise<boolean> => {
      try {
        const d = await client.workflow.getHandle(t.workflowId).describe();
        return d.status.name !== 'RUNNING';
      } catch {
        return false;
      }
    };
    const signal = async (t: Tracked, name: string, payload: unknown, what: string) => {
      t.log.push(`signal ${name} ${what}`);
      await client.workflow
        .getHandle(t.workflowId)
        .signal(name, payload)
        .catch(() => undefined);
    };
    const activeFaults = new Set<string>();
    const noteFault = (fault: string, from: number, to: number) => {
      windows.push({ fault, from, to });
    };

    // ---- events ----
    const deliver = async (
      t: Tracked,
      form: { envelope: 'webhook' | 'eventbridge' | 'eventbridge-thin'; duplicates: number },
      companions: Tracked[] = [],
      outOfOrder = false,
    ) => {
      const refunds = [...companions, t].map((x) => ({ orderId: x.fixture.bwpOrder.id, refundId: x.fixture.refundId }));
      const answer = (await admin(stack.bwpAdminUrl, '/events', {
        refunds,
        duplicates: form.duplicates,
        envelope: form.envelope,
        outOfOrder,
      })) as { deliveries: { eventId: string; refundId: string; status: number | null }[] };
      let ok = false;
      for (const d of answer.deliveries) {
        if (d.status !== null && d.status >= 200 && d.status < 300) {
          deliveries.set(d.eventId, (deliveries.get(d.eventId) ?? 0) + 1);
          const owner = [...companions, t].find((x) => x.fixture.refundId === d.refundId);
          if (owner && !owner.acked.includes(d.eventId)) owner.acked.push(d.eventId);
          if (d.refundId === t.fixture.refundId) ok = true;
        }
      }
      return ok;
    };

    // ---- operator policy on parked refunds ----
    const decide = async (t: Tracked, kind: Decision, via: 'api' | 'signal', who: 'first' | 'second' | 'admin') => {
      const input =
        kind === 'decline'
          ? { statusReason: DECLINE_REASONS[t.index % DECLINE_REASONS.length], note: 'chaos decline' }
          : kind === 'resolve'
            ? { note: 'chaos: resolved with the shopper by phone' }
            : { note: 'chaos cancel' };
      t.decisionsSent.push({ kind, at: Date.now(), via });
      t.faults.add(`op-${kind}-${via}`);
      if (via === 'signal') {
        await signal(t, kind, { operator: `chaos ${who}`, requestId: randomUUID(), input }, '');
        return;
      }
      const res = await api(kind === 'cancel' ? 'admin' : who, refundRoute(t, `/${kind}`), input);
      t.log.push(`api ${kind} → ${res.status}`);
      if (res.status === 200 && res.json.finished === true) {
        const state = res.json.state as { status?: string } | undefined;
        t.decisionsApplied.push({ kind, status: String(state?.status ?? ''), at: Date.now() });
      }
    };

    const repairTotal = (t: Tracked, repair: RefundWorkflowState['suggestion']): number => {
      if (!repair) return 0;
      const r = repair.repair;
      if (r.total) return minorOf(r.total, t.currency);
      const lines = r.lines.filter((l) => l.ticked).reduce((s, l) => s + minorOf(l.amount, t.currency), 0);
      // Shipping's charge is the store's (Buy with Prime publishes none).
      const shipping = r.shipping ? minorOf(t.fixture.storeOrder.shipping.amount, t.currency) : 0;
      return lines + shipping;
    };

    const storeLedger = async () =>
      ((await admin(stack.storeAdminUrl, '/ledger')) as { entries: StoreLedgerEntry[] }).entries;

    const policyStep = async (t: Tracked, state: OperatorView, r: Rng) => {
      t.policySteps++;
      if (t.policySteps === 1 && r.chance(0.5)) {
        const bad = await api('first', refundRoute(t, '/repair'), {
          lines: [{ lineItemId: 'no-such-line', ticked: true, quantity: 1, reason: 'CustomerReturn', amount: '1.00' }],
        });
        t.faults.add('op-invalid-repair');
        t.log.push(`invalid repair → ${bad.status}`);
      }
      if (t.policySteps === 1 && r.chance(0.3)) {
        t.faults.add('op-malformed-signal');
        await signal(t, r.pick(['repair', 'acceptSuggestion', 'decline']), r.pick([null, 'x', [1], {}]), 'malformed');
      }
      if (t.policySteps > 4) {
        await decide(t, 'cancel', t.policySteps % 2 ? 'api' : 'signal', 'admin');
        return;
      }
      if (state.inDoubt) {
        // The operator checks the store (its ledger) before stating that nothing moved under the key in doubt.
        const key = state.inDoubt.idempotencyKey;
        const moved = (await storeLedger()).some((e) => e.key.id === key && e.key.order === t.fixture.storeOrder.id);
        if (!moved && t.policySteps <= 2) {
          t.faults.add('op-resubmit-verified');
          const res = await api('admin', refundRoute(t, '/resubmit-verified'), {
            verifiedNoMoneyMoved: true,
            note: `checked the store: nothing refunded under ${key}`,
          });
          t.log.push(`resubmit-verified → ${res.status}`);
        } else {
          await decide(t, 'resolve', 'api', 'first');
        }
        return;
      }
      if (state.suggestion && t.policySteps <= 2) {
        t.approvedMinor = Math.max(t.approvedMinor, repairTotal(t, state.suggestion));
        const how = r.pick(['api-accept', 'signal-accept', 'api-repair', 'signal-repair'] as const);
        t.faults.add(`op-${how}`);
        const acts: Promise<unknown>[] = [];
        if (how === 'api-accept') acts.push(api('first', refundRoute(t, '/accept-suggestion'), {}));
        if (how === 'api-repair') acts.push(api('first', refundRoute(t, '/repair'), state.suggestion.repair));
        if (how === 'signal-accept')
          acts.push(signal(t, 'acceptSuggestion', { operator: 'chaos first', requestId: randomUUID(), input: {} }, ''));
        if (how === 'signal-repair')
          acts.push(
            signal(
              t,
              'repair',
              { operator: 'chaos first', requestId: randomUUID(), input: state.suggestion.repair },
              '',
            ),
          );
        if (r.chance(0.3)) {
          // A second operator at the same moment: the same repair, or a decline.
          t.faults.add('op-two-operators');
          acts.push(
            r.chance(0.5)
              ? api('second', refundRoute(t, '/repair'), state.suggestion.repair)
              : decide(t, 'decline', 'api', 'second'),
          );
        }
        await Promise.all(acts);
        return;
      }
      await decide(t, r.pick(['decline', 'resolve', 'decline'] as const), r.chance(0.6) ? 'api' : 'signal', 'first');
    };

    // ---- one refund ----
    const driveRefund = async (t: Tracked, r: Rng) => {
      await admin(stack.bwpAdminUrl, '/orders', t.fixture);
      const forms = ['webhook', 'eventbridge', 'eventbridge-thin'] as const;
      if (r.chance(0.05)) {
        // Settled elsewhere before the event: BwP moved it out of PENDING.
        t.faults.add('bwp-moved-before-start');
        await admin(stack.bwpAdminUrl, '/refunds/state', {
          orderId: t.fixture.bwpOrder.id,
          refundId: t.fixture.refundId,
          state: r.pick(['SUCCESS', 'FAILURE'] as const),
        });
      }
      const envelope = r.pick(forms);
      const duplicates = r.chance(0.3) ? r.int(2, 3) : 1;
      t.faults.add(`event-${envelope}`);
      if (duplicates > 1) t.faults.add('event-duplicates');
      const earlier = tracked.filter((x) => x.index < t.index && x.index >= t.index - 5);
      const outOfOrder = earlier.length > 0 && r.chance(0.15);
      if (outOfOrder) t.faults.add('event-out-of-order');
      for (
        let attempt = 0;
        !(await deliver(t, { envelope, duplicates }, outOfOrder ? [r.pick(earlier)] : [], outOfOrder));
        attempt++
      ) {
        // Not acknowledged (API down or Temporal away): BwP delivers again later.
        t.faults.add('event-redelivered');
        await sleep(Math.min(1000 * 2 ** Math.min(attempt, 3), 5000));
        if (Date.now() - t.startedAt > 240_000) break;
      }

      // The refund's own faults, at random moments while it runs.
      const own: Promise<void>[] = [];
      const later = (ms: number, fn: () => Promise<unknown>) =>
        own.push(
          sleep(ms)
            .then(fn)
            .then(
              () => undefined,
              () => undefined,
            ),
        );
      if (r.chance(0.25)) {
        t.faults.add('event-duplicate-late');
        later(r.int(200, 6000), () => deliver(t, { envelope: r.pick(forms), duplicates: 1 }));
      }
      if (r.chance(0.12)) {
        t.faults.add('signal-malformed');
        const name = r.pick(['repair', 'decline', 'resolve', 'cancel', 'acceptSuggestion', 'recheck', 'refundEvent']);
        const payload = r.pick([null, 'x', [1], 7, { operator: 'x' }, { operator: 'x', input: { lines: 'no' } }]);
        later(r.int(0, 4000), () => signal(t, name, payload, 'malformed'));
      }
      if (r.chance(0.06)) {
        t.faults.add('temporal-cancel');
        later(r.int(0, 5000), () => client.workflow.getHandle(t.workflowId).cancel());
      }
      if (r.chance(0.06)) {
        t.faults.add('bwp-moved-elsewhere');
        later(r.int(0, 5000), () =>
          admin(stack.bwpAdminUrl, '/refunds/state', {
            orderId: t.fixture.bwpOrder.id,
            refundId: t.fixture.refundId,
            state: r.pick(['SUCCESS', 'FAILURE'] as const),
          }),
        );
      }
      if (r.chance(0.08)) {
        const kind = r.pick(['decline', 'resolve', 'cancel'] as const);
        t.faults.add('op-early-decision');
        later(r.int(0, 4000), () => decide(t, kind, r.chance(0.5) ? 'api' : 'signal', 'first'));
      }
      if (r.chance(0.05)) {
        t.faults.add('op-malformed-api');
        later(r.int(0, 4000), () => api('first', refundRoute(t, '/repair'), '{"lines": [nope'));
      }

      // Operators watch it until it ends.
      const deadline = t.startedAt + 300_000;
      // Some operators come late, so parked refunds re-check for a while (and continue as new) before anyone acts.
      const patience = r.pick([0, 0, 0, 8000, 25000]);
      if (patience > 0) t.faults.add(`op-late-${patience / 1000}s`);
      let parkedSeen: number | undefined;
      let lastStep = 0;
      while (Date.now() < deadline) {
        await sleep(r.int(700, 1500));
        if (await closed(t)) break;
        const state = await stateOf(t);
        if (!state) continue;
        if (TERMINAL_STATUSES.includes(state.status)) continue;
        if (state.status === RefundStatus.AWAITING_REPAIR) parkedSeen ??= Date.now();
        if (
          state.status === RefundStatus.AWAITING_REPAIR &&
          Date.now() - parkedSeen! >= patience &&
          Date.now() - lastStep > 2500
        ) {
          lastStep = Date.now();
          await policyStep(t, state, r).catch((err: unknown) => t.log.push(`policy failed: ${String(err)}`));
        }
      }
      await Promise.all(own);
      t.endedAt = Date.now();
      for (const w of windows) if (w.from <= t.endedAt && w.to >= t.startedAt) t.faults.add(w.fault);
      for (const f of activeFaults) t.faults.add(f);
      if (r.chance(0.2)) {
        t.faults.add('event-after-end');
        await deliver(t, { envelope: r.pick(forms), duplicates: 1 }).catch(() => undefined);
      }
    };

    // ---- global faults ----
    const minimum = (big: number, small: number) => (n >= 300 ? big : small);
    const plannedKills = [
      ...Array.from({ length: Math.max(minimum(3, 1), Math.round(n / 90)) }, () => 'kill-worker' as const),
      ...Array.from({ length: Math.max(minimum(1, 1), Math.round(n / 300)) }, () => 'kill-server' as const),
      ...Array.from({ length: Math.max(1, Math.round(n / 200)) }, () => 'kill-api' as const),
    ];
    // Spread over the run by progress (refunds launched), in a seeded order.
    const killOrder = [...plannedKills].sort(() => R.next() - 0.5);
    const killAt = killOrder.map((k, i) => ({ kind: k, at: Math.floor(((i + 1) * n) / (killOrder.length + 1)) }));
    let launched = 0;
    let driving = true;

    const storeFaults = [
      () => ({ name: 'store-latency', patch: { latencyMs: R.int(200, 1500) }, reset: { latencyMs: 0 } }),
      () => ({ name: 'store-5xx', patch: { errorRate: R.int(3, 6) / 10 }, reset: { errorRate: 0 } }),
      () => ({
        name: 'store-429-storm',
        patch: { throttleBurst: R.int(10, 40), retryAfterSeconds: R.int(1, 3) },
        reset: { throttleBurst: 0 },
      }),
      () => ({
        name: 'store-commit-then-fail-502',
        patch: { commitThenFail: { count: R.int(1, 3), mode: '502' } },
        reset: { commitThenFail: { count: 0 } },
      }),
      () => ({
        name: 'store-commit-then-fail-timeout',
        patch: { commitThenFail: { count: R.int(1, 2), mode: 'timeout', holdMs: 4000 } },
        reset: { commitThenFail: { count: 0 } },
      }),
      () => ({
        name: 'store-commit-then-fail-reset',
        patch: { commitThenFail: { count: R.int(1, 3), mode: 'reset' } },
        reset: { commitThenFail: { count: 0 } },
      }),
      () => ({ name: 'store-payment-failure', patch: { paymentFailure: R.int(1, 3) }, reset: { paymentFailure: 0 } }),
    ];
    const bwpFaults = [
      () => ({
        name: 'bwp-throttle',
        patch: { throttleBurst: R.int(10, 30), retryAfterSeconds: R.int(1, 2) },
        reset: { throttleBurst: 0 },
      }),
      () => ({ name: 'bwp-5xx', patch: { errorRate: R.int(2, 5) / 10 }, reset: { errorRate: 0 } }),
      () => ({ name: 'bwp-latency', patch: { latencyMs: R.int(300, 2000) }, reset: { latencyMs: 0 } }),
    ];
    const faultCounts = new Map<string, number>();
    const count = (f: string) => faultCounts.set(f, (faultCounts.get(f) ?? 0) + 1);

    // One loop per system, each going through every fault kind in a seeded order, then again: every kind is injected.
    const faultLoop = async (system: 'store' | 'bwp') => {
      const rf = R.fork();
      const kinds = system === 'store' ? storeFaults : bwpFaults;
      const base = system === 'store' ? stack.storeAdminUrl : stack.bwpAdminUrl;
      let deck: typeof kinds = [];
      while (driving) {
        await sleep(rf.int(500, 2500));
        if (!driving) break;
        if (deck.length === 0) deck = [...kinds].sort(() => rf.next() - 0.5);
        const f = deck.pop()!();
        const from = Date.now();
        count(f.name);
        activeFaults.add(f.name);
        await admin(base, '/faults', f.patch).catch((err: unknown) => log.warn({ err }, 'fault not set'));
        await sleep(rf.int(2000, 5000));
        await admin(base, '/faults', f.reset).catch((err: unknown) => log.warn({ err }, 'fault not reset'));
        activeFaults.delete(f.name);
        noteFault(f.name, from, Date.now());
      }
    };
    const killLoop = async () => {
      const rk = R.fork();
      for (const k of killAt) {
        while (driving && launched < k.at) await sleep(250);
        if (!driving && launched < k.at) break;
        await sleep(rk.int(0, 3000));
        const from = Date.now();
        activeFaults.add(k.kind);
        if (k.kind === 'kill-worker') {
          await stack.killWorker(rk.int(0, stack.workers.length - 1));
          kills.worker++;
        } else if (k.kind === 'kill-api') {
          await stack.killApi();
          kills.api++;
        } else {
          await stack.killServer();
          kills.server++;
        }
        activeFaults.delete(k.kind);
        count(k.kind);
        noteFault(k.kind, from, Date.now());
        print(`chaos: ${k.kind} done at ${Math.round((Date.now() - started) / 1000)} s (${launched}/${n} launched)`);
      }
    };

    // Operators' pages reading refunds while they move (GET /refunds/:id from the memo, GET …/repair the repair page's
    // data with the order from the history): each is answered, 503 at worst (the API restarted), and stops nothing.
    const reads = new Map<string, number>();
    const readLoop = async () => {
      const rr = R.fork();
      while (driving) {
        const open = tracked.filter((t) => !t.endedAt);
        const t = open.length > 0 ? rr.pick(open) : undefined;
        if (!t) {
          await sleep(200);
          continue;
        }
        const res = await api('first', refundRoute(t, rr.chance(0.5) ? '' : '/repair'));
        const key = res.status === 0 ? 'no answer' : String(res.status);
        reads.set(key, (reads.get(key) ?? 0) + 1);
        if (res.status >= 500 && res.status !== 503) t.log.push(`read answered ${res.status}`);
        await sleep(rr.int(0, 150));
      }
    };

    // ---- drive ----
    const concurrency = opts.concurrency ?? 16;
    const rs = names.length;
    const plans = Array.from({ length: n }, (_, i) => {
      const name = names[i % rs]!;
      return { name, r: R.fork() };
    });
    // Every fixture at least once, in a seeded order.
    plans.sort(() => R.next() - 0.5);
    let nextIndex = 0;
    const faults = Promise.all([faultLoop('store'), faultLoop('bwp'), ...Array.from({ length: 3 }, readLoop)]);
    const killsDone = killLoop();
    const progress = setInterval(() => {
      const done = tracked.filter((t) => t.endedAt).length;
      print(`chaos: ${Math.round((Date.now() - started) / 1000)} s: ${launched} launched, ${done} ended`);
    }, 20_000);
    const lane = async () => {
      while (nextIndex < plans.length) {
        const i = nextIndex++;
        const plan = plans[i]!;
        const fixture = uniqueFixture(loadFixture(plan.name), {
          suffix: `c${opts.seed.toString(36)}-${i}`,
          businessProductId: TOKENS.bp,
        });
        const refund = fixture.bwpOrder.refunds.details.find((d) => d.id === fixture.refundId)!;
        const total = refund.refundTotal?.totalAmount ?? { amount: 0, currencyCode: fixture.storeOrder.currency };
        const currency = total.currencyCode;
        const t: Tracked = {
          index: i,
          fixtureName: plan.name,
          fixture,
          workflowId: refundWorkflowId(fixture.bwpOrder.id, fixture.refundId),
          currency,
          requestedMinor: minorOf(total.amount, currency),
          approvedMinor: 0,
          startedAt: Date.now(),
          acked: [],
          faults: new Set(),
          decisionsApplied: [],
          decisionsSent: [],
          policySteps: 0,
          log: [],
        };
        tracked.push(t);
        launched++;
        await driveRefund(t, plan.r).catch((err: unknown) => {
          t.log.push(`driver failed: ${String(err)}`);
          t.endedAt = Date.now();
        });
      }
    };
    await Promise.all(
      Array.from({ length: concurrency }, async (_, i) => {
        await sleep(i * 300);
        await lane();
      }),
    );
    driving = false;
    clearInterval(progress);
    await Promise.all([faults, killsDone]);
    await admin(stack.storeAdminUrl, '/faults', {
      latencyMs: 0,
      errorRate: 0,
      throttleBurst: 0,
      paymentFailure: 0,
      commitThenFail: { count: 0 },
    });
    await admin(stack.bwpAdminUrl, '/faults', { latencyMs: 0, errorRate: 0, throttleBurst: 0 });
    if (opts.proveJudge) {
      // Money moved behind the service's back, as a double refund would: the judge must count it.
      const entries = ((await admin(stack.storeAdminUrl, '/ledger')) as { entries: StoreLedgerEntry[] }).entries;
      const refunded = tracked.find((t) => entries.some((e) => e.key.order === t.fixture.storeOrder.id));
      const declined = tracked.find(
        (t) =>
          t.decisionsApplied.some((d) => d.kind === 'decline') &&
          !entries.some((e) => e.key.order === t.fixture.storeOrder.id),
      );
      const plant = async (t: Tracked, body: Record<string, unknown>) => {
        const res = await fetch(`${stack.storeAdminUrl.replace(/\/admin$/, '')}/admin/api/v1/refund`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'X-Purple-Dot-Access-Token': TOKENS.refund },
          body: JSON.stringify({ ...body, id: `chaos-planted-${t.index}`, order: t.fixture.storeOrder.id }),
        });
        print(`chaos: judge self-check: planted a store refund on ${t.workflowId} → ${res.status}`);
      };
      const entry = refunded && entries.find((e) => e.key.order === refunded.fixture.storeOrder.id);
      if (refunded && entry) await plant(refunded, { amount: '0.01', currency: entry.refunded.currency });
      if (declined) await plant(declined, { amount: '0.01', currency: declined.fixture.storeOrder.currency });
    }
    print(`chaos: driving done at ${Math.round((Date.now() - started) / 1000)} s; judging`);

    // ---- judge ----
    const judged = await judge(client, stack, tracked, admin);
    const counts: Counts = { lost: 0, doubled: 0, overridden: 0, unreported: 0, wftFailures: 0, stuck: 0 };
    for (const j of judged.perRefund.values()) {
      counts.lost += j.lost;
      counts.doubled += j.doubled;
      counts.overridden += j.overridden;
      counts.unreported += j.unreported;
      counts.wftFailures += j.wftFailures;
      counts.stuck += j.stuck;
    }
    counts.wftFailures += judged.strayWftFailures;

    // ---- tables ----
    const byFixture = new Map<string, Tracked[]>();
    for (const t of tracked) byFixture.set(t.fixtureName, [...(byFixture.get(t.fixtureName) ?? []), t]);
    const cols = ['refunds', 'ended', 'parked', 'can', 'lost', 'doubled', 'overr', 'unrep', 'wft', 'stuck'];
    const row = (label: string, ts: Tracked[], width: number) => {
      const js = ts.map((t) => judged.perRefund.get(t.workflowId)!);
      const sum = (k: keyof Omit<Judged, 'final' | 'notes' | 'runs' | 'unhandledCommand' | 'taskTimeouts'>) =>
        js.reduce((s, j) => s + j[k], 0);
      const cells = [
        ts.length,
        js.filter((j) => j.final.startsWith('closed')).length,
        js.filter((j) => j.final === 'parked').length,
        js.reduce((s, j) => s + Math.max(0, j.runs - 1), 0),
        sum('lost'),
        sum('doubled'),
        sum('overridden'),
        sum('unreported'),
        sum('wftFailures'),
        sum('stuck'),
      ];
      return `${label.padEnd(width)} ${cells.map((c, i) => String(c).padStart(Math.max(cols[i]!.length, 4))).join(' ')}`;
    };
    const header = (first: string, width: number) =>
      `${first.padEnd(width)} ${cols.map((c) => c.padStart(Math.max(c.length, 4))).join(' ')}`;
    print('');
    print('per fixture ("can" = continue-as-new runs; "ended" = closed; "parked" = parked with a reason)');
    print(header('fixture', 30));
    for (const [name, ts] of [...byFixture.entries()].sort()) print(row(name, ts, 30));
    print('');
    print('per fault (refunds that met it; injected = times the scheduler set it)');
    const allFaults = new Set<string>();
    for (const t of tracked) for (const f of t.faults) allFaults.add(f);
    print(`${header('fault', 32)} ${'injected'.padStart(8)}`);
    for (const f of [...allFaults].sort()) {
      const ts = tracked.filter((t) => t.faults.has(f));
      print(`${row(f, ts, 32)} ${String(faultCounts.get(f) ?? ts.length).padStart(8)}`);
    }
    print('');
    print(`kills: worker ${kills.worker}, api ${kills.api}, server ${kills.server}`);
    print(
      `continue-as-new: ${judged.continuedAsNew} runs continued as new; events answered 2xx: ${[...deliveries.values()].reduce((a, b) => a + b, 0)}`,
    );
    print(judged.ledgers);
    const finals = new Map<string, number>();
    for (const j of judged.perRefund.values()) finals.set(j.final, (finals.get(j.final) ?? 0) + 1);
    print(
      `ended as: ${[...finals.entries()]
        .sort()
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    print(
      `reads during the run: ${[...reads.entries()]
        .sort()
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    const taskTimeouts = [...judged.perRefund.values()].reduce((s, j) => s + j.taskTimeouts, 0);
    print(
      `wft-timeouts: ${taskTimeouts} workflow tasks timed out and were handed out again (a worker killed holding one, or one the SDK dropped; docs/operations.md)`,
    );
    const unhandled = [...judged.perRefund.values()].reduce((s, j) => s + j.unhandledCommand, 0);
    print(
      `unhandled-command: ${unhandled} workflow-task completions refused by the server because a signal arrived during the task (not failures; retried with the signal)`,
    );
    const findings: string[] = [];
    for (const t of tracked) {
      const j = judged.perRefund.get(t.workflowId)!;
      if (j.notes.length > 0) {
        findings.push(
          `${t.workflowId} [${t.fixtureName}] final=${j.final}: ${j.notes.join('; ')} | faults: ${[...t.faults].join(',')} | ${t.log.slice(-8).join(' / ')}`,
        );
      }
    }
    for (const f of findings.slice(0, 40)) print(`finding: ${f}`);
    if (findings.length > 40) print(`finding: … ${findings.length - 40} more`);
    const seconds = Math.round((Date.now() - started) / 1000);
    print(
      `chaos: seed ${opts.seed}, ${seconds} s; reproduce with: npm run chaos -- --refunds ${n} --seed ${opts.seed}`,
    );
    const lastLine = `chaos: ${n} refunds, lost ${counts.lost}, doubled ${counts.doubled}, overridden ${counts.overridden}, unreported ${counts.unreported}, wft-failures ${counts.wftFailures}, stuck ${counts.stuck}`;
    print(lastLine);
    return { seed: opts.seed, refunds: n, counts, kills, lastLine, findings, seconds };
  } finally {
    await stack.close();
    if (!opts.keepData) removeDataDir(dataDir);
  }
}

// ---- the judge: ledgers and histories only ----

interface Judged {
  lost: number;
  doubled: number;
  overridden: number;
  unreported: number;
  wftFailures: number;
  stuck: number;
  /** WorkflowTaskFailed with cause UNHANDLED_COMMAND: see isUnhandledCommand. */
  unhandledCommand: number;
  /** WorkflowTaskTimedOut events: the server handed the task out again (not a failure of workflow code). */
  taskTimeouts: number;
  /** 'closed:<status>' | 'parked' | 'running:<status>' | 'missing'. */
  final: string;
  runs: number;
  notes: string[];
}

/**
 * The server's answer to a task that tried to close the workflow while a signal arrived during the task: it refuses
 * the completion (recorded as WorkflowTaskFailed, cause UNHANDLED_COMMAND) and gives the workflow a new task with the
 * signal in it. No workflow code failed; it is the race every signal-receiving workflow has with its own end (the
 * Temporal UI does not flag it either), so it is counted and printed on its own, not in wft-failures.
 */
function isUnhandledCommand(attrs: temporal.api.history.v1.IWorkflowTaskFailedEventAttributes): boolean {
  return attrs.cause === temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;
}

const payloadJson = (p: temporal.api.common.v1.IPayload | null | undefined): unknown => {
  if (!p?.data) return undefined;
  try {
    return JSON.parse(Buffer.from(p.data).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
};

async function judge(
  client: Client,
  stack: ChaosStack,
  tracked: Tracked[],
  admin: (base: string, route: string, body?: unknown) => Promise<unknown>,
): Promise<{ perRefund: Map<string, Judged>; strayWftFailures: number; continuedAsNew: number; ledgers: string }> {
  const store = ((await admin(stack.storeAdminUrl, '/ledger')) as { entries: StoreLedgerEntry[] }).entries;
  const bwp = ((await admin(stack.bwpAdminUrl, '/ledger')) as { entries: BwpLedgerEntry[] }).entries;
  const ours = new Set(tracked.map((t) => t.workflowId));
  // Every run of every workflow, with its history.
  const runs = new Map<string, { runId: string; status: string; history: temporal.api.history.v1.IHistory }[]>();
  let strayWftFailures = 0;
  let continuedAsNew = 0;
  for await (const ex of client.workflow.list()) {
    const history = await client.workflow.getHandle(ex.workflowId, ex.runId).fetchHistory();
    const events = history.events ?? [];
    const failures = events.filter(
      (e) => e.workflowTaskFailedEventAttributes && !isUnhandledCommand(e.workflowTaskFailedEventAttributes),
    ).length;
    if (events.some((e) => e.workflowExecutionContinuedAsNewEventAttributes)) continuedAsNew++;
    if (!ours.has(ex.workflowId)) {
      strayWftFailures += failures;
      continue;
    }
    runs.set(ex.workflowId, [...(runs.get(ex.workflowId) ?? []), { runId: ex.runId, status: ex.status.name, history }]);
  }

  const perRefund = new Map<string, Judged>();
  for (const t of tracked) {
    const j: Judged = {
      lost: 0,
      doubled: 0,
      overridden: 0,
      unreported: 0,
      wftFailures: 0,
      stuck: 0,
      unhandledCommand: 0,
      taskTimeouts: 0,
      final: 'missing',
      runs: 0,
      notes: [],
    };
    perRefund.set(t.workflowId, j);
    const mine = runs.get(t.workflowId) ?? [];
    j.runs = mine.length;
    let everSettled = false;
    let result: RefundResult | undefined;
    let closedStatus: string | undefined;
    for (const run of mine) {
      for (const e of run.history.events ?? []) {
        if (e.workflowTaskTimedOutEventAttributes) j.taskTimeouts++;
        const failed = e.workflowTaskFailedEventAttributes;
        if (failed && isUnhandledCommand(failed)) {
          j.unhandledCommand++;
        } else if (failed) {
          j.wftFailures++;
          j.notes.push(`WorkflowTaskFailed: ${failed.failure?.message ?? ''}`.slice(0, 300));
        }
        const sa = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
        if (sa) {
          const status = payloadJson(sa.RefundStatus);
          const codes = payloadJson(sa.RefundProblemCodes);
          if (typeof status === 'string' && TERMINAL_STATUSES.includes(status as RefundStatus)) everSettled = true;
          if (status === RefundStatus.AWAITING_REPAIR && Array.isArray(codes) && codes.length > 0) everSettled = true;
        }
        const done = e.workflowExecutionCompletedEventAttributes;
        if (done) result = payloadJson(done.result?.payloads?.[0]) as RefundResult | undefined;
        if (e.workflowExecutionCanceledEventAttributes) closedStatus = 'CANCELED';
        if (e.workflowExecutionFailedEventAttributes) closedStatus = 'FAILED';
        if (e.workflowExecutionTerminatedEventAttributes) closedStatus = 'TERMINATED';
        if (e.workflowExecutionTimedOutEventAttributes) closedStatus = 'TIMED_OUT';
      }
    }
    const running = mine.find((r) => r.status === 'RUNNING');
    if (mine.length === 0) {
      if (t.acked.length > 0) {
        j.lost++;
        j.notes.push(`lost: event(s) ${t.acked.join(',')} answered 2xx but no workflow exists`);
      } else {
        j.lost++;
        j.notes.push('lost: no event was ever acknowledged and no workflow exists');
      }
      j.stuck++;
    } else if (running) {
      let parked = false;
      let status = '?';
      try {
        const d = await client.workflow.getHandle(t.workflowId).describe();
        const sa = d.raw.workflowExecutionInfo?.searchAttributes?.indexedFields ?? {};
        status = String(payloadJson(sa.RefundStatus));
        const codes = payloadJson(sa.RefundProblemCodes);
        const attention = payloadJson(sa.NeedsAttention);
        parked =
          status === String(RefundStatus.AWAITING_REPAIR) &&
          ((Array.isArray(codes) && codes.length > 0) || attention === true);
      } catch (err) {
        j.notes.push(`describe failed: ${String(err)}`);
      }
      j.final = parked ? 'parked' : `running:${status}`;
      if (!parked) {
        j.stuck++;
        j.notes.push(`stuck: running in ${status}, not parked with a reason`);
      }
      if (!everSettled) {
        j.lost++;
        j.notes.push('lost: never reached a terminal or parked-with-reason state');
      }
    } else {
      j.final = `closed:${result?.status ?? closedStatus ?? '?'}`;
      if (!result && closedStatus !== 'CANCELED') {
        j.stuck++;
        j.notes.push(`stuck: closed ${closedStatus ?? '?'} without a result`);
      }
    }

    // Money on the store for this refund (its store order is its own).
    const entries = store.filter((e) => e.key.order === t.fixture.storeOrder.id);
    const movedMinor = entries.reduce((s, e) => s + minorOf(e.refunded.amount, e.refunded.currency), 0);
    const keys = new Set(entries.map((e) => e.key.id));
    const allowed = Math.max(t.requestedMinor, t.approvedMinor);
    if (keys.size > 1 || movedMinor > allowed) {
      j.doubled++;
      j.notes.push(
        `doubled: ${entries.length} store refunds under ${keys.size} keys, ${movedMinor} minor moved, plan allows ${allowed}`,
      );
    }
    // Reported: an updateOrder of this refund whose refund total is what the store moved.
    if (movedMinor > 0) {
      const reports = bwp.filter((b) => b.orderId === t.fixture.bwpOrder.id && b.refundId === t.fixture.refundId);
      if (!reports.some((b) => minorOf(b.refundTotal.amount, b.refundTotal.currencyCode) === movedMinor)) {
        j.unreported++;
        j.notes.push(
          `unreported: store moved ${movedMinor} minor; BwP reports: ${reports.map((b) => `${b.state} ${b.refundTotal.amount}`).join(', ') || 'none'}`,
        );
      }
    }
    // Overridden: money against a decision that forbade it, or a decision shown as applied that the history does not end with.
    const finalStatus = result?.status;
    if (finalStatus && [RefundStatus.DECLINED].includes(finalStatus) && movedMinor > 0) {
      j.overridden++;
      j.notes.push(`overridden: ended DECLINED but the store moved ${movedMinor} minor`);
    }
    if (
      finalStatus &&
      [RefundStatus.CANCELLED, RefundStatus.RESOLVED_ELSEWHERE].includes(finalStatus) &&
      movedMinor > 0 &&
      !result?.moneyMoved
    ) {
      j.overridden++;
      j.notes.push(`overridden: ended ${finalStatus} saying no money moved, but the store moved ${movedMinor} minor`);
    }
    for (const d of t.decisionsApplied) {
      const want = DECISION_STATUS[d.kind];
      if (d.status === String(want) && finalStatus !== want) {
        j.overridden++;
        j.notes.push(`overridden: the API answered ${d.kind} applied (${d.status}) but the refund ended ${j.final}`);
      }
      const after = entries.filter((e) => Date.parse(e.at) > d.at);
      if (after.length > 0) {
        j.overridden++;
        j.notes.push(`overridden: store refund at ${after[0]!.at} after ${d.kind} was answered applied`);
      }
    }
  }
  const ourStore = store.filter((e) => tracked.some((t) => t.fixture.storeOrder.id === e.key.order));
  const ourBwp = bwp.filter((b) => tracked.some((t) => t.fixture.refundId === b.refundId));
  return {
    perRefund,
    strayWftFailures,
    continuedAsNew,
    ledgers: `store ledger: ${ourStore.length} refunds moved money; BwP ledger: ${ourBwp.length} updateOrder reports`,
  };
}
