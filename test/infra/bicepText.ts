/**
 * Just enough of Bicep's syntax to check deployment invariants without a Bicep compiler: comments and
 * strings are skipped, braces balanced, and object keys, string items and resource declarations read.
 * @example
 * const file = readBicep('infra/app/events.bicep');
 * const sub = file.resources.find((r) => r.type === 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
 * valueOf(sub!.body, 'properties'); // the text of the properties object, braces included
 */
import { readFileSync } from 'node:fs';

/** One `resource name 'Type@version' = ...` declaration. */
export interface ResourceDeclaration {
  readonly symbol: string;
  readonly type: string;
  readonly apiVersion: string;
  /** `existing` references name a resource, they do not create one. */
  readonly existing: boolean;
  /** The resource body, `{` to `}`. */
  readonly body: string;
}

export interface BicepFile {
  readonly path: string;
  /** The source with comments blanked out (same length, so offsets stay valid). */
  readonly code: string;
  readonly resources: readonly ResourceDeclaration[];
}

export function readBicep(path: string): BicepFile {
  const code = stripComments(readFileSync(path, 'utf8'));
  return { path, code, resources: resourceDeclarations(code) };
}

/** Replaces `//` and `/* *\/` comments by spaces, leaving strings (where `//` is common in URLs) intact. */
export function stripComments(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    const next = source[i + 1];
    if (ch === "'") {
      const end = stringEnd(source, i);
      out += source.slice(i, end);
      i = end;
    } else if (ch === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (ch === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** Index just past the string literal that starts at `start` (`'...'` with `\'` escapes, or `'''...'''`). */
function stringEnd(text: string, start: number): number {
  if (text.startsWith("'''", start)) {
    const end = text.indexOf("'''", start + 3);
    return end === -1 ? text.length : end + 3;
  }
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === "'") return i + 1;
    else i++;
  }
  return text.length;
}

const OPEN: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

/** The balanced text from the bracket at `start` to its partner, both included. */
export function balanced(text: string, start: number): string {
  const stack: string[] = [];
  let i = start;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "'") {
      i = stringEnd(text, i);
      continue;
    }
    if (OPEN[ch]) stack.push(OPEN[ch]);
    else if (ch === '}' || ch === ']' || ch === ')') {
      if (stack.pop() !== ch) throw new Error(`unbalanced '${ch}' at offset ${i}`);
      if (stack.length === 0) return text.slice(start, i + 1);
    }
    i++;
  }
  throw new Error(`no closing bracket for offset ${start}`);
}

