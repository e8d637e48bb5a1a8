import { awscdk, javascript } from 'projen';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-hybrid-alb-service',
  description:
    'One container image served by AWS Lambda at low load and by Fargate under sustained load, behind one Application Load Balancer with a health-gated weighted shift between them.',
  author: 'cdk-hybrid-alb-service maintainers',
  authorAddress: 'maintainers@cdk-hybrid-alb-service.dev',
  repositoryUrl: 'https://github.com/cdk-hybrid-alb-service/cdk-hybrid-alb-service.git',
  license: 'Apache-2.0',
  keywords: ['cdk', 'awscdk', 'alb', 'lambda', 'fargate', 'ecs', 'scale-to-zero', 'hybrid'],
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,

  // cdk-nag 3 requires aws-cdk-lib >= 2.257.0.
  cdkVersion: '2.257.0',
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  // The published library runs wherever aws-cdk-lib does (its engines say >= 20); lib/ targets ES2022 and uses no
  // newer Node API. Development, tests and CI run on the Node 24 that scripts/node.sh installs (see devEngines below).
  minNodeVersion: '20.0.0',
  workflowNodeVersion: '24.21.0',

  publishToPypi: {
    distName: 'cdk-hybrid-alb-service',
    module: 'cdk_hybrid_alb_service',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdkhybridalbservice',
    mavenGroupId: 'io.github.cdkhybridalbservice',
    mavenArtifactId: 'cdk-hybrid-alb-service',
  },

  // The development tsconfig lives at the root so it covers src/, test/, integ/ and bench/.
  tsconfigDevFile: 'tsconfig.dev.json',
  tsconfigDev: {
    include: ['src/**/*.ts', 'test/**/*.ts', 'integ/**/*.ts', 'bench/**/*.ts', '.projenrc.ts', 'projenrc/**/*.ts'],
    exclude: ['node_modules', 'integ/**/*.snapshot/**', 'integ/app/**'],
    compilerOptions: { rootDir: '.' },
  },

  // The controller handler (src/controller/runtime/controller.lambda.ts) is bundled with esbuild at library build time.
  // AWS SDK v3 clients are bundled rather than taken from the runtime so the handler runs the SDK version it was tested with.
  // Declared below rather than discovered, so its generated construct lands outside the Lambda-only folder.
  lambdaAutoDiscover: false,
  integrationTestAutoDiscover: false,
  // `npx cdk-hybrid-alb-service simulate ...` replays a traffic trace through the controller's decision code.
  bin: { 'cdk-hybrid-alb-service': 'lib/simulator/bin.js' },
  // Lambda-only code (the handler, its AWS adapter, tag parsing) runs only inside the bundled controller asset: keep it out of lib/.
  excludeTypescript: ['src/controller/runtime/**'],

  // One typed-lint program for src/, test/, integ/ and bench/ (tsconfig.json is jsii's and covers src/ only).
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'integ', 'bench', 'projenrc'],
    projectService: false,
    tsconfigPath: './tsconfig.dev.json',
    ignorePatterns: ['integ/**/*.snapshot/**', 'integ/app/**', '*.d.ts', 'node_modules/'],
  },

  devDeps: [
    'cdk-nag@^3.0.2',
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    '@aws-cdk/integ-runner@^2.197.10',
    'aws-cdk@^2.1148.1',
    'fast-check@^4',
    'aws-sdk-client-mock@^4',
    'aws-sdk-client-mock-jest@^4',
    '@aws-sdk/client-elastic-load-balancing-v2@^3',
    '@aws-sdk/client-ecs@^3',
    '@aws-sdk/client-cloudwatch@^3',
    '@aws-sdk/client-eventbridge@^3',
    '@aws-sdk/client-ssm@^3',
    '@aws-sdk/client-application-auto-scaling@^3',
    '@types/aws-lambda@^8',
    'express@^5',
    '@types/express@^5',
    '@codegenie/serverless-express@^5',
    'esbuild',
    'autocannon@^9',
    '@types/autocannon@^7',
    // Mutation testing of the decision module (`npm run bench:mutation`). The jest runner's 10.0.0 is the newest and
    // asks for exactly core 10.0.0, so both are pinned together. No typescript-checker: on two cores it takes one of
    // the two processes and type-checks all of src/ (aws-cdk-lib included) per mutant group, about 10 x slower.
    '@stryker-mutator/core@10.0.0',
    '@stryker-mutator/jest-runner@10.0.0',
  ],

  jestOptions: {
    // jest 30 and eslint-import-resolver-typescript 4 depend on unrs-resolver, whose per-platform optional packages
    // the registry mirror of our CI machines does not serve; npm ci then rejects the lock file. Jest 29 and
    // resolver 3.6 resolve with plain JavaScript.
    jestVersion: '^29',
    // --ci semantics: a changed snapshot fails the run instead of being rewritten.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/cdk.out/', '\\.snapshot/'],
      modulePathIgnorePatterns: ['<rootDir>/test/consumers/.*/build/', '<rootDir>/integ/.*\\.snapshot/'],
      testTimeout: 120_000,
      // Makes the Python tools' virtualenvs once, before the workers start (test/python-tools.ts).
      globalSetup: '<rootDir>/test/global-setup.ts',
    },
  },

  gitignore: [
    '.venv/',
    'cdk.out/',
    '*.cdk.out/',
    'integ/**/cdk.out/',
    'integ/**/cdk-integ.out.*/',
    '.bench/',
    'test/consumers/**/build/',
    'test/consumers/**/target/',
  ],
});

