import { SANDBOX_STORE_ORDER_TOKEN, type Config } from '../common/config';
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
 * Both external systems on loopback, held to their published references: the Buy with Prime API 2024-11-01 (token
 * endpoint and GraphQL, https://documents.buywithprime.amazon.com/bwp-api/docs/) and Purple Dot's private API v1
 * `POST /admin/api/v1/refund` (https://docs.getpurpledot.com/docs/purple-dot-apis/private-api/refund), plus the
 * merchant's own order-facts endpoint, with their admin APIs. Tests start one per file on port 0; `npm start` and
 * `npm run sandbox` start one from config.
 */

/** The bearer token of the merchant's order endpoint when none is configured. */
export const DEFAULT_STORE_ORDER_TOKEN = SANDBOX_STORE_ORDER_TOKEN;

export interface SandboxOptions {
  /** 0 (the default) picks a free port. */
  bwpPort?: number;
  storePort?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** The API credentials BwP's POST /token exchanges for access tokens. */
  bwpClientId: string;
  bwpClientSecret: string;
  /** Lifetime of the access tokens it issues; default 900 s ("expire every 15 minutes"). */
  bwpTokenLifetimeSeconds?: number;
  /** The X-Purple-Dot-Access-Token the refund endpoint accepts. */
  refundToken: string;
  /** The bearer token of the merchant's GET /merchant/orders/:id (default 'sandbox-store-order-token'). */
  storeOrderToken?: string;
  /** The business product id x-api-target-id must name. */
  businessProductId: string;
  /** Where POST /admin/events delivers REFUND_REQUESTED events. */
  webhook?: WebhookTarget;
  /** Keep state in this file (reloaded at start, saved after every change); in memory only without it. */
  stateFile?: string;
  logger?: Logger;
  /** The refund endpoint's per-account rate limit (a simulator extension: Purple Dot publishes none); unlimited without it. */
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
  /** The BwP token endpoint (ends in /token): BWP_TOKEN_URL. */
  bwpTokenUrl: string;
  /** The store's base URL, without Purple Dot's prefix (POST {storeUrl}/admin/api/v1/refund): REFUND_API_URL. */
  storeUrl: string;
  /** The merchant's order endpoint (GET {storeOrderUrl}/:id): STORE_ORDER_URL. */
  storeOrderUrl: string;
  bwpAdminUrl: string;
  storeAdminUrl: string;
  businessProductId: string;
  /** Seeds both sides of a fixture (replacing orders with the same ids). */
  seed(fixture: Fixture): Promise<void>;
  /** Sends REFUND_REQUESTED events to the configured webhook, as POST /admin/events does. */
  sendRefundRequested(request: SendEventsRequest): Promise<Delivery[]>;
  /**
   * The configuration a worker (or API) process needs to use this sandbox as it would the real systems: its URLs and
   * the credentials it accepts. `readStoreOrder: false` leaves STORE_ORDER_URL unset (the default of a real deployment).
   */
  serviceEnv(opts?: { readStoreOrder?: boolean }): Record<string, string>;
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
      version: 2,
      savedAt: new Date().toISOString(),
      bwp: bwp.snapshot(),
      store: store.snapshot(),
    });
  };
  const rate = (perSecond: number | undefined, burst: number | undefined) =>
    perSecond === undefined ? null : { perSecond, ...(burst === undefined ? {} : { burst }) };
  if (!opts.bwpClientId || !opts.bwpClientSecret)
    throw new Error('createSandbox: bwpClientId and bwpClientSecret are required');
  if (!opts.refundToken) throw new Error('createSandbox: refundToken is required');
  const bwp = new BwpSimulator({
    rateLimit: rate(opts.bwpRatePerSecond, opts.bwpRateBurst),
    tokenLifetimeSeconds: opts.bwpTokenLifetimeSeconds,
    onChange: persist,
  });
  const store = new StoreSimulator({
    rateLimit: rate(opts.storeRatePerSecond, opts.storeRateBurst),
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
      // Both sides are checked before either is seeded, so a bad fixture seeds neither.
      bwp.validateOrder(fixture.bwpOrder);
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
    clientId: opts.bwpClientId,
    clientSecret: opts.bwpClientSecret,
    businessProductId: opts.businessProductId,
    logger,
    random: opts.random,
  });
  const storeApp = createStoreApp({
    sim: store,
    seeder,
    token: opts.refundToken,
    orderToken: opts.storeOrderToken ?? DEFAULT_STORE_ORDER_TOKEN,
    logger,
    random: opts.random,
  });

  const bwpServer = await listen(bwpApp, host, opts.bwpPort ?? 0);
  const storeServer = await listen(storeApp.app, host, opts.storePort ?? 0).catch(async (err: unknown) => {
    await bwpServer.close();
    throw err;
  });
  const bwpBase = baseUrl(host, bwpServer.port);
  const storeBase = baseUrl(host, storeServer.port);

  return {
    bwpUrl: `${bwpBase}/graphql`,
    bwpTokenUrl: `${bwpBase}/token`,
    storeUrl: storeBase,
    storeOrderUrl: `${storeBase}/merchant/orders`,
    bwpAdminUrl: `${bwpBase}/admin`,
    storeAdminUrl: `${storeBase}/admin`,
    businessProductId: opts.businessProductId,
    seed: async (fixture) => seeder.seed(fixture),
    sendRefundRequested: (request) => events.send(request),
    serviceEnv: ({ readStoreOrder = true } = {}) => ({
      BWP_API_URL: `${bwpBase}/graphql`,
      BWP_CLIENT_ID: opts.bwpClientId,
      BWP_CLIENT_SECRET: opts.bwpClientSecret,
      BWP_TARGET_ID: opts.businessProductId,
      REFUND_API_URL: storeBase,
      REFUND_API_TOKEN: opts.refundToken,
      ...(readStoreOrder
        ? {
            STORE_ORDER_URL: `${storeBase}/merchant/orders`,
            STORE_ORDER_TOKEN: opts.storeOrderToken ?? DEFAULT_STORE_ORDER_TOKEN,
          }
        : {}),
    }),
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
 * The sandbox as configured for the service (ports, credentials, the webhook it sends events to), shared by
 * `npm run sandbox` and `npm start`: the BwP API credentials (BWP_CLIENT_ID, BWP_CLIENT_SECRET), Purple Dot's access
 * token (REFUND_API_TOKEN) and the merchant order endpoint's token (STORE_ORDER_TOKEN, optional). Every fixture is seeded.
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
    bwpClientId: config.BWP_CLIENT_ID,
    bwpClientSecret: config.BWP_CLIENT_SECRET,
    refundToken: config.REFUND_API_TOKEN,
    ...(config.STORE_ORDER_TOKEN ? { storeOrderToken: config.STORE_ORDER_TOKEN } : {}),
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
