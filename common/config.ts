import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_ESTIMATE_TOLERANCE_PER_LINE } from '../domain/context';
import { PaymentMethodType } from '../domain/schemas/bwp';

/**
 * Every setting of the service, parsed once at start-up from the environment. A wrong value fails fast and names the
 * variable. Each variable here is listed in .env.example and in the README's config table (a test keeps them in step).
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);
const positive = z.coerce.number().positive();
const url = z.url({ message: 'must be an absolute URL' });
const duration = z.coerce.number().int().positive();

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default('.data'),

  // Temporal
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: bool.default(false),
  TEMPORAL_CLI: z.string().min(1).optional(),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('refunds'),
  /** Which task queues a worker process serves: refunds (workflows, lookups), submissions (POST /refund). */
  WORKER_ROLES: z
    .string()
    .default('refunds,submissions')
    .transform((s) => s.split(',').map((r) => r.trim()))
    .pipe(
      z
        .array(
          z.enum(['refunds', 'submissions'], { message: 'must be a comma-separated list of refunds, submissions' }),
        )
        .min(1),
    ),
  /**
   * Workflow runs a refunds worker keeps in memory between tasks (its sticky cache). A run not cached is replayed from
   * its history on its next task: correct, only slower. Parked refunds wake every few hours, so the cache need not hold
   * them all (docs/operations.md, "Workflow cache"). The default is measured: about half a MiB per cached run, and
   * 10,000 parked refunds on a worker then stay under 512 MiB of RSS (README, "Benchmark").
   */
  WORKFLOW_CACHE_SIZE: z.coerce.number().int().min(1).default(200),
  /**
   * A prebuilt workflow bundle (`npm run build` writes dist/workflow-bundle.js). Unset: the compiled worker loads dist's
   * and a worker run from source bundles the workflow code at start (webpack, in the worker's own memory).
   */
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),

  // HTTP API
  API_PORT: port.default(3000),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  /** Reverse proxies in front of the API whose X-Forwarded-For is believed (client addresses for the rate limit). */
  API_TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  /** The operators' API keys, stored hashed (npm run operator-key); re-read when it changes. Default $DATA_DIR/operator-keys.json. */
  OPERATOR_KEYS_FILE: z.string().min(1).optional(),
  /** OpenID Connect bearer tokens for operators, verified against the issuer's JWKS; unset = API keys only. */
  OIDC_ISSUER: url.optional(),
  OIDC_AUDIENCE: z.string().min(1).optional(),
  /** Default: the jwks_uri of the issuer's /.well-known/openid-configuration. */
  OIDC_JWKS_URL: url.optional(),
  /** The claim holding the operator's role(s) (viewer, operator, admin); a dotted path reaches nested claims. */
  OIDC_ROLE_CLAIM: z.string().min(1).default('roles'),
  /** The claim naming the operator in the audit trail (falls back to `sub`). */
  OIDC_NAME_CLAIM: z.string().min(1).default('email'),
  /** Failed authentications (401) allowed per client address and window before 429. */
  AUTH_FAILURE_LIMIT: z.coerce.number().int().positive().default(20),
  AUTH_FAILURE_WINDOW_SECONDS: duration.default(300),
  /** How Buy with Prime authenticates on the webhook: exactly one of HTTP Basic or a bearer token. */
  WEBHOOK_AUTH: z.enum(['basic', 'bearer'], { message: 'must be basic or bearer' }).default('basic'),
  WEBHOOK_BASIC_USER: z.string().min(1).default('bwp'),
  WEBHOOK_BASIC_PASSWORD: z.string().min(8, 'must be at least 8 characters').default('dev-webhook-secret'),
  WEBHOOK_BEARER_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  METRICS_PORT: port.default(9464),

  // Buy with Prime (2024-11-01)
  BWP_API_URL: url.default('http://127.0.0.1:4010/graphql'),
  /** API credentials from the merchant console, exchanged for 15-minute access tokens (OAuth client credentials). */
  BWP_CLIENT_ID: z.string().min(1).default('sandbox-client-id'),
  BWP_CLIENT_SECRET: z.string().min(1).default('sandbox-client-secret'),
  /** Unset: `/token` on BWP_API_URL's host (https://api.buywithprime.amazon.com/token for the real API, as documented). */
  BWP_TOKEN_URL: url.optional(),
  BWP_TARGET_ID: z.string().min(1).default('sandbox-business-product'),
  BWP_API_VERSION: z.string().min(1).default('2024-11-01'),
  BWP_TIMEOUT_MS: duration.default(10_000),
  /** The payment method a refund's money went back by, reported in updateOrder's paymentDetails. */
  BWP_PAYMENT_METHOD: PaymentMethodType.default('AMAZON_PAY'),

  // Store: Purple Dot's private API v1 (POST <REFUND_API_URL>/admin/api/v1/refund)
  REFUND_API_URL: url.default('http://127.0.0.1:4020'),
  REFUND_API_TOKEN: z.string().min(1).default('sandbox-refund-token'),
  REFUND_TIMEOUT_MS: duration.default(15_000),
  /**
   * An order endpoint of the merchant's own (`GET <url>/<store order id>`): Purple Dot documents none. Unset: off, and
   * the store's facts are not checked before submitting (docs/domain.md says which rules then stand aside).
   */
  STORE_ORDER_URL: url.optional(),
  STORE_ORDER_TOKEN: z.string().min(1).optional(),
  /** Server-side limit on POST /refund calls across all workers (Temporal task-queue rate limit). */
  REFUND_RATE_LIMIT_PER_SECOND: positive.default(5),

  // Refund policy
  REASON_MAP: z
    .string()
    .default('{}')
    .transform((s, ctx) => {
      try {
        return z.record(z.string(), z.string()).parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object mapping BwP reasons to merchant reasons' });
        return z.NEVER;
      }
    }),
  DEFAULT_MERCHANT_REASON: z.string().min(1).optional(),
  ALLOW_APPEASEMENT: bool.default(true),
  /**
   * Whether the reason rules (blank, unknown or unmapped reason) park a refund. Off: they are advisory (recorded, shown
   * on the page and in the export): neither POST /refund nor updateOrder carries a merchant reason (docs/domain.md).
   */
  REASON_RULES_BLOCK: bool.default(false),
  /** Minor units per refunded line the plan may differ from Amazon's estimate (refundTotal); 0 is strict. */
  ESTIMATE_TOLERANCE_PER_LINE: z.coerce
    .number({ message: 'must be a whole number of minor units' })
    .int('must be a whole number of minor units')
    .min(0, 'must be 0 or more')
    .default(DEFAULT_ESTIMATE_TOLERANCE_PER_LINE),
  /** Let a repair cover lines (or shipping) that the Buy with Prime refund did not ask for. */
  REPAIR_ALLOW_ADDITIONS: bool.default(false),
  REPAIR_ATTENTION_AFTER_HOURS: positive.default(24),
  RECHECK_INITIAL_SECONDS: positive.default(60),
  RECHECK_MAX_SECONDS: positive.default(6 * 3600),
  /** SUBMITTING this long without a definitive answer sets NeedsAttention (SUBMITTING_TOO_LONG). */
  SUBMIT_ATTENTION_AFTER_MINUTES: positive.default(30),
  /** AWAITING_SETTLEMENT this long sets NeedsAttention (SETTLEMENT_TOO_LONG). */
  SETTLEMENT_ATTENTION_AFTER_HOURS: positive.default(48),
  /** After an unknown outcome, 4xx/409 answers under the same key tried again before parking UNKNOWN_OUTCOME. */
  UNKNOWN_OUTCOME_RETRIES: z.coerce.number().int().min(0).max(100).default(5),

  // Sandbox (simulators)
  /** auto: run the simulators when both API URLs point at the sandbox's own ports on loopback. */
  SANDBOX_ENABLED: z.enum(['auto', 'true', 'false'], { message: 'must be auto, true or false' }).default('auto'),
  /** Bind address of the simulators: 127.0.0.1, or 0.0.0.0 in a container (compose demo profile). */
  SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  SANDBOX_BWP_PORT: port.default(4010),
  SANDBOX_STORE_PORT: port.default(4020),
  /** How long the sandbox's Buy with Prime access tokens live (the real ones: 15 minutes). */
  SANDBOX_BWP_TOKEN_LIFETIME_SECONDS: duration.default(900),
  SANDBOX_STATE_FILE: z.string().min(1).optional(),
});

