import { parseServerId } from '../../../domain/ids.js';
import type { Server } from '../../../domain/model.js';
import { serverFromArm } from '../../../domain/snapshot.js';

/**
 * An SDK server model of any engine (properties flattened, dates as Date) to the warden's Server, through the
 * converter snapshots use. Undefined for ids that are not a server; a malformed server throws, so a listing is never
 * silently short.
 */
export function serverFromSdk(s: { id?: string }): Server | undefined {
  const ref = s.id ? parseServerId(s.id) : undefined;
  if (!ref || ref.child) return undefined;
  return serverFromArm(s, {}, s.id);
}
