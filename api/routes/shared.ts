import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Request, Response } from 'express';
import type { Logger } from '../../common/logger';
import type { Policy } from '../../domain/context';
import { operatorOf } from '../auth';
import { parseOr400 } from '../problem';
import { readRefund, type OrderReader, type RefundRecord } from '../refund-reads';
import { IDEMPOTENCY_HEADER, MutationHeaders, RefundIdParams } from '../schemas';
import { toHttpProblem, type ProblemContext } from '../temporal-errors';

/**
 * What every route on refunds shares: its dependencies, Temporal calls under a deadline with their errors turned into
 * problems, the refund of the path (this deployment's only), and who is asking.
 */

export interface RefundRoutesDeps {
  client: Client;
  /** The refunds this API lists and acts on: those of its task queue. */
  taskQueue: string;
  policy: Policy;
  orders: OrderReader;
  logger: Logger;
  /** How long an update may wait for the workflow's worker (and a read for the server). */
  workflowTimeoutMs?: number;
  /** How long decline/resolve/cancel follow the refund (its memo) for the decision to be carried out before 202. */
  decisionWaitMs?: number;
  /** What a refund started with POST /refunds gets, as one started by an event would. */
  start: { businessProductId: string };
}

/** The deps with their defaults filled in. */
export type RouteDeps = RefundRoutesDeps & Required<Pick<RefundRoutesDeps, 'workflowTimeoutMs' | 'decisionWaitMs'>>;

export function withDefaults(deps: RefundRoutesDeps): RouteDeps {
  return {
    ...deps,
    workflowTimeoutMs: deps.workflowTimeoutMs ?? 15_000,
    decisionWaitMs: deps.decisionWaitMs ?? 20_000,
  };
}

/** Runs a Temporal call with a deadline, turning Temporal's errors into problems about this refund. */
export async function temporalCall<T>(
  deps: Pick<RouteDeps, 'client' | 'workflowTimeoutMs'>,
  workflowId: string,
  fn: () => Promise<T>,
  ctx: ProblemContext = {},
): Promise<T> {
  try {
    return await deps.client.withDeadline(Date.now() + deps.workflowTimeoutMs, fn);
  } catch (err) {
    throw toHttpProblem(err, workflowId, ctx) ?? err;
  }
}

/** The refund id of the path (400 naming it when it is not one). */
export function workflowIdOf(req: Request): string {
  return parseOr400(RefundIdParams, req.params, 'path', 'The refund id is not valid.').id;
}

/**
 * The refund from its memo (describe(): the server alone, strongly consistent), and only if it is one of this
 * deployment's refunds (its workflow type and task queue): anything else under that id is a 404. Every route on one
 * refund reads it first, so nothing is ever sent to a workflow that is not ours.
 */
export function recordOf(deps: RouteDeps, workflowId: string): Promise<RefundRecord> {
  return temporalCall(deps, workflowId, () => readRefund(deps.client, workflowId, deps.taskQueue));
}

/** Who sends a mutation, and under which request id. */
export interface Who {
  /** The credential's name (the audit trail's operator); an X-Operator header, which anyone could set, is not read. */
  operator: string;
  /** The client's Idempotency-Key, or a new UUID when it sent none (the request is then applied once, as sent). */
  requestId: string;
}

export function whoOf(req: Request, res: Response): Who {
  const headers = parseOr400(
    MutationHeaders,
    { [IDEMPOTENCY_HEADER]: req.get(IDEMPOTENCY_HEADER) },
    'header',
    'The Idempotency-Key header is not valid.',
  );
  return { operator: operatorOf(res).name, requestId: headers[IDEMPOTENCY_HEADER] ?? randomUUID() };
}

/** Waits `ms`. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
