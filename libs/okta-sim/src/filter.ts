/**
 * A small SCIM-style expression parser/evaluator for Okta's `search` and `filter` parameters
 * (users, groups, apps, System Log): `attr op value`, `attr pr`, `and`/`or`/`not`, parentheses.
 * Each endpoint restricts attributes and operators with a `FilterPolicy`.
 */

export type CompareOp = 'eq' | 'ne' | 'sw' | 'co' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterValue = string | number | boolean | null;
export type FilterAst =
  | { kind: 'cmp'; path: string; op: CompareOp; value: FilterValue }
  | { kind: 'pr'; path: string }
  | { kind: 'and' | 'or'; left: FilterAst; right: FilterAst }
  | { kind: 'not'; expr: FilterAst };

export class FilterSyntaxError extends Error {}

const OPS = new Set<string>(['eq', 'ne', 'sw', 'co', 'ew', 'gt', 'ge', 'lt', 'le']);

type Token = { t: 'word'; v: string } | { t: 'str'; v: string } | { t: '(' } | { t: ')' };

function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '+') { i++; continue; }
    if (c === '(' || c === ')') { out.push({ t: c }); i++; continue; }
    if (c === '"') {
      let v = '';
      i++;
      while (i < input.length && input[i] !== '"') {
        if (input[i] === '\\' && i + 1 < input.length) { v += input[i + 1]; i += 2; continue; }
        v += input[i];
        i++;
      }
      if (i >= input.length) throw new FilterSyntaxError('unterminated string literal (missing closing ")');
      i++;
      out.push({ t: 'str', v });
      continue;
    }
    let v = '';
    while (i < input.length && !' \t\n()"'.includes(input[i] as string)) { v += input[i]; i++; }
    out.push({ t: 'word', v });
  }
  return out;
}

export function parseFilter(input: string): FilterAst {
  if (input.trim() === '') throw new FilterSyntaxError('the expression is empty');
  const tokens = tokenize(input);
  let pos = 0;
  const peekWord = (): string | null => {
    const tok = tokens[pos];
    return tok && tok.t === 'word' ? tok.v.toLowerCase() : null;
  };
  const parseOr = (): FilterAst => {
    let left = parseAnd();
    while (peekWord() === 'or') { pos++; left = { kind: 'or', left, right: parseAnd() }; }
    return left;
  };
  const parseAnd = (): FilterAst => {
    let left = parseUnary();
    while (peekWord() === 'and') { pos++; left = { kind: 'and', left, right: parseUnary() }; }
    return left;
  };
  const parseUnary = (): FilterAst => {
    if (peekWord() === 'not') { pos++; return { kind: 'not', expr: parsePrimary() }; }
    return parsePrimary();
  };
  const parsePrimary = (): FilterAst => {
    const tok = tokens[pos];
    if (!tok) throw new FilterSyntaxError('the expression ends early; expected an attribute');
    if (tok.t === '(') {
      pos++;
      const inner = parseOr();
      if (tokens[pos]?.t !== ')') throw new FilterSyntaxError('missing closing parenthesis');
      pos++;
      return inner;
    }
    if (tok.t !== 'word') throw new FilterSyntaxError(`expected an attribute name, got ${describe(tok)}`);
    const path = tok.v;
    pos++;
    const opTok = tokens[pos];
    if (!opTok || opTok.t !== 'word') throw new FilterSyntaxError(`expected an operator after "${path}"`);
    const op = opTok.v.toLowerCase();
    pos++;
    if (op === 'pr') return { kind: 'pr', path };
    if (!OPS.has(op)) throw new FilterSyntaxError(`unknown operator "${opTok.v}" (use eq, sw, co, gt, ge, lt, le, pr)`);
    const valTok = tokens[pos];
    if (!valTok) throw new FilterSyntaxError(`missing value after "${path} ${op}"`);
    pos++;
    let value: FilterValue;
    if (valTok.t === 'str') value = valTok.v;
    else if (valTok.t === 'word') {
      const w = valTok.v.toLowerCase();
      if (w === 'true') value = true;
      else if (w === 'false') value = false;
      else if (w === 'null') value = null;
      else if (/^-?\d+(\.\d+)?$/.test(valTok.v)) value = Number(valTok.v);
      else throw new FilterSyntaxError(`value "${valTok.v}" must be quoted`);
    } else throw new FilterSyntaxError(`expected a value after "${path} ${op}", got ${describe(valTok)}`);
    return { kind: 'cmp', path, op: op as CompareOp, value };
  };
  const ast = parseOr();
  if (pos < tokens.length) throw new FilterSyntaxError(`unexpected ${describe(tokens[pos] as Token)} at the end of the expression`);
  return ast;
}

