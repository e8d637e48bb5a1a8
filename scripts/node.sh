# Source this file (`source scripts/node.sh`) to develop, test and build with the project's Node.js: the version
# pinned in scripts/node-toolchain/package-lock.json, installed from the npm registry's node-linux-<arch> package
# (a plain binary, no install script) on first use, then put first on PATH for this shell. The npm already on the
# machine runs under it. Needs only a node and npm of any recent version to bootstrap.
_toolchain="$(cd "$(dirname "${BASH_SOURCE[0]}")/node-toolchain" && pwd)"
case "$(uname -m)" in
  x86_64 | amd64) _arch=x64 ;;
  aarch64 | arm64) _arch=arm64 ;;
  *) echo "scripts/node.sh: no Node.js package for $(uname -m); install Node.js 24 yourself" >&2; return 1 ;;
esac
_bin="$_toolchain/node_modules/node-linux-$_arch/bin"
_wanted="$(sed -n 's/.*"node-linux-'"$_arch"'": "\(.*\)".*/\1/p' "$_toolchain/package.json")"
if [ "$("$_bin/node" --version 2>/dev/null)" != "v$_wanted" ]; then
  echo "scripts/node.sh: installing Node.js $_wanted into $_toolchain" >&2
  npm ci --prefix "$_toolchain" --no-audit --no-fund --loglevel=error >&2 || return 1
fi
case ":$PATH:" in
  *":$_bin:"*) ;;
  *) export PATH="$_bin:$PATH" ;;
esac
unset _toolchain _arch _bin _wanted
