// Measures the own body of every function in a TypeScript source, for the 60-line check
// (scripts/check-function-length.ts).
//
// The rule: a line belongs to the innermost function whose body holds the first code on that
// line. Blank lines and lines holding only comments belong to no one. So the lines of a nested
// function (from its first body line to its closing brace) count for it, not for its parent;
// the line that opens it (`const rows = list.map((row) => {`) still counts for the parent.
import ts from 'typescript';

export const MAX_OWN_LINES = 60;

export interface MeasuredFunction {
  /** Stable within a file: the function's name, `#2`-suffixed when the name repeats. */
  readonly name: string;
  /** 1-based line where the function starts. */
  readonly line: number;
  readonly ownLines: number;
}

type FunctionWithBody = ts.SignatureDeclaration & { readonly body: ts.Node };

function hasBody(node: ts.Node): node is FunctionWithBody {
  return (
    (ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node)) &&
    node.body !== undefined
  );
}

/** The function's own name, else the name it is assigned to, else `<enclosing>/<callback>`. */
function nameOf(node: FunctionWithBody, source: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name !== undefined) return node.name.getText(source);
  const parent = node.parent;
  if (
    (ts.isVariableDeclaration(parent) ||
      ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent)) &&
    parent.initializer === node
  ) {
    return parent.name.getText(source);
  }
  let outer: ts.Node = parent;
  while (!ts.isSourceFile(outer) && !hasBody(outer)) outer = outer.parent;
  return `${hasBody(outer) ? nameOf(outer, source) : ''}/<callback>`;
}

/** For each line, the position of its first code (not whitespace, not comment), or -1. */
function firstCodeOfLines(source: ts.SourceFile): number[] {
  const firstCode = new Array<number>(source.getLineStarts().length).fill(-1);
  const visit = (node: ts.Node): void => {
    if (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) {
      return;
    }
    const children = node.getChildren(source);
    if (children.length > 0) {
      children.forEach(visit);
      return;
    }
    const start = node.getStart(source);
    const end = node.getEnd();
    if (end <= start) return;
    const first = source.getLineAndCharacterOfPosition(start).line;
    const last = source.getLineAndCharacterOfPosition(end - 1).line;
    for (let line = first; line <= last; line += 1) {
      const lineStart = line === first ? start : (source.getLineStarts()[line] ?? start);
      const known = firstCode[line] ?? -1;
      if (known === -1 || lineStart < known) firstCode[line] = lineStart;
    }
  };
  visit(source);
  return firstCode;
}

/** Every function in `text` with its own body length, in source order. */
export function measureFunctions(fileName: string, text: string): MeasuredFunction[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const firstCode = firstCodeOfLines(source);
  const owner = new Array<number>(firstCode.length).fill(-1);
  const functions: FunctionWithBody[] = [];
  const collect = (node: ts.Node): void => {
    if (hasBody(node)) {
      // Pre-order: a nested function is visited after its parent and takes its lines over.
      const index = functions.push(node) - 1;
      const from = node.body.getStart(source);
      const to = node.body.getEnd();
      firstCode.forEach((position, line) => {
        if (position >= from && position < to) owner[line] = index;
      });
    }
    ts.forEachChild(node, collect);
  };
  collect(source);
  const seen = new Map<string, number>();
  return functions.map((node, index) => {
    const base = nameOf(node, source);
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return {
      name: count === 1 ? base : `${base}#${count}`,
      line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
      ownLines: owner.filter((o) => o === index).length,
    };
  });
}

/** `file#name` → the own length it may keep until it is split. */
export type AllowList = Readonly<Record<string, number>>;

export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

/** Every complaint about `files`, one line each; empty when they pass. */
export function checkFunctionLengths(
  files: readonly SourceFile[],
  allowList: AllowList,
  max = MAX_OWN_LINES,
): string[] {
  const problems: string[] = [];
  const found = new Set<string>();
  for (const file of files) {
    for (const fn of measureFunctions(file.path, file.text)) {
      if (fn.ownLines <= max) continue;
      const key = `${file.path}#${fn.name}`;
      const allowed = allowList[key];
      const where = `${file.path}:${fn.line} ${fn.name}`;
      if (allowed === undefined) {
        problems.push(`${where} has ${fn.ownLines} own lines (at most ${max})`);
        continue;
      }
      found.add(key);
      if (fn.ownLines > allowed) {
        problems.push(`${where} grew to ${fn.ownLines} own lines (allow-listed at ${allowed})`);
      }
    }
  }
  for (const key of Object.keys(allowList)) {
    if (!found.has(key)) {
      problems.push(`${key} is allow-listed but no longer over ${max} lines: remove its entry`);
    }
  }
  return problems;
}
