import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createBwpClient, createBwpTokenSource, createRefundClient } from '../../activities/clients';
import { createRefundWorkers, runWorkers, shutdownWorkers } from '../../workers/worker';
import { submitTaskQueue } from '../../workflows/refund.contract';
import { TEST_POLICY } from '../helpers/harness';
import { createTestEnv, stopOwnServer, uniqueId, workflowBundle } from '../helpers/temporal';

/**
 * The refunds worker keeps a bounded workflow cache (WORKFLOW_CACHE_SIZE) with the sticky queue timeout stated
 * (docs/operations.md, "Workflow cache"); the submission worker keeps the server-side rate limit.
 */

let env: TestWorkflowEnvironment | undefined;
after(async () => {
  await env?.teardown();
  await stopOwnServer();
});

it('the refunds worker caches WORKFLOW_CACHE_SIZE runs with a 10 s sticky queue timeout; the submission worker keeps the limit', async () => {
  env = await createTestEnv();
  const taskQueue = uniqueId('options');
  const workers = await createRefundWorkers({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    deps: {
      bwp: createBwpClient({
        url: 'http://127.0.0.1:9',
        tokens: createBwpTokenSource({
          url: 'http://127.0.0.1:9/token',
          clientId: 'c',
          clientSecret: 's',
          timeoutMs: 1_000,
        }),
        targetId: 'bp',
        apiVersion: '2024-11-01',
        timeoutMs: 1_000,
      }),
      refunds: createRefundClient({ url: 'http://127.0.0.1:9', token: 't', timeoutMs: 1_000 }),
      policy: TEST_POLICY,
    },
    submitRatePerSecond: 7,
    workflowBundle: await workflowBundle(),
    maxCachedWorkflows: 250,
    overrides: { shutdownGraceTime: '1s' },
  });
  // Run and stop them: a created worker that never ran keeps the process alive.
  const running = runWorkers(workers);
  shutdownWorkers(workers);
  await running;
  const refunds = workers.find((w) => w.options.taskQueue === taskQueue);
  const submissions = workers.find((w) => w.options.taskQueue === submitTaskQueue(taskQueue));
  assert.ok(refunds && submissions, 'both workers created');
  assert.equal(refunds.options.maxCachedWorkflows, 250);
  assert.equal(refunds.options.stickyQueueScheduleToStartTimeoutMs, 10_000);
  assert.equal(submissions.options.maxTaskQueueActivitiesPerSecond, 7);
});
