/**
 * Finding a member's value in JSON text without re-serialising it: the ingest path keeps each
 * LogEvent exactly as received, and for an EventBridge envelope that is the text of `detail`.
 * Cutting it out of the message costs a scan; JSON.stringify of the parsed event cost as much as
 * parsing it.
 */

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const COLON = 58;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** From an opening quote to just past its closing quote. */
function skipString(text: string, i: number): number {
  for (let from = i + 1; ; ) {
    const q = text.indexOf('"', from);
    if (q < 0) throw new SyntaxError('unterminated string');
    let backslashes = 0;
    for (let b = q - 1; text.charCodeAt(b) === BACKSLASH; b--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** From the first character of a value to just past it. */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
    while (i < text.length) {
      const d = text.charCodeAt(i);
      if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isSpace(d)) break;
      i++;
    }
    return i;
  }
  let depth = 0;
  while (i < text.length) {
    const d = text.charCodeAt(i);
    if (d === QUOTE) {
      i = skipString(text, i);
      continue;
    }
    if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
    else if ((d === CLOSE_BRACE || d === CLOSE_BRACKET) && --depth === 0) return i + 1;
    i++;
  }
  throw new SyntaxError('unterminated object or array');
}

/**
 * The text of the value of top-level member `name` in `text`, a JSON object that JSON.parse
 * accepted; the last one when the name repeats (as JSON.parse keeps the last). Null when absent.
 */
export function jsonMemberText(text: string, name: string): string | null {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return null;
  i = skipSpace(text, i + 1);
  let found: string | null = null;
  while (i < text.length && text.charCodeAt(i) !== CLOSE_BRACE) {
    const keyEnd = skipString(text, i);
    const rawKey = text.slice(i + 1, keyEnd - 1);
    const key = rawKey.includes('\\') ? (JSON.parse(text.slice(i, keyEnd)) as string) : rawKey;
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) throw new SyntaxError(`expected ':' at ${i}`);
    i = skipSpace(text, i + 1);
    const valueEnd = skipValue(text, i);
    if (key === name) found = text.slice(i, valueEnd);
    i = skipSpace(text, valueEnd);
    if (text.charCodeAt(i) === COMMA) i = skipSpace(text, i + 1);
  }
  return found;
}

/**
 * Splits the text of a JSON object at member `name` on the guess that it is the last member, as
 * an EventBridge envelope's `detail` is: `before` is the text up to the value (ending in `"name":`),
 * `value` the rest without the closing brace. Only the members before it are scanned, not the
 * value. Null when no plain (unescaped) key `name` is found.
 *
 * The guess is checked by parsing: when JSON.parse accepts `value` on its own, nothing but the
 * closing brace follows it, and `before + 'null}'` parses exactly when the whole text does.
 * Parsing the two parts costs what parsing the whole text costs; cutting the value out with
 * jsonMemberText would scan all of it once more.
 */
export function splitAtLastMember(text: string, name: string): { before: string; value: string } | null {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return null;
  i = skipSpace(text, i + 1);
  try {
    while (i < text.length && text.charCodeAt(i) === QUOTE) {
      const keyEnd = skipString(text, i);
      const found = keyEnd - i - 2 === name.length && text.startsWith(name, i + 1);
      i = skipSpace(text, keyEnd);
      if (text.charCodeAt(i) !== COLON) return null;
      i = skipSpace(text, i + 1);
      if (found) {
        let end = text.length - 1;
        while (end > i && isSpace(text.charCodeAt(end))) end--;
        if (text.charCodeAt(end) !== CLOSE_BRACE) return null;
        while (end > i && isSpace(text.charCodeAt(end - 1))) end--;
        return { before: text.slice(0, i), value: text.slice(i, end) };
      }
      i = skipSpace(text, skipValue(text, i));
      if (text.charCodeAt(i) !== COMMA) return null;
      i = skipSpace(text, i + 1);
    }
  } catch {
    // Unterminated string or value: not JSON; the caller's full parse says so.
  }
  return null;
}

/**
 * Whether JSON text that JSON.parse accepted nests objects and arrays deeper than `maxDepth`.
 * Every `{` and `[` of the text, strings included, bounds the depth from above, and counting
 * them is a few native searches (a System Log event has 20 to 30); only text with more of them
 * than `maxDepth` is walked, skipping strings.
 */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let openers = 0;
  for (let at = text.indexOf('{'); at >= 0 && openers <= maxDepth; at = text.indexOf('{', at + 1)) openers++;
  for (let at = text.indexOf('['); at >= 0 && openers <= maxDepth; at = text.indexOf('[', at + 1)) openers++;
  if (openers <= maxDepth) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = skipString(text, i) - 1;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

/**
 * The first `\u` escape in JSON text (that JSON.parse accepted) that PostgreSQL's json parser
 * refuses, though JavaScript takes it: `nul` for `\u0000` (text cannot hold it), `surrogate` for
 * a UTF-16 surrogate escape that is not a high one (`\ud800`–`\udbff`) directly followed by a low
 * one (`\udc00`–`\udfff`). Null when there is none. An escaped backslash before `u0000` is text,
 * not an escape: a `\u` counts only after an even run of backslashes.
 */
export function unicodeEscapeProblem(text: string): 'nul' | 'surrogate' | null {
  for (let at = text.indexOf('\\u'); at >= 0; at = text.indexOf('\\u', at + 2)) {
    let backslashes = 0;
    for (let i = at - 1; i >= 0 && text.charCodeAt(i) === BACKSLASH; i--) backslashes++;
    if (backslashes % 2 === 1) continue;
    const unit = hexUnit(text, at + 2);
    if (unit === 0) return 'nul';
    if (unit < 0xd800 || unit > 0xdfff) continue;
    if (unit > 0xdbff) return 'surrogate';
    // A high surrogate: only a low one as the very next escape completes it.
    const low = text.charCodeAt(at + 6) === BACKSLASH && text.charCodeAt(at + 7) === LOWER_U ? hexUnit(text, at + 8) : -1;
    if (low < 0xdc00 || low > 0xdfff) return 'surrogate';
    at += 6;
  }
  return null;
}

const LOWER_U = 117;

/** The four hex digits at `at` as a number; -1 when they are not four hex digits. */
function hexUnit(text: string, at: number): number {
  let unit = 0;
  for (let i = at; i < at + 4; i++) {
    const c = text.charCodeAt(i);
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (digit < 0) return -1;
    unit = unit * 16 + digit;
  }
  return unit;
}
