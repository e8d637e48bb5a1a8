/**
 * Runs moto's AWS API emulator (https://github.com/getmoto/moto) as a local HTTP server for tests.
 * The server lives in a virtualenv at `<repo>/.venv`, created and filled on first use.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { existsSync } from 'fs';
import { createServer } from 'net';
import { join } from 'path';

/** Pinned: the emulator test leans on moto's behaviour, so an upgrade should be a deliberate change. */
export const MOTO_VERSION = '5.2.5';

const REPO_ROOT = join(__dirname, '..', '..', '..');
const VENV = join(REPO_ROOT, '.venv');
const VENV_PYTHON = join(VENV, 'bin', 'python');
const MOTO_SERVER = join(VENV, 'bin', 'moto_server');

export interface MotoServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** True when a `python3` able to create virtualenvs is on the PATH. */
export function hasPython(): boolean {
  const result = spawnSync('python3', ['-c', 'import venv'], { stdio: 'ignore' });
  return result.status === 0;
}

/** Creates the virtualenv and installs moto's server unless the pinned version is already there. */
export function ensureMoto(): void {
  if (!existsSync(VENV_PYTHON)) {
    run('python3', ['-m', 'venv', VENV]);
  }
  const installed = spawnSync(VENV_PYTHON, ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf-8' });
  if (installed.status === 0 && installed.stdout.trim() === MOTO_VERSION && existsSync(MOTO_SERVER)) {
    return;
  }
  run(VENV_PYTHON, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `moto[server]==${MOTO_VERSION}`]);
}

/** Starts `moto_server` on a free local port and resolves once it answers. */
export async function startMoto(): Promise<MotoServer> {
  ensureMoto();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    // Keep the tail only: moto logs every request here.
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await waitUntilAnswering(endpoint, child, () => stderr);
  } catch (e) {
    await stopProcess(child);
    throw e;
  }
  return { endpoint, stop: () => stopProcess(child) };
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf-8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr || result.error?.message}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`moto_server exited with ${child.exitCode}: ${stderr()}`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within 30 s: ${stderr()}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
