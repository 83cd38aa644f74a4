import path from 'node:path';
import { z } from 'zod';

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

  // HTTP API
  API_PORT: port.default(3000),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_OPERATOR_TOKEN: z.string().min(16, 'must be at least 16 characters').default('dev-operator-token-change-me'),
  WEBHOOK_BASIC_USER: z.string().min(1).default('bwp'),
  WEBHOOK_BASIC_PASSWORD: z.string().min(8, 'must be at least 8 characters').default('dev-webhook-secret'),
  WEBHOOK_BEARER_TOKEN: z.string().min(16).optional(),
  METRICS_PORT: port.default(9464),

  // Buy with Prime
  BWP_API_URL: url.default('http://127.0.0.1:4010/graphql'),
  BWP_API_TOKEN: z.string().min(1).default('sandbox-bwp-token'),
  BWP_TARGET_ID: z.string().min(1).default('sandbox-business-product'),
  BWP_API_VERSION: z.string().min(1).default('2024-11-01'),
  BWP_TIMEOUT_MS: duration.default(10_000),
  /** Per-line refundAmount in reads and reports (a sandbox extension; false against the real BwP API). */
  BWP_PER_LINE_AMOUNTS: bool.default(true),

  // Store refund endpoint
  REFUND_API_URL: url.default('http://127.0.0.1:4020'),
  REFUND_API_TOKEN: z.string().min(1).default('sandbox-refund-token'),
  REFUND_TIMEOUT_MS: duration.default(15_000),
  /** Read the store's order (GET <REFUND_API_URL>/orders/:id) before planning; false if the store has no such API. */
  STORE_ORDER_READ: bool.default(true),
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
  SANDBOX_STATE_FILE: z.string().min(1).optional(),
});

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment (by default process.env) into a typed Config, or throws a ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset", as in most .env files.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })));
  }
  const config = parsed.data;
  return { ...config, DATA_DIR: path.resolve(config.DATA_DIR) };
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

/** Names of every variable the service reads, for docs and the docs-in-step test. */
export const CONFIG_VARIABLES = Object.keys(configSchema.shape) as (keyof typeof configSchema.shape)[];
