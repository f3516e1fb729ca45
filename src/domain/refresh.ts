/**
 * The full-refresh schedule of reconcile: every clone's firewall rules and locks are read live once per period even
 * when nothing says they changed, at a moment of the period fixed by its key, so the reads spread evenly over the
 * period instead of arriving together. A run that covers the window (since, now] refreshes the clones whose moment
 * falls inside it; a window as long as the period (a first run, or runs that failed for that long) refreshes all.
 * @example refreshDue(key, { since: lastRun, now, periodMs: 6 * 3_600_000 }) // true for about 5 min / 6 h of the clones
 */
export function refreshDue(key: string, window: { since: Date; now: Date; periodMs: number }): boolean {
  const { since, now, periodMs } = window;
  const end = now.getTime();
  if (!(periodMs > 0) || end - since.getTime() >= periodMs) return true;
  const phase = phaseOf(key, periodMs);
  // The latest moment at or before `now` that is this key's phase of a period.
  const latest = end - ((((end - phase) % periodMs) + periodMs) % periodMs);
  return latest > since.getTime();
}

/** A key's moment within the period: FNV-1a of the key, so it is the same in every process and run. */
function phaseOf(key: string, periodMs: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return Math.floor((hash / 0x1_0000_0000) * periodMs);
}
