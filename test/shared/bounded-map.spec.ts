import { describe, expect, it } from '@jest/globals';
import { BoundedMap, MapSweep } from '../../lib/shared/bounded-map.js';

const expired = (expiresAt: number, now: number): boolean => expiresAt <= now;

describe('BoundedMap', () => {
  it('keeps at most maxKeys entries, evicting the least recently used (a read counts as a use)', () => {
    const map = new BoundedMap<string, number>(2, expired);
    map.set('a', 10);
    map.set('b', 10);
    expect(map.get('a')).toBe(10); // b is now the least recently used
    map.set('c', 10);
    expect(map.size).toBe(2);
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe(10);
    expect(map.get('c')).toBe(10);
    map.set('a', 20); // a write moves the entry too: c goes next
    map.set('d', 10);
    expect([map.get('a'), map.get('c'), map.get('d')]).toEqual([20, undefined, 10]);
  });

  it('sweeps dead entries a budget at a time, resuming where it stopped', () => {
    const map = new BoundedMap<number, number>(100, expired);
    for (let i = 0; i < 10; i++) map.set(i, i % 2 === 0 ? 5 : 50);
    expect(map.sweep(10, 4)).toBe(2); // entries 0-3
    expect(map.sweep(10, 4)).toBe(2); // entries 4-7
    expect(map.sweep(10, 4)).toBe(1); // entries 8-9, then the end
    expect(map.size).toBe(5);
    expect(map.sweep(60, 100)).toBe(5); // from the start again
    expect(map.size).toBe(0);
    map.set(1, 5);
    expect(map.delete(1)).toBe(true);
    expect(map.delete(1)).toBe(false);
  });
});

describe('MapSweep', () => {
  it('sweeps a Map it does not own, and starts over after restart()', () => {
    const map = new Map<string, number>([
      ['a', 1],
      ['b', 100],
      ['c', 1],
    ]);
    const sweep = new MapSweep(map, expired);
    expect(sweep.run(10, 1)).toBe(1);
    expect([...map.keys()]).toEqual(['b', 'c']);
    map.set('a', 1);
    sweep.restart();
    expect(sweep.run(10, 2)).toBe(1); // b kept, c removed; a (re-added last) not reached yet
    expect([...map.keys()]).toEqual(['b', 'a']);
  });
});
