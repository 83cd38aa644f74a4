import { Health, Readiness } from '../health';
import { WebhookAccepted, WebhookBody } from '../schemas';
import { body, json, operatorErrors, problem, SCHEMES, type PathTable } from './common';

/** Buy with Prime's webhook (api/webhooks.ts). */
export function webhookPaths(): PathTable {
  return [
    {
      method: 'post',
      path: '/webhooks/bwp',
      tags: ['Buy with Prime'],
      summary: 'Receive a Buy with Prime event',
      description:
        'The webhook body, the EventBridge envelope with the body as `detail`, or the thin 2023 envelope (`detail: {}`, refunds only in `resources`, plain or ARN-style). REFUND_REQUESTED starts the workflow of each refund named in `resources` (or makes the running one re-check); REFUND_COMPLETED makes a running refund re-check; other event types answer 202 `ignored`. Resources of another business product than BWP_TARGET_ID are ignored. Duplicates are harmless. Malformed JSON, a body that is not an event, or a refund event whose resources are malformed gets 400 and starts nothing. One scheme, chosen by WEBHOOK_AUTH.',
      security: [{ [SCHEMES.webhookBasic]: [] }, { [SCHEMES.webhookBearer]: [] }],
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
  ];
}

/** Health, this document and its page (api/health.ts, api/app.ts). */
export function operationsPaths(): PathTable {
  return [
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
      summary: 'Readiness: Temporal answers within a timeout (ready or not, nothing more: it is anonymous)',
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
}
