// Runs before every test file: production argon2 cost (~200 ms a hash) would dominate suites that
// create users; tests use the documented cheap parameters. Production has no switch for this.
import { setDefaultHashCost, TEST_HASH_COST } from '../../src/modules/users/password.js';

setDefaultHashCost(TEST_HASH_COST);
