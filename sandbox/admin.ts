import express from 'express';
import { z } from 'zod';
import { Fixture, fixtureNames, loadFixture, uniqueFixture } from './fixtures';
import { loopbackOnly } from './http';

/**
 * The admin API both simulators share: seeding a scenario seeds both systems (a fixture spans the BwP order and the
 * store order), so either admin URL can do it. Everything here is loopback only and unauthenticated.
 */

export interface Seeder {
  seed(fixture: Fixture): void;
}

export class AdminRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const ScenarioOptions = z
  .object({
    /** Give the copy fresh ids ending in -<suffix>; "random" picks one. Without it the fixture's own ids are used. */
    suffix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .optional(),
  })
  .strict();

/** A router under /admin, loopback only, JSON, with the seeding routes every simulator has. */
export function adminRouter(seeder: Seeder): express.Router {
  const router = express.Router();
  router.use(loopbackOnly, express.json({ limit: '1mb' }));

  router.get('/scenarios', (_req, res) => {
    res.json({ scenarios: fixtureNames() });
  });

  /** Seeds a fixture by name; answers the fixture as seeded (with its ids). */
  router.post('/scenarios/:name', (req, res) => {
    const name = req.params.name;
    if (!fixtureNames().includes(name))
      throw new AdminRequestError(404, 'UNKNOWN_SCENARIO', `No fixture named ${name}`);
    const opts = ScenarioOptions.parse(req.body ?? {});
    const fixture = loadFixture(name);
    const seeded =
      opts.suffix === undefined
        ? fixture
        : uniqueFixture(fixture, opts.suffix === 'random' ? {} : { suffix: opts.suffix });
    seeder.seed(seeded);
    res.status(201).json(seeded);
  });

  /** Seeds a fixture given in the body. */
  router.post('/orders', (req, res) => {
    const fixture = Fixture.parse(req.body);
    seeder.seed(fixture);
    res.status(201).json(fixture);
  });

  return router;
}

/** What both simulators expose to their admin API. */
export interface SimulatorAdmin<Patch> {
  ledger(): unknown;
  requests(): unknown;
  faults(): unknown;
  setFaults(patch: Patch): unknown;
  order(id: string): unknown;
}

/** The admin routes both simulators share: ledger, request log, faults, and one order as stored. */
export function simulatorAdminRoutes<Patch>(
  router: express.Router,
  sim: SimulatorAdmin<Patch>,
  faultsPatch: z.ZodType<Patch>,
  system: string,
): void {
  router.get('/ledger', (_req, res) => {
    res.json({ entries: sim.ledger() });
  });
  router.get('/requests', (_req, res) => {
    res.json({ requests: sim.requests() });
  });
  router.get('/faults', (_req, res) => {
    res.json(sim.faults());
  });
  router.post('/faults', (req, res) => {
    res.json(sim.setFaults(faultsPatch.parse(req.body ?? {})));
  });
  router.get('/orders/:id', (req, res) => {
    const order = sim.order(req.params.id);
    if (!order) throw new AdminRequestError(404, 'UNKNOWN_ORDER', `No ${system} order ${req.params.id}`);
    res.json(order);
  });
}

/** Last handler of an admin router: shapes every failure as `{ error: { code, message } }`. */
export const adminErrorHandler: express.ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  if (err instanceof AdminRequestError) {
    res.status(err.status).json({ error: { code: err.code, message: err.message } });
  } else if (err instanceof z.ZodError) {
    res.status(400).json({ error: { code: 'INVALID_ADMIN_REQUEST', message: z.prettifyError(err) } });
  } else if (err instanceof SyntaxError) {
    res.status(400).json({ error: { code: 'INVALID_ADMIN_REQUEST', message: 'Body is not valid JSON' } });
  } else {
    res
      .status(500)
      .json({ error: { code: 'ADMIN_FAILED', message: err instanceof Error ? err.message : String(err) } });
  }
};
