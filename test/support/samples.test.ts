import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sample, SAMPLES_DIR } from './samples.js';

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [relative(SAMPLES_DIR, join(dir, e.name))]));

describe('test/fixtures/azure-samples', () => {
  const listed = readFileSync(join(SAMPLES_DIR, 'SOURCES.tsv'), 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line.trim())
    .map((line) => line.split('\t'));

  it('lists every sample in SOURCES.tsv with its repository, path and commit, and holds every listed file', () => {
    const present = files(SAMPLES_DIR).filter((f) => f !== 'SOURCES.tsv' && f !== 'README.md');
    expect(listed.map(([file]) => file).sort()).toEqual(present.sort());
    for (const [file, source] of listed) expect(source, file).toMatch(/^(Azure\/azure-rest-api-specs|MicrosoftDocs\/azure-docs) \S+ @[0-9a-f]{40}/);
  });

  it('names the missing file and how to add it', () => {
    expect(() => void sample('postgresql-2025-08-01/NoSuchExample.json')).toThrow(
      /^Missing Microsoft sample test\/fixtures\/azure-samples\/postgresql-2025-08-01\/NoSuchExample\.json: copy it unedited .*azure-samples\/SOURCES\.tsv\.$/,
    );
  });
});
