/**
 * Allowlists of validator findings: which findings are accepted and why, and which entries no longer match
 * anything. The files are JSON objects keyed by rule or check id, each entry accepting the finding either on
 * every resource or on the resources whose logical ID matches a pattern, with a reason per pattern:
 *
 *   { "CKV_AWS_65": { "reason": "why it is acceptable wherever it occurs" },
 *     "CKV_AWS_117": { "resources": { "^ServiceFunction[0-9A-F]{8}$": "why it is acceptable there" } } }
 *
 * `message` (optional) is a regular expression the finding's message must also match.
 */
import { readFileSync } from 'fs';

/** One finding of a validator, reduced to what an allowlist can match. */
export interface Finding {
  /** Rule or check id, such as `W3005` or `CKV_AWS_117`. */
  readonly id: string;
  /** Name of the template it was found in. */
  readonly template: string;
  /** Logical ID of the resource, when the finding is about one. */
  readonly resource?: string;
  readonly message: string;
}

/** Why a finding is accepted: everywhere (`reason`) or on some resources (`resources`), not both. */
export interface AllowEntry {
  /** Why the finding is acceptable on every resource. */
  readonly reason?: string;
  /** Regular expressions on logical IDs, each with why the finding is acceptable on the resources it matches. */
  readonly resources?: { readonly [pattern: string]: string };
  /** A regular expression the finding's message must match too. */
  readonly message?: string;
}

export type Allowlist = { readonly [id: string]: AllowEntry };

/** What an allowlist makes of a set of findings. */
export interface Review {
  /** Findings no entry accepts. */
  readonly unlisted: Finding[];
  /** Entries, or resource patterns of entries, that accepted no finding. */
  readonly stale: string[];
}

/**
 * Reads an allowlist file and checks its shape. `ids` is what a key may look like: cfn-lint errors, for
 * example, are never acceptable, so its allowlist takes warnings only.
 */
export function loadAllowlist(file: string, ids: RegExp): Allowlist {
  const allowlist: Allowlist = JSON.parse(readFileSync(file, 'utf-8'));
  for (const [id, entry] of Object.entries(allowlist)) {
    const problem = entryProblem(id, entry, ids);
    if (problem) {
      throw new Error(`${file}: ${id}: ${problem}`);
    }
  }
  return allowlist;
}

/** Sorts findings into accepted and unlisted, and finds the entries that accepted nothing. */
export function review(findings: readonly Finding[], allowlist: Allowlist): Review {
  // Keys of what accepted at least one finding: an id, or an id with one of its resource patterns.
  const used = new Set<string>();
  const unlisted = findings.filter(finding => {
    const accepted = acceptedBy(finding, allowlist);
    accepted.forEach(key => used.add(key));
    return accepted.length === 0;
  });
  const stale = Object.entries(allowlist).flatMap(([id, entry]) =>
    [id, ...Object.keys(entry.resources ?? {}).map(pattern => resourceKey(id, pattern))].filter(key => !used.has(key)));
  return { unlisted, stale };
}

/** One line per finding, for test failure messages. */
export function describeFinding(finding: Finding): string {
  const message = finding.message.length > 160 ? `${finding.message.slice(0, 160)}...` : finding.message;
  return `${finding.id} ${finding.template} ${finding.resource ?? '-'}: ${message}`;
}

/** The keys of the entry and resource pattern that accept the finding; empty when none does. */
function acceptedBy(finding: Finding, allowlist: Allowlist): string[] {
  const entry = allowlist[finding.id];
  if (!entry || (entry.message !== undefined && !new RegExp(entry.message).test(finding.message))) {
    return [];
  }
  if (!entry.resources) {
    return [finding.id];
  }
  const pattern = Object.keys(entry.resources).find(p => finding.resource !== undefined && new RegExp(p).test(finding.resource));
  return pattern === undefined ? [] : [finding.id, resourceKey(finding.id, pattern)];
}

function resourceKey(id: string, pattern: string): string {
  return `${id} resource ${pattern}`;
}

function entryProblem(id: string, entry: AllowEntry, ids: RegExp): string | undefined {
  if (!ids.test(id)) {
    return `not an id this allowlist may accept (${ids})`;
  }
  if ((entry.reason === undefined) === (entry.resources === undefined)) {
    return 'give either a reason (accepted on every resource) or resources (patterns with a reason each)';
  }
  const reasons = entry.resources ? Object.values(entry.resources) : [entry.reason];
  if (reasons.length === 0 || reasons.some(reason => typeof reason !== 'string' || reason.trim().length < 20)) {
    return 'every reason must say, in a sentence, why the finding is acceptable';
  }
  for (const pattern of [...Object.keys(entry.resources ?? {}), ...(entry.message !== undefined ? [entry.message] : [])]) {
    try {
      new RegExp(pattern);
    } catch (e) {
      return `${pattern} is not a regular expression: ${(e as Error).message}`;
    }
  }
  return undefined;
}
