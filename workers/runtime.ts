import type { LogLevel } from '@temporalio/common';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import type { Logger } from '../common/logger';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Buckets in seconds for the service's own histograms: a healthy refund takes seconds, a parked one days. */
const SECONDS = [1, 5, 15, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600];
const SERVICE_BUCKETS: Record<string, number[]> = {
  refund_parked_seconds: SECONDS,
  refund_end_to_end_seconds: SECONDS,
};

let installed = false;

/**
 * Routes the SDK's own logs (worker, workflow `log`, activity `log`) into pino, and exposes the SDK's metrics to
 * Prometheus when a bind address is given. Must run once, before any Worker or NativeConnection is created.
 */
export function installRuntime(logger: Logger, opts: { metricsBindAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  const sdkLogger = logger.child({ component: 'temporal' });
  const level: LogLevel = logger.isLevelEnabled('debug') ? 'DEBUG' : 'INFO';
  Runtime.install({
    logger: new DefaultLogger(level, ({ level, message, meta }) => {
      // The submission worker runs activities only, by design: that is not worth a warning.
      const expected = message.startsWith('No workflows registered');
      sdkLogger[expected ? 'debug' : LEVELS[level]](meta ?? {}, message);
    }),
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) },
      ...(opts.metricsBindAddress
        ? {
            metrics: {
              prometheus: { bindAddress: opts.metricsBindAddress, histogramBucketOverrides: SERVICE_BUCKETS },
            },
          }
        : {}),
    },
  });
}
