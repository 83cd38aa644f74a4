import express from 'express';
import { type Logger } from '../../common/logger';
import { PURPLE_DOT_API_PREFIX, PURPLE_DOT_TOKEN_HEADER } from '../../domain/schemas/store';
import { adminErrorHandler, adminRouter, simulatorAdminRoutes, type Seeder } from '../admin';
import { delay, isBodyError, recordRequest, safeEqual } from '../http';
import { accountLimiter } from '../rate-limit';
import { StoreFaultsPatch, type StoreSimulator } from './simulator';

/**
 * HTTP in front of the store simulator. Two unrelated APIs share the server:
 *
 * 1. Purple Dot's private API v1 (https://docs.getpurpledot.com/docs/purple-dot-apis/private-api): only
 *    `POST /admin/api/v1/refund` (https://docs.getpurpledot.com/docs/purple-dot-apis/private-api/refund), behind the
 *    `X-Purple-Dot-Access-Token` header ("in all requests"), every answer in the documented envelope
 *    `{ meta: { success }, data }` ("All responses follow a common format"). Anything else under /admin/api/ is 404.
 * 2. The merchant's own order-facts endpoint, `GET /merchant/orders/:id` behind `Authorization: Bearer`. This is NOT a
 *    Purple Dot endpoint: Purple Dot documents no endpoint that reads an order by its external id, so the service reads
 *    the order facts from the merchant's platform, and only when STORE_ORDER_URL is set. Its shape is ours
 *    (domain/schemas/store.ts, StoreOrder), answered bare, without Purple Dot's envelope.
 *
 * Plus `/admin` (loopback only), the sandbox's own.
 */

export interface StoreServerDeps {
  sim: StoreSimulator;
  seeder: Seeder;
  /** The X-Purple-Dot-Access-Token the refund endpoint accepts. */
  token: string;
  /** The bearer token the merchant's order endpoint accepts. */
  orderToken: string;
  logger: Logger;
  /** Source of randomness for errorRate (tests can make it deterministic). */
  random?: () => number;
}

export interface StoreApp {
  app: express.Express;
  /** Stops the timers of connections held by a 'timeout' commit-then-fail. */
  dispose(): void;
}

/** A success in Purple Dot's envelope (https://docs.getpurpledot.com/docs/purple-dot-apis/private-api). */
function success(res: express.Response, status: number, data: unknown): void {
  res.status(status).json({ meta: { success: true }, data });
}

/**
 * An error in Purple Dot's envelope. The status and code are the documented ones
 * (https://docs.getpurpledot.com/docs/purple-dot-apis/private-api/refund: "400 - INVALID_REFUND_REQUEST", ...); where
 * the code sits in the body is NOT published. The sandbox's choice: `{ meta: { success: false }, data: { error: { code,
 * message } } }`.
 */
function failure(res: express.Response, status: number, code: string, message: string): void {
  res.status(status).json({ meta: { success: false }, data: { error: { code, message } } });
}

