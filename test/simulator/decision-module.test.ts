/**
 * The simulator must run the controller's real decisions, not a copy of them: it imports the decision module the
 * Lambda handler imports, defines none of its functions again, and calls it at run time.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as decision from '../../src/controller/decision';
import { Decision } from '../../src/controller/types';
import { profileTrace } from '../../src/simulator/profiles';
import { defaultSettings } from '../../src/simulator/settings';
import { simulate } from '../../src/simulator/simulate';

const SRC = path.join(__dirname, '..', '..', 'src');
const DECISION_MODULE = path.join(SRC, 'controller', 'decision.ts');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Names imported from the decision module by a file, resolving its relative import paths. */
function namesImportedFromDecision(file: string): string[] {
  const source = fs.readFileSync(file, 'utf8');
  const names: string[] = [];
  for (const match of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'([^']+)'/g)) {
    if (path.resolve(path.dirname(file), `${match[2]}.ts`) === DECISION_MODULE) {
      names.push(...match[1].split(',').map((name) => name.trim()).filter(Boolean));
    }
  }
  return names;
}

const simulatorFiles = sourceFiles(path.join(SRC, 'simulator'));
const handlerFile = path.join(SRC, 'controller', 'runtime', 'controller.lambda.ts');

describe('one decision module for the handler and the simulator', () => {
  test('the handler imports decide from ./decision', () => {
    expect(fs.readFileSync(handlerFile, 'utf8')).toMatch(/import \{[^}]*\bdecide\b[^}]*\} from '\.\.\/decision';/);
  });

  test('the simulator imports decide from ../../controller/decision', () => {
    const importers = simulatorFiles.filter((file) => namesImportedFromDecision(file).includes('decide'));
    expect(importers.map((file) => path.relative(SRC, file))).toEqual([path.join('simulator', 'model', 'controller.ts')]);
    expect(fs.readFileSync(importers[0], 'utf8')).toMatch(/from '\.\.\/\.\.\/controller\/decision';/);
  });

  test('everything the handler takes from the decision module, the simulator takes from it too', () => {
    const simulatorNames = new Set(simulatorFiles.flatMap(namesImportedFromDecision));
    const handlerNames = namesImportedFromDecision(handlerFile);
    expect(handlerNames).toContain('decide');
    for (const name of handlerNames) {
      expect(simulatorNames).toContain(name);
    }
  });

  test('no simulator file defines a decision function again or spells out the phases', () => {
    const decisionFunctions = Object.keys(decision).filter((name) => typeof (decision as Record<string, unknown>)[name] === 'function');
    expect(decisionFunctions).toContain('decide');
    const phases = ['LAMBDA', 'SCALING_OUT', 'SHIFTING_TO_FARGATE', 'FARGATE', 'SHIFTING_TO_LAMBDA', 'DRAINING'];
    for (const file of simulatorFiles) {
      const source = fs.readFileSync(file, 'utf8');
      for (const name of decisionFunctions) {
        expect({ file, defines: new RegExp(`(function\\s+${name}\\b|\\b${name}\\s*[:=]\\s*(async\\s*)?(\\(|function))`).test(source) })
          .toEqual({ file, defines: false });
      }
      for (const phase of phases) {
        expect({ file, phase, spelled: source.includes(`'${phase}'`) }).toEqual({ file, phase, spelled: false });
      }
    }
  });

  test('a simulation calls the real decide, and only through it changes the listener', () => {
    const spy = jest.spyOn(decision, 'decide');
    try {
      const run = simulate(profileTrace('event'), defaultSettings(), { seed: 1 });
      expect(spy).toHaveBeenCalled();
      expect(spy.mock.calls.length).toBe(run.strategies.hybrid.controllerDecisions);
      const weightsSet = spy.mock.results.flatMap((result) => (result.value as Decision).actions.filter((a) => a.kind === 'setWeights'));
      expect(weightsSet.length).toBeGreaterThanOrEqual(run.strategies.hybrid.weightChanges!.length);
      expect(run.strategies.hybrid.weightChanges!.length).toBeGreaterThan(0);
    } finally {
      spy.mockRestore();
    }
  });
});