function describe(tok: Token): string {
  return tok.t === 'word' || tok.t === 'str' ? `"${tok.v}"` : `"${tok.t}"`;
}

/** Which attributes and operators an endpoint accepts. */
export interface FilterPolicy {
  allowNot: boolean;
  /** Returns null when allowed, else the reason. */
  check(path: string, op: CompareOp | 'pr'): string | null;
}

export function validateFilter(ast: FilterAst, policy: FilterPolicy): void {
  switch (ast.kind) {
    case 'and':
    case 'or':
      validateFilter(ast.left, policy);
      validateFilter(ast.right, policy);
      return;
    case 'not':
      if (!policy.allowNot) throw new FilterSyntaxError('"not" is not supported here');
      validateFilter(ast.expr, policy);
      return;
    case 'pr':
    case 'cmp': {
      const reason = policy.check(ast.path, ast.kind === 'pr' ? 'pr' : ast.op);
      if (reason) throw new FilterSyntaxError(reason);
    }
  }
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T/;

export function evaluateFilter(ast: FilterAst, get: (path: string) => unknown, caseInsensitive: boolean): boolean {
  switch (ast.kind) {
    case 'and': return evaluateFilter(ast.left, get, caseInsensitive) && evaluateFilter(ast.right, get, caseInsensitive);
    case 'or': return evaluateFilter(ast.left, get, caseInsensitive) || evaluateFilter(ast.right, get, caseInsensitive);
    case 'not': return !evaluateFilter(ast.expr, get, caseInsensitive);
    case 'pr': {
      const v = get(ast.path);
      return v !== null && v !== undefined && v !== '';
    }
    case 'cmp': return compare(get(ast.path), ast.op, ast.value, caseInsensitive);
  }
}

function compare(actual: unknown, op: CompareOp, expected: FilterValue, ci: boolean): boolean {
  if (Array.isArray(actual)) return actual.some((a) => compare(a, op, expected, ci));
  if (actual === undefined) actual = null;
  if (expected === null || actual === null) {
    if (op === 'eq') return actual === expected;
    if (op === 'ne') return actual !== expected;
    return false;
  }
  if (typeof expected === 'string' && typeof actual === 'string' && ISO_DATE.test(expected) && ISO_DATE.test(actual)) {
    const a = Date.parse(actual);
    const e = Date.parse(expected);
    if (!Number.isNaN(a) && !Number.isNaN(e)) return ordered(a, e, op);
  }
  if (typeof expected === 'string') {
    let a = String(actual);
    let e = expected;
    if (ci) { a = a.toLowerCase(); e = e.toLowerCase(); }
    switch (op) {
      case 'sw': return a.startsWith(e);
      case 'co': return a.includes(e);
      case 'ew': return a.endsWith(e);
      default: return ordered(a, e, op);
    }
  }
  if (typeof expected === 'number' && typeof actual === 'number') return ordered(actual, expected, op);
  return op === 'eq' ? actual === expected : op === 'ne' ? actual !== expected : false;
}

function ordered<T extends string | number>(a: T, e: T, op: CompareOp): boolean {
  switch (op) {
    case 'eq': return a === e;
    case 'ne': return a !== e;
    case 'gt': return a > e;
    case 'ge': return a >= e;
    case 'lt': return a < e;
    case 'le': return a <= e;
    default: return false;
  }
}

/** Resolves dotted paths (`profile.login`, `target.id`) on plain objects and arrays. */
export function pathGetter(obj: unknown): (path: string) => unknown {
  return (path) => {
    let cur: unknown = obj;
    for (const part of path.split('.')) {
      if (Array.isArray(cur)) cur = cur.map((x) => (x && typeof x === 'object' ? (x as Record<string, unknown>)[part] : undefined));
      else if (cur && typeof cur === 'object') cur = (cur as Record<string, unknown>)[part];
      else return undefined;
    }
    return cur;
  };
}
