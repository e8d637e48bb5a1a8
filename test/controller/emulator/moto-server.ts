/**
 * Runs moto's AWS API emulator (https://github.com/getmoto/moto) as a local HTTP server for tests.
 * The server lives in the tests' Python virtualenv (test/python-tools.ts), which pins moto's version in
 * test/requirements.txt: the emulator test leans on moto's behaviour, so an upgrade should be a deliberate change.
 */
import { ChildProcess, spawn } from 'child_process';
import { createServer } from 'net';
import { ensureVenv } from '../../python-tools';

export { hasPython } from '../../python-tools';

export interface MotoServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Starts `moto_server` on a free local port and resolves once it answers. */
export async function startMoto(): Promise<MotoServer> {
  const motoServer = ensureVenv().bin('moto_server');
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(motoServer, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
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
