// Mutation testing of the controller's decision module: `npm run bench:mutation` (see .projenrc.ts).
// Reports and the incremental file live in .bench/mutation/ (gitignored); a rerun re-tests only the mutants whose
// code or covering tests changed.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  mutate: ['src/controller/decision.ts', 'src/controller/tunables.ts'],
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    // Merged over package.json's jest config, so the ts-jest transform stays the one projen generates. Only the
    // decision module's table and property tests run, and not the globalSetup: it builds Python virtualenvs that
    // these tests never use.
    config: {
      testMatch: [
        '<rootDir>/test/controller/decision.test.ts',
        '<rootDir>/test/controller/decision.property.test.ts',
        '<rootDir>/test/controller/tunables.test.ts',
      ],
      globalSetup: null,
      setupFiles: ['<rootDir>/bench/mutation-setup.ts'],
    },
  },
  coverageAnalysis: 'perTest',
  concurrency: 2,
  incremental: true,
  incrementalFile: '.bench/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: '.bench/mutation/mutation.json' },
  htmlReporter: { fileName: '.bench/mutation/mutation.html' },
  clearTextReporter: { allowEmojis: false, reportMutants: false, reportTests: false },
  // The sandbox gets only what these tests load: no cdk.out, virtualenvs, assets or consumer builds to copy.
  tempDirName: '.bench/stryker-tmp',
  ignorePatterns: [
    '/*', '!/src', '!/test', '/test/*', '!/test/controller', '!/bench', '/bench/*', '!/bench/mutation-setup.ts',
    '!/package.json', '!/tsconfig.json', '!/tsconfig.dev.json',
  ],
};
