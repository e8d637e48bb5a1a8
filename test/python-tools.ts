/**
 * The Python tools the tests run live in one virtualenv at `<repo>/.venv` (moto's server, cfn-lint), filled from
 * test/requirements.txt on first use and again whenever that file changes. A tool whose pins conflict with it
 * (checkov) gets a virtualenv of its own under `<repo>/.venv/isolated/`, made the same way.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';

const REPO_ROOT = join(__dirname, '..');
const VENV = join(REPO_ROOT, '.venv');
const REQUIREMENTS = join(__dirname, 'requirements.txt');
/**
 * Held while pip runs: jest runs test files in parallel workers, and several may need the virtualenvs at once.
 * Inside .venv, so a run killed while holding it leaves nothing that git sees.
 */
const LOCK = join(VENV, '.install.lock');
/** A first install of all the tools takes about a minute; a lock older than this was left by a killed run. */
const STALE_LOCK_MS = 15 * 60_000;
const LOCK_POLL_MS = 500;

/** The virtualenv holding the pinned tools. */
export interface PythonVenv {
  /** Its Python interpreter. */
  readonly python: string;
  /** Path of an executable installed in it, such as `bin('cfn-lint')`. */
  bin(name: string): string;
}

/** True when a `python3` able to create virtualenvs is on the PATH. */
export function hasPython(): boolean {
  const result = spawnSync('python3', ['-c', 'import venv'], { stdio: 'ignore' });
  return result.status === 0;
}

/**
 * The tests' virtualenv, `<repo>/.venv`, holding test/requirements.txt. Created or filled unless it already holds
 * exactly what that file asks for. Safe to call from several jest workers at once.
 */
export function ensureVenv(): PythonVenv {
  return ensureVenvAt(VENV, REQUIREMENTS);
}

/**
 * A virtualenv of its own, `<repo>/.venv/isolated/<name>`, holding `requirements`: for a tool whose pinned
 * dependencies cannot share the tests' virtualenv.
 */
export function ensureIsolatedVenv(name: string, requirements: string): PythonVenv {
  return ensureVenvAt(join(VENV, 'isolated', name), requirements);
}

function ensureVenvAt(venv: string, requirements: string): PythonVenv {
  const python = join(venv, 'bin', 'python');
  // The hash of the requirements file the virtualenv was last filled from.
  const stamp = join(venv, '.requirements.sha256');
  const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  const isFilled = () => existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf-8') === wanted;
  if (!isFilled()) {
    withLock(() => {
      // Another worker may have installed while this one waited for the lock.
      if (isFilled()) {
        return;
      }
      if (!existsSync(python)) {
        run('python3', ['-m', 'venv', venv]);
      }
      run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirements]);
      writeFileSync(stamp, wanted);
    });
  }
  return { python, bin: (name: string) => join(venv, 'bin', name) };
}

function withLock(action: () => void): void {
  mkdirSync(VENV, { recursive: true });
  const deadline = Date.now() + STALE_LOCK_MS;
  while (!tryLock()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${LOCK}; remove it if no test run is installing Python tools`);
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, LOCK_POLL_MS);
  }
  try {
    action();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** mkdir is atomic: exactly one caller creates the directory. */
function tryLock(): boolean {
  try {
    mkdirSync(LOCK);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw e;
    }
    if (Date.now() - lockCreatedMs() > STALE_LOCK_MS) {
      rmSync(LOCK, { recursive: true, force: true });
    }
    return false;
  }
}

function lockCreatedMs(): number {
  try {
    return statSync(LOCK).mtimeMs;
  } catch {
    // Released between the mkdir and the stat: the next attempt will tell.
    return Date.now();
  }
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf-8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr || result.error?.message}`);
  }
}
