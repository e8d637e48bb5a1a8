import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The official Node.js runtime interface client, the same project as the client in AWS's Lambda Node
 * base images (their /var/runtime). Pinned: its install builds curl and aws-lambda-cpp from source.
 */
export const RIC_PACKAGE = 'aws-lambda-ric';
export const RIC_VERSION = '4.0.2';

const REPO_ROOT = path.join(__dirname, '..', '..');
const CACHE_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'cdk-hybrid-alb-service', `${RIC_PACKAGE}-${RIC_VERSION}`);

/** The client's native addon: present only when the native build succeeded. */
function nativeAddon(root: string): string {
  return path.join(root, 'node_modules', RIC_PACKAGE, 'rapid-client.node');
}

/**
 * node-gyp needs Node's headers and would otherwise download them from nodejs.org, which CI cannot
 * reach: point it at the headers installed beside this node binary.
 */
function nodeHeadersDir(): string | undefined {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return existsSync(path.join(prefix, 'include', 'node', 'node.h')) ? prefix : undefined;
}

/**
 * Installs the client once into node_modules/.cache and returns the path of its entry point
 * (`index.mjs`, the package's `aws-lambda-ric` bin). The install goes to a temporary directory that is
 * renamed into place only once the native build succeeded, so an interrupted install is not reused.
 */
export function ensureRuntimeInterfaceClient(): string {
  if (!existsSync(nativeAddon(CACHE_DIR))) {
    const staging = `${CACHE_DIR}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    writeFileSync(path.join(staging, 'package.json'), JSON.stringify({ name: 'ric-cache', private: true }));
    const headers = nodeHeadersDir();
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--no-package-lock', `${RIC_PACKAGE}@${RIC_VERSION}`], {
      cwd: staging,
      env: { ...process.env, ...(headers ? { npm_config_nodedir: headers } : {}) },
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    if (!existsSync(nativeAddon(staging))) {
      throw new Error(`${RIC_PACKAGE}@${RIC_VERSION} installed without its native addon (rapid-client.node)`);
    }
    rmSync(CACHE_DIR, { recursive: true, force: true });
    renameSync(staging, CACHE_DIR);
  }
  return path.join(CACHE_DIR, 'node_modules', RIC_PACKAGE, 'index.mjs');
}
