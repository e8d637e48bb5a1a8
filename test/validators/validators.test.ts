/**
 * Third-party validators on every template the construct synthesizes: the unit configurations (templates.ts) and
 * the integ scenarios as committed in integ/*.snapshot/.
 *
 * - cfn-lint runs on all of them, the integ-tests assertions stacks included: those hold the scenarios' own API
 *   calls, and cfn-lint catches an IAM action no service has, which is what a wrong service name there gives.
 *   Errors always fail; a warning passes only when cfn-lint-allowed.json accepts it with a reason.
 * - checkov runs on the templates of the construct and of the scenarios' stacks, not on the assertions stacks,
 *   which integ-tests generates and no user deploys. A failed check passes only when checkov-allowed.json
 *   accepts it with a reason.
 * An allowlist entry that accepts nothing fails too, so a fix in the construct also cleans its entry away.
 * The tools are pinned Python packages (test/python-tools.ts); see README.md beside this file.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeFinding, Finding, loadAllowlist, review } from './allowlist';
import { LintFinding, runCfnLint, runCheckov } from './scanners';
import { integTemplates, NamedTemplate, unitTemplates } from './templates';
import { CHECKOV_REQUIREMENTS, ensureIsolatedVenv, ensureVenv, hasPython } from '../python-tools';

const CFN_LINT_ALLOWED = path.join(__dirname, 'cfn-lint-allowed.json');
const CHECKOV_ALLOWED = path.join(__dirname, 'checkov-allowed.json');
const INTEG_DIR = path.join(__dirname, '..', '..', 'integ');

const UNIT_CONFIGURATIONS = ['arm64', 'default', 'domain-waf-secrets', 'https', 'internal-user-vpc', 'lambda-in-vpc', 'provisioned-concurrency'];

const pythonAvailable = hasPython();
if (!pythonAvailable) {
  // Stated loudly so a CI image without Python is noticed rather than read as a pass.
  console.warn('Skipping the template validators: python3 is not on the PATH, so cfn-lint and checkov cannot run.');
}
const describeWithPython = pythonAvailable ? describe : describe.skip;

describeWithPython('third-party validators on the synthesized templates', () => {
  // The first run creates the virtualenvs (about a minute); later runs take about fifteen seconds.
  jest.setTimeout(600_000);

  let workDir: string;
  let templates: NamedTemplate[];
  let lint: LintFinding[];
  let checks: Finding[];

  beforeAll(() => {
    templates = [...unitTemplates(), ...integTemplates()];
    workDir = mkdtempSync(path.join(os.tmpdir(), 'hybrid-validators-'));
    const everyTemplate = path.join(workDir, 'all');
    const deployedTemplates = path.join(workDir, 'deployed');
    mkdirSync(everyTemplate);
    mkdirSync(deployedTemplates);
    for (const { name, template, assertionStack } of templates) {
      const text = JSON.stringify(template, undefined, 1);
      writeFileSync(path.join(everyTemplate, `${name}.template.json`), text);
      if (!assertionStack) {
        writeFileSync(path.join(deployedTemplates, `${name}.template.json`), text);
      }
    }
    lint = runCfnLint(ensureVenv().bin('cfn-lint'), templates.map(t => path.join(everyTemplate, `${t.name}.template.json`)));
    checks = runCheckov(ensureIsolatedVenv('checkov', CHECKOV_REQUIREMENTS).bin('checkov'), deployedTemplates);
  });

  afterAll(() => {
    if (workDir) {
      rmSync(workDir, { recursive: true, force: true });
    }
  });

  test('every unit configuration and every integ scenario, with its assertions stack, is validated', () => {
    const scenarios = readdirSync(INTEG_DIR).filter(file => /^integ\..+\.ts$/.test(file)).map(file => file.slice('integ.'.length, -'.ts'.length));
    const validated = (prefix: string, assertionStack: boolean) => templates
      .filter(t => t.name.startsWith(prefix) && t.assertionStack === assertionStack).map(t => t.name.split('.')[1]).sort();

    expect(validated('unit.', false)).toEqual(UNIT_CONFIGURATIONS);
    expect(validated('integ.', false)).toEqual(scenarios.sort());
    expect(validated('integ.', true)).toEqual(scenarios.sort());
  });

  test('cfn-lint finds no errors', () => {
    expect(lint.filter(f => f.level === 'Error').map(describeFinding)).toEqual([]);
  });

  test('every cfn-lint warning is accepted by cfn-lint-allowed.json', () => {
    const { unlisted } = review(lint.filter(f => f.level !== 'Error'), loadAllowlist(CFN_LINT_ALLOWED, /^[WI]\d+$/));
    expect(unlisted.map(describeFinding)).toEqual([]);
  });

  test('every entry of cfn-lint-allowed.json still accepts a warning', () => {
    const { stale } = review(lint.filter(f => f.level !== 'Error'), loadAllowlist(CFN_LINT_ALLOWED, /^[WI]\d+$/));
    expect(stale).toEqual([]);
  });

  test('every failed checkov check is accepted by checkov-allowed.json', () => {
    const { unlisted } = review(checks, loadAllowlist(CHECKOV_ALLOWED, /^CKV2?_AWS_\d+$/));
    expect(unlisted.map(describeFinding)).toEqual([]);
  });

  test('every entry of checkov-allowed.json still accepts a failed check', () => {
    const { stale } = review(checks, loadAllowlist(CHECKOV_ALLOWED, /^CKV2?_AWS_\d+$/));
    expect(stale).toEqual([]);
  });
});
