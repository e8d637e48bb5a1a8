import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Allowlist, Finding, loadAllowlist, review } from './allowlist';

const REASON = 'a sentence that says why this is acceptable';

function finding(id: string, resource: string | undefined, message = 'message'): Finding {
  return { id, template: 'unit.default', resource, message };
}

describe('review', () => {
  test('a finding whose id has no entry is unlisted', () => {
    const result = review([finding('CKV_AWS_1', 'Bucket12345678')], { CKV_AWS_2: { reason: REASON } });
    expect(result.unlisted).toEqual([finding('CKV_AWS_1', 'Bucket12345678')]);
  });

  test('an entry with a reason accepts its id on every resource', () => {
    const result = review([finding('CKV_AWS_1', 'A'), finding('CKV_AWS_1', 'B')], { CKV_AWS_1: { reason: REASON } });
    expect(result).toEqual({ unlisted: [], stale: [] });
  });

  test('an entry with resources accepts only the resources its patterns match', () => {
    const allowlist: Allowlist = { CKV_AWS_1: { resources: { '^ServiceFunction[0-9A-F]{8}$': REASON } } };
    const result = review([finding('CKV_AWS_1', 'ServiceFunction0A1B2C3D'), finding('CKV_AWS_1', 'OtherFunction0A1B2C3D')], allowlist);
    expect(result.unlisted).toEqual([finding('CKV_AWS_1', 'OtherFunction0A1B2C3D')]);
  });

  test('an entry with a message accepts only findings whose message matches', () => {
    const allowlist: Allowlist = { W3037: { message: "^'invoke' is not one of", reason: REASON } };
    const wrongPrefix = finding('W3037', 'Role1', "'elasticloadbalancingv2' is not one of [...]");
    const result = review([finding('W3037', 'Role1', "'invoke' is not one of [...]"), wrongPrefix], allowlist);
    expect(result.unlisted).toEqual([wrongPrefix]);
  });

  test('an entry that accepts nothing is stale', () => {
    const result = review([finding('CKV_AWS_1', 'A')], { CKV_AWS_1: { reason: REASON }, CKV_AWS_2: { reason: REASON } });
    expect(result.stale).toEqual(['CKV_AWS_2']);
  });

  test('a resource pattern that matches nothing is stale even when another pattern of its entry matches', () => {
    const allowlist: Allowlist = { CKV_AWS_1: { resources: { '^A$': REASON, '^Gone$': REASON } } };
    expect(review([finding('CKV_AWS_1', 'A')], allowlist).stale).toEqual(['CKV_AWS_1 resource ^Gone$']);
  });
});

describe('loadAllowlist', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'allowlist-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function load(content: object, ids = /^CKV_AWS_\d+$/): Allowlist {
    const file = path.join(dir, 'allowed.json');
    writeFileSync(file, JSON.stringify(content));
    return loadAllowlist(file, ids);
  }

  test('reads a well-formed allowlist', () => {
    expect(load({ CKV_AWS_1: { reason: REASON } })).toEqual({ CKV_AWS_1: { reason: REASON } });
  });

  test('rejects an id the allowlist may not accept, such as a cfn-lint error', () => {
    expect(() => load({ E3001: { reason: REASON } }, /^[WI]\d+$/)).toThrow(/E3001: not an id this allowlist may accept/);
  });

  test('rejects an entry without a reason', () => {
    expect(() => load({ CKV_AWS_1: { resources: { '^A$': '' } } })).toThrow(/CKV_AWS_1: every reason must say/);
  });

  test('rejects an entry with both a reason and resources', () => {
    expect(() => load({ CKV_AWS_1: { reason: REASON, resources: { '^A$': REASON } } })).toThrow(/give either a reason .* or resources/);
  });

  test('rejects a pattern that is not a regular expression', () => {
    expect(() => load({ CKV_AWS_1: { resources: { '^A(': REASON } } })).toThrow(/\^A\( is not a regular expression/);
  });
});