export type Config = Omit<z.output<typeof configSchema>, 'OPERATOR_KEYS_FILE'> & { OPERATOR_KEYS_FILE: string };

/** Variables that hold secrets: in production each one a process uses must be set, and not to a development default. */
export const SECRET_VARIABLES = [
  'WEBHOOK_BASIC_PASSWORD',
  'WEBHOOK_BEARER_TOKEN',
  'BWP_CLIENT_SECRET',
  'REFUND_API_TOKEN',
  'STORE_ORDER_TOKEN',
  'TEMPORAL_API_KEY',
] as const;
export type SecretVariable = (typeof SECRET_VARIABLES)[number];

/**
 * The secrets each production entry point relies on. The API takes the webhook's credentials and talks only to
 * Temporal; a worker calls Buy with Prime and the store, never receives the webhook.
 */
export const PROCESS_SECRETS = {
  api: ['WEBHOOK_BASIC_PASSWORD', 'WEBHOOK_BEARER_TOKEN', 'TEMPORAL_API_KEY'],
  worker: ['BWP_CLIENT_SECRET', 'REFUND_API_TOKEN', 'STORE_ORDER_TOKEN', 'TEMPORAL_API_KEY'],
} as const satisfies Record<string, readonly SecretVariable[]>;

/** The shortest secret accepted in production. */
export const PRODUCTION_SECRET_MIN = 16;

