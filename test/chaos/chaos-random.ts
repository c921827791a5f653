/**
 * The seeded random generator of the chaos suite. Every scenario prints its seed; a failure is
 * replayed with `CHAOS_SEED=<seed> npx vitest run test/chaos/<file>` (the same faults at the
 * same offsets; what real processes do with them can still differ by a few milliseconds).
 */
export interface ChaosRandom {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: tiny, fast, good enough to pick faults, and identical on every platform. */
export function seededRandom(seed: number): ChaosRandom {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed: seed >>> 0,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
  };
}

/** The scenario's generator: CHAOS_SEED when given, else a fresh seed; printed either way. */
export function chaosRandom(scenario: string): ChaosRandom {
  const given = process.env.CHAOS_SEED;
  const seed = given !== undefined && given !== '' ? Number(given) : Math.floor(Math.random() * 2 ** 32);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`CHAOS_SEED must be a whole number from 0 to 4294967295 (got "${given}")`);
  console.log(`chaos ${scenario}: seed ${seed} (replay with CHAOS_SEED=${seed})`);
  return seededRandom(seed);
}
