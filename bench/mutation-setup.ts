/**
 * Jest setup for `npm run bench:mutation` only (stryker.config.mjs). Makes the property tests reproducible and
 * cheaper per mutant, without changing what they check:
 * - a fixed seed, so a mutant is killed or survives the same way on every run and incremental results stay valid;
 * - endOnFailure: a failing property is enough to kill the mutant, shrinking the counterexample is wasted time.
 */
import * as fc from 'fast-check';

fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: 20_240_601, endOnFailure: true });
