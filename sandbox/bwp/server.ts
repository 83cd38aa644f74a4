import express from 'express';
import { z } from 'zod';
import { BwpAmount, RefundState, type BwpErrorType } from '../../domain/schemas/bwp';
import { type Logger } from '../../common/logger';
import { adminErrorHandler, adminRouter, simulatorAdminRoutes, type Seeder } from '../admin';
import { delay, isBodyError, recordRequest, safeEqual } from '../http';
import { accountLimiter } from '../rate-limit';
import { type BwpEventSender } from './events';
import { bwpError, executeBwpGraphql } from './graphql';
import { BwpFaultsPatch, BwpRequestError, type BwpSimulator } from './simulator';

/**
 * HTTP in front of the BwP simulator ("BWP:x" is https://documents.buywithprime.amazon.com/bwp-api/docs/x):
 * - `POST /token`: the access-token exchange. BWP:authenticate-to-the-buy-with-prime-api says only "you exchange your
 *   API credentials for an access token by making a POST request to a Buy with Prime token endpoint" and that tokens
 *   "expire every 15 minutes"; the request and answer formats are not published, so the sandbox speaks OAuth 2.0's
 *   client credentials grant (RFC 6749 §4.4; client authentication §2.3.1; answers §5.1 and §5.2).
 * - `POST /graphql` with the headers of BWP:call-the-buy-with-prime-api (`Authorization: Bearer`, `x-api-target-id`,
 *   `x-api-version`). Checks run in the order a gateway would: token (401), target (403), version (400), rate (429),
 *   injected 500, then GraphQL.
 * - `/admin` (loopback only).
 */

export interface BwpServerDeps {
  sim: BwpSimulator;
  events: BwpEventSender;
  seeder: Seeder;
  /** The API credentials POST /token exchanges for an access token. */
  clientId: string;
  clientSecret: string;
  businessProductId: string;
  logger: Logger;
  /** Source of randomness for errorRate (tests can make it deterministic). */
  random?: () => number;
}

/** A gateway error: the errorType is the published "Error Type" (BWP:troubleshoot-order-errors). */
function gatewayError(
  res: express.Response,
  status: number,
  errorType: BwpErrorType,
  message: string,
  headers: Record<string, string> = {},
): void {
  res
    .status(status)
    .set(headers)
    .json({ errors: [bwpError(errorType, message)] });
}

/** The x-api-version values look like "2024-11-01" (BWP:call-the-buy-with-prime-api; the events' apiVersion). */
function isApiVersion(value: string | undefined): boolean {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

const GraphqlBody = z.object({
  query: z.string().min(1),
  variables: z.record(z.string(), z.unknown()).nullable().optional(),
  operationName: z.string().nullable().optional(),
});

const RefundStateChange = z
  .object({
    orderId: z.string().min(1),
    refundId: z.string().min(1),
    state: RefundState,
    refundStatusReason: z.string().nullable().optional(),
    refundTotal: BwpAmount.optional(),
  })
  .strict();

/** RFC 6749 §2.3.1: the client id and secret are form-urlencoded (application/x-www-form-urlencoded) inside Basic. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

type ClientAuth =
  | { method: 'basic' | 'body'; clientId: string; clientSecret: string }
  | { method: 'none' }
  | { method: 'invalid'; basic: boolean; description: string };

/** Reads the client's credentials: HTTP Basic, or client_id/client_secret in the body (RFC 6749 §2.3.1). */
function clientAuth(req: express.Request, form: Record<string, string>): ClientAuth {
  const header = req.get('authorization');
  const inBody = form.client_id !== undefined || form.client_secret !== undefined;
  if (header !== undefined) {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!match) return { method: 'invalid', basic: true, description: 'Unsupported client authentication method' };
    if (inBody) {
      // §2.3: "The client MUST NOT use more than one authentication method in each request."
      return { method: 'invalid', basic: true, description: 'More than one client authentication method' };
    }
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const clientId = colon < 0 ? undefined : formDecode(decoded.slice(0, colon));
    const clientSecret = colon < 0 ? undefined : formDecode(decoded.slice(colon + 1));
    if (clientId === undefined || clientSecret === undefined) {
      return { method: 'invalid', basic: true, description: 'Malformed Basic credentials' };
    }
    return { method: 'basic', clientId, clientSecret };
  }
  if (inBody) return { method: 'body', clientId: form.client_id ?? '', clientSecret: form.client_secret ?? '' };
  return { method: 'none' };
}

