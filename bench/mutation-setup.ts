/**
 * Jest setup for `npm run bench:mutation` only (stryker.config.mjs). Makes the property tests reproducible and
 * cheaper per mutant:
 * - a fixed seed, so a mutant is killed or survives the same way on every run and incremental results stay valid;
 * - endOnFailure: a failing property is enough to kill the mutant, shrinking the counterexample is wasted time;
 * - FC_NUM_RUNS caps each property's runs (the property tests read it). Every mutant runs the properties that reach
 *   it, so at their full counts a first run takes hours on two cores; at 100 it takes about twenty minutes.
 *   `FC_NUM_RUNS=0 npm run bench:mutation -- --force` runs them at their full counts.
 */
import * as fc from 'fast-check';

fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: 20_240_601, endOnFailure: true });
process.env.FC_NUM_RUNS ??= '100';
