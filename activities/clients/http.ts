import { request as send, type Dispatcher } from 'undici';
import type { Logger } from '../../common/logger';
import { classifyNetworkError, type HeaderLookup, type Outcome } from './outcome';

/** Per-call options every client method accepts. */
export interface CallOptions {
  /** Aborts the call early, e.g. the activity's cancellation signal; the outcome is then `unknown`. */
  signal?: AbortSignal;
}

export interface ExchangeRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Turns a complete answer (status, headers, body) into an outcome; one of the pure classifiers of outcome.ts. */
export type Classifier<T> = (status: number, headers: HeaderLookup, bodyText: string) => Outcome<T>;

/**
 * Sends one request and classifies what came back. It never throws: every HTTP status and every network failure becomes
 * an Outcome. It logs one line per call with the method, URL path, status, duration and outcome kind; never the
 * headers or the body, because they carry the credentials and the shopper's order.
 *
 * Sent with undici's `request` (the client under Node's `fetch`, without the WHATWG Request, Response and stream
 * objects that cost `fetch` several times the CPU per call on the worker's main thread), over its global keep-alive
 * pool. A redirect is never followed (its default): it is classified like any other answer.
 */
export async function exchange<T>(
  request: ExchangeRequest,
  classify: Classifier<T>,
  logger: Logger | undefined,
  logFields: Record<string, unknown> = {},
): Promise<Outcome<T>> {
  const path = new URL(request.url).pathname;
  const what = `${request.method} ${path}`;
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  const started = performance.now();
  let status: number | undefined;
  let outcome: Outcome<T>;
  try {
    // A redirect is classified, not followed: following would re-send (or drop) a refund behind our back.
    const res = await send(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal,
    });
    status = res.statusCode;
    // The timeout also covers reading the body, so a server that stalls mid-answer ends as `unknown` too.
    const bodyText = await res.body.text();
    outcome = classify(res.statusCode, headerLookup(res.headers), bodyText);
  } catch (err) {
    const context = status === undefined ? what : `${what} (status ${status}, answer cut off)`;
    // undici ends an aborted call with its own error; the signal's reason says which (the timeout, or the caller).
    const reason: unknown = timeout.aborted ? timeout.reason : request.signal?.aborted ? request.signal.reason : err;
    const failure = classifyNetworkError(reason, context, request.timeoutMs);
    outcome = status === undefined ? failure : { ...failure, status };
  }
  logOutcome(logger, { ...logFields, method: request.method, path, status, durationMs: elapsed(started) }, outcome);
  return outcome;
}

/** undici's header object (lower-case names; a repeated header as an array) read like fetch's `Headers`. */
function headerLookup(headers: Dispatcher.ResponseData['headers']): HeaderLookup {
  return {
    get(name: string): string | null {
      const value = headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

function logOutcome(logger: Logger | undefined, fields: Record<string, unknown>, outcome: Outcome<unknown>): void {
  if (!logger) return;
  switch (outcome.kind) {
    case 'success':
      // Debug: a success is routine (three or four per refund) and counted by the SDK's activity metrics; what went
      // wrong is logged at warn below.
      logger.debug({ ...fields, outcome: outcome.kind }, 'http call succeeded');
      return;
    case 'rejected':
      logger.warn(
        { ...fields, outcome: outcome.kind, code: outcome.code, retryable: outcome.retryable, reason: outcome.message },
        'http call rejected',
      );
      return;
    case 'throttled':
      logger.warn({ ...fields, outcome: outcome.kind, retryAfterMs: outcome.retryAfterMs }, 'http call throttled');
      return;
    case 'unknown':
      logger.warn({ ...fields, outcome: outcome.kind, reason: outcome.message }, 'http call outcome unknown');
      return;
  }
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

/** Validates a client's URL and timeout; a bad value is a programmer or config error, so it throws. */
export function checkUrl(client: string, url: string, timeoutMs: number): void {
  if (!URL.canParse(url)) throw new TypeError(`${client}: url must be an absolute URL`);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new TypeError(`${client}: timeoutMs must be a positive number`);
}

/** A required credential; a missing one is a config error, so it throws. */
export function checkToken(client: string, token: string | undefined): void {
  if (typeof token !== 'string' || token.trim() === '') throw new TypeError(`${client}: token is required`);
}