function resourceDeclarations(code: string): ResourceDeclaration[] {
  const found: ResourceDeclaration[] = [];
  const declaration = /^\s*resource\s+(\w+)\s+'([^'@]+)@([^']+)'\s+(existing\s+)?=/gm;
  for (const match of code.matchAll(declaration)) {
    const bodyStart = code.indexOf('{', match.index + match[0].length);
    if (bodyStart === -1) throw new Error(`resource ${match[1]} has no body`);
    found.push({
      symbol: match[1]!,
      type: match[2]!,
      apiVersion: match[3]!,
      existing: Boolean(match[4]),
      body: balanced(code, bodyStart),
    });
  }
  return found;
}

/** Walks the direct children of an object or array text (depth 1), calling `visit` with each offset. */
function atDepthOne(container: string, visit: (offset: number) => void): void {
  let depth = 0;
  let i = 0;
  while (i < container.length) {
    const ch = container[i]!;
    if (ch === "'") {
      if (depth === 1) visit(i);
      i = stringEnd(container, i);
      continue;
    }
    if (ch === '{' || ch === '[' || ch === '(') {
      if (depth === 1) visit(i);
      depth++;
    } else if (ch === '}' || ch === ']' || ch === ')') depth--;
    else if (depth === 1) visit(i);
    i++;
  }
}

/** Keys of an object literal's own properties (not nested ones), in order. */
export function keysOf(objectText: string): string[] {
  const keys: string[] = [];
  let lineStart = true;
  atDepthOne(objectText, (offset) => {
    const ch = objectText[offset]!;
    // A property starts a line, or follows a comma on a one-line object.
    if (ch === '\n' || ch === ',') {
      lineStart = true;
      return;
    }
    if (!lineStart || /\s/.test(ch)) return;
    lineStart = false;
    const key = /^('[^']*'|[A-Za-z_][\w]*)\s*:/.exec(objectText.slice(offset));
    if (key) keys.push(key[1]!.replace(/^'|'$/g, ''));
  });
  return keys;
}

/** The text of one own property's value: a balanced object or array, or the rest of the line. */
export function valueOf(objectText: string, key: string): string | undefined {
  let value: string | undefined;
  let lineStart = true;
  atDepthOne(objectText, (offset) => {
    const ch = objectText[offset]!;
    if (ch === '\n' || ch === ',') {
      lineStart = true;
      return;
    }
    if (!lineStart || /\s/.test(ch)) return;
    lineStart = false;
    if (value !== undefined) return;
    const match = /^('[^']*'|[A-Za-z_][\w]*)\s*:\s*/.exec(objectText.slice(offset));
    if (!match || match[1]!.replace(/^'|'$/g, '') !== key) return;
    const start = offset + match[0].length;
    value = objectText.slice(start, valueEnd(objectText, start)).trim();
  });
  return value;
}

/** Where a value that starts at `start` ends: the first newline or comma outside brackets and strings. */
function valueEnd(text: string, start: number): number {
  let i = start;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "'") {
      i = stringEnd(text, i);
      continue;
    }
    if (ch === '{' || ch === '[' || ch === '(') {
      i += balanced(text, i).length;
      continue;
    }
    if (ch === '\n' || ch === ',' || ch === '}' || ch === ']') return i;
    i++;
  }
  return i;
}

/** Follows a path of property names through nested objects; undefined when any step is missing. */
export function pathOf(objectText: string, ...path: string[]): string | undefined {
  let current: string | undefined = objectText;
  for (const key of path) {
    if (current === undefined) return undefined;
    current = valueOf(current, key);
  }
  return current;
}

/** The elements of an array literal that are objects, as texts. */
export function objectItems(arrayText: string): string[] {
  const items: string[] = [];
  atDepthOne(arrayText, (offset) => {
    if (arrayText[offset] === '{') items.push(balanced(arrayText, offset));
  });
  return items;
}

/** The plain string literals directly inside an array literal (interpolated strings included as written). */
export function stringItems(arrayText: string): string[] {
  const items: string[] = [];
  atDepthOne(arrayText, (offset) => {
    if (arrayText[offset] === "'") items.push(unquote(arrayText.slice(offset, stringEnd(arrayText, offset))));
  });
  return items;
}

/** `'text'` to `text`; anything else unchanged. */
export function unquote(literal: string): string {
  const trimmed = literal.trim();
  return /^'.*'$/s.test(trimmed) ? trimmed.slice(1, -1).replace(/\\'/g, "'") : trimmed;
}

/** One `param` declaration with the decorators written on the lines just above it. */
export interface ParamDeclaration {
  readonly name: string;
  readonly type: string;
  readonly defaultValue?: string;
  readonly decorators: readonly string[];
}

export function paramsOf(code: string): Map<string, ParamDeclaration> {
  const params = new Map<string, ParamDeclaration>();
  const lines = code.split('\n');
  lines.forEach((line, index) => {
    const match = /^param\s+(\w+)\s+(\w+)(?:\s*=\s*(.+?))?\s*$/.exec(line);
    if (!match) return;
    const decorators: string[] = [];
    for (let above = index - 1; above >= 0 && lines[above]!.trim().startsWith('@'); above--) {
      decorators.unshift(lines[above]!.trim());
    }
    params.set(match[1]!, {
      name: match[1]!,
      type: match[2]!,
      ...(match[3] === undefined ? {} : { defaultValue: match[3] }),
      decorators,
    });
  });
  return params;
}

/** The values of an `@allowed([...])` decorator, or undefined when there is none. */
export function allowedValues(param: ParamDeclaration): string[] | undefined {
  const decorator = param.decorators.find((d) => d.startsWith('@allowed('));
  if (!decorator) return undefined;
  return stringItems(balanced(decorator, decorator.indexOf('[')));
}
