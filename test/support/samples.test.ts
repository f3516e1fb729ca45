import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sample, SAMPLES_DIR } from './samples.js';

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [relative(SAMPLES_DIR, join(dir, e.name))],
  );

describe('test/fixtures/azure-samples', () => {
  // The top SOURCES.tsv (file, source) and any folder's own (file, repository, path, commit), paths from their folder.
  const sources = files(SAMPLES_DIR).filter((f) => f.endsWith('SOURCES.tsv'));
  const listed = sources.flatMap((tsv) =>
    readFileSync(join(SAMPLES_DIR, tsv), 'utf8')
      .split('\n')
      .slice(1)
      .filter((line) => line.trim())
      .map((line) => line.split('\t'))
      .map(([file, ...source]) => [join(dirname(tsv), file!), source.join(' ')] as const),
  );

  it('lists every sample in a SOURCES.tsv with its repository, path and commit, and holds every listed file', () => {
    const present = files(SAMPLES_DIR).filter((f) => !f.endsWith('SOURCES.tsv') && f !== 'README.md');
    expect(listed.map(([file]) => file).sort()).toEqual(present.sort());
    for (const [file, source] of listed)
      expect(source, file).toMatch(/^(Azure\/azure-rest-api-specs|MicrosoftDocs\/azure-docs) \S+ @?[0-9a-f]{40}/);
  });

  it('names the missing file and how to add it', () => {
    expect(() => void sample('postgresql-2025-08-01/NoSuchExample.json')).toThrow(
      /^Missing Microsoft sample test\/fixtures\/azure-samples\/postgresql-2025-08-01\/NoSuchExample\.json: copy it unedited .*azure-samples\/SOURCES\.tsv\.$/,
    );
  });
});
