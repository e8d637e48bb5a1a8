#!/usr/bin/env bash
# Snapshot check of the integ tests: synthesizes every integ/integ.*.ts and compares its test stacks with the
# committed integ/integ.*.ts.snapshot/. Deploys nothing and needs no AWS credentials.
# Needs the controller bundle (`npx projen bundle`) first: it is part of what is compared.
set -uo pipefail
cd "$(dirname "$0")/.."

if npx integ-runner --directory integ --language typescript; then
  exit 0
fi

# integ-runner's own advice (--update-on-failed) deploys to AWS; this is the way without an account.
cat >&2 <<'EOF'

integ snapshots differ from what integ/integ.*.ts synthesizes now (see the diff above).
  - If the change is intended: run `npx projen integ:update` (synth only, no deployment), review
    `git diff integ/`, and commit the new snapshots. A change to what gets deployed should also be
    deployed once by a maintainer with an AWS account: see integ/README.md.
  - If it is not: the construct's output changed; fix the code, not the snapshot.
EOF
exit 1
