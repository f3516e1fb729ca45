import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkTemplates } from '../domain/notices/check.js';
import type { MailTemplate, NoticeTemplates } from '../domain/notices/render.js';

/**
 * Where notice templates are read from: the `dir` argument (the TEMPLATES_DIR setting), else `templates/`, both
 * against the working directory (the package root for `func start`, the CLI and the deployed function app).
 */
export function templatesDir(dir?: string): string {
  return resolve(process.cwd(), dir ?? 'templates');
}

/**
 * Reads `owner-digest`, `finops-summary` and `review-digest` (each `.subject.txt`, `.txt`, `.html`) and checks them by
 * rendering sample data once (a typo in a placeholder fails here, naming the file).
 * @example const templates = await loadTemplates(); renderDigest(digest, templates);
 */
export async function loadTemplates(dir?: string): Promise<NoticeTemplates> {
  const root = templatesDir(dir);
  const templates: NoticeTemplates = {
    ownerDigest: await loadMailTemplate(root, 'owner-digest'),
    finopsSummary: await loadMailTemplate(root, 'finops-summary'),
    reviewDigest: await loadMailTemplate(root, 'review-digest'),
  };
  checkTemplates(templates);
  return templates;
}

async function loadMailTemplate(root: string, name: string): Promise<MailTemplate> {
  const read = async (file: string): Promise<string> => {
    const path = join(root, file);
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      throw new Error(`Cannot read notice template ${path} (set TEMPLATES_DIR to the templates folder)`, {
        cause: error,
      });
    }
  };
  return {
    subject: await read(`${name}.subject.txt`),
    text: await read(`${name}.txt`),
    html: await read(`${name}.html`),
  };
}
