import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps, type RefundActivities } from '../activities';
import { REFUND_TASK_QUEUE, submitTaskQueue } from '../workflows/refund.contract';

/** Prebuilt by `npm run build` (scripts/build-workflow-bundle.ts) next to the compiled workers. */
const WORKFLOW_BUNDLE_PATH = path.resolve(__dirname, '..', 'workflow-bundle.js');

export interface RefundWorkersOptions {
  connection: NativeConnection;
  namespace: string;
  /** Default REFUND_TASK_QUEUE; tests use a unique queue each. */
  taskQueue?: string;
  deps: ActivityDeps;
  /** Server-side rate limit of POST /refund across every worker of the submission task queue. */
  submitRatePerSecond: number;
  /** Defaults to `<hostname>-<pid>`. */
  identity?: string;
  /** Which queues this process serves (default both). */
  roles?: ('refunds' | 'submissions')[];
  /** Passed by tests to share one bundle; production uses the prebuilt bundle when present. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Extra worker options (tests: shutdownGraceTime…). The refunds worker's `maxCachedWorkflows` stays 0 whatever they say. */
  overrides?: Partial<WorkerOptions>;
  /**
   * Other workflows and activities of the same names on the same queues and limiter: the benchmark's bare twin
   * (scripts/bench/bare-worker.ts). Production never sets them.
   */
  twin?: { workflowsPath: string; activities: Record<keyof RefundActivities, (input: never) => Promise<unknown>> };
}

/**
 * Compiled (`node dist/workers/main.js`): the prebuilt bundle, so production never bundles at start. From source
 * (`tsx`): bundle the current workflow code, never a stale build.
 */
export function workflowSource(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (__filename.endsWith('.js') && fs.existsSync(WORKFLOW_BUNDLE_PATH))
    return { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } };
  return { workflowsPath: require.resolve('../workflows') };
}

/**
 * The workers of one process: the refund queue (workflows and their light activities) and the submission queue
 * (only POST /refund, rate-limited by the Temporal server with maxTaskQueueActivitiesPerSecond).
 */
export async function createRefundWorkers(opts: RefundWorkersOptions): Promise<Worker[]> {
  const identity = opts.identity ?? `${os.hostname()}-${process.pid}`;
  const activities: Record<keyof RefundActivities, (input: never) => Promise<unknown>> =
    opts.twin?.activities ?? createActivities(opts.deps);
  const taskQueue = opts.taskQueue ?? REFUND_TASK_QUEUE;
  const roles = opts.roles ?? ['refunds', 'submissions'];
  const common = {
    connection: opts.connection,
    namespace: opts.namespace,
    identity,
    shutdownGraceTime: '30s' as const,
    ...opts.overrides,
  };
  const workers: Promise<Worker>[] = [];
  if (roles.includes('refunds')) {
    const { submitRefundAttempt: _attempt, ...light } = activities;
    workers.push(
      Worker.create({
        // No workflow cache (so no sticky queue): each workflow task replays the run from its history, exactly as a
        // replay does. A cached run can hold events applied outside any workflow task: a query answered from a history
        // whose timer had fired (while the task waited on a dead worker's sticky queue) fires the timer in the cached
        // run, and a later update in that task is then handled after the timer's step, where a replay handles it
        // first; the history no longer replays (docs/operations.md, test/workflows/cold-query-update.test.ts).
        ...common,
        maxCachedWorkflows: 0,
        taskQueue,
        ...(opts.twin
          ? { workflowsPath: opts.twin.workflowsPath }
          : opts.workflowBundle
            ? { workflowBundle: opts.workflowBundle }
            : workflowSource()),
        activities: light,
      }),
    );
  }
  if (roles.includes('submissions')) {
    workers.push(
      Worker.create({
        ...common,
        taskQueue: submitTaskQueue(taskQueue),
        activities: { submitRefundAttempt: activities.submitRefundAttempt },
        maxTaskQueueActivitiesPerSecond: opts.submitRatePerSecond,
      }),
    );
  }
  return Promise.all(workers);
}

/** Runs workers until all of them stop (after `shutdown()`: in-flight activities drain first). */
export async function runWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.run()));
}

/**
 * Asks every worker to drain and stop. The SDK also reacts to SIGINT/SIGTERM by itself, so a worker may already be
 * draining: only running ones are asked.
 */
export function shutdownWorkers(workers: Worker[]): void {
  for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
}
