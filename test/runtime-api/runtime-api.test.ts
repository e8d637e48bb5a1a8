import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import { InvocationResult, RuntimeApiEmulator } from './emulator';
import { ensureRuntimeInterfaceClient } from './ric';

/**
 * The sample app's Lambda mode through the real Lambda Runtime API protocol: integ/app/entrypoint.sh
 * with AWS_LAMBDA_RUNTIME_API set hands over to a stand-in for the base image's /lambda-entrypoint.sh,
 * which runs the official runtime interface client (aws-lambda-ric, native HTTP client included)
 * against RuntimeApiEmulator. Every ALB event fixture goes through it, and each answer must equal the
 * one the handler gives in-process (test/sample-app compares those with the HTTP server's).
 */

const REPO_ROOT = path.join(__dirname, '..', '..');
const APP_DIR = path.join(REPO_ROOT, 'integ', 'app');
const FIXTURE_DIR = path.join(REPO_ROOT, 'test', 'sample-app', 'fixtures');
const ENTRYPOINT = path.join(APP_DIR, 'entrypoint.sh');
const BASE_IMAGE_ENTRYPOINT = path.join(__dirname, 'lambda-entrypoint.sh');
const FAILING_HANDLER_DIR = path.join(__dirname, 'handlers');

/** Building the client's native code takes about a minute on 2 cores the first time. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;

/** The variables Lambda sets in every execution environment that the client requires. */
const LAMBDA_ENVIRONMENT = {
  AWS_LAMBDA_FUNCTION_NAME: 'hybrid-sample-app',
  AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
  AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/hybrid-sample-app',
  AWS_LAMBDA_LOG_STREAM_NAME: '2026/01/01/[$LATEST]0123456789abcdef',
  AWS_REGION: 'us-east-1',
  HYBRID_SIDE: 'lambda',
};

const FIXTURES = readdirSync(FIXTURE_DIR).filter((name) => name.endsWith('.json')).sort();

interface RunningRuntime {
  readonly emulator: RuntimeApiEmulator;
  readonly child: ChildProcess;
  /** Resolves with the exit code when the client process ends. */
  readonly exited: Promise<number | null>;
  readonly output: () => string;
}

/** Starts the emulator, then the image's entrypoint as Lambda would, with `args` as the function's CMD. */
async function startRuntime(ricEntrypoint: string, options: { args?: string[]; taskRoot?: string } = {}): Promise<RunningRuntime> {
  const emulator = new RuntimeApiEmulator();
  const runtimeApi = await emulator.start();
  const taskRoot = options.taskRoot ?? APP_DIR;
  const child = spawn('sh', [ENTRYPOINT, ...(options.args ?? [])], {
    cwd: taskRoot,
    env: {
      PATH: process.env.PATH,
      ...LAMBDA_ENVIRONMENT,
      AWS_LAMBDA_RUNTIME_API: runtimeApi,
      LAMBDA_TASK_ROOT: taskRoot,
      LAMBDA_ENTRYPOINT: BASE_IMAGE_ENTRYPOINT,
      RIC_ENTRYPOINT: ricEntrypoint,
      NODE_BIN: process.execPath,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { emulator, child, exited, output: () => output };
}

async function stopRuntime(runtime: RunningRuntime | undefined): Promise<void> {
  if (!runtime) return;
  if (runtime.child.exitCode === null && runtime.child.signalCode === null) runtime.child.kill('SIGKILL');
  await runtime.exited;
  await runtime.emulator.stop();
}

/** One invocation through the runtime; fails, with the client's output, if the client exits instead. */
function invoke(runtime: RunningRuntime, event: unknown): Promise<InvocationResult> {
  return Promise.race([
    runtime.emulator.invoke(event),
    runtime.exited.then((code): never => {
      throw new Error(`runtime interface client exited with ${code} before answering:\n${runtime.output()}`);
    }),
  ]);
}

function loadFixture(name: string): ALBEvent {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, name), 'utf8'));
}

/** lambda.js reads HYBRID_SIDE when it is loaded: load a fresh copy with the Lambda side set. */
function loadInProcessHandler(): (event: ALBEvent, context: Context) => Promise<ALBResult> {
  const originalSide = process.env.HYBRID_SIDE;
  process.env.HYBRID_SIDE = LAMBDA_ENVIRONMENT.HYBRID_SIDE;
  let lambdaModule: typeof import('../../integ/app/lambda') | undefined;
  jest.isolateModules(() => {
    lambdaModule = jest.requireActual('../../integ/app/lambda');
  });
  if (originalSide === undefined) delete process.env.HYBRID_SIDE;
  else process.env.HYBRID_SIDE = originalSide;
  return lambdaModule!.handler;
}

