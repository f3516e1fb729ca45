import { Command } from 'commander';
import { readFile, stat } from 'node:fs/promises';
import { EventFormatError, MAX_DELIVERY_BYTES, parseDeliveryText, type ParsedEvent } from '../../domain/events.js';
import { processIo, type Io } from '../output.js';

/** What `classify` prints for one event: the fields of the contract, in its order. */
function outputLine(event: ParsedEvent): string {
  if (event.kind === 'ignored') return JSON.stringify({ source: event.source, kind: event.kind, reason: event.reason });
  return JSON.stringify({
    source: event.source,
    kind: event.kind,
    key: event.key,
    engine: event.engine,
    resourceId: event.resourceId,
    subscriptionId: event.subscriptionId,
    resourceGroup: event.resourceGroup,
    serverName: event.serverName,
    operationName: event.operationName,
    eventTime: event.eventTime,
    correlationId: event.correlationId,
    actor: event.actor,
  });
}

/**
 * The pure part of `pitr-warden classify`: one JSON line per event of the delivery.
 * @throws EventFormatError when the text is not JSON or not an event.
 * @example classifyFileText(readFileSync('event.json', 'utf8')).lines // ['{"source":"event-grid","kind":"changed",…}']
 */
export function classifyFileText(text: string): { lines: string[] } {
  return { lines: parseDeliveryText(text).map(outputLine) };
}

/** Reads the delivery as bytes, refusing more than the delivery limit without reading it all. */
async function readInput(file: string, stdin: AsyncIterable<Buffer | string>): Promise<string> {
  const tooLarge = (bytes: number) =>
    new EventFormatError(
      `${file === '-' ? 'standard input' : file}: ${bytes} bytes is over the limit of ${MAX_DELIVERY_BYTES} bytes (1 MiB)`,
    );
  if (file !== '-') {
    const { size } = await stat(file);
    if (size > MAX_DELIVERY_BYTES) throw tooLarge(size);
    return readFile(file, 'utf8');
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += buffer.byteLength;
    if (bytes > MAX_DELIVERY_BYTES) throw tooLarge(bytes);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface ClassifyOptions {
  /** Standard input, read when the file is `-`. */
  readonly stdin?: AsyncIterable<Buffer | string>;
  /** Sets the exit status (default `process.exitCode`), so library code never calls process.exit. */
  readonly setExitCode?: (code: number) => void;
}

/**
 * `pitr-warden classify <file>`: prints the normalised events of one delivery, one JSON object per line,
 * without calling Azure. Input that cannot be read, is not JSON or is not an event: exit status 2, the
 * problem on stderr, nothing on stdout.
 * @example program.addCommand(classifyCommand());
 */
export function classifyCommand(io: Io = processIo, options: ClassifyOptions = {}): Command {
  const setExitCode = options.setExitCode ?? ((code: number) => (process.exitCode = code));
  return new Command('classify')
    .description(
      'print the events of one delivery (Event Grid, CloudEvents 1.0 or an Activity Log alert) as JSON lines, without calling Azure',
    )
    .argument('<file>', 'the delivery exactly as received (JSON or base64 JSON); - reads standard input')
    .action(async (file: string) => {
      let lines: string[];
      try {
        const text = await readInput(file, options.stdin ?? (process.stdin as AsyncIterable<Buffer>));
        lines = classifyFileText(text).lines;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (!(error instanceof EventFormatError) && code === undefined) throw error;
        const message =
          error instanceof EventFormatError ? error.message : `cannot read ${file}: ${(error as Error).message}`;
        io.err(`pitr-warden classify: ${message}`);
        setExitCode(2);
        return;
      }
      io.out(lines.join('\n'));
    });
}
