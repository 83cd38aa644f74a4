/**
 * mulberry32: a small, well-known 32-bit seeded generator (public domain, Tommy Ettinger). The chaos run draws every
 * choice from one of these, so a seed reproduces the schedule (the timing of real processes still varies).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Rng {
  next(): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** A child generator with its own stream (so one refund's draws do not shift another's). */
  fork(): Rng;
}

export function rng(seed: number): Rng {
  const next = mulberry32(seed);
  const self: Rng = {
    next,
    chance: (p) => next() < p,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    fork: () => rng(Math.floor(next() * 2 ** 32)),
  };
  return self;
}
