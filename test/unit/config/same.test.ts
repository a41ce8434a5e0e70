// sameSettings (src/config/same.ts): model parts compared whatever their source places.
import { describe, expect, it } from 'vitest';
import { sameSettings } from '../../../src/config/same.js';

describe('sameSettings', () => {
  it('compares values, arrays, bytes and nested objects; not loc, symbol keys, nor the skipped key', () => {
    const place = Symbol('loc:weight');
    const a = { weight: 1, address: { family: 'inet', bytes: new Uint8Array([10, 0, 0, 1]) }, list: [1, 'x'], loc: { file: 'a', line: 1, col: 1 }, [place]: 5, checkers: [1] };
    const b = { weight: 1, address: { family: 'inet', bytes: new Uint8Array([10, 0, 0, 1]) }, list: [1, 'x'], loc: { file: 'b', line: 9, col: 3 }, [place]: 7, checkers: [2] };
    expect(sameSettings(a, b, 'checkers')).toBe(true);
    expect(sameSettings(a, b)).toBe(false);
    expect(sameSettings(a, { ...b, address: { family: 'inet', bytes: new Uint8Array([10, 0, 0, 2]) } }, 'checkers')).toBe(false);
    expect(sameSettings(a, { ...b, list: [1, 'x', 2] }, 'checkers')).toBe(false);
    expect(sameSettings(a, { ...b, weight: 2 }, 'checkers')).toBe(false);
  });

  it('a key set to undefined is as one not written; one written on one side only differs', () => {
    expect(sameSettings({ a: 1, port: undefined }, { a: 1 })).toBe(true);
    expect(sameSettings({ a: 1 }, { a: 1, port: 80 })).toBe(false);
    expect(sameSettings({ a: 1, port: 80 }, { a: 1 })).toBe(false);
  });

  it('an object of another kind than plain data (a Map, a RegExp, another class) is the same only as itself', () => {
    expect(sameSettings({ m: new Map([[1, 2]]) }, { m: new Map([[1, 3]]) })).toBe(false);
    expect(sameSettings({ r: /a/ }, { r: /a/ })).toBe(false);
    class Node { constructor(readonly x: number) {} }
    expect(sameSettings(new Node(1), new Node(1))).toBe(true);
    expect(sameSettings(new Node(1), { x: 1 })).toBe(false);
    const r = /a/;
    expect(sameSettings({ r }, { r })).toBe(true);
  });
});
