import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import express from 'express';
import { pinoHttp } from 'pino-http';
import type { Config } from '../common/config';
import type { Logger } from '../common/logger';
import { OperatorKeyStore } from '../common/operator-keys';
import { policyFromConfig } from '../common/policy';
import type { Policy } from '../domain/context';
import { operatorAuth, webhookAuth } from './auth';
import { authFailureLimiter } from './auth-limit';
import { createOidcVerifier, type OidcVerifier } from './oidc';
import { renderDocsPage } from './docs-page';
import { healthRoutes } from './health';
import { buildOpenApiDocument } from './openapi';
import { createOrderReader, type OrderReader } from './refund-reads';
import { notFoundHandler, problemHandler } from './problem';
import { operatorRoutes } from './routes';
import { webhookRoutes } from './webhooks';

export interface AppDeps {
  client: Client;
  config: Config;
  logger: Logger;
  /** The refund policy (reasons, appeasement); defaults to the one config describes, as the workers use. */
  policy?: Policy;
  /** Reads the orders a refund's workflow validated against, from its history (api/refund-reads.ts); replaceable in tests. */
  orders?: OrderReader;
  /** Largest JSON body accepted (413 above it). */
  bodyLimit?: string;
  /** How long a query or update waits for the refund's worker before 503. */
  workflowTimeoutMs?: number;
  /** How long a bulk action waits for its batch operation to finish before answering 202. */
  bulkWaitMs?: number;
  /** The operators' keys; default: OPERATOR_KEYS_FILE, re-read whenever it changes. */
  keys?: OperatorKeyStore;
  /** OIDC bearer tokens; default: from OIDC_ISSUER when set. */
  oidc?: OidcVerifier;
  /** Tests only: runs after a bulk action has listed (and counted) its refunds, before it starts its batch. */
  afterBulkListing?: (workflowIds: string[]) => Promise<void>;
}

/** The static repair page (plain HTML and one small ES module; no build step). */
export const CONSOLE_DIR = path.join(__dirname, 'console');

/**
 * The HTTP edge: Buy with Prime's webhook, the operator API, health, the OpenAPI document and its page, and the repair
 * page. Routes are thin; every input is parsed with zod; every error leaves through the one problem handler as
 * application/problem+json. Built by a factory so tests run it on port 0.
 */
export function createApp(deps: AppDeps): express.Express {
  const { client, config, logger } = deps;
  const json = express.json({ limit: deps.bodyLimit ?? '256kb', type: ['application/json', 'application/*+json'] });
  const openapi = buildOpenApiDocument();
  const docsPage = renderDocsPage(openapi);

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // Client addresses (for the failed-authentication limit) through this many reverse proxies.
  app.set('trust proxy', config.API_TRUST_PROXY);
  app.use(httpLog(logger));
  app.use(securityHeaders);

  app.use(healthRoutes({ client, logger }));
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.get('/docs', (_req, res) => {
    res.type('html').send(docsPage);
  });
  app.use('/console', express.static(CONSOLE_DIR, { index: 'index.html', maxAge: '5m', fallthrough: true }));

  // Credentials are checked before a body is parsed: a stranger's body is never read. Only failed authentications
  // count, per address and kind of credential (api/auth-limit.ts): a valid credential is never refused.
  const limiter = authFailureLimiter(config);
  const timeout = deps.workflowTimeoutMs ? { timeoutMs: deps.workflowTimeoutMs } : {};
  app.use(webhookRoutes({ client, config, json, auth: webhookAuth(config, limiter), ...timeout }));
  const { keys, oidc } = credentialsOf(deps);
  app.use(['/refunds', '/refunds.csv', '/me', '/bulk'], operatorAuth({ keys, oidc, logger, limiter }), json);
  app.use(
    operatorRoutes({
      client,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      policy: deps.policy ?? policyFromConfig(config),
      orders: deps.orders ?? createOrderReader(),
      logger,
      start: { businessProductId: config.BWP_TARGET_ID },
      ...(deps.workflowTimeoutMs ? { workflowTimeoutMs: deps.workflowTimeoutMs } : {}),
      bulk: {
        ...(deps.bulkWaitMs ? { waitMs: deps.bulkWaitMs } : {}),
        ...(deps.afterBulkListing ? { afterListing: deps.afterBulkListing } : {}),
      },
    }),
  );

  app.use(notFoundHandler);
  app.use(problemHandler());
  return app;
}

/** The operators' credentials: their keys (OPERATOR_KEYS_FILE, re-read when it changes) and OIDC when configured. */
function credentialsOf(deps: AppDeps): { keys: OperatorKeyStore; oidc?: OidcVerifier } {
  const { config, logger } = deps;
  const keys =
    deps.keys ??
    new OperatorKeyStore(config.OPERATOR_KEYS_FILE, (message) =>
      logger.error({ file: config.OPERATOR_KEYS_FILE }, `operator keys unreadable; every key is refused: ${message}`),
    );
  const oidc =
    deps.oidc ??
    (config.OIDC_ISSUER && config.OIDC_AUDIENCE
      ? createOidcVerifier({
          issuer: config.OIDC_ISSUER,
          audience: config.OIDC_AUDIENCE,
          jwksUrl: config.OIDC_JWKS_URL,
          roleClaim: config.OIDC_ROLE_CLAIM,
          nameClaim: config.OIDC_NAME_CLAIM,
          requireHttps: config.NODE_ENV === 'production',
        })
      : undefined);
  return { keys, ...(oidc ? { oidc } : {}) };
}

/** One log line per request (pino-http), with the problem's detail; health checks and the page's files are not logged. */
function httpLog(logger: Logger): express.RequestHandler {
  return pinoHttp({
    logger: logger.child({ component: 'api' }),
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    customSuccessObject: (_req, res, val: Record<string, unknown>) => ({
      ...val,
      problem: res.locals?.problem as unknown,
    }),
    customErrorObject: (_req, res, _err, val: Record<string, unknown>) => ({
      ...val,
      problem: res.locals?.problem as unknown,
    }),
    autoLogging: {
      ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || (req.url ?? '').startsWith('/console/'),
    },
    // Only what helps: no cookies, no bodies; the authorization header is redacted by the logger (REDACT_PATHS).
    serializers: {
      req: (req: { id: unknown; method: string; url: string; headers: Record<string, unknown> }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        headers: {
          authorization: req.headers.authorization,
          'user-agent': req.headers['user-agent'],
        },
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}

const securityHeaders: express.RequestHandler = (req, res, next) => {
  // Answers are about refunds and people: no cache keeps them. (The page's static files have their own max-age.)
  if (!req.path.startsWith('/console/')) res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  );
  next();
};
