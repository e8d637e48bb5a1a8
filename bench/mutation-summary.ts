/**
 * The second half of `npm run bench:mutation`: reads Stryker's JSON report (.bench/mutation/mutation.json) and prints
 * the mutation score, then every surviving mutant that is not inside a message (a reason or an error sentence), by
 * file and mutator, with the code it replaced. Those are the ones to kill with a test or to name as equivalent.
 *
 * A string literal counts as a message unless TypeScript types it as one of a union of literals (an action kind, an
 * intent, a phase, an alarm state): mutating those changes behaviour, not wording. Template literals are messages.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const REPORT = path.join('.bench', 'mutation', 'mutation.json');

type Status = 'Killed' | 'Survived' | 'NoCoverage' | 'Timeout' | 'CompileError' | 'RuntimeError' | 'Ignored' | 'Pending';

interface Position {
  readonly line: number;
  readonly column: number;
}

interface Mutant {
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: Status;
  readonly location: { readonly start: Position; readonly end: Position };
}

interface Report {
  readonly files: Record<string, { readonly source: string; readonly mutants: readonly Mutant[] }>;
}

interface Survivor {
  readonly file: string;
  readonly mutant: Mutant;
  readonly original: string;
}

function main(): void {
  const report = JSON.parse(readFileSync(REPORT, 'utf8')) as Report;
  const files = Object.keys(report.files).sort();
  const program = ts.createProgram(files, { strict: true, target: ts.ScriptTarget.ES2022, noEmit: true });
  const checker = program.getTypeChecker();

  const count = (status: Status): number =>
    files.reduce((n, file) => n + report.files[file].mutants.filter((m) => m.status === status).length, 0);
  const killed = count('Killed');
  const timedOut = count('Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const invalid = count('CompileError') + count('RuntimeError');
  const detected = killed + timedOut;
  const valid = detected + survived + noCoverage;

  const survivors: Survivor[] = [];
  let inMessages = 0;
  for (const file of files) {
    const { source, mutants } = report.files[file];
    const sourceFile = program.getSourceFile(file) ?? ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true);
    const messages = messageRanges(sourceFile, checker);
    for (const mutant of mutants.filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')) {
      const start = offsetOf(sourceFile, mutant.location.start);
      const end = offsetOf(sourceFile, mutant.location.end);
      if (messages.some(([from, to]) => start >= from && end <= to)) {
        inMessages++;
      } else {
        survivors.push({ file, mutant, original: source.slice(start, end) });
      }
    }
  }

  console.log(`Mutation score: ${percent(detected, valid)} (${detected} of ${valid} mutants detected: ${killed} killed, ${timedOut} timed out)`);
  console.log(`Undetected: ${survived} survived, ${noCoverage} without coverage; ${invalid} invalid (compile or runtime error), not counted`);
  console.log(`Survivors inside reason or error messages: ${inMessages}`);
  console.log(`Survivors outside messages: ${survivors.length}`);
  for (const file of files) {
    const inFile = survivors.filter((s) => s.file === file);
    const mutators = [...new Set(inFile.map((s) => s.mutant.mutatorName))].sort();
    for (const mutator of mutators) {
      console.log(`\n${file} - ${mutator}`);
      for (const { mutant, original } of inFile.filter((s) => s.mutant.mutatorName === mutator)) {
        const where = `${mutant.location.start.line}:${mutant.location.start.column}`;
        const status = mutant.status === 'NoCoverage' ? ' (no coverage)' : '';
        console.log(`  ${where.padEnd(8)} ${oneLine(original)} -> ${oneLine(mutant.replacement ?? '?')}${status}`);
      }
    }
  }
}

/** Source ranges of the string and template literals that are messages rather than values of a literal union. */
function messageRanges(sourceFile: ts.SourceFile, checker: ts.TypeChecker): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      ranges.push([node.getStart(sourceFile), node.getEnd()]);
      return;
    }
    if (ts.isStringLiteral(node) && !isLiteralUnionValue(node, checker)) {
      ranges.push([node.getStart(sourceFile), node.getEnd()]);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return ranges;
}

function isLiteralUnionValue(node: ts.StringLiteral, checker: ts.TypeChecker): boolean {
  if (ts.isImportDeclaration(node.parent) || ts.isExportDeclaration(node.parent)) {
    return false;
  }
  const contextual = checker.getContextualType(node);
  const types = contextual?.isUnion() ? contextual.types : contextual ? [contextual] : [];
  return types.some((type) => type.isStringLiteral());
}

/** Report positions are 1-based, lines and columns. */
function offsetOf(sourceFile: ts.SourceFile, position: Position): number {
  return sourceFile.getPositionOfLineAndCharacter(position.line - 1, position.column - 1);
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : 'n/a';
}

function oneLine(code: string): string {
  const flat = code.replace(/\s+/g, ' ');
  return flat.length > 110 ? `${flat.slice(0, 107)}...` : flat;
}

main();
