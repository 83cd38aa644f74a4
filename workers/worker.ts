import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { submissionPace } from '../activities/pacer';
import { REFUND_TASK_QUEUE, submitTaskQueue, type RefundActivities } from '../workflows/refund.contract';

/**
 * Modules the worker evaluates once per workflow worker thread (the SDK's `preloadModules`), shared by every run instead
 * of evaluated per run: workflows/preload.ts, which loads zod (see there why not `'zod'` itself). Our own schema modules
 * are not preloaded: the SDK deep-freezes what it preloads, and their schemas build per run.
 */
export const WORKFLOW_PRELOAD_MODULES = [require.resolve('../workflows/preload')];

/** Config WORKFLOW_CACHE_SIZE's default. */
export const DEFAULT_WORKFLOW_CACHE_SIZE = 200;

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
  /** Workflow runs kept in memory between tasks (config WORKFLOW_CACHE_SIZE). */
  maxCachedWorkflows?: number;
  /** Extra worker options (tests: shutdownGraceTime…). */
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
export function workflowSource(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> {
  if (__filename.endsWith('.js') && fs.existsSync(WORKFLOW_BUNDLE_PATH))
    return { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } };
  return {
    workflowsPath: require.resolve('../workflows'),
    bundlerOptions: { preloadModules: WORKFLOW_PRELOAD_MODULES },
  };
}

/**
 * The workers of one process: the refund queue (workflows and their light activities) and the submission queue
 * (only POST /refund, rate-limited by the Temporal server with maxTaskQueueActivitiesPerSecond).
 */
export async function createRefundWorkers(opts: RefundWorkersOptions): Promise<Worker[]> {
  const identity = opts.identity ?? `${os.hostname()}-${process.pid}`;
  const activities: Record<keyof RefundActivities, (input: never) => Promise<unknown>> =
    opts.twin?.activities ??
    // POST /refund calls leave spaced and through a small bucket (activities/pacer.ts `submissionPace`): tasks that
    // reach the process together leave apart, and a backlog is sent a little above the limit, never far ahead of it.
    createActivities({ submitPace: submissionPace(opts.submitRatePerSecond), ...opts.deps });
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
        // A bounded cache: a run's next task goes to this worker's sticky queue and runs on the cached run; a run
        // evicted (or never cached) is replayed from its history. docs/operations.md, "Workflow cache".
        maxCachedWorkflows: opts.maxCachedWorkflows ?? DEFAULT_WORKFLOW_CACHE_SIZE,
        // How long a task waits on this worker's sticky queue before any worker of the queue may take it (replaying
        // the run): the stall of a SIGKILLed worker's refunds. The server's own default, stated: short enough that a
        // crash costs seconds, long enough that a busy worker keeps its runs.
        stickyQueueScheduleToStartTimeout: '10s',
        ...common,
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