// Development needs Node 24: jsii 6 no longer supports 20, the release tooling and the sample app's
// serverless-express require >= 22 and >= 24. `source scripts/node.sh` installs the pinned one; npm warns elsewhere.
project.package.file.addOverride('devEngines.runtime', { name: 'node', version: '>=24.0.0', onFail: 'warn' });

// See jestVersion above: resolver 3.6 has no unrs-resolver dependency.
project.deps.removeDependency('eslint-import-resolver-typescript');
project.addDevDeps('eslint-import-resolver-typescript@~3.6.3');

for (const pattern of ['/integ/', '/bench/', '/.ci/', '/.venv/', '/scripts/']) {
  project.addPackageIgnore(pattern);
}

// Minified: a smaller asset to hash and copy at every synth and to load at every cold start; keepNames keeps class
// and function names readable in logs. LambdaFunction passes these on to the bundler, whose AddBundleOptions has them,
// though its own BundlingOptions type does not list them.
const controllerBundling: javascript.BundlingOptions & Pick<javascript.AddBundleOptions, 'minify' | 'keepNames'> = {
  externals: [],
  sourcemap: false,
  minify: true,
  keepNames: true,
};

// The controller handler, bundled into assets/ at build time. The generated construct lives next to the decision module
// (src/controller/), because src/controller/runtime/ is Lambda-only and kept out of lib/.
new awscdk.LambdaFunction(project, {
  entrypoint: 'src/controller/runtime/controller.lambda.ts',
  constructFile: 'src/controller/controller-function.ts',
  constructName: 'ControllerFunction',
  cdkDeps: project.cdkDeps,
  runtime: awscdk.LambdaRuntime.NODEJS_24_X,
  bundlingOptions: controllerBundling,
});

// The controller's handler and AWS adapter import SDK v3 clients that are dev dependencies: esbuild bundles them.
project.eslint?.allowDevDeps('src/controller/**');

// Architecture boundaries (docs/ARCHITECTURE.md). Paths are resolved imports, so `aws-cdk-lib/aws-ecs` is inside
// ./node_modules/aws-cdk-lib and a relative import is caught wherever it is written from.
const NO_CDK = ['./node_modules/aws-cdk-lib', './node_modules/constructs'];
const NO_SDK = ['./node_modules/@aws-sdk'];
/** The controller's pure files: every file directly in src/controller/ except the generated function construct. */
const CONTROLLER_PURE = './src/controller/!(controller-function).ts';
/** Everything under src/ except the Lambda-only folder. */
const OUTSIDE_RUNTIME = ['./src/*.ts', './src/!(controller)/**', './src/controller/*.ts'];
project.eslint?.addRules({
  'import/no-restricted-paths': ['error', {
    zones: [
      {
        target: CONTROLLER_PURE,
        from: [...NO_CDK, ...NO_SDK, './src/controller/runtime', './src/private'],
        message: 'The decision module and its types import no CDK, no AWS SDK and no Lambda-only code: the handler and the simulator both run them.',
      },
      {
        target: CONTROLLER_PURE,
        from: ['./src/*.ts'],
        message: 'The decision module does not depend on the constructs; the constructs depend on it.',
      },
      {
        target: './src/simulator',
        from: [...NO_CDK, ...NO_SDK, './src/controller/runtime', './src/private', './src/controller/controller-function.ts'],
        message: 'The simulator runs the decision module without AWS: no CDK, no AWS SDK, no Lambda-only code, no construct.',
      },
      {
        target: './src/simulator',
        from: ['./src/*.ts'],
        message: 'The simulator does not import the constructs; share what it needs through a CDK-free module.',
      },
      {
        target: './src/cost',
        from: [...NO_CDK, ...NO_SDK],
        message: 'The cost model is plain arithmetic over templates and prices, shared with the simulator: no CDK, no AWS SDK.',
      },
      {
        target: OUTSIDE_RUNTIME,
        from: NO_SDK,
        message: 'Only src/controller/runtime/ (bundled into the controller asset) may import the AWS SDK: it is a dev dependency.',
      },
    ],
  }],
});

