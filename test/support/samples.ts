// Microsoft's published payloads, kept unedited in test/fixtures/azure-samples (sources in its SOURCES.tsv).
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Parsed JSON that tests read and spoil freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are edited freely in tests
export type Editable = any;

export const SAMPLES_DIR = fileURLToPath(new URL('../fixtures/azure-samples/', import.meta.url));

/** The absolute path of a sample; throws one message naming the missing file and how to add it. */
export function samplePath(path: string): string {
  const full = resolve(SAMPLES_DIR, path);
  if (!existsSync(full)) {
    const shown = relative(process.cwd(), full) || full;
    throw new Error(
      `Missing Microsoft sample ${shown}: copy it unedited from its source (Azure/azure-rest-api-specs or MicrosoftDocs/azure-docs) and add its line to test/fixtures/azure-samples/SOURCES.tsv.`,
    );
  }
  return full;
}

export const sampleText = (path: string): string => readFileSync(samplePath(path), 'utf8');
export const sample = (path: string): Editable => JSON.parse(sampleText(path));
