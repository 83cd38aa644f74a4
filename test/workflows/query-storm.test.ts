import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { queryWithRetry } from '../../api/query';
import {
  REFUND_WORKFLOW_TASK_TIMEOUT,
  RefundStatus,
  acceptSuggestionUpdate,
  cancelUpdate,
  contextQuery,
  stateQuery,
} from '../../workflows/refund.contract';
import { createHarness, waitForState, type Harness } from '../helpers/harness';
import { uniqueId } from '../helpers/temporal';

/**
 * Reads racing the workflow. Operators' pages keep reading a refund (queries) while a repair moves it. The worker runs
 * without a workflow cache, and its SDK then at times loses a workflow task, and queries, polled while the run is
 * evicted after its previous task, if a query of the same run came in that window too (the SDK warns "There were
 * leftover buffered tasks when evicting run"): the server hands the task out again only when the workflow task timeout
 * passes, and the query is never answered. Each round here parks a refund, has six readers query it in a loop (the
 * API's reader, which gives each attempt its own deadline), accepts its suggestion and cancels it 0-80 ms later. On
 * the dev server this loses a task in most rounds.
 *
 * What must hold every time: every read is answered within the API's budget, each update gets its answer, the refund
 * ends within the refund's workflow task timeout plus a margin (with the server's 10 s default it took over 10 s), and
 * the store applied the money once if the refund says it moved (REFUNDED, or CANCELLED with `moneyMoved`), else never.
 */

const ROUNDS = 3;
const READERS = 6;
const READ_BUDGET_MS = 14_000;
const TASK_TIMEOUT_MS = parseInt(REFUND_WORKFLOW_TASK_TIMEOUT, 10) * 1000;
/**
 * The refund's task timeout and 4 s for two workflow tasks, a fetch and a report on a busy 2-core machine; under the
 * server's 10 s default a lost task alone takes longer.
 */
const ENDS_WITHIN_MS = 9_000;

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(async () => {
  await h?.close();
});

it(`a refund read by ${READERS} clients while it is repaired and cancelled answers every read and ends within its workflow task timeout (${ROUNDS} rounds)`, async (t) => {
  let lostTasks = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const { handle, fixture } = await h.startRefund('flat-goodwill-10-usd', {
      timing: { recheckInitialMs: 600_000, recheckMaxMs: 600_000 },
    });
    await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR);
    const config = (await handle.describe()).raw.executionConfig;
    assert.equal(Number(config?.defaultWorkflowTaskTimeout?.seconds) * 1000, TASK_TIMEOUT_MS);

    let reading = true;
    const failures: string[] = [];
    let reads = 0;
    let slowest = 0;
    const reader = async (k: number) => {
      while (reading) {
        const t0 = Date.now();
        try {
          if (k % 2) await queryWithRetry(handle, contextQuery, READ_BUDGET_MS);
          else await queryWithRetry(handle, stateQuery, READ_BUDGET_MS);
          reads++;
        } catch (err) {
          failures.push(
            `reader ${k} after ${Date.now() - t0} ms: ${(err as Error).message}: ${String((err as { cause?: unknown }).cause)}`,
          );
        }
        slowest = Math.max(slowest, Date.now() - t0);
      }
    };
    const readers = Array.from({ length: READERS }, (_, k) => reader(k));

    const t0 = Date.now();
    let answers: { accepted: boolean }[];
    let result: Awaited<ReturnType<typeof handle.result>>;
    let took: number;
    try {
      const accept = handle.executeUpdate(acceptSuggestionUpdate, {
        args: [{ operator: 'ops-a', requestId: uniqueId('accept'), input: {} }],
      });
      await new Promise((r) => setTimeout(r, (round % 3) * 40));
      const cancel = handle.executeUpdate(cancelUpdate, {
        args: [{ operator: 'ops-b', requestId: uniqueId('cancel'), input: {} }],
      });
      answers = await Promise.all([accept, cancel]);
      result = await handle.result();
      took = Date.now() - t0;
      await new Promise((r) => setTimeout(r, 300)); // reads of the closed refund
    } finally {
      reading = false;
      await Promise.all(readers);
    }

    const history = await handle.fetchHistory();
    const timedOut = (history.events ?? []).filter((e) => e.workflowTaskTimedOutEventAttributes).length;
    lostTasks += timedOut;
    t.diagnostic(
      `round ${round}: ${result.status}${result.moneyMoved ? ' (money moved)' : ''} in ${took} ms, ${reads} reads (slowest ${slowest} ms), workflow tasks timed out: ${timedOut}`,
    );

    assert.deepEqual(failures, [], 'every read is answered within the budget');
    for (const a of answers) assert.equal(typeof a.accepted, 'boolean', 'each update gets its answer');
    assert.ok([RefundStatus.CANCELLED, RefundStatus.REFUNDED].includes(result.status), `ended ${result.status}`);
    assert.ok(
      took < ENDS_WITHIN_MS,
      `the refund ended ${took} ms after the repair (workflow task timeout ${TASK_TIMEOUT_MS} ms)`,
    );
    const applied = h.sandbox.state.store.ledger().filter((e) => e.key.order === fixture.storeOrder.id);
    // A cancel that reaches the refund while POST /refund is in flight ends CANCELLED with the money moved, as it did.
    const moved = result.status === RefundStatus.REFUNDED || result.moneyMoved === true;
    assert.equal(applied.length, moved ? 1 : 0, `the store applied it ${moved ? 'once' : 'never'}`);
    if (moved) assert.equal(result.refunded?.amount, '10.00');
  }
  t.diagnostic(`workflow tasks lost and timed out, all rounds: ${lostTasks}`);
});