const IN_PROCESS_CONTEXT = {
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  functionName: LAMBDA_ENVIRONMENT.AWS_LAMBDA_FUNCTION_NAME,
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

// aws-lambda-ric builds its native client only on Linux (its install skips the build on macOS), as Lambda is Linux.
const describeOnLinux = process.platform === 'linux' ? describe : describe.skip;

describeOnLinux('sample app on the runtime interface client, over the Lambda Runtime API', () => {
  let ricEntrypoint: string;

  beforeAll(() => {
    ricEntrypoint = ensureRuntimeInterfaceClient();
  }, INSTALL_TIMEOUT_MS);

  describe('lambda.handler', () => {
    let runtime: RunningRuntime | undefined;
    let inProcessHandler: (event: ALBEvent, context: Context) => Promise<ALBResult>;

    beforeAll(async () => {
      runtime = await startRuntime(ricEntrypoint);
      inProcessHandler = loadInProcessHandler();
    });

    afterAll(() => stopRuntime(runtime));

    test('the fixtures are all there', () => {
      expect(FIXTURES.length).toBeGreaterThanOrEqual(9);
    });

    test.each(FIXTURES)('%s: the answer through the runtime equals the in-process answer', async (fixture) => {
      const event = loadFixture(fixture);
      const throughRuntime = await invoke(runtime!, event);
      const inProcess = await inProcessHandler(event, IN_PROCESS_CONTEXT);

      expect(throughRuntime.outcome).toBe('response');
      expect(throughRuntime.payload).toEqual(inProcess);
      expect((throughRuntime.payload as ALBResult).statusCode).toBe(200);
    });

    test('an unknown path is a 404 through the runtime too', async () => {
      const event = { ...loadFixture('get-root.json'), path: '/nowhere' };
      const throughRuntime = await invoke(runtime!, event);
      expect(throughRuntime.payload).toEqual(await inProcessHandler(event, IN_PROCESS_CONTEXT));
      expect((throughRuntime.payload as ALBResult).statusCode).toBe(404);
    });

    test('the client followed the protocol: one GET /next, then one POST /response per invocation', async () => {
      const { requestId } = await invoke(runtime!, loadFixture('health-check.json'));
      // The client may already have sent its next GET /next when the response resolves the invoke.
      const log = runtime!.emulator.requestLog.filter((line, index, all) => index < all.length - 1 || !line.endsWith('/next'));
      expect(log.slice(-2)).toEqual([
        'GET /2018-06-01/runtime/invocation/next',
        `POST /2018-06-01/runtime/invocation/${requestId}/response`,
      ]);
      expect(log.length % 2).toBe(0);
      log.forEach((line, index) => expect(line).toMatch(index % 2 === 0 ? /^GET \/2018-06-01\/runtime\/invocation\/next$/ : /^POST \/2018-06-01\/runtime\/invocation\/[0-9a-f-]{36}\/response$/));
    });
  });

  test('a handler that does not exist is reported through POST /runtime/init/error', async () => {
    const runtime = await startRuntime(ricEntrypoint, { args: ['lambda.missing'] });
    try {
      const result = await runtime.emulator.invoke(loadFixture('get-root.json'));
      expect(result.outcome).toBe('error');
      expect(result.errorType).toBe('Runtime.HandlerNotFound');
      expect(runtime.emulator.requestLog).toEqual(['POST /2018-06-01/runtime/init/error']);
      expect(await runtime.exited).not.toBe(0);
    } finally {
      await stopRuntime(runtime);
    }
  });

  test('a handler that throws is reported through POST /runtime/invocation/{id}/error', async () => {
    const runtime = await startRuntime(ricEntrypoint, { args: ['failing.handler'], taskRoot: FAILING_HANDLER_DIR });
    try {
      const result = await invoke(runtime, loadFixture('get-root.json'));
      expect(result.outcome).toBe('error');
      expect(result.errorType).toBe('TypeError');
      expect(result.payload).toMatchObject({ errorType: 'TypeError', errorMessage: 'the handler failed on purpose' });
    } finally {
      await stopRuntime(runtime);
    }
  });
});
