import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTemplates, templatesDir } from '../../src/adapters/noticeTemplates.js';
import { escapeHtml, renderTemplate, TemplateError } from '../../src/domain/notices/template.js';

const shipped = new URL('../../templates', import.meta.url).pathname;

describe('renderTemplate', () => {
  it('renders values, dotted names, lists, conditions and inverted sections', () => {
    const view = {
      who: 'Ana',
      box: { n: 2 },
      items: [{ name: 'a' }, { name: 'b' }],
      none: [],
      yes: true,
      no: false,
      zero: 0,
      words: ['<x>', 'y'],
    };
    expect(renderTemplate('Hi {{ who }} ({{box.n}})', view, 'text')).toBe('Hi Ana (2)');
    expect(renderTemplate('{{#items}}[{{name}} for {{who}}]{{/items}}', view, 'text')).toBe('[a for Ana][b for Ana]');
    expect(renderTemplate('{{#none}}x{{/none}}{{^none}}empty{{/none}}', view, 'text')).toBe('empty');
    expect(renderTemplate('{{#yes}}Y{{/yes}}{{#no}}N{{/no}}{{^no}}n{{/no}}{{#zero}}Z{{/zero}}', view, 'text')).toBe(
      'Yn',
    );
    expect(renderTemplate('{{#items.length}}{{items.length}} items{{/items.length}}', view, 'text')).toBe('2 items');
    expect(renderTemplate('{{#words}}[{{.}}]{{/words}}', view, 'html')).toBe('[&lt;x&gt;][y]');
    expect(renderTemplate('a{{! a comment }}b', view, 'text')).toBe('ab');
  });

  it('drops lines that hold only a section tag or comment', () => {
    const source = 'start\n{{! note }}\n{{#items}}\n- {{name}}\n{{/items}}\nend\n';
    expect(renderTemplate(source, { items: [{ name: 'a' }, { name: 'b' }] }, 'text')).toBe('start\n- a\n- b\nend\n');
  });

  it('escapes & < > " \' ` in html mode and nothing in text mode', () => {
    const value = `&<>"'\``;
    expect(escapeHtml(value)).toBe('&amp;&lt;&gt;&quot;&#39;&#96;');
    expect(renderTemplate('<a title="{{v}}">{{v}}</a>', { v: value }, 'html')).toBe(
      '<a title="&amp;&lt;&gt;&quot;&#39;&#96;">&amp;&lt;&gt;&quot;&#39;&#96;</a>',
    );
    expect(renderTemplate('{{v}}', { v: value }, 'text')).toBe(value);
  });

  it('fails loudly on an unknown name, an unclosed or mismatched section, and a bad placeholder', () => {
    expect(() => renderTemplate('{{nmae}}', { name: 'x' }, 'text', 'owner-digest.txt')).toThrow(
      new TemplateError('owner-digest.txt: "{{nmae}}" is not defined here'),
    );
    expect(() => renderTemplate('{{#a}}x', { a: true }, 'text', 't')).toThrow('t: "{{#a}}" is never closed');
    expect(() => renderTemplate('{{#a}}x{{/b}}', { a: true, b: true }, 'text', 't')).toThrow(
      't: "{{/b}}" closes "{{#a}}"',
    );
    expect(() => renderTemplate('{{{raw}}}', { raw: '<b>' }, 'html', 't')).toThrow(TemplateError);
  });
});

describe('loadTemplates', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const copy = () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-templates-'));
    dirs.push(dir);
    cpSync(shipped, dir, { recursive: true });
    return dir;
  };

  it('loads the shipped templates, from the TEMPLATES_DIR setting (relative to the app root) or ./templates', async () => {
    const templates = await loadTemplates(shipped);
    expect(templates.ownerDigest.html).toContain('{{#clones}}');
    expect(templates.finopsSummary.subject).toContain('{{aliveCount}}');

    const dir = copy();
    writeFileSync(join(dir, 'owner-digest.subject.txt'), 'Custom: {{cloneCount}} clones');
    expect(templatesDir(dir)).toBe(dir);
    expect((await loadTemplates(dir)).ownerDigest.subject).toBe('Custom: {{cloneCount}} clones');
    expect(templatesDir('templates')).toBe(join(process.cwd(), 'templates'));
    expect(templatesDir()).toBe(join(process.cwd(), 'templates'));
  });

  it('rejects a template with a typo at load time, naming the file', async () => {
    const dir = copy();
    writeFileSync(join(dir, 'finops-summary.html'), '<p>{{alivecount}}</p>');
    await expect(loadTemplates(dir)).rejects.toThrow('finops-summary.html: "{{alivecount}}" is not defined here');
  });

  it('names the missing file and the setting to fix', async () => {
    const dir = copy();
    rmSync(join(dir, 'owner-digest.txt'));
    await expect(loadTemplates(dir)).rejects.toThrow(
      `Cannot read notice template ${join(dir, 'owner-digest.txt')} (set TEMPLATES_DIR to the templates folder)`,
    );
  });
});
