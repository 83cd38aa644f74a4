import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ServiceError } from '@temporalio/client';
import { toHttpProblem } from '../../api/temporal-errors';

/**
 * Answers of a production Temporal server that the dev server never gives (seen on the cluster of test/cluster): a
 * query refused because no worker polled the task queue lately is a 503 to retry, not a 500.
 */

const grpcError = (code: number, message: string) => Object.assign(new Error(`${code} ${message}`), { code });

it("a query refused with 'no poller seen' (a worker just died or is starting) is a 503 with Retry-After", () => {
  const err = new ServiceError('Failed to query Workflow', {
    cause: grpcError(9, 'FAILED_PRECONDITION: no poller seen for task queue recently, worker may be down'),
  });
  const problem = toHttpProblem(err, 'refund:o:r');
  assert.equal(problem?.kind, 'unavailable');
  assert.equal(problem?.status, 503);
  assert.equal(problem?.extras.headers?.['Retry-After'], '5');
});

it('another FAILED_PRECONDITION is not mistaken for it', () => {
  const err = new ServiceError('Failed', { cause: grpcError(9, 'FAILED_PRECONDITION: something else') });
  assert.equal(toHttpProblem(err, 'refund:o:r'), undefined);
});

it('a query cut off by its deadline is a 503 with Retry-After, whether grpc-js reports DEADLINE_EXCEEDED or CANCELLED', () => {
  for (const cause of [
    grpcError(4, 'DEADLINE_EXCEEDED: Deadline exceeded'),
    grpcError(1, 'CANCELLED: Call cancelled'),
  ]) {
    const problem = toHttpProblem(new ServiceError('Failed to query Workflow', { cause }), 'refund:o:r');
    assert.equal(problem?.status, 503, cause.message);
    assert.equal(problem?.extras.headers?.['Retry-After'], '5');
  }
});
