import type { Command } from 'commander';
import { classifyCommand } from './classify.js';
import { dashboardCommand } from './dashboard.js';
import { confirmCommand, promoteCommand } from './decisions.js';
import { drillCommand } from './drill.js';
import { emulatorCommand } from './emulator.js';
import { evidenceCommand, inventoryCommand } from './inventory.js';
import { noticesCommand } from './notices.js';
import { planCommand } from './plan.js';
import { policyCommand } from './policy.js';
import { restoreCommand } from './restore.js';
import { runCommand } from './run.js';
import { reconcileCommand, snapshotCommand } from './snapshot.js';
import { statusCommand } from './status.js';
import { sweepCommand } from './sweep.js';
import { tagCommands } from './tags.js';

/** Every command of the CLI, in one list. */
export function commands(): Command[] {
  return [
    classifyCommand(),
    confirmCommand(),
    dashboardCommand(),
    drillCommand(),
    emulatorCommand(),
    inventoryCommand(),
    evidenceCommand(),
    noticesCommand(),
    planCommand(),
    policyCommand(),
    reconcileCommand(),
    restoreCommand(),
    runCommand(),
    snapshotCommand(),
    statusCommand(),
    sweepCommand(),
    ...tagCommands(),
    promoteCommand(),
  ];
}
