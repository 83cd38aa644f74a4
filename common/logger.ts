import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-access-token"]',
  'req.headers["x-purple-dot-access-token"]',
  'headers.authorization',
  '*.token',
  '*.password',
  '*.apiKey',
  '*.access_token',
  '*.client_secret',
  'config.BWP_CLIENT_SECRET',
  'config.REFUND_API_TOKEN',
  'config.STORE_ORDER_TOKEN',
  'config.WEBHOOK_BASIC_PASSWORD',
  'config.WEBHOOK_BEARER_TOKEN',
  'config.TEMPORAL_API_KEY',
];

/** pino, pretty on a terminal and JSON otherwise (pipes, files, CI, containers). */
export function createLogger(opts: { level: string; name?: string; pretty?: boolean }): Logger {
  const pretty = opts.pretty ?? Boolean(process.stdout.isTTY);
  return pino({
    name: opts.name,
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    transport: pretty
      ? { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } }
      : undefined,
  });
}
