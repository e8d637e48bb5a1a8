import { Intent, Marks } from '../types';

/**
 * Tag keys under which the controller keeps its marks on the Fargate target group.
 * Values are strings: the intent, or epoch milliseconds in decimal.
 */
export const MARK_TAG_KEYS = {
  intent: 'hybrid-alb:intent',
  intentSince: 'hybrid-alb:intent-since',
  lastWeightChange: 'hybrid-alb:last-weight-change',
} as const;

/** A resource tag as the ELBv2 API spells it. */
export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

/** Reads marks from tags; a missing or malformed tag leaves that mark unset rather than guessing. */
export function marksFromTags(tags: ReadonlyArray<{ Key?: string; Value?: string }>): Marks {
  const byKey = new Map(tags.map((tag) => [tag.Key, tag.Value]));
  return {
    intent: parseIntent(byKey.get(MARK_TAG_KEYS.intent)),
    intentSinceMs: parseEpochMs(byKey.get(MARK_TAG_KEYS.intentSince)),
    lastWeightChangeMs: parseEpochMs(byKey.get(MARK_TAG_KEYS.lastWeightChange)),
  };
}

/**
 * Tags for the marks that are set. Marks left undefined produce no tag, so AddTags keeps the
 * value already stored: a setMarks action updates the marks it names and leaves the others.
 */
export function tagsFromMarks(marks: Marks): Tag[] {
  const tags: Tag[] = [];
  if (marks.intent !== undefined) {
    tags.push({ Key: MARK_TAG_KEYS.intent, Value: marks.intent });
  }
  if (marks.intentSinceMs !== undefined) {
    tags.push({ Key: MARK_TAG_KEYS.intentSince, Value: String(Math.round(marks.intentSinceMs)) });
  }
  if (marks.lastWeightChangeMs !== undefined) {
    tags.push({ Key: MARK_TAG_KEYS.lastWeightChange, Value: String(Math.round(marks.lastWeightChangeMs)) });
  }
  return tags;
}

function parseIntent(value: string | undefined): Intent | undefined {
  return value === 'lambda' || value === 'fargate' ? value : undefined;
}

function parseEpochMs(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) {
    return undefined;
  }
  return Number(value.trim());
}
