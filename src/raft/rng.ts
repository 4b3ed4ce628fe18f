/**
 * Seeded pseudo-random numbers. The core draws its election timeouts from an injected Rng so
 * one seed reproduces a whole run; the simulator derives every random choice from the same kind.
 */

/** A source of uniformly distributed random numbers. */
export interface Rng {
  /** An integer in [0, bound). `bound` is a positive integer. */
  int(bound: number): number
  /** A float in [0, 1). */
  float(): number
}

/**
 * A small, fast, deterministic generator (SplitMix32 seeding a xorshift128+ style state,
 * all in 32-bit integer arithmetic). The same seed always yields the same sequence.
 */
export class SeededRng implements Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  /** @param seed any integer; different seeds give independent-looking sequences. */
  constructor(seed: number) {
    let s = (seed >>> 0) ^ 0x9e3779b9
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = next()
    this.b = next()
    this.c = next()
    this.d = next() | 1
  }

  /** Next raw 32-bit unsigned value (xoshiro128** step). */
  next32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0
    const t = this.b << 9
    this.c ^= this.a
    this.d ^= this.b
    this.b ^= this.c
    this.a ^= this.d
    this.c ^= t
    this.d = rotl(this.d, 11)
    return result
  }

  float(): number {
    return this.next32() / 4294967296
  }

  int(bound: number): number {
    return Math.floor(this.float() * bound)
  }

  /** A new generator whose sequence is derived from this one (for independent sub-streams). */
  fork(): SeededRng {
    return new SeededRng(this.next32())
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}
