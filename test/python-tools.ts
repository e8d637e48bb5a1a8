/**
 * The Python tools the tests run (moto's server, cfn-lint, checkov), each set in a virtualenv under `<repo>/.venv/`
 * named after its requirements file's content: `tests-<hash>` for test/requirements.txt, `<name>-<hash>` for a tool
 * whose pins conflict with it (checkov). A changed requirements file names a new virtualenv, so there is nothing to
 * compare and no half-upgraded environment. Jest's globalSetup (test/global-setup.ts) makes them once, before any
 * worker starts, so workers only read them and never race.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { basename, join } from 'path';

const REPO_ROOT = join(__dirname, '..');
const VENVS = join(REPO_ROOT, '.venv');
const REQUIREMENTS = join(__dirname, 'requirements.txt');
/** checkov's pins (boto3) conflict with moto's: it gets a virtualenv of its own. */
export const CHECKOV_REQUIREMENTS = join(__dirname, 'validators', 'requirements-checkov.txt');
/** Written last: a virtualenv without it was interrupted while installing and is made again. */
const READY = '.ready';

/** A virtualenv holding pinned tools. */
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

/** The tests' virtualenv, holding test/requirements.txt. */
export function ensureVenv(): PythonVenv {
  return ensureVenvFor('tests', REQUIREMENTS);
}

/** A virtualenv of its own holding `requirements`: for a tool whose pinned dependencies cannot share the tests' one. */
export function ensureIsolatedVenv(name: string, requirements: string): PythonVenv {
  return ensureVenvFor(name, requirements);
}

/** Every virtualenv the tests use; called once by Jest's globalSetup. */
export function prepareAllVenvs(): void {
  ensureVenv();
  ensureIsolatedVenv('checkov', CHECKOV_REQUIREMENTS);
}

function ensureVenvFor(name: string, requirements: string): PythonVenv {
  const hash = createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 12);
  const venv = join(VENVS, `${name}-${hash}`);
  const venvOf = { python: join(venv, 'bin', 'python'), bin: (tool: string) => join(venv, 'bin', tool) };
  if (existsSync(join(venv, READY))) {
    return venvOf;
  }
  removeVenvsNamed(name);
  mkdirSync(VENVS, { recursive: true });
  // A first install takes minutes: say why the run pauses.
  process.stderr.write(`Installing ${basename(requirements)} into ${venv}\n`);
  run('python3', ['-m', 'venv', venv]);
  run(venvOf.python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirements]);
  writeFileSync(join(venv, READY), `${basename(requirements)}\n`);
  return venvOf;
}

/** Virtualenvs made from an earlier version of the requirements, or left half-made by an interrupted run. */
function removeVenvsNamed(name: string): void {
  if (!existsSync(VENVS)) {
    return;
  }
  for (const entry of readdirSync(VENVS)) {
    if (/^[0-9a-f]{12}$/.test(entry.slice(name.length + 1)) && entry.startsWith(`${name}-`)) {
      rmSync(join(VENVS, entry), { recursive: true, force: true });
    }
  }
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf-8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr || result.error?.message}`);
  }
}
