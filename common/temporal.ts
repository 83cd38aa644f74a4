import type { Config } from './config';

/** Connection options shared by the client (API) and the workers: local dev server, self-hosted, or Temporal Cloud. */
export function temporalConnectionOptions(
  config: Config,
  address = config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_DEV_PORT}`,
) {
  return {
    address,
    tls: config.TEMPORAL_TLS || config.TEMPORAL_API_KEY ? {} : undefined,
    apiKey: config.TEMPORAL_API_KEY,
  };
}