/** The form body as single values; undefined when a parameter is repeated (§3.2: "MUST NOT be included more than once"). */
function singleValued(body: unknown): Record<string, string> | undefined {
  if (typeof body !== 'object' || body === null) return {};
  const form: Record<string, string> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value !== 'string') return undefined;
    form[key] = value;
  }
  return form;
}

export function createBwpApp(deps: BwpServerDeps): express.Express {
  const { sim, logger } = deps;
  const random = deps.random ?? Math.random;
  const takeToken = accountLimiter();

  const app = express();
  app.disable('x-powered-by');

  // ---- POST /token (RFC 6749 §4.4 client credentials grant) ----

  /** §5.2 error answer; 401 invalid_client carries WWW-Authenticate when the client tried HTTP Basic. */
  const tokenError = (res: express.Response, status: 400 | 401, error: string, description: string, basic = false) => {
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    if (status === 401 && basic) res.set('WWW-Authenticate', 'Basic realm="buy-with-prime-sandbox"');
    res.status(status).json({ error, error_description: description });
  };

  const tokenGate: express.RequestHandler = async (req, res, next) => {
    recordRequest(sim.requestLogSink(), req, res);
    await delay(sim.faults().latencyMs);
    if (!req.is('application/x-www-form-urlencoded')) {
      tokenError(res, 400, 'invalid_request', 'The body must be application/x-www-form-urlencoded');
      return;
    }
    next();
  };
  const tokenGrant: express.RequestHandler = (req, res) => {
    const form = singleValued(req.body);
    if (!form) {
      tokenError(res, 400, 'invalid_request', 'A parameter is repeated');
      return;
    }
    if (form.grant_type === undefined) {
      tokenError(res, 400, 'invalid_request', 'grant_type is required');
      return;
    }
    const auth = clientAuth(req, form);
    if (auth.method === 'invalid') {
      const status = auth.description.startsWith('More than one') ? 400 : 401;
      tokenError(res, status, status === 400 ? 'invalid_request' : 'invalid_client', auth.description, auth.basic);
      return;
    }
    if (
      auth.method === 'none' ||
      !safeEqual(auth.clientId, deps.clientId) ||
      !safeEqual(auth.clientSecret, deps.clientSecret)
    ) {
      tokenError(res, 401, 'invalid_client', 'Client authentication failed', auth.method === 'basic');
      return;
    }
    if (form.grant_type !== 'client_credentials') {
      tokenError(res, 400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported');
      return;
    }
    // `scope` is accepted and ignored: the credentials' permissions are set in the merchant console.
    const issued = sim.tokens.issue();
    res
      .status(200)
      .set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' })
      .json({ access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresInSeconds });
  };
  const tokenFailed: express.ErrorRequestHandler = (err, _req, res, _next) => {
    if (isBodyError(err)) {
      tokenError(res, 400, 'invalid_request', 'The body could not be read');
      return;
    }
    logger.error({ err }, 'bwp sandbox token endpoint failed');
    res.status(500).json({ error: 'server_error' });
  };
  app.post(
    '/token',
    tokenGate,
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }),
    tokenGrant,
    tokenFailed,
  );

  // ---- POST /graphql ----

  const gateway: express.RequestHandler = async (req, res, next) => {
    recordRequest(sim.requestLogSink(), req, res);
    const faults = sim.faults();
    await delay(faults.latencyMs);

    const auth = req.get('authorization');
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
    const tokenState = sim.tokens.check(token);
    if (tokenState !== 'valid') {
      const message =
        tokenState === 'expired'
          ? 'The access token has expired; request a new one'
          : 'Missing or invalid access token';
      gatewayError(res, 401, 'AccessDeniedError', message);
      return;
    }
    if (!safeEqual(req.get('x-api-target-id'), deps.businessProductId)) {
      gatewayError(
        res,
        403,
        'AccessDeniedError',
        'x-api-target-id does not name a business product this token may use',
      );
      return;
    }
    if (!isApiVersion(req.get('x-api-version'))) {
      gatewayError(res, 400, 'ValidationError', 'x-api-version is required and must be a date such as 2024-11-01');
      return;
    }
    const throttled = sim.consumeThrottleBurst()
      ? { ok: false as const, retryAfterSeconds: faults.retryAfterSeconds }
      : takeToken(faults.rateLimit);
    if (!throttled.ok) {
      const headers: Record<string, string> = faults.omitRetryAfter
        ? {}
        : { 'Retry-After': String(throttled.retryAfterSeconds) };
      gatewayError(res, 429, 'ThrottlingError', 'User made too many requests to the Buy with Prime API.', headers);
      return;
    }
    if (faults.errorRate > 0 && random() < faults.errorRate) {
      gatewayError(res, 500, 'InternalServerError', 'Unexpected error during request processing.');
      return;
    }
    next();
  };

  const execute: express.RequestHandler = async (req, res) => {
    const body = GraphqlBody.safeParse(req.body);
    if (!body.success) {
      gatewayError(res, 400, 'ValidationError', 'The body must be JSON { query, variables?, operationName? }');
      return;
    }
    const answer = await executeBwpGraphql(sim, body.data);
    logger.debug(
      { status: answer.status, errors: answer.body.errors?.map((e) => e.extensions) },
      'bwp sandbox graphql',
    );
    res.status(answer.status).json(answer.body);
  };

  const failed: express.ErrorRequestHandler = (err, _req, res, _next) => {
    if (isBodyError(err)) {
      gatewayError(res, 400, 'ValidationError', 'The body is not valid JSON');
      return;
    }
    logger.error({ err }, 'bwp sandbox failed');
    gatewayError(res, 500, 'InternalServerError', 'Unexpected error during request processing.');
  };

  app.post('/graphql', gateway, express.json({ limit: '1mb' }), execute, failed);

  // ---- /admin ----

  const admin = adminRouter(deps.seeder);
  simulatorAdminRoutes(admin, sim, BwpFaultsPatch, 'BwP');
  /** How many access tokens POST /token issued, and how many are still valid. */
  admin.get('/tokens', (_req, res) => {
    res.json(sim.tokens.counts());
  });
  admin.post('/refunds/state', (req, res) => {
    res.json(sim.setRefundState(RefundStateChange.parse(req.body)));
  });
  admin.post('/events', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    // Shorthand for one refund: { orderId, refundId, ... }.
    const { orderId, refundId, ...rest } = body;
    const request =
      orderId !== undefined || refundId !== undefined ? { ...rest, refunds: [{ orderId, refundId }] } : body;
    const deliveries = await deps.events.send(request as Parameters<BwpEventSender['send']>[0]);
    res.json({ deliveries });
  });
  admin.get('/events', (_req, res) => {
    res.json({ deliveries: deps.events.deliveries() });
  });
  admin.post('/reset', (_req, res) => {
    sim.reset();
    deps.events.reset();
    res.json({ reset: true });
  });
  admin.use(((err, req, res, next) => {
    if (err instanceof BwpRequestError) {
      res.status(404).json({ error: { code: 'NOT_FOUND', message: err.message } });
    } else {
      adminErrorHandler(err, req, res, next);
    }
  }) satisfies express.ErrorRequestHandler);
  app.use('/admin', admin);

  return app;
}
