import { ConcurrencyError, type CheckpointsPort } from '../ports/inventory.js';

/** Checkpoint holding when the warden first ran a job here (ISO): the health check's "fresh deployment" anchor. */
export const WARDEN_SINCE_CHECKPOINT = 'warden:since';

/** Records `at` as the warden's start unless one is recorded (first writer wins; one read on later runs). */
export async function recordWardenStart(checkpoints: CheckpointsPort, at: string): Promise<void> {
  if (await checkpoints.get(WARDEN_SINCE_CHECKPOINT)) return;
  try {
    await checkpoints.set(WARDEN_SINCE_CHECKPOINT, at, { ifMatch: null });
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error;
  }
}

/** When the warden started (see recordWardenStart), or undefined before its first job ran. */
export async function wardenSince(checkpoints: CheckpointsPort): Promise<Date | undefined> {
  const value = (await checkpoints.get(WARDEN_SINCE_CHECKPOINT))?.value;
  const at = value ? new Date(value) : undefined;
  return at && !Number.isNaN(at.getTime()) ? at : undefined;
}