/** The development defaults of the secrets (what a fresh clone runs with): never accepted in production. */
export const DEVELOPMENT_SECRETS: ReadonlySet<string> = new Set(
  SECRET_VARIABLES.map((name) => configSchema.shape[name].safeParse(undefined).data).filter(
    (v): v is string => typeof v === 'string',
  ),
);

export interface LoadConfigOptions {
  /**
   * The secrets this process relies on (default: all of them). In production each must be set to a value of your own;
   * any secret that is set is checked too, whatever the process.
   */
  uses?: readonly SecretVariable[];
}

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment (by default process.env) into a typed Config, or throws a ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, opts: LoadConfigOptions = {}): Config {
  // Empty strings mean "unset", as in most .env files.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })));
  }
  const config = parsed.data;
  const issues = [...webhookAuthIssues(config), ...oidcIssues(config)];
  if (config.NODE_ENV === 'production') {
    issues.push(...productionSecretIssues(config, cleaned, opts.uses));
    issues.push(...productionUrlIssues(config));
    const workerUses = (opts.uses ?? SECRET_VARIABLES).includes('BWP_CLIENT_SECRET');
    if (workerUses && config.BWP_CLIENT_ID === configSchema.shape.BWP_CLIENT_ID.parse(undefined))
      issues.push({
        variable: 'BWP_CLIENT_ID',
        message: 'is the development default; set your API credentials in production',
      });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const dataDir = path.resolve(config.DATA_DIR);
  return {
    ...config,
    DATA_DIR: dataDir,
    OPERATOR_KEYS_FILE: path.resolve(config.OPERATOR_KEYS_FILE ?? path.join(dataDir, 'operator-keys.json')),
  };
}

type Issue = { variable: string; message: string };

/** One webhook scheme, chosen explicitly: a bearer token set while Basic is in force would be a silent no-op. */
function webhookAuthIssues(config: z.output<typeof configSchema>): Issue[] {
  if (config.WEBHOOK_AUTH === 'bearer' && !config.WEBHOOK_BEARER_TOKEN)
    return [{ variable: 'WEBHOOK_BEARER_TOKEN', message: 'is required when WEBHOOK_AUTH=bearer' }];
  if (config.WEBHOOK_AUTH === 'basic' && config.WEBHOOK_BEARER_TOKEN)
    return [
      { variable: 'WEBHOOK_BEARER_TOKEN', message: 'is set but WEBHOOK_AUTH=basic; set WEBHOOK_AUTH=bearer to use it' },
    ];
  return [];
}

function oidcIssues(config: z.output<typeof configSchema>): Issue[] {
  if (config.OIDC_ISSUER && !config.OIDC_AUDIENCE)
    return [
      { variable: 'OIDC_AUDIENCE', message: 'is required with OIDC_ISSUER (the audience your tokens are issued for)' },
    ];
  if (!config.OIDC_ISSUER && (config.OIDC_AUDIENCE || config.OIDC_JWKS_URL))
    return [{ variable: 'OIDC_ISSUER', message: 'is required when OIDC_AUDIENCE or OIDC_JWKS_URL is set' }];
  return [];
}

