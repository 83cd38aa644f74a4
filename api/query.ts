import type { WorkflowHandle } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { GRPC_CANCELLED, GRPC_DEADLINE_EXCEEDED, grpcCode } from './temporal-errors';

/**
 * A workflow query, tried again when one attempt is not answered in time. The refunds worker keeps no workflow cache
 * (docs/operations.md), and its SDK at times drops a query polled while the run is evicted after a workflow task: that
 * query is never answered, while a fresh attempt is answered at once (test/workflows/query-storm.test.ts). A query is
 * a read, so trying again is safe. Each attempt gets `attemptMs`, all of them `budgetMs`; an attempt cut off by its
 * deadline ends DEADLINE_EXCEEDED or, at times, CANCELLED (grpc-js), and either is tried again. When the budget is
 * spent the last attempt's error stands (the API answers 503, to retry).
 */
export async function queryWithRetry<T>(
  handle: WorkflowHandle,
  query: QueryDefinition<T, []>,
  budgetMs: number,
  attemptMs = 3_000,
): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    const attemptDeadline = Math.min(deadline, Date.now() + attemptMs);
    try {
      return await handle.client.connection.withDeadline(attemptDeadline, () => handle.query(query));
    } catch (err) {
      const code = grpcCode(err);
      const timedOut =
        code === GRPC_DEADLINE_EXCEEDED || (code === GRPC_CANCELLED && Date.now() >= attemptDeadline - 50);
      if (!timedOut || Date.now() >= deadline - 50) throw err;
    }
  }
}
