import { z } from 'zod';
import { BwpErrorType, BwpGraphqlError, BwpOrder, BwpValidationReason } from '../../domain/schemas/bwp';
import { RefundErrorBody, RefundSuccess, StoreEnvelope, StoreOrder } from '../../domain/schemas/store';

/**
 * The one place where an HTTP answer (or the lack of one) from Buy with Prime or the store's refund endpoint becomes a
 * decision. Everything here is pure so the whole table is unit-tested without a network; the clients only do I/O and
 * hand status, headers and body text to these functions.
 *
 * The rule that shapes every choice below (docs/domain.md, "Money moves exactly once"): an answer may be called `rejected`
 * only when it proves that nothing happened, because a rejection lets the workflow move on to a new idempotency key.
 * Anything that leaves doubt is `unknown`, which the workflow retries with the same key until a definitive answer.
 * One exception is deliberate: 409 IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH is `rejected` although whether money moved under
 * that key is unknown, because resending can never settle it; the workflow treats that code as an alarm for a human and
 * must neither resend nor open a new key by itself.
 */
export type Outcome<T> =
  | { kind: 'success'; value: T }
  | {
      kind: 'rejected';
      /** A documented code (e.g. `INVALID_LINE_ITEMS`, BwP's `InvalidRefundStateTransition`), `UNAUTHORIZED`, or `HTTP_<status>`. */
      code: string;
      message: string;
      status?: number;
      /**
       * True only for `REFUND_FAILED` (500): no money moved, but the payment refund may succeed later, so the workflow
       * tries again a few times with the SAME key before parking for repair. The rejection itself is still definitive.
       */
      retryable?: boolean;
    }
  /** `retryAfterMs` is the answer's Retry-After; absent when it gave none (the caller backs off exponentially). */
  | { kind: 'throttled'; retryAfterMs?: number; message: string }
  | { kind: 'unknown'; message: string; status?: number };

export type Failed = Exclude<Outcome<never>, { kind: 'success' }>;

/** What the classifiers need from response headers; the fetch `Headers` class fits. */
export interface HeaderLookup {
  get(name: string): string | null;
}

/** Code used by both clients for 401/403 and BwP `AccessDeniedError`: a misconfigured token or target, never retried. */
export const UNAUTHORIZED = 'UNAUTHORIZED';

/** Longest delay honoured; a bogus far-future `Retry-After` must not stall a refund for hours (the next try may be throttled again). */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

const MAX_SNIPPET = 200;

export const success = <T>(value: T): Outcome<T> => ({ kind: 'success', value });

/** Maps the value of a success and passes every other outcome through unchanged. */
export function mapSuccess<T, U>(outcome: Outcome<T>, f: (value: T) => U): Outcome<U> {
  return outcome.kind === 'success' ? { kind: 'success', value: f(outcome.value) } : outcome;
}

/**
 * `Retry-After` as milliseconds from `now`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). Missing or unreadable
 * values give undefined (the caller then backs off exponentially, as Buy with Prime asks); past dates give 0;
 * everything is capped at MAX_RETRY_AFTER_MS.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) {
    ms = Math.round(Number(text) * 1000);
  } else if (/[a-z]/i.test(text)) {
    // Only strings with letters are tried as dates: Date.parse('5') or Date.parse('-5') would "succeed" as a year.
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  } else {
    return undefined;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

// ---------------------------------------------------------------------------------------------------------------------
// Store refund endpoint: POST /refund and GET /orders/:id
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Classifies an answer of `POST /refund` (docs/domain.md, "What each answer of POST /refund means"), bare or in the
 * `{ meta: { success }, data }` envelope:
 *
 * | answer                                              | outcome                                                  |
 * |-----------------------------------------------------|----------------------------------------------------------|
 * | 2xx with a RefundSuccess body (or envelope data)    | success                                                  |
 * | 2xx with any other body, or meta.success false      | unknown (the refund may be applied; we cannot read it)   |
 * | 3xx                                                 | unknown (a server may apply, then redirect to the result)|
 * | 400 / 404 with `{error:{code}}`                     | rejected with that code                                  |
 * | 401 / 403                                           | rejected UNAUTHORIZED                                    |
 * | 408                                                 | unknown (the request may not have been read in full)     |
 * | 409                                                 | rejected IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH: an alarm,  |
 * |                                                     | money under that key unknown; never resend or re-key     |
 * | 429, or code RATE_LIMITED                           | throttled after Retry-After                              |
 * | other 4xx                                           | rejected with the body's code, else HTTP_<status>        |
 * | 500 REFUND_FAILED                                   | rejected REFUND_FAILED, retryable: true                  |
 * | 501                                                 | rejected MULTIPLE_PREORDERS_NOT_SUPPORTED                |
 * | other 5xx, 500 without REFUND_FAILED, bad 5xx body  | unknown                                                  |
 */
