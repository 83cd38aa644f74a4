import express from 'express';
import { type Logger } from '../../common/logger';
import { adminErrorHandler, adminRouter, simulatorAdminRoutes, type Seeder } from '../admin';
import { delay, isBodyError, recordRequest, safeEqual } from '../http';
import { accountLimiter } from '../rate-limit';
import { StoreFaultsPatch, type StoreSimulator } from './simulator';

/**
 * HTTP in front of the store simulator: `POST /refund` and `GET /orders/:id` behind `X-Access-Token`, the account's
 * rate limit on refunds, the faults (including commit-then-fail), and `/admin`. Answers are bare JSON bodies, or the
 * same bodies in the platform's `{ meta: { success }, data }` envelope when the `envelope` fault (or option) is on.
 */

export interface StoreServerDeps {
  sim: StoreSimulator;
  seeder: Seeder;
  token: string;
  logger: Logger;
  /** Source of randomness for errorRate (tests can make it deterministic). */
  random?: () => number;
}

export interface StoreApp {
  app: express.Express;
  /** Stops the timers of connections held by a 'timeout' commit-then-fail. */
  dispose(): void;
}

/** Sends an API answer: the body as is, or wrapped in the envelope (`success` is false for every error). */
function answer(sim: StoreSimulator, res: express.Response, status: number, body: unknown): void {
  res.status(status).json(sim.faults().envelope ? { meta: { success: status < 400 }, data: body } : body);
}

export function createStoreApp(deps: StoreServerDeps): StoreApp {
  const { sim, logger } = deps;
  const random = deps.random ?? Math.random;
  const fail = (res: express.Response, status: number, code: string, message: string) =>
    answer(sim, res, status, { error: { code, message } });
  const held = new Set<NodeJS.Timeout>();
  const takeToken = accountLimiter();

  const app = express();
  app.disable('x-powered-by');

  /** Records the request, waits the configured latency and checks the access token. */
  const gate: express.RequestHandler = async (req, res, next) => {
    recordRequest(sim.requestLogSink(), req, res);
    await delay(sim.faults().latencyMs);
    if (!safeEqual(req.get('x-access-token'), deps.token)) {
      fail(res, 401, 'UNAUTHORIZED', 'Missing or invalid X-Access-Token');
      return;
    }
    next();
  };

  /** The account's rate limit and injected 5xx, before anything is read or applied. */
  const limits: express.RequestHandler = (_req, res, next) => {
    const faults = sim.faults();
    const throttled = sim.consumeThrottleBurst()
      ? { ok: false as const, retryAfterSeconds: faults.retryAfterSeconds }
      : takeToken(faults.rateLimit);
    if (!throttled.ok) {
      res.set('Retry-After', String(throttled.retryAfterSeconds));
      fail(res, 429, 'RATE_LIMITED', 'Too many refund requests for this account');
      return;
    }
    if (faults.errorRate > 0 && random() < faults.errorRate) {
      fail(res, 503, 'SERVICE_UNAVAILABLE', 'Service unavailable, nothing was refunded');
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
      answer(sim, res, result.status, result.body);
      return;
    }
    logger.info({ ...log, fault: fault.mode }, 'store sandbox: refund applied, answering with a failure');
    if (fault.mode === '502') {
      fail(res, 502, 'BAD_GATEWAY', 'Bad gateway');
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
      fail(res, 400, 'INVALID_REFUND_REQUEST', 'Body is not valid JSON');
      return;
    }
    logger.error({ err }, 'store sandbox failed');
    fail(res, 500, 'INTERNAL_ERROR', 'Internal error, nothing was refunded');
  };

  app.post('/refund', gate, limits, express.json({ limit: '1mb' }), refund, failed);

  app.get('/orders/:id', gate, (req, res) => {
    const id = req.params.id as string;
    const order = sim.order(id);
    if (!order) {
      fail(res, 404, 'UNKNOWN_ORDER', `Order ${id} was not found`);
      return;
    }
    answer(sim, res, 200, order);
  });

  const admin = adminRouter(deps.seeder);
  simulatorAdminRoutes(admin, sim, StoreFaultsPatch, 'store');
  admin.post('/reset', (_req, res) => {
    sim.reset();
    res.json({ reset: true });
  });
  admin.use(adminErrorHandler);
  app.use('/admin', admin);

  return {
    app,
    dispose: () => {
      for (const timer of held) clearTimeout(timer);
      held.clear();
    },
  };
}
