#!/usr/bin/env bash
# Builds the library's Python and Java packages with jsii-pacmak, installs each into a consumer project
# the way a user would (a virtualenv with pip; a Maven project), and synthesizes the same stack from
# each: test/consumers/python/app.py and test/consumers/java. test/consumers/consumers.test.ts then
# compares both templates with the one the TypeScript library synthesizes in-process.
#
# Needs: node_modules (npm ci), python3 with venv, Java 17+ and Maven; pip and Maven download from PyPI
# and Maven Central. Everything it writes is gitignored: lib/, .jsii, assets/, dist/,
# test/consumers/*/build/ and test/consumers/java/target/.
#
# Rebuilding the packages is skipped when src/, package.json, package-lock.json and tsconfig.json are
# unchanged since the last run and the packages are still in dist/. Set CONSUMERS_REBUILD=1 to force it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CDK_VERSION=$(node -p "require('./package.json').devDependencies['aws-cdk-lib']")
CONSTRUCTS_VERSION=$(node -p "require('./package.json').devDependencies.constructs")
VERSION=$(node -p "require('./package.json').version")
DIST_NAME=$(node -p "require('./package.json').jsii.targets.python.distName")
MAVEN_GROUP=$(node -p "require('./package.json').jsii.targets.java.maven.groupId")
MAVEN_ARTIFACT=$(node -p "require('./package.json').jsii.targets.java.maven.artifactId")

WHEEL=$ROOT/dist/python/${DIST_NAME//-/_}-$VERSION-py3-none-any.whl
JAR_DIR=$ROOT/dist/java/${MAVEN_GROUP//.//}/$MAVEN_ARTIFACT/$VERSION
JAR=$JAR_DIR/$MAVEN_ARTIFACT-$VERSION.jar
POM=$JAR_DIR/$MAVEN_ARTIFACT-$VERSION.pom

BUILD_DIR=$ROOT/test/consumers/build
INPUTS_STAMP=$BUILD_DIR/package-inputs.sha256
PY_DIR=$ROOT/test/consumers/python
PY_VENV=$PY_DIR/build/venv
PY_OUT=$PY_DIR/build/cdk.out
JAVA_DIR=$ROOT/test/consumers/java
# A Maven repository of the consumer's own, so the locally built 0.0.0 never lands in ~/.m2.
JAVA_REPO=$JAVA_DIR/build/m2
JAVA_OUT=$JAVA_DIR/build/cdk.out

TIMINGS=()
SCRIPT_START=$(date +%s%N)

# Seconds since a `date +%s%N` reading, to one decimal.
seconds_since() {
  awk -v start="$1" -v now="$(date +%s%N)" 'BEGIN { printf "%.1f", (now - start) / 1e9 }'
}

# Runs "$@" as a named step and records how long it took.
step() {
  local name=$1
  shift
  echo "== consumers: $name"
  local start
  start=$(date +%s%N)
  "$@"
  TIMINGS+=("$(printf '%-28s %7s s' "$name" "$(seconds_since "$start")")")
}

skip() {
  echo "== consumers: $1 (skipped: $2)"
  TIMINGS+=("$(printf '%-28s %9s' "$1" "skipped")")
}

# What the packages are built from. node_modules is covered by package-lock.json.
package_inputs_hash() {
  {
    find src -type f -print0 | sort -z | xargs -0 sha256sum
    sha256sum package.json package-lock.json tsconfig.json
  } | sha256sum | cut -d' ' -f1
}

packages_are_current() {
  [[ -z ${CONSUMERS_REBUILD:-} && -f $INPUTS_STAMP && -f $WHEEL && -f $JAR && -f $POM ]] \
    && [[ $(cat "$INPUTS_STAMP") == "$(package_inputs_hash)" ]]
}

python_consumer() {
  [[ -x $PY_VENV/bin/python ]] || python3 -m venv "$PY_VENV"
  # As a user would: the library plus the CDK version it is built against, resolved together.
  "$PY_VENV/bin/pip" install --quiet --disable-pip-version-check \
    "aws-cdk-lib==$CDK_VERSION" "constructs==$CONSTRUCTS_VERSION" "$WHEEL"
  # A rebuilt wheel keeps its version number: replace the installed copy.
  "$PY_VENV/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$WHEEL"
  "$PY_VENV/bin/pip" check
}

python_synth() {
  rm -rf "$PY_OUT"
  "$PY_VENV/bin/python" "$PY_DIR/app.py" "$PY_OUT"
}

maven() {
  (cd "$JAVA_DIR" && mvn --batch-mode --quiet --no-transfer-progress -Dstyle.color=never "-Dmaven.repo.local=$JAVA_REPO" "$@")
}

java_consumer() {
  # Installs the jar with its pom, so Maven resolves its dependencies as for one from Maven Central.
  maven install:install-file "-Dfile=$JAR" "-DpomFile=$POM"
}

java_synth() {
  rm -rf "$JAVA_OUT"
  maven "-Dhybrid.version=$VERSION" "-Dcdk.version=$CDK_VERSION" "-Dconstructs.version=$CONSTRUCTS_VERSION" \
    compile exec:java "-Dexec.args=$JAVA_OUT"
}

mkdir -p "$BUILD_DIR"
if packages_are_current; then
  skip "bundle + compile (jsii)" "inputs unchanged"
  skip "package:python" "inputs unchanged"
  skip "package:java" "inputs unchanged"
else
  rm -f "$INPUTS_STAMP"
  step "bundle + compile (jsii)" bash -c 'npx projen bundle && npx projen compile'
  step "package:python" npx projen package:python
  step "package:java" npx projen package:java
  package_inputs_hash > "$INPUTS_STAMP"
fi

step "python: venv + pip install" python_consumer
step "python: synth" python_synth
step "java: install jar" java_consumer
step "java: compile + synth" java_synth

for template in "$PY_OUT/ConsumerStack.template.json" "$JAVA_OUT/ConsumerStack.template.json"; do
  [[ -s $template ]] || { echo "consumers: $template was not written" >&2; exit 1; }
done

echo "== consumers: timings"
printf '  %s\n' "${TIMINGS[@]}"
printf '  %-28s %7s s\n' "total" "$(seconds_since "$SCRIPT_START")"
echo "templates: ${PY_OUT#"$ROOT"/}/ConsumerStack.template.json ${JAVA_OUT#"$ROOT"/}/ConsumerStack.template.json"