export function classifyRefundResponse(
  status: number,
  headers: HeaderLookup,
  bodyText: string,
  now: number = Date.now(),
): Outcome<RefundSuccess> {
  return classifyStoreResponse(status, headers, bodyText, RefundSuccess, 'POST /refund', now);
}

/**
 * Classifies an answer of the merchant's order-facts endpoint (`GET <STORE_ORDER_URL>/:id`): 404 UNKNOWN_ORDER is a
 * normal answer here (the order is not on this store), so it becomes success(null); a 404 without that code (a proxy's,
 * a wrong URL) is not; everything else follows the POST /refund table.
 */
export function classifyStoreOrderResponse(
  status: number,
  headers: HeaderLookup,
  bodyText: string,
  now: number = Date.now(),
): Outcome<StoreOrder | null> {
  const outcome = classifyStoreResponse(status, headers, bodyText, StoreOrder, 'store order read', now);
  if (outcome.kind === 'rejected' && outcome.status === 404 && outcome.code === 'UNKNOWN_ORDER') return success(null);
  return outcome;
}

function classifyStoreResponse<T>(
  status: number,
  headers: HeaderLookup,
  bodyText: string,
  successSchema: z.ZodType<T>,
  what: string,
  now: number,
): Outcome<T> {
  if (status >= 200 && status < 300) {
    const json = tryJson(bodyText);
    const envelope = StoreEnvelope.safeParse(json);
    if (!envelope.success) return parseBody(bodyText, successSchema, what, status);
    // A 2xx that says it did not succeed cannot be read either way: the refund may or may not be applied.
    if (!envelope.data.meta.success) {
      return unknown(`${what} answered ${status} with meta.success false: ${describeBody(bodyText)}`, status);
    }
    return parseValue(envelope.data.data, successSchema, what, status);
  }

  const error = readStoreError(bodyText);
  const message = error?.message ?? (error?.code || describeBody(bodyText));
  const code = error?.code;

  if (status === 429 || code === 'RATE_LIMITED') {
    return throttled(headers, now, `${what} throttled (${status}): ${message}`);
  }
  if (status < 200 || (status >= 300 && status < 400)) {
    const location = headers.get('location');
    return unknown(`${what} answered ${status}${location ? ` (to ${location})` : ''}; was the URL right?`, status);
  }
  if (status === 401 || status === 403)
    return rejected(UNAUTHORIZED, `${what} refused the credentials (${status}): ${message}`, status);
  if (status === 408) return unknown(`${what} answered 408 request timeout`, status);
  if (status === 409) {
    // Whatever the body says, a 409 on this endpoint means the key was reused with another payload: never resend.
    return rejected('IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH', message, status);
  }
  if (status < 500) return rejected(code || `HTTP_${status}`, message, status);
  if (status === 500 && code === 'REFUND_FAILED')
    return { ...rejected('REFUND_FAILED', message, status), retryable: true };
  if (status === 501) return rejected('MULTIPLE_PREORDERS_NOT_SUPPORTED', message, status);
  // A 500 with another code, a gateway's 502/503/504, an HTML error page: the refund may or may not have been applied.
  return unknown(`${what} answered ${status}: ${message}`, status);
}

/**
 * The error code and message of a store answer: the bare `{ error: { code, message } }`, or the same inside the
 * envelope. The platform documents only the envelope's common format, not where an error's code sits, so `data.error`,
 * `data` itself and an `error` beside `meta` are all read; the HTTP status decides what the answer means either way.
 */
