import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Spaces the departures of one process's calls at least `intervalMs` apart, in the order they ask.
 *
 * The Temporal server hands out submission tasks at the task queue's rate (maxTaskQueueActivitiesPerSecond), but a
 * task's call leaves when this process gets to it: after a stall of its event loop (a burst of other activities, a
 * long garbage collection), tasks handed out 200 ms apart would leave together and drain the store's burst. This only
 * delays; the server's limit still decides how many calls there are. Several processes each pace their own calls, so
 * at most one call per process can meet another at the store.
 */
export function pacer(intervalMs: number): (signal?: AbortSignal) => Promise<void> {
  if (!Number.isFinite(intervalMs) || intervalMs < 0) throw new TypeError('pacer: intervalMs must be a number >= 0');
  // One turn at a time; each measures its wait from the moment the previous one actually left (a timer may fire
  // late), so no two departures are closer than the interval. An aborted turn passes the next one on.
  let queue: Promise<void> = Promise.resolve();
  let lastLeft = -Infinity;
  return (signal) => {
    const turn = queue.then(async () => {
      const wait = lastLeft + intervalMs - performance.now();
      if (wait > 0) await sleep(wait, undefined, { signal });
      else signal?.throwIfAborted();
      lastLeft = performance.now();
    });
    queue = turn.catch(() => undefined);
    return turn;
  };
}