/** The secrets that matter with this configuration: the webhook's own scheme only; the Temporal API key when set. */
function applicableSecrets(config: z.output<typeof configSchema>): SecretVariable[] {
  return SECRET_VARIABLES.filter((name) => {
    if (name === 'WEBHOOK_BASIC_PASSWORD') return config.WEBHOOK_AUTH === 'basic';
    if (name === 'WEBHOOK_BEARER_TOKEN') return config.WEBHOOK_AUTH === 'bearer';
    if (name === 'TEMPORAL_API_KEY') return config.TEMPORAL_API_KEY !== undefined;
    if (name === 'STORE_ORDER_TOKEN') return config.STORE_ORDER_TOKEN !== undefined;
    return true;
  });
}

/** In production: no development default and nothing shorter than PRODUCTION_SECRET_MIN, each named. */
function productionSecretIssues(
  config: z.output<typeof configSchema>,
  given: Record<string, unknown>,
  uses: readonly SecretVariable[] = SECRET_VARIABLES,
): Issue[] {
  const issues: Issue[] = [];
  for (const name of SECRET_VARIABLES) {
    const checked = name in given || (uses.includes(name) && applicableSecrets(config).includes(name));
    if (!checked) continue;
    const value = config[name];
    if (value === undefined) issues.push({ variable: name, message: 'must be set in production' });
    else if (DEVELOPMENT_SECRETS.has(value) || !(name in given))
      issues.push({ variable: name, message: 'is a development default; set a secret of your own in production' });
    else if (value.length < PRODUCTION_SECRET_MIN)
      issues.push({ variable: name, message: `must be at least ${PRODUCTION_SECRET_MIN} characters in production` });
  }
  return issues;
}

/** The URLs of the systems the service calls (and trusts for identities): https in production, loopback aside. */
export const EXTERNAL_URL_VARIABLES = [
  'BWP_API_URL',
  'BWP_TOKEN_URL',
  'REFUND_API_URL',
  'STORE_ORDER_URL',
  'OIDC_ISSUER',
  'OIDC_JWKS_URL',
] as const;

/** 127.0.0.0/8, ::1 and localhost: traffic that never leaves the machine (a sidecar, a tunnel, the sandbox). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** https, or http to this machine only: credentials, refunds and identities never cross a network in clear text. */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/** In production every external URL is https (an http:// one to loopback aside), each named. */
function productionUrlIssues(config: z.output<typeof configSchema>): Issue[] {
  return EXTERNAL_URL_VARIABLES.flatMap((name) => {
    const value = config[name];
    if (value === undefined || isSecureUrl(new URL(value))) return [];
    return [
      {
        variable: name,
        message: 'must be an https:// URL in production (http:// only to 127.0.0.1, ::1 or localhost)',
      },
    ];
  });
}

/** Whether `npm start` runs the simulators: forced on/off, or (auto) when the service is pointed at them. */
export function sandboxWanted(config: Config): boolean {
  if (config.SANDBOX_ENABLED !== 'auto') return config.SANDBOX_ENABLED === 'true';
  const local = (url: string, port: number) => {
    const u = new URL(url);
    return ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) && Number(u.port) === port;
  };
  return local(config.BWP_API_URL, config.SANDBOX_BWP_PORT) && local(config.REFUND_API_URL, config.SANDBOX_STORE_PORT);
}

/** The sandbox's own order-facts endpoint and its token (the merchant's order read, STORE_ORDER_URL). */
export const SANDBOX_STORE_ORDER_TOKEN = 'sandbox-store-order-token';

/**
 * The config `npm start` runs with when it starts the sandbox: the sandbox serves a merchant order-facts endpoint, so
 * the store order is read (STORE_ORDER_URL) unless set otherwise. Against the real APIs nothing changes.
 */
export function withSandboxDefaults(config: Config): Config {
  if (!sandboxWanted(config)) return config;
  return {
    ...config,
    STORE_ORDER_URL: config.STORE_ORDER_URL ?? `http://127.0.0.1:${config.SANDBOX_STORE_PORT}/merchant/orders`,
    STORE_ORDER_TOKEN: config.STORE_ORDER_TOKEN ?? SANDBOX_STORE_ORDER_TOKEN,
  };
}

/** The token endpoint: BWP_TOKEN_URL, else `/token` on the GraphQL endpoint's host (the documented one for the real API). */
export function bwpTokenUrl(config: Pick<Config, 'BWP_TOKEN_URL' | 'BWP_API_URL'>): string {
  return config.BWP_TOKEN_URL ?? new URL('/token', config.BWP_API_URL).toString();
}

/** Names of every variable the service reads, for docs and the docs-in-step test. */
export const CONFIG_VARIABLES = Object.keys(configSchema.shape) as (keyof typeof configSchema.shape)[];
