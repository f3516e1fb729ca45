import { describe, expect, it } from 'vitest';
import { chunksOf } from '../../src/domain/collections.js';
import { lockSignature, locksOfSignature } from '../../src/domain/locks.js';
import type { ManagementLock } from '../../src/domain/model.js';

describe('locksOfSignature: the locks an inventory row recorded', () => {
  it('gives back the locks lockSignature was made of, in its order, and none for an empty signature', () => {
    const locks: ManagementLock[] = [
      { level: 'ReadOnly', name: 'audit' },
      { level: 'CanNotDelete', name: 'keep, please' },
      { level: 'CanNotDelete', name: 'a' },
    ];
    const signature = lockSignature(locks);
    expect(signature).toBe('CanNotDelete:a,CanNotDelete:keep, please,ReadOnly:audit');
    expect(locksOfSignature(signature)).toEqual([
      { level: 'CanNotDelete', name: 'a' },
      { level: 'CanNotDelete', name: 'keep, please' },
      { level: 'ReadOnly', name: 'audit' },
    ]);
    expect(lockSignature(locksOfSignature(signature))).toBe(signature);
    expect(locksOfSignature('')).toEqual([]);
  });

  it('reads an entry it cannot parse as a lock that blocks deletion, never as none', () => {
    expect(locksOfSignature('mystery')).toEqual([{ level: 'CanNotDelete', name: 'mystery' }]);
  });
});

describe('chunksOf', () => {
  it('cuts items into consecutive groups of at most the size, in order', () => {
    expect(chunksOf([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunksOf([1, 2], 0)).toEqual([[1], [2]]);
    expect(chunksOf([], 4)).toEqual([]);
  });
});
