import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { Role } from '../../common/operator-keys';
import { PROBLEM_CONTENT_TYPE, PROBLEMS, ProblemBody, type ProblemKind } from '../problem';
import { IDEMPOTENCY_HEADER, MutationHeaders } from '../schemas';

/** What every path table of /openapi.json shares: answers, problems, bodies, headers, security and roles. */

export type PathTable = RouteConfig[];

export const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
export const problem = (kind: ProblemKind, description?: string) => ({
  description: description ?? PROBLEMS[kind].title,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemBody } },
});
export const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema } } });

/** Headers are documented without transforms (the generator reads input shapes). */
export const OperatorHeaders = z.object({
  [IDEMPOTENCY_HEADER]: MutationHeaders.shape[IDEMPOTENCY_HEADER],
});

/** The security schemes' names (registered in api/openapi.ts). */
export const SCHEMES = {
  operatorKey: 'operatorKey',
  oidcToken: 'oidcToken',
  webhookBasic: 'webhookBasic',
  webhookBearer: 'webhookBearer',
} as const;

/** An operator's credential: their API key or an identity-provider token. */
export const operatorSecurity: Record<string, string[]>[] = [
  { [SCHEMES.operatorKey]: [] },
  { [SCHEMES.oidcToken]: [] },
];

export const operatorErrors = {
  400: problem('invalidRequest', 'A field, query parameter or header is invalid; `errors` names each one and why.'),
  401: problem('unauthorized', 'Missing, unknown or revoked credential.'),
  403: problem('forbidden', 'The credential’s role does not allow this operation.'),
  404: problem('notFound', 'No refund of this deployment with this id (another workflow type or task queue is none).'),
  429: problem(
    'tooManyRequests',
    'Too many failed authentications from this address for this kind of credential; see Retry-After. Valid credentials are never refused.',
  ),
  503: problem('unavailable', "Temporal or the refund's worker did not answer in time; see Retry-After."),
};
/** A list's errors: a filter finds nothing rather than a 404. */
const { 404: _notFound, ...rest } = operatorErrors;
export const listErrors = rest;

/** Said of every mutation's 409: the same Idempotency-Key with another request (Stripe's rule). */
export const KEY_REUSED =
  'or the Idempotency-Key was first used for another request (another route, action, operator, refund or body: `/problems/idempotency-key-reused`); nothing was done';

/** Which role an operation needs, in its description and as `x-required-role`. */
const ROLE_TEXT: Record<Role, string> = {
  viewer: 'Role: viewer (or higher).',
  operator: 'Role: operator (or admin).',
  admin: 'Role: admin.',
};

export const role = (needed: Role, description?: string) => ({
  description: [description, ROLE_TEXT[needed]].filter(Boolean).join(' '),
  'x-required-role': needed,
});
