import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { Role } from '../common/operator-keys';
import { BULK_ACTIONS, BULK_BODIES, BulkAnswer, BulkFilterQuery, BulkJobParams, BulkProgress } from './bulk';
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
  Me,
  MutationHeaders,
  RefundDetail,
  RefundIdParams,
  RepairAcceptedBody,
  RepairCheck,
  RepairForm,
  RepairInput,
  ResolveInput,
  StartRefundAccepted,
  StartRefundInput,
  WebhookAccepted,
  WebhookBody,
} from './schemas';
import { ExportRefundsQuery, ListRefundsQuery, RefundPage } from './visibility';

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
  [IDEMPOTENCY_HEADER]: MutationHeaders.shape[IDEMPOTENCY_HEADER],
});

const operatorErrors = {
  400: problem('invalidRequest', 'A field, query parameter or header is invalid; `errors` names each one and why.'),
  401: problem('unauthorized', 'Missing, unknown or revoked credential.'),
  403: problem('forbidden', 'The credential’s role does not allow this operation.'),
  404: problem('notFound', 'No refund workflow with this id.'),
  429: problem('tooManyRequests', 'Too many failed authentications from this address; see Retry-After.'),
  503: problem('unavailable', "Temporal or the refund's worker did not answer in time; see Retry-After."),
};
const { 404: _notFound, ...listErrors } = operatorErrors;

/** Which role an operation needs, in its description and as `x-required-role`. */
const ROLE_TEXT: Record<Role, string> = {
  viewer: 'Role: viewer (or higher).',
  operator: 'Role: operator (or admin).',
  admin: 'Role: admin.',
};

const BULK_SUMMARY: Record<keyof typeof BULK_ACTIONS, string> = {
  'accept-suggestion': 'Bulk: accept the suggested repair of every refund the filter matches',
  decline: 'Bulk: decline every refund the filter matches, with a Buy with Prime status reason',
  recheck: 'Bulk: re-check now every refund the filter matches',
};

