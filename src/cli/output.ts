import { Option } from 'commander';

export type OutputFormat = 'json' | 'table';

/** The `--output json|table` option every listing command takes (Azure CLI style). */
export function outputOption(defaultFormat: OutputFormat = 'table'): Option {
  return new Option('-o, --output <format>', 'output format').choices(['json', 'table']).default(defaultFormat);
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Renders rows as an aligned text table; columns in the order given. */
export function renderTable(rows: ReadonlyArray<Record<string, unknown>>, columns?: readonly string[]): string {
  if (rows.length === 0) return '(none)';
  const cols = columns ?? Object.keys(rows[0] ?? {});
  const cell = (v: unknown): string => {
    if (v === undefined || v === null) return '';
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v.toString();
    return JSON.stringify(v) ?? '';
  };
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(cols.map((c) => c.toUpperCase())),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
  ].join('\n');
}

export function print(io: Io, format: OutputFormat, data: unknown, table: () => string): void {
  io.out(format === 'json' ? JSON.stringify(data, null, 2) : table());
}

/** Progress on stderr, only when a person is watching (never pollutes JSON on stdout). */
export function progress(io: Io = processIo): (done: number, total: number, label?: string) => void {
  const tty = process.stderr.isTTY;
  let lastShownAt = 0;
  return (done, total, label = '') => {
    if (!tty) return;
    const now = Date.now();
    if (done < total && now - lastShownAt < 200) return;
    lastShownAt = now;
    process.stderr.write(`\r${label} ${done}/${total}${done >= total ? '\n' : ''}`);
    void io;
  };
}
