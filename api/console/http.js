// @ts-check
// Calls to the operator API with the session's bearer token; every failure is an ApiError with the problem body.
import { session } from './session.js';

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {import('./types.js').ProblemBody | undefined} problem
   */
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status;
    /** @type {import('./types.js').ProblemBody} */
    this.problem = problem ?? {};
  }
}

/** Called when the API refuses the token (the page asks to sign in again). */
let onUnauthorized = () => {};
/** @param {() => void} handler */
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

/**
 * A JSON answer as its value; another (a CSV export) as its text.
 * @template T
 * @param {string} path
 * @param {{ method?: string, body?: unknown, headers?: Record<string, string> }} [options]
 * @returns {Promise<{ status: number, data: T, headers: Headers }>}
 */
export async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const res = await fetch(path, {
    method,
    headers: {
      Accept: 'application/json',
      Authorization: `Bearer ${session.token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.ok && !(res.headers.get('content-type') ?? '').includes('json')) {
    return { status: res.status, data: /** @type {T} */ (/** @type {unknown} */ (text)), headers: res.headers };
  }
  /** @type {unknown} */
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = { detail: text };
  }
  if (!res.ok) {
    if (res.status === 401) onUnauthorized();
    throw new ApiError(res.status, /** @type {import('./types.js').ProblemBody} */ (data));
  }
  return { status: res.status, data: /** @type {T} */ (data), headers: res.headers };
}

/** @param {unknown} err */
export const statusOf = (err) => (err instanceof ApiError ? err.status : undefined);
/** @param {unknown} err */
export const messageOf = (err) => (err instanceof Error ? err.message : String(err));

/**
 * What a refused request said, field by field when the API named the fields (`body.orderId must …`).
 * @param {unknown} err
 */
export function fieldsOf(err) {
  if (!(err instanceof ApiError)) return messageOf(err);
  const fields = (err.problem.errors ?? []).map((e) => `${e.field.replace(/^body\./, '')} ${e.message}`).join('; ');
  return fields || err.message;
}
