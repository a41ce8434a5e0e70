// Frames captured from keepalived 2.2.7 by scripts/capture-l2-golden.sh (config in the fixture).
import { readFileSync } from 'node:fs';
import { parseIp, parseMac } from '../../../src/util/ip.js';

export interface Frame { interface: string; time: number; summary: string; hex: string }

export const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/l2/keepalived-2.2.7.json', import.meta.url), 'utf8'),
) as { keepalived: string; config: string; frames: Frame[] };

export const ip = (s: string): Uint8Array => parseIp(s)!.bytes;
export const mac = (s: string): Uint8Array => parseMac(s)!;
export const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
