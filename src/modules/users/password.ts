import argon2 from 'argon2';

/** argon2id cost parameters. */
export interface HashCost {
  /** KiB of memory per hash. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/**
 * Production cost: the argon2 package's defaults (64 MiB, 3 passes, 4 lanes), above OWASP's
 * argon2id minimum (19 MiB, 2 passes). About 150-250 ms per hash on one core.
 */
export const PRODUCTION_HASH_COST: HashCost = { memoryCost: 65_536, timeCost: 3, parallelism: 4 };

/** The cheapest parameters argon2 accepts; for test suites only (see `setDefaultHashCost`). */
export const TEST_HASH_COST: HashCost = { memoryCost: 1_024, timeCost: 1, parallelism: 1 };

let defaultCost: HashCost = PRODUCTION_HASH_COST;

/**
 * Internal knob for test suites, which hash hundreds of passwords: changes the cost used by hashers
 * created afterwards. Production code never calls it; there is deliberately no environment variable.
 */
export function setDefaultHashCost(cost: HashCost): void {
  defaultCost = cost;
}

/** Hashes and verifies passwords with argon2id. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password and for a malformed stored hash (never throws on bad input). */
  verify(hash: string, password: string): Promise<boolean>;
  /**
   * Spends the same time as `verify` against a real hash, for unknown users, so response time
   * does not reveal whether a username exists.
   */
  verifyDummy(password: string): Promise<void>;
  /** True when a stored hash uses weaker parameters than the current ones (rehash on next login). */
  needsRehash(hash: string): boolean;
}

/** Creates an argon2id hasher with `cost` (defaults to the process default). */
export function createPasswordHasher(cost: HashCost = defaultCost): PasswordHasher {
  const options = { type: argon2.argon2id as 2, ...cost };
  let dummy: Promise<string> | undefined;

  const verify = async (hash: string, password: string): Promise<boolean> => {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  };

  return {
    hash: (password) => argon2.hash(password, options),
    verify,
    async verifyDummy(password) {
      // Hashed once per process with the same parameters as real hashes, so timing matches.
      dummy ??= argon2.hash('dummy-password-for-timing-equalisation', options);
      await verify(await dummy, password);
    },
    needsRehash(hash) {
      try {
        return argon2.needsRehash(hash, cost);
      } catch {
        return true;
      }
    },
  };
}
