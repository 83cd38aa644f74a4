import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { bulkPaths } from './spec/bulk';
import { SCHEMES, type PathTable } from './spec/common';
import { decisionPaths } from './spec/decisions';
import { operationsPaths, webhookPaths } from './spec/edge';
import { refundPaths } from './spec/refunds';
import { repairPaths } from './spec/repair';

/**
 * /openapi.json, generated from the same zod schemas the routes parse with, so the spec cannot drift from the code.
 * Each resource has its own path table (api/spec/); this joins them, names each operation and links the answers that
 * name a refund or a job to the operations on it. (A test checks that every route the app serves is in the spec.)
 */

export function buildOpenApiDocument(opts: { serverUrl?: string } = {}) {
  const registry = new OpenAPIRegistry();
  registerSecuritySchemes(registry);
  const paths: PathTable = [
    ...webhookPaths(),
    ...refundPaths(),
    ...repairPaths(),
    ...decisionPaths(),
    ...bulkPaths(),
    ...operationsPaths(),
  ];
  linkPaths(paths);
  for (const p of paths) registry.registerPath(p);

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

function registerSecuritySchemes(registry: OpenAPIRegistry): void {
  registry.registerComponent('securitySchemes', SCHEMES.operatorKey, {
    type: 'http',
    scheme: 'bearer',
    description:
      'Your own operator API key (`rok_…`, from `npm run operator-key -- add NAME --role ROLE`). Its name is recorded in the audit trail; its role (viewer, operator, admin) decides what you may do.',
  });
  registry.registerComponent('securitySchemes', SCHEMES.oidcToken, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'When OIDC_ISSUER is set: a token of your identity provider (issuer OIDC_ISSUER, audience OIDC_AUDIENCE, an `exp` it must carry), verified against its JWKS; role from OIDC_ROLE_CLAIM, name from OIDC_NAME_CLAIM.',
  });
  registry.registerComponent('securitySchemes', SCHEMES.webhookBasic, {
    type: 'http',
    scheme: 'basic',
    description:
      'WEBHOOK_AUTH=basic: WEBHOOK_BASIC_USER / WEBHOOK_BASIC_PASSWORD, as set up in the Buy with Prime event subscription',
  });
  registry.registerComponent('securitySchemes', SCHEMES.webhookBearer, {
    type: 'http',
    scheme: 'bearer',
    description: 'WEBHOOK_AUTH=bearer: WEBHOOK_BEARER_TOKEN',
  });
}

/** Stable operation ids (getRefundsId, postRefundsIdRepair, …). */
const opId = (p: RouteConfig) =>
  `${p.method}${p.path.replace(/\{(\w+)\}/g, '$1').replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _s, c: string) => c.toUpperCase())}`;

/**
 * Operation ids, and links from the answers that name a refund to the operations on it (and from a bulk action to its
 * job), so a client (or a fuzzer's stateful phase) can follow them.
 */
function linkPaths(paths: PathTable): void {
  const onRefund = paths.filter((p) => p.path.startsWith('/refunds/{id}'));
  const linksFrom = (pointer: string) =>
    Object.fromEntries(
      onRefund.map((p) => [opId(p), { operationId: opId(p), parameters: { id: `$response.body#${pointer}` } }]),
    );
  const jobLink = {
    getBulkJobsJobId: { operationId: 'getBulkJobsJobId', parameters: { jobId: '$response.body#/jobId' } },
  };
  for (const p of paths) {
    p.operationId = opId(p);
    const answers = p.responses as Record<string, Record<string, unknown>>;
    const [ok, created, accepted] = [answers['200'], answers['201'], answers['202']];
    if (p.method === 'post' && p.path === '/refunds') {
      if (created) created.links = linksFrom('/workflowId');
      if (ok) ok.links = linksFrom('/workflowId');
    }
    if (p.method === 'get' && p.path === '/refunds' && ok) ok.links = linksFrom('/refunds/0/workflowId');
    if (p.method === 'post' && p.path.startsWith('/bulk/')) {
      for (const answer of [ok, accepted]) if (answer) answer.links = jobLink;
    }
  }
}
