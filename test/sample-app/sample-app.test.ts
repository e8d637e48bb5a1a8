import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import { createApp } from '../../integ/app/app';

const APP_DIR = path.join(__dirname, '..', '..', 'integ', 'app');
const FIXTURE_DIR = path.join(__dirname, 'fixtures');

/** What /echo answers with. */
interface Echo {
  readonly side: string;
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string | string[]>;
  readonly headers: Record<string, string>;
  readonly cookies: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded: boolean;
}

interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

type AlbHandler = (event: ALBEvent, context: Context) => Promise<ALBResult>;

function loadFixture(name: string): ALBEvent {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, name), 'utf8'));
}

/**
 * lambda.js builds its app, and so reads HYBRID_SIDE, when it is loaded, as in a Lambda execution
 * environment. Load a fresh copy after setting the variable.
 */
function loadLambdaHandler(side: string): AlbHandler {
  process.env.HYBRID_SIDE = side;
  let lambdaModule: typeof import('../../integ/app/lambda') | undefined;
  jest.isolateModules(() => {
    lambdaModule = jest.requireActual('../../integ/app/lambda');
  });
  return lambdaModule!.handler;
}

const LAMBDA_CONTEXT = {
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  functionName: 'hybrid-sample-app',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

/** Headers Node's HTTP client sets itself from the connection and the body it sends. */
const CLIENT_MANAGED_HEADERS = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

/**
 * The HTTP request the client sent for an ALB event. The ALB passes query keys and values on still
 * URL-encoded, so joining them gives back the query string as sent. Repeated headers are sent as
 * repeated header lines.
 */
function requestFor(event: ALBEvent): { path: string; headers: http.OutgoingHttpHeaders; body?: Buffer } {
  const pairs = event.multiValueQueryStringParameters
    ? Object.entries(event.multiValueQueryStringParameters).flatMap(([key, values]) => (values ?? []).map((value) => [key, value]))
    : Object.entries(event.queryStringParameters ?? {});
  const query = pairs.map(([key, value]) => `${key}=${value}`).join('&');
  const headers = Object.fromEntries(
    Object.entries(event.multiValueHeaders ?? event.headers ?? {}).filter(([name]) => !CLIENT_MANAGED_HEADERS.has(name)),
  ) as http.OutgoingHttpHeaders;
  return {
    path: query ? `${event.path}?${query}` : event.path,
    headers,
    body: event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : undefined,
  };
}

function sendOverHttp(port: number, event: ALBEvent): Promise<HttpAnswer> {
  const { path: requestPath, headers, body } = requestFor(event);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, method: event.httpMethod, path: requestPath, headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({
          status: response.statusCode!,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function withoutSide<T extends { side: string }>(answer: T): Omit<T, 'side'> {
  const { side: _side, ...rest } = answer;
  return rest;
}

function albHeader(result: ALBResult, name: string): string | undefined {
  return result.multiValueHeaders ? result.multiValueHeaders[name]?.join(', ') : result.headers?.[name]?.toString();
}

/** The response an ALB accepts from a Lambda target, in the header style of the request. */
function expectAlbResponse(result: ALBResult, event: ALBEvent): void {
  expect(Number.isInteger(result.statusCode)).toBe(true);
  expect(result.statusDescription).toBe(`${result.statusCode} ${http.STATUS_CODES[result.statusCode]}`);
  expect(typeof result.isBase64Encoded).toBe('boolean');
  expect(typeof result.body).toBe('string');
  if (event.multiValueHeaders) {
    expect(result.headers).toBeUndefined();
    for (const values of Object.values(result.multiValueHeaders ?? {})) {
      expect(values.every((value) => typeof value === 'string')).toBe(true);
    }
  } else {
    expect(result.multiValueHeaders).toBeUndefined();
    for (const value of Object.values(result.headers ?? {})) expect(typeof value).toBe('string');
  }
}

describe('sample app: the same request on Fargate (HTTP) and on Lambda (ALB event)', () => {
  let server: http.Server;
  let port: number;
  let lambdaHandler: AlbHandler;
  const originalSide = process.env.HYBRID_SIDE;

  beforeAll(async () => {
    process.env.HYBRID_SIDE = 'fargate';
    server = createApp().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
    lambdaHandler = loadLambdaHandler('lambda');
  });

  afterAll(async () => {
    process.env.HYBRID_SIDE = originalSide;
    if (originalSide === undefined) delete process.env.HYBRID_SIDE;
    await new Promise((resolve) => server.close(resolve));
  });

  /** Sends the fixture's request both ways; checks status, side and ALB shape; returns both bodies. */
  async function answersFor<T extends { side: string }>(fixture: string): Promise<{ fargate: T; lambda: T; status: number }> {
    const event = loadFixture(fixture);
    const overHttp = await sendOverHttp(port, event);
    const fromLambda = await lambdaHandler(event, LAMBDA_CONTEXT);

    expectAlbResponse(fromLambda, event);
    expect(fromLambda.statusCode).toBe(overHttp.status);
    expect(fromLambda.isBase64Encoded).toBe(false);
    expect(albHeader(fromLambda, 'content-type')).toBe(overHttp.headers['content-type']);
    expect(overHttp.headers['x-served-by']).toBe('fargate');
    expect(albHeader(fromLambda, 'x-served-by')).toBe('lambda');

    const fargate = JSON.parse(overHttp.body) as T;
    const lambda = JSON.parse(fromLambda.body!) as T;
    expect(fargate.side).toBe('fargate');
    expect(lambda.side).toBe('lambda');
    expect(withoutSide(lambda)).toEqual(withoutSide(fargate));
    return { fargate, lambda, status: overHttp.status };
  }

  test('ALB health check of /healthz', async () => {
    const { fargate, status } = await answersFor<{ side: string; status: string }>('health-check.json');
    expect(status).toBe(200);
    expect(fargate).toEqual({ status: 'ok', side: 'fargate' });
  });

  test('GET /', async () => {
    const { fargate, status } = await answersFor<{ side: string; message: string }>('get-root.json');
    expect(status).toBe(200);
    expect(fargate.message).toMatch(/hybrid/);
  });

  test('single-value headers and query string; transport headers are left out', async () => {
    const { fargate, status } = await answersFor<Echo>('get-single-value.json');
    expect(status).toBe(200);
    expect(withoutSide(fargate)).toEqual({
      method: 'GET',
      path: '/echo/items',
      query: { name: 'alice', limit: '10' },
      headers: {
        'accept': 'application/json',
        'accept-language': 'en-US,en;q=0.8',
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)',
        'x-request-id': 'req-123',
      },
      cookies: {},
      body: '',
      isBase64Encoded: false,
    });
  });

  test('multi-value headers and query string: repeated keys, folded headers', async () => {
    const { fargate } = await answersFor<Echo>('get-multi-value.json');
    expect(fargate.query).toEqual({ tag: ['red', 'blue'], page: '2', filter: ['a,b', 'c d'] });
    // Node's rules for repeated headers: most are joined with ", ", cookie with "; ", and
    // user-agent (like content-type, host, authorization, ...) keeps the first value.
    expect(fargate.headers).toEqual({
      'accept': 'text/html, application/json',
      'cookie': 'session=abc123; theme=dark',
      'user-agent': 'agent-a/1.0',
      'x-multi': 'one, two',
    });
    expect(fargate.cookies).toEqual({ session: 'abc123', theme: 'dark' });
  });

  test('URL-encoded path and query, including malformed escapes', async () => {
    const { fargate, status } = await answersFor<Echo>('get-url-encoded.json');
    expect(status).toBe(200);
    expect(fargate.path).toBe('/echo/caf%C3%A9/a%20b');
    expect(fargate.query).toEqual({
      'q': 'café au lait',
      'sym': '&=?+#',
      'k ey': 'v',
      'bad': '%zz',
      'pct': '100%',
      'empty': '',
    });
  });

  test('cookies: quoted, URL-encoded, malformed, and repeated (first wins)', async () => {
    const { fargate } = await answersFor<Echo>('get-cookies.json');
    expect(fargate.cookies).toEqual({ session: 'abc123', theme: 'dark', quoted: 'hello world', encoded: 'a b;c', malformed: '100%' });
  });

  test('POST with a JSON body', async () => {
    const { fargate } = await answersFor<Echo>('post-json.json');
    expect(fargate.method).toBe('POST');
    expect(fargate.headers['content-type']).toBe('application/json');
    expect(fargate.isBase64Encoded).toBe(false);
    expect(JSON.parse(fargate.body)).toEqual({ order: 42, items: ['a', 'b'] });
  });

  test('JSON body the ALB base64-encoded arrives as text', async () => {
    const { fargate } = await answersFor<Echo>('post-base64-json.json');
    expect(fargate.method).toBe('PATCH');
    expect(fargate.isBase64Encoded).toBe(false);
    expect(fargate.body).toBe('{"name":"café","tags":null}');
  });

  test('binary body that is not UTF-8 is echoed as base64', async () => {
    const event = loadFixture('put-base64-binary.json');
    const { fargate } = await answersFor<Echo>('put-base64-binary.json');
    expect(fargate.method).toBe('PUT');
    expect(fargate.isBase64Encoded).toBe(true);
    expect(fargate.body).toBe(event.body);
    expect(fargate.query).toEqual({ name: 'blob.bin' });
  });

  test('an unknown path is a JSON 404 on both sides', async () => {
    const event = { ...loadFixture('get-root.json'), path: '/nowhere' };
    const overHttp = await sendOverHttp(port, event);
    const fromLambda = await lambdaHandler(event, LAMBDA_CONTEXT);
    expect(overHttp.status).toBe(404);
    expect(fromLambda.statusCode).toBe(404);
    expect(fromLambda.statusDescription).toBe('404 Not Found');
    expect(withoutSide(JSON.parse(fromLambda.body!))).toEqual(withoutSide(JSON.parse(overHttp.body)));
  });

  test('a body over the 1 MB Lambda-target limit is refused with 413 on both sides', async () => {
    const event = { ...loadFixture('post-json.json'), body: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }) };
    const overHttp = await sendOverHttp(port, event);
    const fromLambda = await lambdaHandler(event, LAMBDA_CONTEXT);
    expect(overHttp.status).toBe(413);
    expect(fromLambda.statusCode).toBe(413);
    expect(withoutSide(JSON.parse(fromLambda.body!))).toEqual(withoutSide(JSON.parse(overHttp.body)));
  });
});

describe('entrypoint.sh', () => {
  const script = path.join(APP_DIR, 'entrypoint.sh');

  /** Runs the script with `echo` standing in for both commands, so its output names the branch taken. */
  function runEntrypoint(env: Record<string, string>, args: string[] = []): string {
    return execFileSync('sh', [script, ...args], {
      env: { PATH: process.env.PATH, LAMBDA_ENTRYPOINT: 'echo', NODE_BIN: 'echo', ...env },
      encoding: 'utf8',
    }).trim();
  }

  test('hands lambda.handler to the runtime interface client when AWS_LAMBDA_RUNTIME_API is set', () => {
    expect(runEntrypoint({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' })).toBe('lambda.handler');
  });

  test('passes a handler given as its argument (the function CMD) to the runtime interface client', () => {
    expect(runEntrypoint({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' }, ['other.handler'])).toBe('other.handler');
  });

  test('starts the HTTP server when AWS_LAMBDA_RUNTIME_API is unset', () => {
    expect(runEntrypoint({})).toBe(path.join(APP_DIR, 'server.js'));
  });

  test('starts the HTTP server when AWS_LAMBDA_RUNTIME_API is empty', () => {
    expect(runEntrypoint({ AWS_LAMBDA_RUNTIME_API: '' })).toBe(path.join(APP_DIR, 'server.js'));
  });

  test('uses the base image\'s /lambda-entrypoint.sh by default', () => {
    expect(() => execFileSync('sh', [script], {
      env: { PATH: process.env.PATH, AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' },
      stdio: 'pipe',
    })).toThrow(/\/lambda-entrypoint\.sh/);
  });
});