// The controller bundle must exist before the construct tests synthesize it.
project.testTask.prependSpawn(project.tasks.tryFind('bundle')!);

// `npm run package:local`: the npm package in dist/js, without the tests (`npx projen build` runs them all).
const packageLocal = project.addTask('package:local', {
  description: 'Bundle the controller, compile with jsii and pack the npm package into dist/js, without running the tests',
});
packageLocal.spawn(project.tasks.tryFind('pre-compile')!);
packageLocal.spawn(project.tasks.tryFind('compile')!);
packageLocal.spawn(project.tasks.tryFind('package:js')!);

// `npm run example`: synthesize the sample service and print what it made and its idle cost.
const example = project.addTask('example', {
  description: 'Synthesize the sample service and print its resources by kind and estimated idle cost',
});
example.spawn(project.tasks.tryFind('bundle')!);
example.exec('ts-node --project tsconfig.dev.json integ/example.ts');

// `npm run bench`: synth time against an ecs-patterns reference and idle cost of both templates.
const bench = project.addTask('bench', {
  description: 'Synth-time ratio and idle-cost benchmark against aws-ecs-patterns',
});
bench.spawn(project.tasks.tryFind('bundle')!);
bench.exec('ts-node --project tsconfig.dev.json bench/construct-bench.ts');

// Integ tests: snapshot verification (no credentials, no deploy) runs in `npm test`; integ:update rewrites the
// snapshots by synthesizing only. Deploying them needs an AWS account: see integ/README.md.
const integVerify = project.addTask('integ:verify', {
  description: 'Compare integ/integ.*.ts with their committed snapshots (no deployment, no credentials)',
});
integVerify.spawn(project.tasks.tryFind('bundle')!);
integVerify.exec('bash scripts/integ-verify.sh');
const integUpdate = project.addTask('integ:update', {
  description: 'Rewrite the integ snapshots from integ/integ.*.ts (synth only, no deployment)',
});
integUpdate.spawn(project.tasks.tryFind('bundle')!);
integUpdate.exec('integ-runner --directory integ --language typescript --force --dry-run');
project.testTask.spawn(integVerify);

// jsii consumers: build the Python wheel and the Java jar, install them into minimal apps under test/consumers and
// synthesize the same stack; consumers.test.ts (in jest) compares those templates with the TypeScript one.
const consumers = project.addTask('test:consumers', {
  description: 'Build the Python and Java packages, install them into test/consumers and synthesize the same stack from each',
  exec: 'bash scripts/consumers.sh',
});
project.testTask.prependSpawn(consumers);

// API.md is generated from the compiled .jsii (which test:consumers builds); a stale API.md fails the run.
const apiDocsCurrent = project.addTask('test:api-docs', {
  description: 'Regenerate API.md and fail if it differs from the committed one',
});
apiDocsCurrent.spawn(project.tasks.tryFind('docgen')!);
apiDocsCurrent.exec('git diff --exit-code -- API.md');
project.testTask.spawn(apiDocsCurrent);

// `npm run bench:load`: the sample app in server mode under autocannon, against a hello-world reference, on 127.0.0.1.
project.addTask('bench:load', {
  description: 'Load test of the sample app against a hello-world server on 127.0.0.1',
  exec: 'ts-node --project tsconfig.dev.json bench/load-test.ts',
});

// `npm run bench:simulate`: built-in profiles through the simulator, cost and reaction-time targets.
const benchSimulate = project.addTask('bench:simulate', {
  description: 'Simulate the built-in load profiles on Lambda only, Fargate only and the hybrid; print costs and targets',
});
benchSimulate.exec('ts-node --project tsconfig.dev.json bench/simulate-bench.ts', { receiveArgs: true });
project.addPackageIgnore('/docs/');

// `npm run bench:mutation`: Stryker on the decision module and its tunables, with their table and property tests only
// (stryker.config.mjs). Incremental: a rerun re-tests only the mutants whose code or covering tests changed.
const benchMutation = project.addTask('bench:mutation', {
  description: 'Mutation testing of src/controller/decision.ts and tunables.ts with Stryker; prints the score and the survivors',
});
benchMutation.exec('stryker run stryker.config.mjs', { receiveArgs: true });
benchMutation.exec('ts-node --project tsconfig.dev.json bench/mutation-summary.ts');

project.synth();
