/**
 * Runs cfn-lint and checkov over template files and turns their JSON reports into findings. Templates are
 * named `<name>.template.json`; a finding names its template by `<name>`.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { Finding } from './allowlist';

const TEMPLATE_SUFFIX = '.template.json';
/** Both tools print JSON reports of a few hundred kB; leave ample room. */
const MAX_REPORT_BYTES = 256 * 1024 * 1024;

/** A cfn-lint finding: errors fail a template outright, warnings may be allowlisted. */
export interface LintFinding extends Finding {
  readonly level: 'Error' | 'Warning' | 'Informational';
}

/** cfn-lint (its default rules: errors and warnings) over the given template files, in one run. */
export function runCfnLint(cfnLint: string, files: readonly string[]): LintFinding[] {
  // `--non-zero-exit-code none`: findings are the report's business; a non-zero exit is then a crash.
  const output = run(cfnLint, ['--format', 'json', '--non-zero-exit-code', 'none', '--', ...files], [0]);
  const report: CfnLintMatch[] = JSON.parse(output);
  return report.map(match => ({
    id: match.Rule.Id,
    level: match.Level,
    template: templateName(match.Filename),
    resource: match.Location.Path[0] === 'Resources' ? String(match.Location.Path[1]) : undefined,
    message: match.Message,
  }));
}

/** checkov's CloudFormation checks over every template in `directory`, in one run. Failed checks only. */
export function runCheckov(checkov: string, directory: string): Finding[] {
  // Exit 1 means failed checks, which the report lists. --skip-download: no calls to the vendor's platform.
  const output = run(checkov, [
    '--directory', directory, '--framework', 'cloudformation', '--output', 'json', '--compact', '--quiet', '--skip-download',
  ], [0, 1], directory);
  const parsed: CheckovReport | CheckovReport[] = JSON.parse(output);
  const reports = (Array.isArray(parsed) ? parsed : [parsed]).filter(r => r.check_type === 'cloudformation');
  if (reports.length !== 1) {
    throw new Error(`checkov scanned no CloudFormation template in ${directory}: ${output.slice(0, 500)}`);
  }
  const [report] = reports;
  if (report.summary.parsing_errors > 0) {
    throw new Error(`checkov could not parse ${report.summary.parsing_errors} template(s): ${JSON.stringify(report.results.parsing_errors)}`);
  }
  return report.results.failed_checks.map(check => ({
    id: check.check_id,
    template: templateName(check.file_path),
    // `resource` is `<Type>.<LogicalId>`, and logical IDs have no dots.
    resource: check.resource.slice(check.resource.lastIndexOf('.') + 1),
    message: check.check_name,
  }));
}

/** The name a template file was written under: `dir/unit.default.template.json` is `unit.default`. */
export function templateName(file: string): string {
  const base = path.basename(file);
  return base.endsWith(TEMPLATE_SUFFIX) ? base.slice(0, -TEMPLATE_SUFFIX.length) : base;
}

function run(command: string, args: string[], okStatuses: number[], cwd?: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf-8', maxBuffer: MAX_REPORT_BYTES });
  if (result.status === null || !okStatuses.includes(result.status)) {
    throw new Error(`${path.basename(command)} failed (${result.status ?? result.signal ?? result.error?.message}): ${result.stderr}`);
  }
  return result.stdout;
}

interface CfnLintMatch {
  readonly Filename: string;
  readonly Level: LintFinding['level'];
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path: ReadonlyArray<string | number> };
}

interface CheckovReport {
  readonly check_type: string;
  readonly summary: { readonly parsing_errors: number };
  readonly results: {
    readonly failed_checks: readonly CheckovCheck[];
    readonly parsing_errors?: unknown;
  };
}

interface CheckovCheck {
  readonly check_id: string;
  readonly check_name: string;
  readonly file_path: string;
  readonly resource: string;
}
