import { z } from 'zod';
import type { Logger } from '../../common/logger';
import { exchange } from './http';
import { UNAUTHORIZED, parseRetryAfter, type Outcome } from './outcome';

/**
 * Buy with Prime access tokens: "you exchange your API credentials for an access token by making a POST request to a
 * Buy with Prime token endpoint", and "Buy with Prime access tokens expire every 15 minutes"
 * (https://documents.buywithprime.amazon.com/bwp-api/docs/authenticate-to-the-buy-with-prime-api). The exchange is
 * OAuth 2.0's client-credentials grant (RFC 6749 §4.4): a form-encoded `grant_type=client_credentials`, the client
 * authenticated with HTTP Basic (§2.3.1), and an answer whose `expires_in` (§5.1) says how long the token lives.
 *
 * One source per worker process, shared by every activity: a token is reused until shortly before it expires, then
 * refreshed with a single request in flight however many calls want one. A call that meets a 401 hands its token back
 * (`invalidate`) and asks again once.
 */
export interface BwpTokenSource {
  /** A token valid now (refreshed when needed), or the failed outcome of the token request. */
  token(opts?: { signal?: AbortSignal }): Promise<Outcome<string>>;
  /** The token was refused (401): forget it, so the next `token()` asks for a new one. */
  invalidate(token: string): void;
  /** How many token requests were sent (for tests and the benchmark). */
  requests(): number;
}

export interface BwpTokenSourceOptions {
  /** The token endpoint (BWP_TOKEN_URL). */
  url: string;
  clientId: string;
  /** Never logged. */
  clientSecret: string;
  timeoutMs: number;
  /**
   * A token is refreshed when less than this share of its life is left (default 0.2), and at most 60 s before it
   * expires: long-lived tokens are used for all but their last minute, short ones keep a proportional margin.
   */
  refreshShare?: number;
  now?: () => number;
  logger?: Logger;
}

/** The documented lifetime, used when an answer leaves `expires_in` out (RFC 6749 §5.1 only RECOMMENDS it). */
export const DOCUMENTED_TOKEN_LIFETIME_SECONDS = 15 * 60;
const MAX_REFRESH_MARGIN_MS = 60_000;

/** RFC 6749 §5.1: `access_token` and `token_type` are REQUIRED; `expires_in` RECOMMENDED. */
const TokenAnswer = z.object({
  access_token: z.string().min(1),
  token_type: z.string().refine((t) => t.toLowerCase() === 'bearer', 'must be Bearer'),
  expires_in: z.coerce.number().positive().optional(),
});

/** RFC 6749 §5.2 error answer. */
const TokenError = z.object({ error: z.string(), error_description: z.string().optional() });

export function createBwpTokenSource(options: BwpTokenSourceOptions): BwpTokenSource {
  if (!URL.canParse(options.url)) throw new TypeError('createBwpTokenSource: url must be an absolute URL');
  if (!options.clientId || !options.clientSecret)
    throw new TypeError('createBwpTokenSource: clientId and clientSecret are required');
  const now = options.now ?? Date.now;
  const share = options.refreshShare ?? 0.2;
  const logger = options.logger?.child({ client: 'bwp-token' });
  // §2.3.1: the client id and secret are form-encoded before they are joined and base64-encoded.
  const basic = Buffer.from(
    `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`,
  ).toString('base64');

  let current: { token: string; refreshAt: number; expiresAt: number } | undefined;
  let inFlight: Promise<Outcome<string>> | undefined;
  let sent = 0;

  const request = async (signal?: AbortSignal): Promise<Outcome<string>> => {
    sent += 1;
    const asked = now();
    const outcome = await exchange(
      {
        method: 'POST',
        url: options.url,
        headers: {
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${basic}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
        timeoutMs: options.timeoutMs,
        signal,
      },
      classifyTokenResponse,
      logger,
      { operation: 'token' },
    );
    if (outcome.kind !== 'success') return outcome;
    const lifetimeMs = (outcome.value.expires_in ?? DOCUMENTED_TOKEN_LIFETIME_SECONDS) * 1000;
    const margin = Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs * share);
    // Counted from when the request was sent: the token may have been issued a little before the answer arrived.
    current = {
      token: outcome.value.access_token,
      refreshAt: asked + lifetimeMs - margin,
      expiresAt: asked + lifetimeMs,
    };
    return { kind: 'success', value: current.token };
  };

  return {
    async token(opts = {}) {
      if (current && now() < current.refreshAt) return { kind: 'success', value: current.token };
      // One request in flight: every caller that needs a token meanwhile waits for the same answer.
      inFlight ??= request(opts.signal).finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    invalidate(token) {
      if (current?.token === token) current = undefined;
    },
    requests: () => sent,
  };
}

/**
 * The token endpoint's answers: 200 with a token; 400/401 (RFC 6749 §5.2: invalid_client, unauthorized_client, …) are
 * credentials the endpoint refused, `UNAUTHORIZED`; 429 throttled; anything else unknown (tried again).
 */
export function classifyTokenResponse(
  status: number,
  headers: { get(name: string): string | null },
  bodyText: string,
): Outcome<z.infer<typeof TokenAnswer>> {
  let json: unknown;
  try {
    json = JSON.parse(bodyText) as unknown;
  } catch {
    json = undefined;
  }
  if (status >= 200 && status < 300) {
    const parsed = TokenAnswer.safeParse(json);
    if (parsed.success) return { kind: 'success', value: parsed.data };
    return { kind: 'unknown', message: `token endpoint answered ${status} without a usable token`, status };
  }
  const error = TokenError.safeParse(json);
  const said = error.success
    ? `${error.data.error}${error.data.error_description ? `: ${error.data.error_description}` : ''}`
    : `HTTP ${status}`;
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headers.get('retry-after'));
    return {
      kind: 'throttled',
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      message: `token endpoint throttled: ${said}`,
    };
  }
  if (status === 400 || status === 401 || status === 403) {
    return {
      kind: 'rejected',
      code: UNAUTHORIZED,
      message: `token endpoint refused the API credentials (${status} ${said})`,
      status,
    };
  }
  return { kind: 'unknown', message: `token endpoint answered ${status}: ${said}`, status };
}
