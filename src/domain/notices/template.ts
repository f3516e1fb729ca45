/**
 * A tiny Mustache-like template language for notice templates a team can edit. Supported:
 *   {{name}} {{a.b}} {{.}}   a value: HTML-escaped in `html` mode, control characters flattened in `text` mode
 *   {{#name}}...{{/name}}    a list repeated per element, or a block shown when the value is truthy
 *   {{^name}}...{{/name}}    a block shown when the value is falsy (false, '', 0, undefined) or an empty list
 *   {{#list.length}}         a block shown once when a list is not empty
 *   {{! comment }}
 * There is no unescaped output and no code: a name that the view does not define is an error, so a typo in a
 * template fails loudly instead of sending a blank. A line holding only a section tag or comment is dropped.
 * @example renderTemplate('Hi {{name}}', { name: '<b>' }, 'html') // 'Hi &lt;b&gt;'
 */

export type TemplateMode = 'html' | 'text';

export class TemplateError extends Error {
  override name = 'TemplateError';
}

type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'value'; readonly name: string }
  | { readonly kind: 'section'; readonly name: string; readonly inverted: boolean; readonly children: Node[] };

const TAG = /{{\s*([#^/!]?)\s*([^}]*?)\s*}}/g;
const STANDALONE = /^[ \t]*({{\s*[#^/!][^}]*}})[ \t]*\r?\n/gm;
const NAME = /^(\.|[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)$/;

/** Parses a template; throws TemplateError naming the template and the problem. */
export function parseTemplate(source: string, templateName = 'template'): Node[] {
  const text = source.replace(STANDALONE, '$1');
  const root: Node[] = [];
  const stack: { name: string; children: Node[] }[] = [{ name: '', children: root }];
  let last = 0;
  for (const match of text.matchAll(TAG)) {
    const [whole, sigil = '', name = ''] = match;
    const top = stack[stack.length - 1]!;
    if (match.index > last) top.children.push({ kind: 'text', text: text.slice(last, match.index) });
    last = match.index + whole.length;
    if (sigil === '!') continue;
    if (!NAME.test(name)) throw new TemplateError(`${templateName}: "${whole}" is not a placeholder name`);
    if (sigil === '/') {
      if (stack.length === 1 || top.name !== name)
        throw new TemplateError(
          `${templateName}: "{{/${name}}}" closes ${stack.length === 1 ? 'nothing' : `"{{#${top.name}}}"`}`,
        );
      stack.pop();
    } else if (sigil === '#' || sigil === '^') {
      const section: Node = { kind: 'section', name, inverted: sigil === '^', children: [] };
      top.children.push(section);
      stack.push({ name, children: section.children });
    } else {
      top.children.push({ kind: 'value', name });
    }
  }
  if (stack.length > 1)
    throw new TemplateError(`${templateName}: "{{#${stack[stack.length - 1]!.name}}}" is never closed`);
  if (last < text.length) root.push({ kind: 'text', text: text.slice(last) });
  return root;
}

/** Renders a template against a view; every value is escaped for `mode`. */
export function renderTemplate(source: string, view: object, mode: TemplateMode, templateName = 'template'): string {
  return renderNodes(parseTemplate(source, templateName), [view], mode, templateName);
}

function renderNodes(
  nodes: readonly Node[],
  scopes: readonly unknown[],
  mode: TemplateMode,
  templateName: string,
): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') {
      out += node.text;
    } else if (node.kind === 'value') {
      out += escapeFor(mode, display(lookup(node.name, scopes, templateName)));
    } else {
      const value = lookup(node.name, scopes, templateName);
      const empty =
        value === undefined ||
        value === null ||
        value === false ||
        value === '' ||
        value === 0 ||
        (Array.isArray(value) && value.length === 0);
      if (node.inverted) {
        if (empty) out += renderNodes(node.children, scopes, mode, templateName);
      } else if (Array.isArray(value)) {
        for (const element of value) out += renderNodes(node.children, [...scopes, element], mode, templateName);
      } else if (!empty) {
        out += renderNodes(node.children, typeof value === 'object' ? [...scopes, value] : scopes, mode, templateName);
      }
    }
  }
  return out;
}

/** Looks a dotted name up from the innermost scope outwards; a name no scope defines is an error. */
function lookup(name: string, scopes: readonly unknown[], templateName: string): unknown {
  if (name === '.') return scopes[scopes.length - 1];
  const [head = '', ...rest] = name.split('.');
  for (let i = scopes.length - 1; i >= 0; i--) {
    const scope = scopes[i];
    if (scope !== null && typeof scope === 'object' && Object.prototype.hasOwnProperty.call(scope, head)) {
      let value: unknown = (scope as Record<string, unknown>)[head];
      for (const part of rest) {
        value =
          value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, part)
            ? (value as Record<string, unknown>)[part]
            : undefined;
      }
      return value;
    }
  }
  throw new TemplateError(`${templateName}: "{{${name}}}" is not defined here`);
}

function display(value: unknown): string {
  if (value === undefined || value === null || value === false) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

function escapeFor(mode: TemplateMode, value: string): string {
  // Tag values may carry newlines or control characters: flatten them so they cannot forge lines or headers.
  // eslint-disable-next-line no-control-regex
  const flat = value.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return mode === 'html' ? escapeHtml(flat) : flat;
}

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => HTML_ENTITIES[c] ?? c);
}
