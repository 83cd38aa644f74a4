import type { Config } from '../common/config';
import pino from 'pino';
import { type Logger } from '../common/logger';
import { BwpEventSender, type Delivery, type SendEventsRequest, type WebhookTarget } from './bwp/events';
import { createBwpApp } from './bwp/server';
import { BwpSimulator } from './bwp/simulator';
import { loadAllFixtures, type Fixture } from './fixtures';
import { baseUrl, listen } from './http';
import { readStateFile, writeStateFile } from './persistence';
import { createStoreApp } from './store/server';
import { StoreSimulator } from './store/simulator';

/**
 * Both external systems on loopback: the Buy with Prime GraphQL API and the merchant's `POST /refund`, with their admin
 * APIs. Tests start one per file on port 0; `npm start` and `npm run sandbox` start one from config.
 */

export interface SandboxOptions {
  /** 0 (the default) picks a free port. */
  bwpPort?: number;
  storePort?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** The bearer token BwP accepts. */
  bwpToken: string;
  /** The X-Access-Token the refund endpoint accepts. */
  refundToken: string;
  /** The business product id x-api-target-id must name. */
  businessProductId: string;
  /** Where POST /admin/events delivers REFUND_REQUESTED events. */
  webhook?: WebhookTarget;
  /** Keep state in this file (reloaded at start, saved after every change); in memory only without it. */
  stateFile?: string;
  logger?: Logger;
  /** The store answers in the `{ meta: { success }, data }` envelope (also a fault, changeable at run time). */
  storeEnvelope?: boolean;
  /** The refund endpoint's per-account rate limit; unlimited without it. */
  storeRatePerSecond?: number;
  storeRateBurst?: number;
  /** BwP's rate limit; unlimited without it. */
  bwpRatePerSecond?: number;
  bwpRateBurst?: number;
  /** Randomness for errorRate faults. */
  random?: () => number;
  /** Seed every fixture of sandbox/fixtures at start, except those whose orders the state file already holds. */
  seedFixtures?: boolean;
}

/** Typed in-process access to both simulators: ledgers, orders, faults, request logs, event deliveries. */
export interface SandboxState {
  bwp: BwpSimulator;
  store: StoreSimulator;
  events: BwpEventSender;
}

export interface Sandbox {
  /** The BwP GraphQL endpoint (ends in /graphql): BWP_API_URL. */
  bwpUrl: string;
  /** The refund endpoint's base URL (POST {storeUrl}/refund): REFUND_API_URL. */
  storeUrl: string;
  bwpAdminUrl: string;
  storeAdminUrl: string;
  businessProductId: string;
  /** Seeds both sides of a fixture (replacing orders with the same ids). */
  seed(fixture: Fixture): Promise<void>;
  /** Sends REFUND_REQUESTED events to the configured webhook, as POST /admin/events does. */
  sendRefundRequested(request: SendEventsRequest): Promise<Delivery[]>;
  state: SandboxState;
  close(): Promise<void>;
}

