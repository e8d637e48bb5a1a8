import { createHash } from 'crypto';
import { FailbackReason, Intent, MARK_KEYS, Marks } from '../types';

/** What a mark holds, and so how its tag value is written and read back. */
type MarkKind = 'intent' | 'failbackReason' | 'integer' | 'text';

type MarkKey = typeof MARK_KEYS[number];

/**
 * Tag keys under which the controller keeps its marks on the Fargate target group. The first three keep the names
 * earlier versions wrote, so an upgrade reads the marks a running service already has.
 */
export const MARK_TAG_KEYS: Readonly<Record<MarkKey, string>> = {
  intent: 'hybrid-alb:intent',
  intentSinceMs: 'hybrid-alb:intent-since',
  lastWeightChangeMs: 'hybrid-alb:last-weight-change',
  shiftStartMs: 'hybrid-alb:shift-start',
  failbacks: 'hybrid-alb:failbacks',
  shiftAllowedAtMs: 'hybrid-alb:shift-allowed-at',
  failbackReason: 'hybrid-alb:failback-reason',
  failbackTaskDefinition: 'hybrid-alb:failback-task-definition',
  lastHighLoadMs: 'hybrid-alb:last-high-load',
  lastRestMs: 'hybrid-alb:last-rest',
  recurrences: 'hybrid-alb:recurrences',
  suspendedShare: 'hybrid-alb:suspended-share',
  fargateBaselineMs: 'hybrid-alb:fargate-baseline',
  learnedCapacityRpm: 'hybrid-alb:learned-capacity',
  learnedFromMinuteMs: 'hybrid-alb:learned-from-minute',
};

const MARK_KINDS: Readonly<Record<MarkKey, MarkKind>> = {
  intent: 'intent',
  intentSinceMs: 'integer',
  lastWeightChangeMs: 'integer',
  shiftStartMs: 'integer',
  failbacks: 'integer',
  shiftAllowedAtMs: 'integer',
  failbackReason: 'failbackReason',
  failbackTaskDefinition: 'text',
  lastHighLoadMs: 'integer',
  lastRestMs: 'integer',
  recurrences: 'integer',
  suspendedShare: 'integer',
  fargateBaselineMs: 'integer',
  learnedCapacityRpm: 'integer',
  learnedFromMinuteMs: 'integer',
};

/** The longest ELBv2 tag value (Tag.Value in the ELBv2 API reference). */
export const MAX_TAG_VALUE_LENGTH = 256;

/** A resource tag as the ELBv2 API spells it. */
export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

/** Reads marks from tags; a missing or malformed tag leaves that mark unset rather than guessing. */
export function marksFromTags(tags: ReadonlyArray<{ Key?: string; Value?: string }>): Marks {
  const byKey = new Map(tags.map((tag) => [tag.Key, tag.Value]));
  const marks: Record<string, unknown> = {};
  for (const key of MARK_KEYS) {
    marks[key] = parseMark(MARK_KINDS[key], byKey.get(MARK_TAG_KEYS[key]));
  }
  return marks as Marks;
}

/**
 * Tags for the marks that are set, in MARK_KEYS order. Marks left undefined produce no tag, so AddTags keeps the
 * value already stored: a setMarks action updates the marks it names and leaves the others.
 */
export function tagsFromMarks(marks: Marks): Tag[] {
  const tags: Tag[] = [];
  for (const key of MARK_KEYS) {
    const value = marks[key];
    if (value !== undefined) {
      tags.push({ Key: MARK_TAG_KEYS[key], Value: formatMark(MARK_KINDS[key], value) });
    }
  }
  return tags;
}

/**
 * How the controller names a task definition, in `ObservedState.taskDefinition` and in the failback mark alike: its
 * ARN, or a digest of it when the ARN is longer than a tag value may be (a 255-character family makes an ARN of
 * about 310). Both sides of the "is this a new task definition" comparison then use the same form.
 */
export function taskDefinitionIdentity(arn: string): string {
  return arn.length <= MAX_TAG_VALUE_LENGTH ? arn : `sha256:${createHash('sha256').update(arn).digest('hex')}`;
}

function formatMark(kind: MarkKind, value: string | number): string {
  switch (kind) {
    case 'integer':
      return String(Math.round(value as number));
    case 'text':
      return taskDefinitionIdentity(value as string);
    default:
      return value as string;
  }
}

function parseMark(kind: MarkKind, value: string | undefined): string | number | undefined {
  if (value === undefined) {
    return undefined;
  }
  switch (kind) {
    case 'intent':
      return parseIntent(value);
    case 'failbackReason':
      return parseFailbackReason(value);
    case 'integer':
      return parseInteger(value);
    case 'text':
      return value === '' ? undefined : value;
  }
}

function parseIntent(value: string): Intent | undefined {
  return value === 'lambda' || value === 'fargate' ? value : undefined;
}

function parseFailbackReason(value: string): FailbackReason | undefined {
  return value === 'health' || value === 'errors' ? value : undefined;
}

/** Decimal digits only: epoch milliseconds and counts are never negative or fractional. */
function parseInteger(value: string): number | undefined {
  const trimmed = value.trim();
  if (!/^\d+$/.test(trimmed)) {
    return undefined;
  }
  const parsed = Number(trimmed);
  return Number.isSafeInteger(parsed) ? parsed : undefined;
}
