import {
  QueryNotRegisteredError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Problem } from '../domain/problems';
import { FailureType } from '../workflows/refund.contract';
import { HttpProblem, problemsAsFieldErrors } from './problem';

/**
 * Temporal's answers as HTTP problems, in one place: a missing workflow is 404, a rejected repair 422 with the
 * workflow's own problems, a refund not waiting for that action 409, and an unreachable server or a worker that did not
 * answer in time 503 (never the client's fault, never a bare 500).
 */

/** What a call cut off by its own deadline can end with: grpc-js reports it as either. */
export const GRPC_CANCELLED = 1;
const GRPC_INVALID_ARGUMENT = 3;
export const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;
const GRPC_FAILED_PRECONDITION = 9;

/** Every message in the cause chain. */
function messages(err: unknown): string {
  const out: string[] = [];
  for (
    let e: unknown = err, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string') out.push(message);
  }
  return out.join(' | ');
}

/** The gRPC status code anywhere in the cause chain. */
export function grpcCode(err: unknown): number | undefined {
  for (
    let e: unknown = err, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/** The problems an update validator or handler attached (`details: [Problem[]]`), checked against the domain schema. */
export function problemsOf(failure: ApplicationFailure): Problem[] {
  // A worker still on older code may send problems without a field: they are about the repair as a whole.
  const parsed = Problem.extend({ field: Problem.shape.field.optional() }).array().safeParse(failure.details?.[0]);
  if (parsed.success && parsed.data.length > 0) return parsed.data.map((p) => ({ ...p, field: p.field ?? 'repair' }));
  return [{ code: 'INVALID_INPUT', message: failure.message, field: 'repair' }];
}

/** The gRPC message anywhere in the cause chain (Temporal's own words about what it rejected). */
function grpcDetails(err: unknown): string {
  for (
    let e: unknown = err, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const details = (e as { details?: unknown }).details;
    if (typeof details === 'string' && details) return details;
  }
  return err instanceof Error ? err.message : String(err);
}

export interface ProblemContext {
  /** The request field Temporal's INVALID_ARGUMENT is most likely about (default: the refund id in the path). */
  field?: string;
}

/**
 * INVALID_ARGUMENT: Temporal refused a value the client chose. The update id is the Idempotency-Key header; anything
 * else is the field the caller names (the refund id of the path by default).
 */
function invalidArgument(err: unknown, ctx: ProblemContext): HttpProblem {
  const said = grpcDetails(err);
  const field = /request ?id|update ?id/i.test(said) ? 'header.idempotency-key' : (ctx.field ?? 'path.id');
  return new HttpProblem('invalidRequest', `Temporal refused the request: ${said}`, {
    errors: [{ field, message: said }],
  });
}

/**
 * 409: the Idempotency-Key was first used for another request (another action, operator, route, refund or body), so
 * this one is neither applied nor answered with the first one's result (Stripe's rule).
 */
export function keyReused(message: string, problems?: Problem[]): HttpProblem {
  return new HttpProblem(
    'keyReused',
    `This Idempotency-Key was already used for another request; nothing was done. Use a new key for a new request. (${message})`,
    {
      errors: [{ field: 'header.idempotency-key', message: `already used for another request: ${message}` }],
      ...(problems?.length ? { problems } : {}),
    },
  );
}

export function toHttpProblem(err: unknown, workflowId: string, ctx: ProblemContext = {}): HttpProblem | undefined {
  if (err instanceof HttpProblem) return err;
  if (err instanceof WorkflowNotFoundError) {
    return new HttpProblem('notFound', `No refund workflow ${workflowId}.`);
  }
  if (err instanceof QueryNotRegisteredError) {
    return new HttpProblem('notFound', `${workflowId} is not a refund workflow.`);
  }
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) {
      const problems = problemsOf(cause);
      if (
        cause.type === FailureType.IdempotencyKeyReused ||
        problems.some((p) => p.code === 'IDEMPOTENCY_KEY_REUSED')
      ) {
        return keyReused(problems.map((p) => p.message).join(' ') || cause.message, problems);
      }
      if (cause.type === FailureType.InvalidRepair) {
        return new HttpProblem(
          'invalidRepair',
          'The repair was not accepted; nothing was sent. Fix the problems listed and try again.',
          {
            errors: problemsAsFieldErrors(problems),
            problems,
          },
        );
      }
      if (cause.type === FailureType.NotAllowed || problems.some((p) => p.code === 'REFUND_NOT_PENDING')) {
        return new HttpProblem('notAllowed', problems.map((p) => p.message).join(' '), { problems });
      }
      if (cause.type === FailureType.InvalidMessage) {
        return new HttpProblem('invalidRequest', cause.message, { errors: problemsAsFieldErrors(problems), problems });
      }
      return new HttpProblem('invalidRepair', cause.message, { errors: problemsAsFieldErrors(problems), problems });
    }
    return undefined;
  }
  // The API cancels a call only through its deadline, so a cancelled call is one that was not answered in time.
  const code = grpcCode(err);
  if (
    err instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
    code === GRPC_DEADLINE_EXCEEDED ||
    code === GRPC_CANCELLED
  ) {
    return new HttpProblem(
      'unavailable',
      `The refund's workflow did not answer in time (is a worker running for its task queue?). Try again; a retried call with the same Idempotency-Key applies once.`,
      { headers: { 'Retry-After': '5' } },
    );
  }
  if (code === GRPC_INVALID_ARGUMENT) return invalidArgument(err, ctx);
  if (code === GRPC_RESOURCE_EXHAUSTED) {
    return new HttpProblem('unavailable', 'Temporal is busy (rate limited); try again shortly.', {
      headers: { 'Retry-After': '5' },
    });
  }
  // A production server refuses a query when nothing has polled the workflow's task queue lately (a worker just died
  // or is being replaced): the workers are the ones to answer, so it is a 503 to retry, as above.
  if (code === GRPC_FAILED_PRECONDITION && /no poller seen/i.test(messages(err))) {
    return new HttpProblem(
      'unavailable',
      "No worker is serving the refund's task queue right now (is one starting?). Try again shortly.",
      { headers: { 'Retry-After': '5' } },
    );
  }
  if (code === GRPC_UNAVAILABLE) {
    return new HttpProblem('unavailable', 'Temporal is not reachable right now. Try again shortly.', {
      headers: { 'Retry-After': '5' },
    });
  }
  return undefined;
}
