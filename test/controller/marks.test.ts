import { MARK_TAG_KEYS, marksFromTags, MAX_TAG_VALUE_LENGTH, tagsFromMarks, taskDefinitionIdentity } from '../../src/controller/runtime/marks';
import { MARK_KEYS, Marks } from '../../src/controller/types';

/** Every mark set, each to a value of its kind. */
const EVERY_MARK: Required<Marks> = {
  intent: 'fargate',
  intentSinceMs: 1_700_000_000_000,
  lastWeightChangeMs: 1_700_000_060_000,
  shiftStartMs: 1_700_000_030_000,
  failbacks: 3,
  shiftAllowedAtMs: 1_700_003_600_000,
  failbackReason: 'errors',
  failbackTaskDefinition: 'arn:aws:ecs:eu-west-1:111111111111:task-definition/web:42',
  lastHighLoadMs: 1_700_000_090_000,
  lastRestMs: 1_699_999_000_000,
  recurrences: 2,
  suspendedShare: 50,
  fargateBaselineMs: 42,
  learnedCapacityRpm: 2400,
  learnedFromMinuteMs: 1_700_000_040_000,
};

test('EVERY_MARK sets every mark key', () => {
  expect(Object.keys(EVERY_MARK).sort()).toEqual([...MARK_KEYS].sort());
});

test('every mark survives the round trip through tags', () => {
  const tags = tagsFromMarks(EVERY_MARK);
  expect(tags.map((tag) => tag.Key)).toEqual(MARK_KEYS.map((key) => MARK_TAG_KEYS[key]));
  expect(marksFromTags(tags)).toEqual(EVERY_MARK);
});

test('the other values of the enumerated marks survive the round trip too', () => {
  const marks: Marks = { intent: 'lambda', failbackReason: 'health' };
  expect(marksFromTags(tagsFromMarks(marks))).toEqual(marks);
});

test('tags are the documented keys with decimal and plain string values', () => {
  expect(tagsFromMarks({ failbacks: 3, shiftAllowedAtMs: 1_700_003_600_000.4, failbackReason: 'health', recurrences: 0 })).toEqual([
    { Key: 'hybrid-alb:failbacks', Value: '3' },
    { Key: 'hybrid-alb:shift-allowed-at', Value: '1700003600000' },
    { Key: 'hybrid-alb:failback-reason', Value: 'health' },
    { Key: 'hybrid-alb:recurrences', Value: '0' },
  ]);
});

test('marks left undefined write no tag, so AddTags keeps the stored value', () => {
  expect(tagsFromMarks({})).toEqual([]);
  expect(tagsFromMarks({ shiftStartMs: 5 })).toEqual([{ Key: 'hybrid-alb:shift-start', Value: '5' }]);
});

test('a malformed tag leaves its mark unset, and other tags are ignored', () => {
  const marks = marksFromTags([
    { Key: 'hybrid-alb:intent', Value: 'ec2' },
    { Key: 'hybrid-alb:failbacks', Value: '-1' },
    { Key: 'hybrid-alb:shift-allowed-at', Value: '1.5e12' },
    { Key: 'hybrid-alb:recurrences', Value: 'two' },
    { Key: 'hybrid-alb:last-rest', Value: '99999999999999999999' },
    { Key: 'hybrid-alb:failback-reason', Value: 'Errors' },
    { Key: 'hybrid-alb:failback-task-definition', Value: '' },
    { Key: 'hybrid-alb:last-high-load', Value: ' 1700000000000 ' },
    { Key: 'team', Value: 'web' },
  ]);
  expect(marks).toEqual({ lastHighLoadMs: 1_700_000_000_000 });
});

describe('task definition in a tag value', () => {
  // ECS allows a 255-character family; with the ARN prefix and revision the ARN passes the 256-character tag limit.
  const longArn = `arn:aws-us-gov:ecs:us-gov-west-1:111111111111:task-definition/${'a'.repeat(255)}:1234`;

  test('an ARN that fits is kept as it is', () => {
    expect(taskDefinitionIdentity(EVERY_MARK.failbackTaskDefinition)).toBe(EVERY_MARK.failbackTaskDefinition);
  });

  test('a longer ARN is named by a digest that fits, the same every time and different for another ARN', () => {
    expect(longArn.length).toBeGreaterThan(MAX_TAG_VALUE_LENGTH);
    const identity = taskDefinitionIdentity(longArn);
    expect(identity).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(identity).toBe(taskDefinitionIdentity(longArn));
    expect(identity).not.toBe(taskDefinitionIdentity(longArn.replace(/1234$/, '1235')));
  });

  test('the mark is written in that form, so it reads back equal to the observed task definition', () => {
    const [tag] = tagsFromMarks({ failbackTaskDefinition: longArn });
    expect(tag.Value.length).toBeLessThanOrEqual(MAX_TAG_VALUE_LENGTH);
    expect(marksFromTags([tag]).failbackTaskDefinition).toBe(taskDefinitionIdentity(longArn));
  });
});
