import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createLogger } from '../../common/logger';
import { findTemporalCli, startDevServer, type DevServer } from '../../workers/temporal-server';
import { RefundStatus, repairSignal, repairUpdate, stateQuery } from '../../workflows/refund.contract';
import { createHarness, waitForState, type Harness } from '../helpers/harness';

/**
 * Long life: a refund parked for days keeps re-checking BwP, so its history grows. When the server suggests it, the
 * workflow continues as new, carrying its state and audit trail, and still finishes after a repair. This suite runs its
 * own dev server with a tiny history limit so the suggestion comes within seconds.
 */

let server: DevServer;
let h: Harness;
before(async () => {
  const log = createLogger({ level: 'warn', pretty: false });
  server = await startDevServer({
    cli: await findTemporalCli({ cliPath: process.env.TEMPORAL_CLI || undefined, log }),
    headless: true,
    log,
    extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=40'],
  });
  h = await createHarness({ address: server.address });
});
after(async () => {
  await h?.close();
  await server?.stop();
});

it('when a parked refund history grows past the suggested size, it continues as new with its state and still finishes', async () => {
  const { handle } = await h.startRefund('flat-goodwill-10-usd', {
    timing: { recheckInitialMs: 100, recheckMaxMs: 100 },
  });
  const parked = await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
  const firstRunId = (await handle.describe()).runId;
  await handle.signal(repairSignal, { operator: 'ops', requestId: 'bad-1', input: { lines: [] } });

  // Re-checks every 100 ms: ~40 events arrive within seconds and the server suggests continue-as-new.
  const deadline = Date.now() + 60_000;
  let runId = firstRunId;
  while (runId === firstRunId && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    runId = (await handle.describe()).runId;
  }
  assert.notEqual(runId, firstRunId, 'the workflow continued as new');

  const carried = await handle.query(stateQuery);
  assert.equal(carried.status, RefundStatus.AWAITING_REPAIR);
  assert.equal(carried.parkedSince, parked.parkedSince, 'the time parked is carried over');
  assert.ok(
    carried.audit.some((a) => a.operator === 'ops' && !a.accepted),
    'the audit trail is carried over',
  );
  assert.ok(carried.suggestion);

  await handle.executeUpdate(repairUpdate, { args: [{ operator: 'ops', input: carried.suggestion.repair }] });
  const result = await handle.result();
  assert.equal(result.status, RefundStatus.REFUNDED);
  assert.equal(result.refunded?.amount, '10.00');
});
