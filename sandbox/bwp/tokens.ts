import { randomBytes } from 'node:crypto';

/**
 * The access tokens the sandbox's token endpoint issues and its GraphQL gateway accepts. "Buy with Prime access tokens
 * expire every 15 minutes" (https://documents.buywithprime.amazon.com/bwp-api/docs/authenticate-to-the-buy-with-prime-api);
 * the lifetime is configurable so a test can watch one expire. Tokens are random opaque strings, kept in memory only (a
 * restarted sandbox refuses the old ones with 401, and a client asks for a new one).
 */

/** The documented lifetime, in seconds. */
export const BWP_TOKEN_LIFETIME_SECONDS = 15 * 60;

export interface IssuedToken {
  accessToken: string;
  expiresInSeconds: number;
}

export class BwpTokenIssuer {
  /** token -> expiry (epoch ms). */
  private tokens = new Map<string, number>();
  private issuedCount = 0;

  constructor(private readonly opts: { lifetimeSeconds?: number; now?: () => number } = {}) {
    const lifetime = opts.lifetimeSeconds ?? BWP_TOKEN_LIFETIME_SECONDS;
    if (!(lifetime > 0)) throw new Error('bwpTokenLifetimeSeconds must be positive');
  }

  get lifetimeSeconds(): number {
    return this.opts.lifetimeSeconds ?? BWP_TOKEN_LIFETIME_SECONDS;
  }

  issue(): IssuedToken {
    this.prune();
    const accessToken = randomBytes(32).toString('base64url');
    this.tokens.set(accessToken, this.now() + this.lifetimeSeconds * 1000);
    this.issuedCount += 1;
    return { accessToken, expiresInSeconds: this.lifetimeSeconds };
  }

  /** 'valid', 'expired' (issued here, past its lifetime) or 'unknown'. */
  check(token: string | undefined): 'valid' | 'expired' | 'unknown' {
    if (token === undefined) return 'unknown';
    const expiresAt = this.tokens.get(token);
    if (expiresAt === undefined) return 'unknown';
    return this.now() < expiresAt ? 'valid' : 'expired';
  }

  /** How many tokens were issued, and how many of them are still valid. */
  counts(): { issued: number; active: number } {
    const now = this.now();
    let active = 0;
    for (const expiresAt of this.tokens.values()) if (now < expiresAt) active += 1;
    return { issued: this.issuedCount, active };
  }

  /** Ends the life of every token issued so far, as time passing would (tests of the refresh); they answer "expired". */
  expireAll(): void {
    const past = this.now() - 1;
    for (const token of this.tokens.keys()) this.tokens.set(token, past);
  }

  /** Forgets every token (they are refused from now on) and the count. */
  reset(): void {
    this.tokens.clear();
    this.issuedCount = 0;
  }

  /** Expired tokens are kept an hour (so they answer "expired" in the log), then forgotten. */
  private prune(): void {
    const horizon = this.now() - 3_600_000;
    for (const [token, expiresAt] of this.tokens) if (expiresAt < horizon) this.tokens.delete(token);
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }
}
