/**
 * Load test of the sample app's HTTP server (integ/app, the Fargate side) on 127.0.0.1, next to a
 * hello-world `http.createServer` measured in the same run as the reference.
 *
 * Each server runs in its own child process, bound to 127.0.0.1 on a free port; autocannon runs in
 * this process. Every run is bounded by time (LOAD_DURATION_S) and by count (LOAD_MAX_REQUESTS), a
 * watchdog ends the whole benchmark if it overruns, and the children are killed on exit.
 * Figures are printed, never asserted; a run with errors or non-2xx answers exits non-zero, since its
 * figures would not measure the app.
 *
 * LOAD_DURATION_S (default 10), LOAD_CONNECTIONS (default 50), LOAD_WARMUP_S (default 2),
 * LOAD_MAX_REQUESTS (default 5,000,000 per run).
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import autocannon from 'autocannon';

const DURATION_S = positiveInteger(process.env.LOAD_DURATION_S, 10);
const CONNECTIONS = positiveInteger(process.env.LOAD_CONNECTIONS, 50);
const WARMUP_S = positiveInteger(process.env.LOAD_WARMUP_S, 2);
const MAX_REQUESTS = positiveInteger(process.env.LOAD_MAX_REQUESTS, 5_000_000);
const HOST = '127.0.0.1';
const APP_MODULE = path.join(__dirname, '..', 'integ', 'app', 'app.js');

/**
 * The sample app as server.js runs it (same keep-alive settings), but bound to 127.0.0.1 on a free
 * port, which it reports to the parent over IPC.
 */
const SAMPLE_APP_SERVER = `
const { createApp } = require(process.argv[1]);
const server = createApp({ side: 'fargate' }).listen(0, '${HOST}', () => process.send(server.address().port));
server.keepAliveTimeout = 65000;
server.headersTimeout = 66000;
process.on('disconnect', () => process.exit(0));
`;

/** The reference: the least work a Node HTTP server can do per request. */
const HELLO_WORLD_SERVER = `
const http = require('http');
const body = JSON.stringify({ message: 'hello' });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}).listen(0, '${HOST}', () => process.send(server.address().port));
server.keepAliveTimeout = 65000;
process.on('disconnect', () => process.exit(0));
`;

const ECHO_BODY = JSON.stringify({ order: 42, items: ['a', 'b', 'c'], note: 'load test' });

interface Target {
  readonly name: string;
  readonly server: 'reference' | 'app';
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
}

const TARGETS: Target[] = [
  { name: 'hello-world GET / (reference)', server: 'reference', method: 'GET', path: '/' },
  { name: 'sample app GET /', server: 'app', method: 'GET', path: '/' },
  { name: 'sample app GET /healthz', server: 'app', method: 'GET', path: '/healthz' },
  { name: 'sample app POST /echo', server: 'app', method: 'POST', path: '/echo', body: ECHO_BODY },
];

interface Figures {
  readonly target: Target;
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly total: number;
  readonly failures: number;
}

interface Server {
  readonly port: number;
  readonly child: ChildProcess;
}

function positiveInteger(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
}

function startServer(program: string, args: string[]): Promise<Server> {
  const child = spawn(process.execPath, ['-e', program, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, HYBRID_SIDE: 'fargate' },
  });
  return new Promise((resolve, reject) => {
    child.once('message', (port) => resolve({ port: Number(port), child }));
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
    child.once('error', reject);
  });
}

async function load(target: Target, port: number, durationS: number): Promise<autocannon.Result> {
  return autocannon({
    url: `http://${HOST}:${port}${target.path}`,
    method: target.method,
    body: target.body,
    headers: target.body ? { 'content-type': 'application/json' } : undefined,
    connections: CONNECTIONS,
    duration: durationS,
    maxOverallRequests: MAX_REQUESTS,
  });
}

async function measure(target: Target, port: number): Promise<Figures> {
  await load(target, port, WARMUP_S);
  const result = await load(target, port, DURATION_S);
  return {
    target,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    total: result.requests.total,
    failures: result.errors + result.timeouts + result.non2xx,
  };
}

function report(figures: Figures[]): void {
  const reference = figures.find((f) => f.target.server === 'reference')!;
  const header = ['target', 'req/s', 'vs ref', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'requests', 'failed'];
  const rows = figures.map((f) => [
    f.target.name,
    f.requestsPerSecond.toFixed(0),
    (f.requestsPerSecond / reference.requestsPerSecond).toFixed(2),
    f.p50.toFixed(1),
    f.p90.toFixed(1),
    f.p99.toFixed(1),
    f.max.toFixed(1),
    String(f.total),
    String(f.failures),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(line(header));
  rows.forEach((row) => console.log(line(row)));
  console.log('');
  console.log('"vs ref": requests/second as a fraction of the hello-world server\'s, measured in the same run.');
}

async function main(): Promise<void> {
  console.log(`load test: ${DURATION_S} s per target after a ${WARMUP_S} s warm-up, ${CONNECTIONS} connections, ` +
    `at most ${MAX_REQUESTS} requests per run; ${HOST} only; node ${process.version}, ${os.cpus().length} cores`);
  const servers: ChildProcess[] = [];
  const watchdogMs = (TARGETS.length * (DURATION_S + WARMUP_S) + 60) * 1000;
  const watchdog = setTimeout(() => {
    console.error(`load test: still running after ${watchdogMs / 1000} s; stopping`);
    servers.forEach((child) => child.kill('SIGKILL'));
    process.exit(2);
  }, watchdogMs);
  try {
    const reference = await startServer(HELLO_WORLD_SERVER, []);
    servers.push(reference.child);
    const app = await startServer(SAMPLE_APP_SERVER, [APP_MODULE]);
    servers.push(app.child);

    const figures: Figures[] = [];
    for (const target of TARGETS) {
      figures.push(await measure(target, target.server === 'reference' ? reference.port : app.port));
    }
    report(figures);

    const failed = figures.filter((f) => f.failures > 0);
    if (failed.length > 0) {
      console.error(`load test: errors, time-outs or non-2xx answers for ${failed.map((f) => f.target.name).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    clearTimeout(watchdog);
    servers.forEach((child) => child.kill('SIGTERM'));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
