import express from 'express';
import { z } from 'zod';
import { BwpAmount, RefundState } from '../../domain/schemas/bwp';
import { type Logger } from '../../common/logger';
import { adminErrorHandler, adminRouter, simulatorAdminRoutes, type Seeder } from '../admin';
import { delay, isBodyError, recordRequest, safeEqual } from '../http';
import { accountLimiter } from '../rate-limit';
import { type BwpEventSender } from './events';
import { executeBwpGraphql } from './graphql';
import { BwpFaultsPatch, BwpRequestError, type BwpSimulator } from './simulator';

/**
 * HTTP in front of the BwP simulator: `POST /graphql` with BwP's headers, throttling and faults, and `/admin`.
 * Checks run in the order a gateway would: credentials (401), target (403), version (400), rate (429), then GraphQL.
 */

export interface BwpServerDeps {
  sim: BwpSimulator;
  events: BwpEventSender;
  seeder: Seeder;
  token: string;
  businessProductId: string;
  logger: Logger;
  /** Source of randomness for errorRate (tests can make it deterministic). */
  random?: () => number;
}

function gqlError(
  res: express.Response,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  res
    .status(status)
    .set(headers)
    .json({ errors: [{ message, extensions: { code } }] });
}

const API_VERSION = /^\d{4}-\d{2}-\d{2}$/;

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

export function createBwpApp(deps: BwpServerDeps): express.Express {
  const { sim, logger } = deps;
  const random = deps.random ?? Math.random;
  const takeToken = accountLimiter();

  const app = express();
  app.disable('x-powered-by');

  /** The gateway's checks, in order: credentials (401), target (403), version (400), rate (429), injected 5xx. */
  const gateway: express.RequestHandler = async (req, res, next) => {
    recordRequest(sim.requestLogSink(), req, res);
    const faults = sim.faults();
    await delay(faults.latencyMs);

    const auth = req.get('authorization');
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
    if (!safeEqual(token, deps.token)) {
      gqlError(res, 401, 'AccessDeniedError', 'Missing or invalid bearer token');
      return;
    }
    if (!safeEqual(req.get('x-api-target-id'), deps.businessProductId)) {
      gqlError(res, 403, 'AccessDeniedError', 'x-api-target-id does not name a business product this token may use');
      return;
    }
    const version = req.get('x-api-version');
    if (!version || !API_VERSION.test(version)) {
      gqlError(res, 400, 'ValidationError', 'x-api-version is required (e.g. 2024-11-01)');
      return;
    }
    const throttled = sim.consumeThrottleBurst()
      ? { ok: false as const, retryAfterSeconds: faults.retryAfterSeconds }
      : takeToken(faults.rateLimit);
    if (!throttled.ok) {
      gqlError(res, 429, 'ThrottlingError', 'Rate exceeded', { 'Retry-After': String(throttled.retryAfterSeconds) });
      return;
    }
    if (faults.errorRate > 0 && random() < faults.errorRate) {
      gqlError(res, 500, 'InternalServerError', 'Internal server error');
      return;
    }
    next();
  };

  const execute: express.RequestHandler = async (req, res) => {
    const body = GraphqlBody.safeParse(req.body);
    if (!body.success) {
      gqlError(res, 400, 'ValidationError', 'Body must be JSON { query, variables }');
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
      gqlError(res, 400, 'ValidationError', 'Body is not valid JSON');
      return;
    }
    logger.error({ err }, 'bwp sandbox failed');
    gqlError(res, 500, 'InternalServerError', 'Internal server error');
  };

  app.post('/graphql', gateway, express.json({ limit: '1mb' }), execute, failed);

  const admin = adminRouter(deps.seeder);
  simulatorAdminRoutes(admin, sim, BwpFaultsPatch, 'BwP');
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