export function createStoreApp(deps: StoreServerDeps): StoreApp {
  const { sim, logger } = deps;
  const random = deps.random ?? Math.random;
  const held = new Set<NodeJS.Timeout>();
  const takeToken = accountLimiter();

  const app = express();
  app.disable('x-powered-by');

  // ---- Purple Dot private API v1 ----

  const purpleDot = express.Router();

  /** Records the request, waits the configured latency and checks the access token. */
  const gate: express.RequestHandler = async (req, res, next) => {
    recordRequest(sim.requestLogSink(), req, res);
    await delay(sim.faults().latencyMs);
    // "Include your Purple Dot store's private access token as X-Purple-Dot-Access-Token header in all requests." The
    // answer to a missing or wrong token is not published: 401 UNAUTHORIZED is the sandbox's choice.
    if (!safeEqual(req.get(PURPLE_DOT_TOKEN_HEADER), deps.token)) {
      failure(res, 401, 'UNAUTHORIZED', `Missing or invalid ${PURPLE_DOT_TOKEN_HEADER}`);
      return;
    }
    next();
  };

  /**
   * The account's rate limit and injected 5xx, before anything is read or applied. Purple Dot documents no rate limit,
   * 429 or Retry-After: the 429 RATE_LIMITED with Retry-After is a simulator extension for the service's throttling tests.
   */
  const limits: express.RequestHandler = (_req, res, next) => {
    const faults = sim.faults();
    const throttled = sim.consumeThrottleBurst()
      ? { ok: false as const, retryAfterSeconds: faults.retryAfterSeconds }
      : takeToken(faults.rateLimit);
    if (!throttled.ok) {
      if (!faults.omitRetryAfter) res.set('Retry-After', String(throttled.retryAfterSeconds));
      failure(res, 429, 'RATE_LIMITED', 'Too many refund requests for this account');
      return;
    }
    if (faults.errorRate > 0 && random() < faults.errorRate) {
      failure(res, 503, 'SERVICE_UNAVAILABLE', 'Service unavailable, nothing was refunded');
      return;
    }
    next();
  };

  const refund: express.RequestHandler = (req, res) => {
    const result = sim.refund(req.body);
    const log = { status: result.status, applied: result.applied, replayed: result.replayed };
    const fault = result.applied ? sim.consumeCommitThenFail() : null;
    if (!fault) {
      logger.debug(log, 'store sandbox: refund answered');
      // The success status is not published (the page gives none): 201, as the refund was created.
      if ('error' in result.body) failure(res, result.status, result.body.error.code, result.body.error.message);
      else success(res, result.status, result.body);
      return;
    }
    logger.info({ ...log, fault: fault.mode }, 'store sandbox: refund applied, answering with a failure');
    if (fault.mode === '502') {
      failure(res, 502, 'BAD_GATEWAY', 'Bad gateway');
    } else if (fault.mode === 'reset') {
      req.socket.destroy();
    } else {
      const timer = setTimeout(() => {
        held.delete(timer);
        req.socket.destroy();
      }, fault.holdMs);
      held.add(timer);
    }
  };

  const failed: express.ErrorRequestHandler = (err, _req, res, _next) => {
    if (isBodyError(err)) {
      failure(res, 400, 'INVALID_REFUND_REQUEST', 'Body is not valid JSON');
      return;
    }
    logger.error({ err }, 'store sandbox failed');
    failure(res, 500, 'INTERNAL_ERROR', 'Internal error, nothing was refunded');
  };

  purpleDot.post('/refund', gate, limits, express.json({ limit: '1mb' }), refund, failed);
  app.use(PURPLE_DOT_API_PREFIX, purpleDot);
  // Everything else under Purple Dot's namespace (other versions, other endpoints, other methods) is not simulated.
  app.use('/admin/api', (req, res) => {
    recordRequest(sim.requestLogSink(), req, res);
    failure(res, 404, 'NOT_FOUND', `${req.method} ${req.originalUrl} is not an endpoint of this sandbox`);
  });

  // ---- The merchant's own order endpoint (not Purple Dot) ----

  app.get('/merchant/orders/:id', async (req, res) => {
    recordRequest(sim.requestLogSink(), req, res);
    await delay(sim.faults().latencyMs);
    const auth = req.get('authorization');
    const presented = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
    if (!safeEqual(presented, deps.orderToken)) {
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer')
        .json({ error: { code: 'UNAUTHORIZED', message: 'Missing or invalid bearer token' } });
      return;
    }
    const id = req.params.id;
    const order = sim.order(id);
    if (!order) {
      res.status(404).json({ error: { code: 'UNKNOWN_ORDER', message: `Order ${id} was not found` } });
      return;
    }
    res.status(200).json(order);
  });

  // ---- /admin (the sandbox's own) ----

  const admin = adminRouter(deps.seeder);
  simulatorAdminRoutes(admin, sim, StoreFaultsPatch, 'store');
  admin.post('/reset', (_req, res) => {
    sim.reset();
    res.json({ reset: true });
  });
  admin.use(adminErrorHandler);
  app.use('/admin', admin);

  // Anything else (e.g. the old POST /refund and GET /orders/:id) does not exist.
  app.use((req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: `${req.method} ${req.path} does not exist` } });
  });

  return {
    app,
    dispose: () => {
      for (const timer of held) clearTimeout(timer);
      held.clear();
    },
  };
}
