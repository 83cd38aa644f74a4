import assert from 'node:assert/strict';
import { it } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { HttpProblem } from '../../api/problem';
import type { RefundRecord } from '../../api/refund-reads';
import type { RouteDeps } from '../../api/routes/shared';
import { sendUpdate } from '../../api/routes/updates';

/**
 * How an update the server ends without applying is answered (one layer, a fake client: the real-server runs of this
 * race are test/workflows/read-storm and test/api/refunds' "a second decline is 409"). When a cancel ends the workflow
 * while an operator's update waits for it, the server aborts the update with "not found" ("workflow update was aborted
 * by closing workflow"). That is not a missing refund: it is a 409 saying the refund ended first and nothing changed.
 */

function depsWith(status: string, updateError: Error): { deps: RouteDeps; described: () => number } {
  let describes = 0;
  const handle = {
    executeUpdate: async () => {
      throw updateError;
    },
    describe: async () => {
      describes++;
      return { status: { name: status } };
    },
  };
  const client = {
    withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
    workflow: { getHandle: () => handle },
  };
  const deps = { client, taskQueue: 'refunds', workflowTimeoutMs: 1000, decisionWaitMs: 1000 } as unknown as RouteDeps;
  return { deps, described: () => describes };
}

const record = {
  workflowId: 'refund:o-1:r-1',
  trail: { audit: [], attempts: [] },
} as unknown as RefundRecord;

it('an update aborted because a cancel closed the workflow is a 409 naming the closed status, not a 404', async () => {
  const aborted = new WorkflowNotFoundError(
    'workflow update was aborted by closing workflow',
    'refund:o-1:r-1',
    undefined,
  );
  const { deps, described } = depsWith('CANCELLED', aborted);
  const err = await sendUpdate(deps, {
    record,
    route: 'accept-suggestion',
    action: 'acceptSuggestion',
    who: { operator: 'alice', requestId: 'k-1' },
    input: {},
  }).then(
    () => assert.fail('the update was answered'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof HttpProblem, String(err));
  assert.equal(err.status, 409);
  assert.match(err.message, /has finished \(CANCELLED\)\. Nothing was changed\./);
  assert.deepEqual(
    err.extras.problems?.map((p) => p.code),
    ['REFUND_NOT_PENDING'],
  );
  assert.equal(described(), 1, 'the API read the workflow once to say how it ended');
});
