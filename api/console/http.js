// @ts-check
// Calls to the operator API with the session's bearer token; every failure is an ApiError with the problem body.
import { session } from './session.js';

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {{ detail?: string, problems?: import('./types.js').Problem[] } | undefined} problem
   */
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status;
    /** @type {{ detail?: string, problems?: import('./types.js').Problem[] }} */
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
 * @template T
 * @param {string} path
 * @param {{ method?: string, body?: unknown, headers?: Record<string, string> }} [options]
 * @returns {Promise<{ status: number, data: T }>}
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
  /** @type {unknown} */
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = { detail: text };
  }
  if (!res.ok) {
    if (res.status === 401) onUnauthorized();
    throw new ApiError(res.status, /** @type {{ detail?: string }} */ (data));
  }
  return { status: res.status, data: /** @type {T} */ (data) };
}

/** @param {unknown} err */
export const statusOf = (err) => (err instanceof ApiError ? err.status : undefined);
/** @param {unknown} err */
export const messageOf = (err) => (err instanceof Error ? err.message : String(err));
