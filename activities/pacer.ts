import { setTimeout as sleep } from 'node:timers/promises';

export interface PaceOptions {
  /** Least time between two departures (ms); 0: none. */
  minIntervalMs: number;
  /**
   * A token bucket over the departures: at most `burst` leave together after a quiet spell, then `perSecond`. Absent:
   * the spacing alone.
   */
  bucket?: { perSecond: number; burst: number };
}

/**
 * Paces the departures of one process's calls, in the order they ask: each leaves at least `minIntervalMs` after the
 * previous one, and, with a bucket, no more than `burst + perSecond × t` leave in any t seconds.
 *
 * The Temporal server hands out submission tasks at the task queue's rate (maxTaskQueueActivitiesPerSecond) with a
 * burst of ceil(rate) tasks, but a task's call leaves when this process gets to it. Tasks that reach it together (the
 * server's burst after a quiet spell, or a stall of this process's event loop) would leave together and drain the
 * store's own burst; a backlog drained faster than the store's rate for long would drain it too. The spacing keeps
 * calls apart; the bucket bounds how far ahead of the rate a backlog may be sent. This only delays: the server's limit
 * still decides how many calls there are. Several processes each pace their own calls.
 */
export function pacer(opts: PaceOptions): (signal?: AbortSignal) => Promise<void> {
  const { minIntervalMs, bucket } = opts;
  if (!Number.isFinite(minIntervalMs) || minIntervalMs < 0)
    throw new TypeError('pacer: minIntervalMs must be a number >= 0');
  if (bucket && !(bucket.perSecond > 0 && bucket.burst >= 1))
    throw new TypeError('pacer: bucket needs perSecond > 0 and burst >= 1');
  // One turn at a time; each measures from the moment the previous one actually left (a timer may fire late), so no
  // two departures are closer than the interval and the bucket counts real departures. An aborted turn passes the
  // next one on.
  let queue: Promise<void> = Promise.resolve();
  let lastLeft = -Infinity;
  let tokens = bucket?.burst ?? 0;
  let filledAt = performance.now();
  const refill = (now: number) => {
    if (!bucket) return;
    tokens = Math.min(bucket.burst, tokens + ((now - filledAt) / 1000) * bucket.perSecond);
    filledAt = now;
  };
  return (signal) => {
    const turn = queue.then(async () => {
      for (;;) {
        const now = performance.now();
        refill(now);
        const forToken = bucket && tokens < 1 ? ((1 - tokens) / bucket.perSecond) * 1000 : 0;
        const wait = Math.max(lastLeft + minIntervalMs - now, forToken);
        if (wait <= 0) break;
        await sleep(wait, undefined, { signal });
      }
      signal?.throwIfAborted();
      lastLeft = performance.now();
      if (bucket) tokens -= 1;
    });
    queue = turn.catch(() => undefined);
    return turn;
  };
}

/**
 * How POST /refund leaves a process at a submission limit of `perSecond` (the server's task-queue rate): at least
 * 0.8 / limit apart, so a backlog is sent at up to 1.25 x the limit at once, and through a bucket of 1.02 x the limit
 * with a burst of 2, so a backlog is sent no faster than that for long. With the limit at 0.98 of the store's rate or
 * below (README, "The limiter settings") this process never sends more than 2 + R × t calls in t seconds, within the
 * store's own bucket (burst B, rate R) whenever B is at least 3.
 */
export function submissionPace(perSecond: number): PaceOptions {
  return { minIntervalMs: 800 / perSecond, bucket: { perSecond: 1.02 * perSecond, burst: 2 } };
}
