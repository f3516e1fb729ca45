import type { Command } from 'commander';

/** Every command of the CLI, in one list. */
export function commands(): Command[] {
  return [];
}
