// Get / GetNext / GetBulk over a sorted MIB view (src/snmp/responder.ts), RFC 2741 §7.2.3.
import { describe, expect, it } from 'vitest';
import { parseOid, type SearchRange, type Varbind } from '../../../src/snmp/agentx.js';
import { get, getBulk, getNext } from '../../../src/snmp/responder.js';

const vb = (o: string, n: number): Varbind => ({ oid: parseOid(o), value: { type: 'integer', value: n } });
const MIB: Varbind[] = [
  vb('1.3.6.1.2.1.68.1.1.0', 1),
  vb('1.3.6.1.2.1.68.1.3.1.3.3.51', 2),
  vb('1.3.6.1.2.1.68.1.3.1.3.3.52', 3),
  vb('1.3.6.1.2.1.68.1.3.1.5.3.51', 4),
  vb('1.3.6.1.2.1.207.1.2.1.0', 5),
];
const range = (start: string, include = false, end = ''): SearchRange => ({ start: parseOid(start), include, end: end ? parseOid(end) : [] });
const shown = (v: Varbind): string => `${v.oid.join('.')}=${'value' in v.value ? String(v.value.value) : v.value.type}`;

describe('GetNext', () => {
  it.each([
    ['1.3.6.1.2.1.68', false, '', '1.3.6.1.2.1.68.1.1.0=1'],
    ['1.3.6.1.2.1.68.1.1.0', false, '', '1.3.6.1.2.1.68.1.3.1.3.3.51=2'],
    // include: the start itself when it is an instance
    ['1.3.6.1.2.1.68.1.1.0', true, '', '1.3.6.1.2.1.68.1.1.0=1'],
    ['1.3.6.1.2.1.68.1.3.1.3.3.52', false, '', '1.3.6.1.2.1.68.1.3.1.5.3.51=4'],
    // the end of the master's range (the next registration) is not crossed
    ['1.3.6.1.2.1.68.1.3.1.5.3.51', false, '1.3.6.1.2.1.69', '1.3.6.1.2.1.68.1.3.1.5.3.51=endOfMibView'],
    ['1.3.6.1.2.1.68.1.3.1.5.3.51', false, '', '1.3.6.1.2.1.207.1.2.1.0=5'],
    ['1.3.6.1.2.1.207.1.2.1.0', false, '', '1.3.6.1.2.1.207.1.2.1.0=endOfMibView'],
    ['1.3.6.1.2.1.1', false, '', '1.3.6.1.2.1.68.1.1.0=1'],
  ])('after %s (include %s, end %s): %s', (start, include, end, want) => {
    expect(shown(getNext(MIB, range(start, include, end)))).toBe(want);
  });
});

describe('Get', () => {
  it.each([
    ['1.3.6.1.2.1.68.1.3.1.3.3.52', '1.3.6.1.2.1.68.1.3.1.3.3.52=3'],
    ['1.3.6.1.2.1.68.1.3.1.3.3.53', '1.3.6.1.2.1.68.1.3.1.3.3.53=noSuchInstance'],
    ['1.3.6.1.2.1.99.1', '1.3.6.1.2.1.99.1=noSuchObject'],
  ])('%s: %s', (oid, want) => {
    expect(shown(get(MIB, range(oid, true)))).toBe(want);
  });
});

describe('GetBulk', () => {
  it('non-repeaters once, then the repeaters row by row until the view ends', () => {
    const out = getBulk(MIB, 1, 10, [range('1.3.6.1.2.1.68'), range('1.3.6.1.2.1.68.1.3')]);
    expect(out.map(shown)).toEqual([
      '1.3.6.1.2.1.68.1.1.0=1',
      '1.3.6.1.2.1.68.1.3.1.3.3.51=2', '1.3.6.1.2.1.68.1.3.1.3.3.52=3', '1.3.6.1.2.1.68.1.3.1.5.3.51=4',
      '1.3.6.1.2.1.207.1.2.1.0=5', '1.3.6.1.2.1.207.1.2.1.0=endOfMibView',
    ]);
  });

  it('stops at max-repetitions', () => {
    expect(getBulk(MIB, 0, 2, [range('1.3.6.1.2.1.68')]).map(shown)).toEqual(['1.3.6.1.2.1.68.1.1.0=1', '1.3.6.1.2.1.68.1.3.1.3.3.51=2']);
  });
});
