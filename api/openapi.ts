import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { EventBridgeEnvelope, RefundRequestedEvent } from '../domain/schemas/bwp';
import { Health, Readiness } from './health';
import { PROBLEM_CONTENT_TYPE, PROBLEMS, ProblemBody, type ProblemKind } from './problem';
import {
  AcceptSuggestion,
  AcceptSuggestionInput,
  RecheckInput,
  ResubmitVerifiedInput,
  CancelInput,
  DecisionAccepted,
  DeclineInput,
  IDEMPOTENCY_HEADER,
  MutationHeaders,
  OPERATOR_HEADER,
  RefundDetail,
  RefundIdParams,
  RepairAcceptedBody,
  RepairCheck,
  RepairForm,
  RepairInput,
  ResolveInput,
  WebhookAccepted,
} from './schemas';
import { ListRefundsQuery, RefundPage } from './visibility';

/**
 * /openapi.json, generated from the same zod schemas the routes parse with, so the spec cannot drift from the code.
 * (A test checks that every route the app serves is in the spec.)
 */

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
const problem = (kind: ProblemKind, description?: string) => ({
  description: description ?? PROBLEMS[kind].title,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemBody } },
});
const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema } } });

/** Headers are documented without transforms (the generator reads input shapes). */
const OperatorHeaders = z.object({
  [OPERATOR_HEADER]: MutationHeaders.shape[OPERATOR_HEADER],
  [IDEMPOTENCY_HEADER]: MutationHeaders.shape[IDEMPOTENCY_HEADER],
});

const operatorErrors = {
  400: problem('invalidRequest', 'A field, query parameter or header is invalid; `errors` names each one and why.'),
  401: problem('unauthorized', 'Missing or wrong operator token.'),
  404: problem('notFound', 'No refund workflow with this id.'),
  503: problem('unavailable', "Temporal or the refund's worker did not answer in time."),
};