function readStoreError(bodyText: string): { code: string; message?: string } | undefined {
  const json = tryJson(bodyText);
  if (json === undefined) return undefined;
  const envelope = StoreEnvelope.safeParse(json);
  const candidates: unknown[] = envelope.success ? [envelope.data.data, { error: envelope.data.data }, json] : [json];
  for (const candidate of candidates) {
    const parsed = RefundErrorBody.safeParse(candidate);
    if (!parsed.success) continue;
    const { code, message } = parsed.data.error;
    // Undocumented codes are kept too: they are still the server's words, and the status decides what they mean.
    return { code: code.trim(), message: message || undefined };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------------
// Buy with Prime GraphQL
// ---------------------------------------------------------------------------------------------------------------------

const BWP_REJECTING_REASONS = new Set<string>(BwpValidationReason.options);
const BWP_ERROR_TYPES = new Set<string>(BwpErrorType.options);

const GraphqlEnvelope = z.object({
  data: z.unknown().optional(),
  errors: z.array(z.unknown()).optional(),
});

/** A GraphQL error as Buy with Prime's tables describe it: an Error Type and, for validation errors, an Error Code. */
type BwpError = { message: string; type?: string; code?: string };

/**
 * Classifies a Buy with Prime GraphQL answer and, on success, parses `data` with `dataSchema`:
 *
 * | answer                                                   | outcome                                            |
 * |----------------------------------------------------------|----------------------------------------------------|
 * | any error of type ThrottlingError, or HTTP 429           | throttled (after Retry-After when given)           |
 * | HTTP 401/403, or an error of type AccessDeniedError      | rejected UNAUTHORIZED                              |
 * | an error of type ValidationError                         | rejected with its code (e.g. InvalidRefundId),     |
 * |                                                          | or `ValidationError` when the code is missing      |
 * | an error of type ResourceNotFoundError                   | rejected ResourceNotFoundError                     |
 * | errors and no `data` key at all (parse/validation stage) | rejected with the error's type, else GRAPHQL_ERROR |
 * | HTTP 5xx, InternalServerError, other execution errors    | unknown                                            |
 * | other HTTP 4xx without GraphQL errors                    | rejected HTTP_<status>                             |
 * | 2xx with data that fails dataSchema, or no JSON          | unknown, naming the mismatching fields             |
 * | 2xx with data matching dataSchema                        | success                                            |
 */
export function classifyBwpResponse<T>(
  status: number,
  headers: HeaderLookup,
  bodyText: string,
  dataSchema: z.ZodType<T>,
  now: number = Date.now(),
): Outcome<T> {
  const what = 'Buy with Prime';
  const json = tryJson(bodyText);
  const envelope = json === undefined ? undefined : GraphqlEnvelope.safeParse(json);
  const body = envelope?.success ? envelope.data : undefined;
  const errors = (body?.errors ?? []).map(readBwpError);
  const types = new Set(errors.map((e) => e.type));
  const summary = errors.length > 0 ? errors.map(describeBwpError).join('; ') : describeBody(bodyText);

  if (status === 429 || types.has('ThrottlingError')) {
    return throttled(headers, now, `${what} throttled (${status}): ${summary}`);
  }
  if (status === 401 || status === 403 || types.has('AccessDeniedError')) {
    return rejected(UNAUTHORIZED, `${what} denied access (${status}): ${summary}`, status);
  }
  if (status >= 500) return unknown(`${what} answered ${status}: ${summary}`, status);

  if (errors.length > 0) {
    const validation = errors.find(
      (e) => e.type === 'ValidationError' || (e.code && BWP_REJECTING_REASONS.has(e.code)),
    );
    if (validation) return rejected(validation.code || 'ValidationError', summary, status);
    if (types.has('ResourceNotFoundError')) return rejected('ResourceNotFoundError', summary, status);
    // GraphQL spec §7.1.2: when an error is raised before execution (syntax, unknown field, bad variables) the
    // response has no `data` entry at all, so nothing ran. Errors next to `data` (even `data: null`) come from execution,
    // where a mutation may have been applied in part.
    if (body !== undefined && !('data' in body) && !types.has('InternalServerError')) {
      const first = errors.find((e) => e.type)?.type;
      return rejected(first || 'GRAPHQL_ERROR', summary, status);
    }
    return unknown(`${what} answered with errors: ${summary}`, status);
  }

  if (status >= 300 || status < 200) {
    if (status >= 400 && status !== 408)
      return rejected(`HTTP_${status}`, `${what} answered ${status}: ${summary}`, status);
    return unknown(`${what} answered ${status}: ${summary}`, status);
  }
  if (body === undefined)
    return unknown(`${what} answered ${status} with a body that is not GraphQL JSON: ${summary}`, status);
  if (body.data === undefined || body.data === null) return unknown(`${what} answered ${status} without data`, status);
  return parseValue(body.data, dataSchema, what, status);
}

const OrderQueryData = z.object({ order: BwpOrder.nullable() });
const UpdateOrderData = z.object({ updateOrder: z.object({ order: BwpOrder }) });

/**
 * The `order` query: `data.order: null` means the order is unknown, and so does a `ResourceNotFoundError` (the form the
 * real API may use instead); both become success(null), so callers see one shape for "not found".
 */
export function classifyBwpOrderQueryResponse(
  status: number,
  headers: HeaderLookup,
  bodyText: string,
  now: number = Date.now(),
): Outcome<BwpOrder | null> {
  const outcome = classifyBwpResponse(status, headers, bodyText, OrderQueryData, now);
  if (outcome.kind === 'rejected' && outcome.code === 'ResourceNotFoundError') return success(null);
  return mapSuccess(outcome, (data) => data.order);
}

/** The `updateOrder` mutation: the order as it stands after the update. */
export function classifyBwpUpdateOrderResponse(
  status: number,
  headers: HeaderLookup,
  bodyText: string,
  now: number = Date.now(),
): Outcome<BwpOrder> {
  return mapSuccess(
    classifyBwpResponse(status, headers, bodyText, UpdateOrderData, now),
    (data) => data.updateOrder.order,
  );
}

/**
 * Reads an error's type and code. Where a GraphQL error carries them is not published (the troubleshooting tables
 * give an "Error Type" and an "Error Code": BWP:troubleshoot-order-errors, BWP:troubleshoot-refund-errors), so the
 * usual places are read: `extensions.errorType`/`errorCode`, then `extensions.code`/`reason`/`classification`; a
 * documented code or type named only in the message is found there last.
 */
export function readBwpError(raw: unknown): BwpError {
  const parsed = BwpGraphqlError.safeParse(raw);
  if (!parsed.success) return { message: describeBody(JSON.stringify(raw) ?? '') };
  const { message } = parsed.data;
  const ext = parsed.data.extensions ?? {};
  const text = (k: string): string | undefined => {
    const v = ext[k];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const candidates = [
    text('errorType'),
    text('type'),
    text('code'),
    text('classification'),
    text('errorCode'),
    text('reason'),
  ];
  let type = candidates.find((c) => c !== undefined && BWP_ERROR_TYPES.has(c));
  let code = [text('errorCode'), text('reason'), text('code')].find((c) => c !== undefined && !BWP_ERROR_TYPES.has(c));
  if (!code) code = BwpValidationReason.options.find((r) => message.includes(r));
  if (!type)
    type =
      BwpErrorType.options.find((t) => message.includes(t)) ??
      (code && BWP_REJECTING_REASONS.has(code) ? 'ValidationError' : (text('errorType') ?? text('code')));
  return { message, ...(type ? { type } : {}), ...(code ? { code } : {}) };
}

function describeBwpError(e: BwpError): string {
  const tag = [e.type, e.code].filter(Boolean).join('/');
  return tag ? `${tag}: ${e.message}` : e.message;
}

function throttled(headers: HeaderLookup, now: number, message: string): Failed {
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'), now);
  return { kind: 'throttled', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), message };
}

// ---------------------------------------------------------------------------------------------------------------------
// No answer at all
// ---------------------------------------------------------------------------------------------------------------------

/**
 * A request that got no complete answer: our timeout (TimeoutError), a caller's abort (AbortError, e.g. activity
 * cancellation), a reset or refused connection, a socket closed mid-answer, DNS failure. All are `unknown`: even a
 * refused connection is retried with the same key rather than trusted, as proxies blur where a request died.
 */
export function classifyNetworkError(
  err: unknown,
  what = 'request',
  timeoutMs?: number,
): { kind: 'unknown'; message: string } {
  return { kind: 'unknown', message: `${what} got no answer: ${describeNetworkError(err, timeoutMs)}` };
}

function describeNetworkError(err: unknown, timeoutMs: number | undefined): string {
  const parts: string[] = [];
  let current: unknown = err;
  // fetch wraps the socket error: TypeError('fetch failed') { cause: Error { code: 'ECONNRESET' } }.
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    if (typeof current === 'object') {
      const e = current as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
      if (e.name === 'TimeoutError') parts.push(timeoutMs ? `timed out after ${timeoutMs} ms` : 'timed out');
      else if (e.name === 'AbortError') parts.push('aborted');
      const code = typeof e.code === 'string' ? e.code : undefined;
      const message = typeof e.message === 'string' ? e.message : undefined;
      const text = [code, message].filter(Boolean).join(' ');
      if (text && !parts.includes(text)) parts.push(text);
      current = e.cause;
    } else {
      parts.push(typeof current === 'string' ? current : typeof current);
      break;
    }
  }
  return parts.join(': ') || 'unknown error';
}

// ---------------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------------

type Rejected = Extract<Failed, { kind: 'rejected' }>;

function rejected(code: string, message: string, status: number): Rejected {
  return { kind: 'rejected', code, message, status };
}

function unknown(message: string, status?: number): Failed {
  return status === undefined ? { kind: 'unknown', message } : { kind: 'unknown', message, status };
}

/** Parses a success body; a 2xx we cannot read is `unknown`, never success, because we cannot say what was done. */
function parseBody<T>(bodyText: string, schema: z.ZodType<T>, what: string, status: number): Outcome<T> {
  const json = tryJson(bodyText);
  if (json === undefined) {
    return unknown(`${what} answered ${status} with a body that is not JSON: ${describeBody(bodyText)}`, status);
  }
  return parseValue(json, schema, what, status);
}

function parseValue<T>(value: unknown, schema: z.ZodType<T>, what: string, status: number): Outcome<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    return unknown(`${what} answered ${status} with an unexpected shape: ${issues}`, status);
  }
  return success(parsed.data);
}

function tryJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describeBody(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return flat.length > MAX_SNIPPET ? `${flat.slice(0, MAX_SNIPPET)}…` : flat;
}
