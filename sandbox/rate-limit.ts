/** A rate limit as configured: a steady rate and the burst a quiet client may spend at once. */
export interface RateLimit {
  perSecond: number;
  /** Bucket size; defaults to the rate rounded up (at least 1). */
  burst?: number;
}

export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * A token bucket: `burst` tokens, refilled at `perSecond`. Each request takes one; an empty bucket answers with the whole
 * seconds until the next token, which is what the simulators send back as `Retry-After`.
 */
export class TokenBucket {
  readonly perSecond: number;
  readonly burst: number;
  private tokens: number;
  private last: number;

  constructor(
    limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    if (!(limit.perSecond > 0)) throw new Error('rate limit perSecond must be positive');
    this.perSecond = limit.perSecond;
    this.burst = limit.burst ?? Math.max(1, Math.ceil(limit.perSecond));
    this.tokens = this.burst;
    this.last = now();
  }

  take(): TakeResult {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond)) };
  }
}

/**
 * One account's limiter whose limit can change at run time (the faults API): a new bucket starts whenever the
 * configured limit differs from the last one; no limit lets everything through.
 */
export function accountLimiter(): (limit: RateLimit | null) => TakeResult {
  let current: { limit: string; bucket: TokenBucket } | undefined;
  return (limit) => {
    if (!limit) return { ok: true };
    const key = JSON.stringify(limit);
    if (current?.limit !== key) current = { limit: key, bucket: new TokenBucket(limit) };
    return current.bucket.take();
  };
}