export function buildOpenApiDocument(opts: { serverUrl?: string } = {}) {
  const registry = new OpenAPIRegistry();
  const operatorAuth = registry.registerComponent('securitySchemes', 'operatorToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'API_OPERATOR_TOKEN',
  });
  const webhookBasic = registry.registerComponent('securitySchemes', 'webhookBasic', {
    type: 'http',
    scheme: 'basic',
    description: 'WEBHOOK_BASIC_USER / WEBHOOK_BASIC_PASSWORD, as set up in the Buy with Prime event subscription',
  });
  const webhookBearer = registry.registerComponent('securitySchemes', 'webhookBearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'WEBHOOK_BEARER_TOKEN (when configured)',
  });
  const operator = [{ [operatorAuth.name]: [] }];

  const paths: RouteConfig[] = [
    {
      method: 'post',
      path: '/webhooks/bwp',
      tags: ['Buy with Prime'],
      summary: 'Receive a REFUND_REQUESTED event',
      description:
        'Webhook body or EventBridge envelope. Starts the workflow of each refund named in `resources`, or signals the running one to re-check. Duplicates are harmless. Malformed JSON or a body that is not such an event gets 400 and starts nothing.',
      security: [{ [webhookBasic.name]: [] }, { [webhookBearer.name]: [] }],
      request: { body: body(z.union([RefundRequestedEvent, EventBridgeEnvelope])) },
      responses: {
        202: json(WebhookAccepted, 'Each refund with its workflow id and what happened.'),
        400: problem('invalidRequest', 'Malformed JSON or not a REFUND_REQUESTED event; nothing was started.'),
        401: problem('unauthorized'),
        413: problem('tooLarge'),
        415: problem('unsupportedMediaType'),
        503: problem('unavailable', 'Temporal unreachable; deliver again later.'),
      },
    },
    {
      method: 'get',
      path: '/refunds',
      tags: ['Operators'],
      summary: 'List refunds (Temporal visibility)',
      description: 'Newest first. Filters combine with AND. Pass `nextCursor` back as `cursor` for the next page.',
      security: operator,
      request: { query: ListRefundsQuery },
      responses: {
        200: json(RefundPage, 'One page of refunds.'),
        400: operatorErrors[400],
        401: operatorErrors[401],
        503: operatorErrors[503],
      },
    },
    {
      method: 'get',
      path: '/refunds/{id}',
      tags: ['Operators'],
      summary: 'One refund: state, problems, plan, suggestion, attempts, audit trail',
      security: operator,
      request: { params: RefundIdParams },
      responses: { 200: json(RefundDetail, 'The workflow state.'), ...operatorErrors },
    },
    {
      method: 'get',
      path: '/refunds/{id}/repair',
      tags: ['Operators'],
      summary:
        'The repair form: per SKU ordered, refunded and remaining quantity and amount; reasons; the suggested fix',
      security: operator,
      request: { params: RefundIdParams },
      responses: { 200: json(RepairForm, 'What the repair dialog shows.'), ...operatorErrors },
    },
    {
      method: 'post',
      path: '/refunds/{id}/repair/check',
      tags: ['Operators'],
      summary: 'Check a repair without sending it (the workflow’s own validation)',
      description:
        'Runs domain validateRepair against the order as read now. Always 200; `problems` lists what is wrong.',
      security: operator,
      request: { params: RefundIdParams, body: body(RepairInput) },
      responses: { 200: json(RepairCheck, 'The problems, and the plan when there are none.'), ...operatorErrors },
    },
    {
      method: 'post',
      path: '/refunds/{id}/repair',
      tags: ['Operators'],
      summary: 'Repair a refund parked in AWAITING_REPAIR',
      description:
        'Per SKU: ticked, quantity, merchant reason and amount (the connector’s “Failed Refund” dialog), or `{ "acceptSuggestion": true }` to accept the workflow’s suggestion as it is. Validated by the workflow’s update validator: 422 lists the problems and nothing changes.',
      security: operator,
      request: {
        params: RefundIdParams,
        headers: OperatorHeaders,
        body: body(z.union([RepairInput, AcceptSuggestion])),
      },
      responses: {
        200: json(RepairAcceptedBody, 'Accepted: the plan that will be submitted, and its revision.'),
        ...operatorErrors,
        409: problem('notAllowed', 'The refund is not waiting for repair (or has no suggestion to accept).'),
        413: problem('tooLarge'),
        415: problem('unsupportedMediaType'),
        422: problem('invalidRepair', 'The repair breaks refund rules; `problems` and `errors` list them.'),
      },
    },
    ...(
      [
        ['decline', 'Decline the refund (reports FAILURE to Buy with Prime with the status reason)', DeclineInput],
        ['resolve', 'Mark the refund resolved outside this system', ResolveInput],
        [
          'cancel',
          'Cancel the refund (after any call in flight; if money moved it is reported and the result says so)',
          CancelInput,
        ],
      ] as const
    ).map(([action, summary, schema]): RouteConfig => ({
      method: 'post',
      path: `/refunds/{id}/${action}`,
      tags: ['Operators'],
      summary,
      description:
        'docs/protocol.md says what this does in each status. The workflow records it at once; the API follows the refund until it is carried out (200) or answers 202.',
      security: operator,
      request: { params: RefundIdParams, headers: OperatorHeaders, body: body(schema) },
      responses: {
        200: json(DecisionAccepted, 'Accepted and carried out; `state` is the final state.'),
        202: json(DecisionAccepted, 'Accepted; still being carried out. Poll GET /refunds/{id}.'),
        ...operatorErrors,
        409: problem('notAllowed', 'Not allowed in the refund’s status (e.g. a decline after money moved).'),
        415: problem('unsupportedMediaType'),
      },
    })),
    {
      method: 'post',
      path: '/refunds/{id}/accept-suggestion',
      tags: ['Operators'],
      summary: 'Accept the workflow’s current suggested repair (refused while a key is in doubt)',
      security: operator,
      request: { params: RefundIdParams, headers: OperatorHeaders, body: body(AcceptSuggestionInput) },
      responses: {
        200: json(RepairAcceptedBody, 'Accepted: the plan that will be submitted, and its revision.'),
        ...operatorErrors,
        409: problem('notAllowed', 'Not waiting for repair, no suggestion, or money may have moved.'),
        415: problem('unsupportedMediaType'),
      },
    },
    ...(
      [
        ['recheck', 'Re-check now: Buy with Prime, or the same key of a submission in doubt', RecheckInput],
        [
          'resubmit-verified',
          'After an unknown outcome or a 409: state that you verified on the store that no money moved; opens a new key',
          ResubmitVerifiedInput,
        ],
      ] as const
    ).map(([action, summary, schema]): RouteConfig => ({
      method: 'post',
      path: `/refunds/{id}/${action}`,
      tags: ['Operators'],
      summary,
      security: operator,
      request: { params: RefundIdParams, headers: OperatorHeaders, body: body(schema) },
      responses: {
        202: json(DecisionAccepted, 'Recorded; the refund moves on its own. Poll GET /refunds/{id}.'),
        ...operatorErrors,
        409: problem('notAllowed', 'Not allowed in the refund’s status.'),
        415: problem('unsupportedMediaType'),
      },
    })),
    {
      method: 'get',
      path: '/healthz',
      tags: ['Operations'],
      summary: 'Liveness: the process answers',
      responses: { 200: json(Health, 'Up.') },
    },
    {
      method: 'get',
      path: '/readyz',
      tags: ['Operations'],
      summary: 'Readiness: Temporal answers within a timeout',
      responses: { 200: json(Readiness, 'Ready.'), 503: json(Readiness, 'Temporal unreachable.') },
    },
    {
      method: 'get',
      path: '/openapi.json',
      tags: ['Operations'],
      summary: 'This document',
      responses: { 200: { description: 'OpenAPI 3.1' } },
    },
    {
      method: 'get',
      path: '/docs',
      tags: ['Operations'],
      summary: 'This document as a page',
      responses: { 200: { description: 'HTML' } },
    },
  ];
  for (const p of paths) registry.registerPath(p);

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'refund-orchestrator API',
      version: '1',
      description:
        'Buy with Prime refunds as Temporal workflows. Buy with Prime posts REFUND_REQUESTED events here; operators list stuck refunds and repair, decline, resolve or cancel them. Errors are application/problem+json.',
    },
    ...(opts.serverUrl ? { servers: [{ url: opts.serverUrl }] } : {}),
  });
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
