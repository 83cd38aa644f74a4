import type { WorkflowHandle } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { GRPC_DEADLINE_EXCEEDED, grpcCode } from './temporal-errors';

/**
 * A workflow query, tried again when one attempt is not answered in time. The refunds worker keeps no workflow cache
 * (docs/operations.md), and a query that reaches the server while the refund's workflow task is being handled is at
 * times not answered for 10–20 s: measured on the dev server, with four clients querying a refund through an accepted
 * repair and its submission, about half the tries had such queries, while a fresh attempt was answered at once. A query is a read, so trying again is safe; each attempt gets `attemptMs`, all of them `budgetMs`, after which
 * the last attempt's error (DEADLINE_EXCEEDED: a 503 to retry) stands.
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
      if (grpcCode(err) !== GRPC_DEADLINE_EXCEEDED || Date.now() >= deadline - 50) throw err;
    }
  }
}
