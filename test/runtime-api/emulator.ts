import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Lambda Runtime API (version 2018-06-01) on 127.0.0.1, enough for one runtime interface client
 * serving one invocation at a time, as in a Lambda execution environment.
 *
 * Follows "Using the Lambda runtime API for custom runtimes" (docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):
 * - `GET /runtime/invocation/next` blocks until there is an event, then answers 200 with the event as
 *   the body and the `Lambda-Runtime-*` headers;
 * - `POST /runtime/invocation/{id}/response` and `/error` answer 202 `{"status":"OK"}`;
 *   an unknown id answers 400, a body over 6 MB 413;
 * - `POST /runtime/init/error` answers 202, and the error is served in response to the next invoke.
 */

const API_PREFIX = '/2018-06-01/runtime';
const ERROR_TYPE_HEADER = 'lambda-runtime-function-error-type';
/** The synchronous invocation payload limit. */
const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

/** What the runtime answered for one invocation. */
export interface InvocationResult {
  readonly requestId: string;
  /** `response` for `/response`, `error` for `/error` and for an init error served to this invoke. */
  readonly outcome: 'response' | 'error';
  /** The body the runtime posted, parsed as JSON. */
  readonly payload: unknown;
  /**
   * For errors: the `Lambda-Runtime-Function-Error-Type` header, else the body's `errorType`. The
   * header is optional, and the Node client's native HTTP client (aws-lambda-cpp) does not send it
   * with invocation errors.
   */
  readonly errorType?: string;
}

export interface RuntimeApiEmulatorOptions {
  /** Function ARN sent as `Lambda-Runtime-Invoked-Function-Arn`. */
  readonly functionArn?: string;
  /** Sets `Lambda-Runtime-Deadline-Ms` to now plus this. */
  readonly timeoutMs?: number;
}

interface PendingInvocation {
  readonly requestId: string;
  readonly event: unknown;
  readonly resolve: (result: InvocationResult) => void;
}

interface InitError {
  readonly payload: unknown;
  readonly errorType?: string;
}

export class RuntimeApiEmulator {
  private readonly server: http.Server;
  private readonly functionArn: string;
  private readonly timeoutMs: number;
  /** Invocations not yet handed to the runtime. */
  private readonly queued: PendingInvocation[] = [];
  /** Invocations handed to the runtime and not yet answered, by request id. */
  private readonly inFlight = new Map<string, PendingInvocation>();
  /** A `GET /next` waiting for an event. */
  private waitingForNext?: http.ServerResponse;
  private initError?: InitError;
  /** Requests received, as `METHOD path`, for assertions on the protocol itself. */
  public readonly requestLog: string[] = [];

  constructor(options: RuntimeApiEmulatorOptions = {}) {
    this.functionArn = options.functionArn ?? 'arn:aws:lambda:us-east-1:111111111111:function:hybrid-sample-app';
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.server = http.createServer((req, res) => {
      this.route(req, res).catch((err: Error) => reply(res, 500, { errorMessage: err.message, errorType: 'EmulatorError' }));
    });
  }

  /** Listens on 127.0.0.1 on a free port; resolves to the `host:port` for `AWS_LAMBDA_RUNTIME_API`. */
  public async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `127.0.0.1:${port}`;
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Queues one event and resolves with the runtime's answer to it. */
  public invoke(event: unknown): Promise<InvocationResult> {
    return new Promise((resolve) => {
      const invocation = { requestId: randomUUID(), event, resolve };
      if (this.initError) {
        resolve({ requestId: invocation.requestId, outcome: 'error', ...this.initError });
        return;
      }
      this.queued.push(invocation);
      this.dispatch();
    });
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '';
    this.requestLog.push(`${req.method} ${url}`);
    const body = await readBody(req);

    if (req.method === 'GET' && url === `${API_PREFIX}/invocation/next`) {
      this.waitingForNext = res;
      this.dispatch();
      return;
    }
    if (req.method === 'POST' && url === `${API_PREFIX}/init/error`) {
      const payload = parseJson(body);
      this.initError = { payload, errorType: errorTypeOf(req, payload) };
      for (const invocation of this.queued.splice(0)) {
        invocation.resolve({ requestId: invocation.requestId, outcome: 'error', ...this.initError });
      }
      reply(res, 202, { status: 'OK' });
      return;
    }
    const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    if (req.method === 'POST' && match) {
      this.complete(decodeURIComponent(match[1]), match[2] as 'response' | 'error', body, req, res);
      return;
    }
    reply(res, 404, { errorMessage: `no route for ${req.method} ${url}`, errorType: 'NotFound' });
  }

  private complete(requestId: string, outcome: 'response' | 'error', body: Buffer, req: http.IncomingMessage, res: http.ServerResponse): void {
    const invocation = this.inFlight.get(requestId);
    if (!invocation) {
      reply(res, 400, { errorMessage: `unknown request id ${requestId}`, errorType: 'InvalidRequestID' });
      return;
    }
    if (body.length > MAX_RESPONSE_BYTES) {
      reply(res, 413, { errorMessage: `response of ${body.length} bytes is over ${MAX_RESPONSE_BYTES}`, errorType: 'RequestEntityTooLarge' });
      return;
    }
    this.inFlight.delete(requestId);
    reply(res, 202, { status: 'OK' });
    const payload = parseJson(body);
    invocation.resolve({ requestId, outcome, payload, errorType: outcome === 'error' ? errorTypeOf(req, payload) : undefined });
  }

  /** Hands the oldest queued event to a waiting `GET /next`, if both exist. */
  private dispatch(): void {
    const res = this.waitingForNext;
    if (!res || this.queued.length === 0) return;
    const invocation = this.queued.shift()!;
    this.waitingForNext = undefined;
    this.inFlight.set(invocation.requestId, invocation);
    res.writeHead(200, {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': invocation.requestId,
      'lambda-runtime-deadline-ms': String(Date.now() + this.timeoutMs),
      'lambda-runtime-invoked-function-arn': this.functionArn,
      'lambda-runtime-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Sampled=0`,
    });
    res.end(JSON.stringify(invocation.event));
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function errorTypeOf(req: http.IncomingMessage, payload: unknown): string | undefined {
  const value = req.headers[ERROR_TYPE_HEADER];
  const fromHeader = Array.isArray(value) ? value[0] : value;
  const fromBody = typeof payload === 'object' && payload !== null ? (payload as { errorType?: unknown }).errorType : undefined;
  return fromHeader ?? (typeof fromBody === 'string' ? fromBody : undefined);
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
