import type { UpdateDefinition } from '@temporalio/common';
import {
  MESSAGES,
  type MessageAccepted,
  type OperatorAction,
  type OperatorMessage,
} from '../../workflows/refund.contract';
import { HttpProblem } from '../problem';
import type { RefundRecord } from '../refund-reads';
import { temporalCall, type RouteDeps, type Who } from './shared';
import { keyReused } from '../temporal-errors';
import { canonicalJson, digestOf } from '../util';

/**
 * Every change to one refund goes through here, as a Temporal update whose id binds the request: the deployment (task
 * queue), the operator, the route, the refund and the body as parsed, with the client's Idempotency-Key. The same key
 * with the same request is the same update, so Temporal answers the first one's result; the same key with anything
 * else is another update carrying a request id the refund has seen, which is refused (409, Stripe's rule): here at once
 * when the refund's audit trail shows the key used by another operator or for another action, else by the workflow's
 * update validator (FailureType.IdempotencyKeyReused). The message keeps the key itself as its `requestId`, which is
 * what the audit trail records.
 */

export interface UpdateRequest<I> {
  /** The refund as read just before (recordOf): one of this deployment's, so the update goes to our workflow only. */
  record: RefundRecord;
  /** The route that sends it (`repair`, `accept-suggestion`, …): one key is one request on one route. */
  route: string;
  action: OperatorAction;
  who: Who;
  /** The body as parsed (zod's output), so two bodies that say the same thing are the same request. */
  input: I;
}

/** The Temporal update id of a request: hex SHA-256 over everything it is bound to. */
export function updateIdOf(taskQueue: string, req: Omit<UpdateRequest<unknown>, 'record'> & { workflowId: string }) {
  const { who, route, action, workflowId, input } = req;
  return digestOf([
    'refund-update/v1',
    taskQueue,
    who.operator,
    route,
    action,
    workflowId,
    who.requestId,
    canonicalJson(input),
  ]);
}

/** An update: answers at once with what the workflow recorded (never waits for the outcome). */
export async function sendUpdate<I>(deps: RouteDeps, req: UpdateRequest<I>): Promise<MessageAccepted> {
  const { record, who, action, input } = req;
  const { workflowId } = record;
  refuseReusedKey(record, who, action);
  const definition = MESSAGES[action].update as unknown as UpdateDefinition<MessageAccepted, [OperatorMessage<I>]>;
  const msg: OperatorMessage<I> = { operator: who.operator, requestId: who.requestId, input };
  const updateId = updateIdOf(deps.taskQueue, { ...req, workflowId });
  const handle = deps.client.workflow.getHandle(workflowId);
  try {
    return await temporalCall(deps, workflowId, () => handle.executeUpdate(definition, { args: [msg], updateId }));
  } catch (err) {
    // A finished workflow takes no update (Temporal says "not found"): a 409 about the refund, not a 404.
    if (!(err instanceof HttpProblem && err.kind === 'notFound')) throw err;
    const description = await temporalCall(deps, workflowId, () => handle.describe());
    const message = `The refund's workflow has finished (${description.status.name}).`;
    throw new HttpProblem('notAllowed', `${message} Nothing was changed.`, {
      problems: [{ code: 'REFUND_NOT_PENDING', message, field: 'status' }],
    });
  }
}

/**
 * The key already names a request the refund accepted from another operator or for another action (its audit trail,
 * latest entries): 409 before anything is sent. A same-action request with another body is the workflow's to refuse,
 * since it alone holds every request id it has seen.
 */
function refuseReusedKey(record: RefundRecord, who: Who, action: OperatorAction): void {
  const first = record.trail.audit.find((a) => a.requestId === who.requestId && a.accepted && a.via !== 'workflow');
  if (!first || (first.action === action && first.operator === who.operator)) return;
  const what = first.action !== action ? `the ${first.action} action` : 'another operator';
  throw keyReused(`it was used on this refund for ${what} at ${first.at}`);
}
