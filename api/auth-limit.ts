import type { Request } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Config } from '../common/config';
import { HttpProblem } from './problem';

/**
 * Failed authentication, counted after the credentials were checked: only a failure counts, per client address and per
 * kind of credential (the webhook's secret, an operator key, an identity-provider token), each with its own budget. A
 * valid credential is never refused here, so a stranger guessing from a shared address (a proxy, a NAT; every client
 * when API_TRUST_PROXY is unset behind a proxy) cannot lock out Buy with Prime or an operator. What the limit stops is
 * the noise: an address past its budget gets 429 instead of 401 until its window ends.
 */

export type CredentialKind = 'webhook' | 'operator-key' | 'oidc-token';

interface Window {
  failures: number;
  resetAt: number;
}

export class AuthFailureLimiter {
  private readonly windows = new Map<string, Window>();
  private nextSweep = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /**
   * A failed authentication of `kind` from the request's address: the 401 to answer, or a 429 with Retry-After once
   * the address has used its budget for that kind.
   */
  failed(req: Request, kind: CredentialKind, unauthorized: HttpProblem): HttpProblem {
    const now = Date.now();
    this.sweep(now);
    const key = `${kind}|${addressOf(req)}`;
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { failures: 0, resetAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    if (window.failures >= this.limit) {
      const seconds = Math.max(1, Math.ceil((window.resetAt - now) / 1000));
      return new HttpProblem(
        'tooManyRequests',
        'Too many failed authentications from this address; try again later. Valid credentials are still accepted.',
        { headers: { 'Retry-After': String(seconds) } },
      );
    }
    window.failures++;
    return unauthorized;
  }

  /** Forgets windows that have ended (at most once a window), so the map holds only addresses failing right now. */
  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.windowMs;
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}

export function authFailureLimiter(config: Pick<Config, 'AUTH_FAILURE_LIMIT' | 'AUTH_FAILURE_WINDOW_SECONDS'>) {
  return new AuthFailureLimiter(config.AUTH_FAILURE_LIMIT, config.AUTH_FAILURE_WINDOW_SECONDS * 1000);
}

/**
 * The client's address as express sees it (through API_TRUST_PROXY proxies); an IPv6 address counts by its /56, as
 * express-rate-limit does, since one client easily holds a whole prefix.
 */
function addressOf(req: Request): string {
  const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  return ipKeyGenerator(ip);
}