export async function createSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const host = opts.host ?? '127.0.0.1';
  const logger = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'sandbox' });
  const { stateFile } = opts;

  let loading = true;
  const persist = () => {
    if (!stateFile || loading) return;
    writeStateFile(stateFile, {
      version: 1,
      savedAt: new Date().toISOString(),
      bwp: bwp.snapshot(),
      store: store.snapshot(),
    });
  };
  const rate = (perSecond: number | undefined, burst: number | undefined) =>
    perSecond === undefined ? null : { perSecond, ...(burst === undefined ? {} : { burst }) };
  const bwp = new BwpSimulator({ rateLimit: rate(opts.bwpRatePerSecond, opts.bwpRateBurst), onChange: persist });
  const store = new StoreSimulator({
    rateLimit: rate(opts.storeRatePerSecond, opts.storeRateBurst),
    envelope: opts.storeEnvelope ?? false,
    onChange: persist,
  });
  if (stateFile) {
    const saved = readStateFile(stateFile);
    if (saved) {
      bwp.restore(saved.bwp);
      store.restore(saved.store);
      logger.info({ stateFile, savedAt: saved.savedAt }, 'sandbox state reloaded');
    }
  }
  loading = false;

  const seeder = {
    seed(fixture: Fixture) {
      // The store checks its money first, so a bad fixture seeds neither side.
      store.seedOrder(fixture.storeOrder);
      bwp.seedOrder(fixture.bwpOrder, { externalRefundIds: fixture.externalRefundIds });
    },
  };
  if (opts.seedFixtures) {
    const fresh = loadAllFixtures().filter((f) => !bwp.hasOrder(f.bwpOrder.id) && !store.hasOrder(f.storeOrder.id));
    for (const fixture of fresh) seeder.seed(fixture);
    logger.info({ seeded: fresh.map((f) => f.name) }, 'sandbox fixtures seeded');
  }
  const events = new BwpEventSender({ sim: bwp, businessProductId: opts.businessProductId, webhook: opts.webhook });
  const bwpApp = createBwpApp({
    sim: bwp,
    events,
    seeder,
    token: opts.bwpToken,
    businessProductId: opts.businessProductId,
    logger,
    random: opts.random,
  });
  const storeApp = createStoreApp({ sim: store, seeder, token: opts.refundToken, logger, random: opts.random });

  const bwpServer = await listen(bwpApp, host, opts.bwpPort ?? 0);
  const storeServer = await listen(storeApp.app, host, opts.storePort ?? 0).catch(async (err: unknown) => {
    await bwpServer.close();
    throw err;
  });
  const bwpBase = baseUrl(host, bwpServer.port);
  const storeBase = baseUrl(host, storeServer.port);

  return {
    bwpUrl: `${bwpBase}/graphql`,
    storeUrl: storeBase,
    bwpAdminUrl: `${bwpBase}/admin`,
    storeAdminUrl: `${storeBase}/admin`,
    businessProductId: opts.businessProductId,
    seed: async (fixture) => seeder.seed(fixture),
    sendRefundRequested: (request) => events.send(request),
    state: { bwp, store, events },
    close: async () => {
      storeApp.dispose();
      await Promise.all([bwpServer.close(), storeServer.close()]);
    },
  };
}

export type { Fixture } from './fixtures';
export { fixtureNames, loadAllFixtures, loadFixture, uniqueFixture } from './fixtures';
export type { Delivery, SendEventsRequest, WebhookTarget } from './bwp/events';
export type { BwpFaults, BwpLedgerEntry } from './bwp/simulator';
export type { StoreFaults, StoreLedgerEntry } from './store/simulator';

/**
 * The sandbox as configured for the service (ports, tokens, the webhook it sends events to), shared by `npm run sandbox`
 * and `npm start`. Every fixture is seeded.
 */
export function sandboxOptionsFromConfig(
  config: Config,
  logger: Logger,
  stateFile = config.SANDBOX_STATE_FILE,
): SandboxOptions {
  return {
    host: config.SANDBOX_HOST,
    bwpPort: config.SANDBOX_BWP_PORT,
    storePort: config.SANDBOX_STORE_PORT,
    bwpToken: config.BWP_API_TOKEN,
    refundToken: config.REFUND_API_TOKEN,
    businessProductId: config.BWP_TARGET_ID,
    stateFile,
    webhook: {
      url: `http://${config.API_HOST}:${config.API_PORT}/webhooks/bwp`,
      ...(config.WEBHOOK_AUTH === 'bearer' && config.WEBHOOK_BEARER_TOKEN
        ? { bearer: config.WEBHOOK_BEARER_TOKEN }
        : { basicUser: config.WEBHOOK_BASIC_USER, basicPassword: config.WEBHOOK_BASIC_PASSWORD }),
    },
    seedFixtures: true,
    logger,
  };
}
