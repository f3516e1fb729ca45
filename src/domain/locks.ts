import type { LockLevel, ManagementLock } from './model.js';

/** A lock with the lower-case id of the scope it sits on, as a subscription-wide lock listing returns it. */
export interface ScopedLock extends ManagementLock {
  readonly scope: string;
}

/**
 * The scope a lock id names: everything before `/providers/Microsoft.Authorization/locks/{name}`, lower-case.
 * @example lockScopeOf('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Authorization/locks/keep') // '/subscriptions/s/resourcegroups/rg'
 */
export function lockScopeOf(lockId: string): string | undefined {
  const match = /^(\/subscriptions\/.+?)\/providers\/microsoft\.authorization\/locks\/[^/]+$/i.exec(lockId.trim());
  return match ? match[1]!.toLowerCase() : undefined;
}

/** The locks of a subscription-wide listing that apply to one server: on it, its resource group or its subscription. */
export function locksOn(serverKey: string, locks: readonly ScopedLock[]): ManagementLock[] {
  const key = serverKey.toLowerCase();
  return locks
    .filter((l) => key === l.scope || key.startsWith(`${l.scope}/`))
    .map(({ scope: _scope, ...lock }) => lock);
}

/**
 * The locks a `lockSignature` was made of (their notes are not in it): the locks an inventory row last recorded.
 * @example locksOfSignature('CanNotDelete:keep,ReadOnly:audit') // [{ level: 'CanNotDelete', name: 'keep' }, { level: 'ReadOnly', name: 'audit' }]
 */
export function locksOfSignature(signature: string): ManagementLock[] {
  if (signature === '') return [];
  // Entries split where the next one starts (a lock name may hold a comma, never a colon).
  return signature.split(/,(?=(?:CanNotDelete|ReadOnly):)/).map((entry) => {
    const at = entry.indexOf(':');
    // Not written by lockSignature: still a lock, of the level that blocks deletion.
    if (at < 0) return { level: 'CanNotDelete', name: entry };
    return { level: entry.slice(0, at) as LockLevel, name: entry.slice(at + 1) };
  });
}

/** Order-independent text of a set of locks, to tell whether they changed (empty for none). */
export function lockSignature(locks: readonly ManagementLock[] | undefined): string {
  return (locks ?? [])
    .map((l) => `${l.level}:${l.name}`)
    .sort()
    .join(',');
}