export function buildOpenApiDocument(opts: { serverUrl?: string } = {}) {
  const registry = new OpenAPIRegistry();
  const operatorKey = registry.registerComponent('securitySchemes', 'operatorKey', {
    type: 'http',
    scheme: 'bearer',
    description:
      'Your own operator API key (`rok_…`, from `npm run operator-key -- add NAME --role ROLE`). Its name is recorded in the audit trail; its role (viewer, operator, admin) decides what you may do.',
  });
  const oidcToken = registry.registerComponent('securitySchemes', 'oidcToken', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'When OIDC_ISSUER is set: a token of your identity provider (issuer OIDC_ISSUER, audience OIDC_AUDIENCE), verified against its JWKS; role from OIDC_ROLE_CLAIM, name from OIDC_NAME_CLAIM.',
  });
  const webhookBasic = registry.registerComponent('securitySchemes', 'webhookBasic', {
    type: 'http',
    scheme: 'basic',
    description:
      'WEBHOOK_AUTH=basic: WEBHOOK_BASIC_USER / WEBHOOK_BASIC_PASSWORD, as set up in the Buy with Prime event subscription',
  });
  const webhookBearer = registry.registerComponent('securitySchemes', 'webhookBearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'WEBHOOK_AUTH=bearer: WEBHOOK_BEARER_TOKEN',
  });
  const operator = [{ [operatorKey.name]: [] }, { [oidcToken.name]: [] }];
  const role = (needed: Role, description?: string) => ({
    description: [description, ROLE_TEXT[needed]].filter(Boolean).join(' '),
    'x-required-role': needed,
  });

  const paths: RouteConfig[] = [
    {
      method: 'post',
      path: '/webhooks/bwp',
      tags: ['Buy with Prime'],
      summary: 'Receive a Buy with Prime event',
      description:
        'The webhook body, the EventBridge envelope with the body as `detail`, or the thin 2023 envelope (`detail: {}`, refunds only in `resources`, plain or ARN-style). REFUND_REQUESTED starts the workflow of each refund named in `resources` (or makes the running one re-check); REFUND_COMPLETED makes a running refund re-check; other event types answer 202 `ignored`. Resources of another business product than BWP_TARGET_ID are ignored. Duplicates are harmless. Malformed JSON, a body that is not an event, or a refund event whose resources are malformed gets 400 and starts nothing. One scheme, chosen by WEBHOOK_AUTH.',
      security: [{ [webhookBasic.name]: [] }, { [webhookBearer.name]: [] }],
      request: { body: body(WebhookBody) },
      responses: {
        202: json(WebhookAccepted, 'What happened to each refund, and what was ignored.'),
        400: problem('invalidRequest', 'Malformed JSON or not a valid event; nothing was started.'),
        401: problem('unauthorized'),
        413: problem('tooLarge'),
        415: problem('unsupportedMediaType'),
        429: operatorErrors[429],
        503: problem('unavailable', 'Temporal unreachable; deliver again later.'),
      },
    },
    {
      method: 'get',
      path: '/me',
      tags: ['Operators'],
      summary: 'Who the credential is: name (as recorded in the audit trail) and role',
      ...role('viewer'),
      security: operator,
      responses: { 200: json(Me, 'The signed-in operator.'), 401: operatorErrors[401], 429: operatorErrors[429] },
    },
    {
      method: 'get',
      path: '/refunds',
      tags: ['Operators'],
      summary: 'List refunds (Temporal visibility)',
      ...role(
        'viewer',
        'Newest first. Filters combine with AND. Pass `nextCursor` back as `cursor` for the next page.',
      ),
      security: operator,
      request: { query: ListRefundsQuery },
      responses: { 200: json(RefundPage, 'One page of refunds.'), ...listErrors },
    },
    {
      method: 'post',
      path: '/refunds',
      tags: ['Operators'],
      summary: 'Start a refund by order and refund id (its event was lost upstream)',
      ...role(
        'operator',
        'Starts the refund exactly as its REFUND_REQUESTED event would: the same workflow id, so it is idempotent (a refund already running is joined and re-checks; one that finished is not started again) and a late event joins it. The workflow reads the order from Buy with Prime and parks it for repair if anything is wrong, as for any refund.',
      ),
      security: operator,
      request: { headers: OperatorHeaders, body: body(StartRefundInput) },
      responses: {
        201: json(StartRefundAccepted, 'Started; `Location` is the refund.'),
        200: json(StartRefundAccepted, 'Already known: joined (running) or finished.'),
        ...listErrors,
        415: problem('unsupportedMediaType'),
      },
    },
    {
      method: 'get',
      path: '/refunds.csv',
      tags: ['Operators'],
      summary: 'The list as CSV: status, amounts, idempotency keys, problems, timestamps',
      ...role(
        'viewer',
        'The same filters as GET /refunds, newest first, at most `max` refunds (from the list itself: search attributes and memo). Columns: workflow_id, order_id, refund_id, store_order_id, status, execution_status, needs_attention, attention_reasons, requested_amount, planned_amount, refunded_amount, currency, plan_revision, idempotency_keys, submission_attempts, problem_codes, problems, advisories, bwp_state, started_at, parked_since, closed_at, last_operator.',
      ),
      security: operator,
      request: { query: ExportRefundsQuery },
      responses: {
        200: { description: 'RFC 4180 CSV with a header line.', content: { 'text/csv': { schema: z.string() } } },
        ...listErrors,
      },
    },
    {
      method: 'get',
      path: '/refunds/{id}',
      tags: ['Operators'],
      summary: 'One refund: state, problems, plan, suggestion, latest attempts and audit trail',
      ...role('viewer', "From the refund's memo on the Temporal server: answered with every worker stopped."),
      security: operator,
      request: { params: RefundIdParams },
      responses: { 200: json(RefundDetail, 'The refund.'), ...operatorErrors },
    },
    {
      method: 'get',
      path: '/refunds/{id}/repair',
      tags: ['Operators'],
      summary:
        'The repair form: per SKU ordered, refunded and remaining quantity and amount; reasons; the suggested fix',
      ...role('viewer'),
      security: operator,
      request: { params: RefundIdParams },
      responses: {
        200: json(RepairForm, 'What the repair dialog shows.'),
        ...operatorErrors,
        409: problem('notReady', 'The refund has not read its order yet; see Retry-After.'),
      },
    },
    {
      method: 'post',
      path: '/refunds/{id}/repair/check',
      tags: ['Operators'],
      summary: 'Check a repair without sending it (the workflow’s own validation)',
      ...role(
        'viewer',
        "The workflow's own admission rule on the facts its memo shows, against the order as it last read it (from its history): the answer the repair would get. 200 with `problems` for what is wrong; an unknown key is a 400.",
      ),
      security: operator,
      request: { params: RefundIdParams, body: body(RepairInput) },
      responses: {
        200: json(RepairCheck, 'The problems, and the plan when there are none.'),
        ...operatorErrors,
        409: problem('notReady', 'The refund has not read its order yet; see Retry-After.'),
      },
    },
    {
      method: 'post',
      path: '/refunds/{id}/repair',
      tags: ['Operators'],
      summary: 'Repair a refund parked in AWAITING_REPAIR',
      ...role(
        'operator',
        'Per SKU: ticked, quantity, merchant reason and amount (the connector’s “Failed Refund” dialog), or `{ "acceptSuggestion": true }` to accept the workflow’s suggestion as it is. Validated by the workflow’s update validator: 422 lists the problems and nothing changes.',
      ),
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
        [
          'decline',
          'Decline the refund (reports FAILURE to Buy with Prime with the status reason)',
          DeclineInput,
          'operator',
        ],
        ['resolve', 'Mark the refund resolved outside this system', ResolveInput, 'operator'],
        [
          'cancel',
          'Cancel the refund (after any call in flight; if money moved it is reported and the result says so)',
          CancelInput,
          'admin',
        ],
      ] as const
    ).map(([action, summary, schema, needed]): RouteConfig => ({
      method: 'post',
      path: `/refunds/{id}/${action}`,
      tags: ['Operators'],
      summary,
      ...role(
        needed,
        'docs/protocol.md says what this does in each status. The workflow records it at once; the API follows the refund until it is carried out (200) or answers 202.',
      ),
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
      ...role('operator', 'The body may be left out; `note` goes into the audit trail.'),
      security: operator,
      request: { params: RefundIdParams, headers: OperatorHeaders, body: body(AcceptSuggestionInput) },
      responses: {
        200: json(RepairAcceptedBody, 'Accepted: the plan that will be submitted, and its revision.'),
        ...operatorErrors,
        409: problem('notAllowed', 'Not waiting for repair, no suggestion, or money may have moved.'),
        415: problem('unsupportedMediaType'),
        422: problem('invalidRepair', 'The suggestion no longer holds against the order; `problems` lists why.'),
      },
    },
    ...(
      [
        [
          'recheck',
          'Re-check now: Buy with Prime, or the same key of a submission in doubt',
          RecheckInput,
          'operator',
          'The body may be left out.',
        ],
        [
          'resubmit-verified',
          'After an unknown outcome or a 409: state that you verified on the store that no money moved; opens a new key',
          ResubmitVerifiedInput,
          'admin',
          'Moves money under a new idempotency key on a person’s word that nothing moved under the key in doubt: admins only; recorded in the audit trail with the note.',
        ],
      ] as const
    ).map(([action, summary, schema, needed, description]): RouteConfig => ({
      method: 'post',
      path: `/refunds/{id}/${action}`,
      tags: ['Operators'],
      summary,
      ...role(needed, description),
      security: operator,
      request: { params: RefundIdParams, headers: OperatorHeaders, body: body(schema) },
      responses: {
        202: json(DecisionAccepted, 'Recorded; the refund moves on its own. Poll GET /refunds/{id}.'),
        ...operatorErrors,
        409: problem('notAllowed', 'Not allowed in the refund’s status.'),
        415: problem('unsupportedMediaType'),
      },
    })),
    ...(Object.keys(BULK_ACTIONS) as (keyof typeof BULK_ACTIONS)[]).map((action): RouteConfig => ({
      method: 'post',
      path: `/bulk/${action}`,
      tags: ['Bulk actions'],
      summary: BULK_SUMMARY[action],
      ...role(
        BULK_ACTIONS[action].role,
        'The filter is GET /refunds’s (query parameters, combined with AND; at least one), over running refunds. `dryRun: true` only counts them. Otherwise one Temporal batch operation signals each of them the refund’s own message, recorded in its audit trail with your name; the answer says what each refund did with it (read back from its audit trail). Send `expectedCount` (the dry run’s count) so nothing is sent if the filter now matches another number. The Idempotency-Key (required) names the job: the same request again answers the same job and sends nothing more. Nothing matching is a 200 with `matched: 0`. More than 1000 matching is a 409.',
      ),
      security: operator,
      request: { query: BulkFilterQuery, headers: OperatorHeaders, body: body(BULK_BODIES[action]) },
      responses: {
        200: json(BulkAnswer, 'Dry run: the count. Otherwise: the batch finished; each refund’s outcome.'),
        202: json(BulkAnswer, 'The batch is still running; follow GET /bulk/jobs/{jobId}.'),
        ...listErrors,
        409: problem(
          'notAllowed',
          'The count changed since the dry run, more than 1000 refunds match, or another bulk action is running (see Retry-After); nothing was sent.',
        ),
        415: problem('unsupportedMediaType'),
      },
    })),
    {
      method: 'get',
      path: '/bulk/jobs/{jobId}',
      tags: ['Bulk actions'],
      summary: 'Progress of a bulk action (its Temporal batch operation)',
      ...role('operator'),
      security: operator,
      request: { params: BulkJobParams },
      responses: { 200: json(BulkProgress, 'The batch operation’s state and counts.'), ...operatorErrors },
    },
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
      responses: { 200: json(Readiness, 'Ready.'), 503: json(Readiness, 'Temporal unreachable (why is logged).') },
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
  // Stable operation ids (getRefundsId, postRefundsIdRepair, …), and links from the answers that name a refund to the
  // operations on it, so a client (or a fuzzer's stateful phase) can follow them.
  const opId = (p: RouteConfig) =>
    `${p.method}${p.path.replace(/\{(\w+)\}/g, '$1').replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _s, c: string) => c.toUpperCase())}`;
  const onRefund = paths.filter((p) => p.path.startsWith('/refunds/{id}'));
  const linksFrom = (pointer: string) =>
    Object.fromEntries(
      onRefund.map((p) => [opId(p), { operationId: opId(p), parameters: { id: `$response.body#${pointer}` } }]),
    );
  for (const p of paths) {
    p.operationId = opId(p);
    const ok = (p.responses as Record<string, Record<string, unknown>>)['200'];
    const created = (p.responses as Record<string, Record<string, unknown>>)['201'];
    if (p.method === 'post' && p.path === '/refunds') {
      if (created) created.links = linksFrom('/workflowId');
      if (ok) ok.links = linksFrom('/workflowId');
    }
    if (p.method === 'get' && p.path === '/refunds' && ok) ok.links = linksFrom('/refunds/0/workflowId');
    if (p.method === 'post' && p.path.startsWith('/bulk/')) {
      const link = {
        getBulkJobsJobId: { operationId: 'getBulkJobsJobId', parameters: { jobId: '$response.body#/jobId' } },
      };
      for (const answer of [ok, (p.responses as Record<string, Record<string, unknown>>)['202']]) {
        if (answer) answer.links = link;
      }
    }
    registry.registerPath(p);
  }

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'refund-orchestrator API',
      version: '1',
      description:
        'Buy with Prime refunds as Temporal workflows. Buy with Prime posts its events here; operators, each with their own credential and role, list stuck refunds, export them, start refunds whose event was lost, act on many at once by filter, and repair, decline, resolve or cancel them. Errors are application/problem+json; answers are never cached.',
    },
    ...(opts.serverUrl ? { servers: [{ url: opts.serverUrl }] } : {}),
  });
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
