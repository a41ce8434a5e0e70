// The protocol logic of the checkers, pure: HTTP request text and response judgement (status
// ranges, MD5 of the body, regex / regex_no_match), the DNS query bytes and reply rules, SMTP
// reply status, UDP hex patterns with X wildcards, MISC exit statuses, ICMP echo bytes.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildDnsQuery, judgeDnsReply } from '../../../src/check/dns.js';
import { fileStatus, WEIGHT_FAULT } from '../../../src/check/file.js';
import { buildHttpRequest, judgeHttpResponse, parseHttpResponse } from '../../../src/check/http.js';
import { miscVerdict } from '../../../src/check/misc.js';
import { buildEchoRequest, inetChecksum, parseEchoReply } from '../../../src/check/ping.js';
import { smtpDialogue, smtpStatus } from '../../../src/check/smtp.js';
import type { HttpUrlPlan } from '../../../src/check/types.js';
import { DEFAULT_UDP_PAYLOAD, parseHexPattern, udpReplyMatches } from '../../../src/check/udp.js';

const enc = (s: string) => new TextEncoder().encode(s);
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const url = (u: Partial<HttpUrlPlan> = {}): HttpUrlPlan => ({ path: '/', statusCode: [{ from: 200, to: 299 }], regexNoMatch: false, ...u });

describe('HTTP', () => {
  it.each([
    [{ path: '/', host: '10.0.1.1', family: 'inet', port: 80 }, 'GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.1.1:80\r\n\r\n'],
    [{ path: '/x?y', host: 'fd00::1', family: 'inet6', port: 8080, protocol: '1.0C' }, 'GET /x?y HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: [fd00::1]:8080\r\n\r\n'],
    [{ path: '/', host: 'fd00::1', family: 'inet6', port: 80, protocol: '1.1', virtualhost: 'www' }, 'GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www\r\n\r\n'],
  ] as const)('request %j', (spec, text) => {
    expect(buildHttpRequest(spec)).toBe(text);
  });

  const resp = (status: string, body: string, headers = '') => enc(`HTTP/1.1 ${status}\r\n${headers}\r\n${body}`);

  it('status codes: default 2xx, configured ranges', () => {
    expect(judgeHttpResponse(url(), resp('204 No Content', ''))).toEqual({ ok: true, detail: 'HTTP status code' });
    expect(judgeHttpResponse(url(), resp('302 Found', ''))).toEqual({ ok: false, detail: 'HTTP status code error to' });
    expect(judgeHttpResponse(url({ statusCode: [{ from: 301, to: 302 }] }), resp('302 Found', '')).ok).toBe(true);
    expect(judgeHttpResponse(url(), enc('HTTP/1.1 200\r\n\r\n')).ok).toBe(false); // keepalived wants a blank after the code
  });

  it('digest: MD5 of the body, cut at Content-Length', () => {
    expect(judgeHttpResponse(url({ digest: md5('hello') }), resp('200 OK', 'hello'))).toEqual({ ok: true, detail: 'MD5 digest' });
    expect(judgeHttpResponse(url({ digest: md5('hello') }), resp('200 OK', 'hello!'))).toEqual({ ok: false, detail: 'MD5 digest error to' });
    expect(judgeHttpResponse(url({ digest: md5('hel') }), resp('200 OK', 'hello', 'Content-Length: 3\r\n')).ok).toBe(true);
    expect(parseHttpResponse(resp('200 OK', 'abc', 'content-length: 3\r\n'))).toMatchObject({ status: 200, contentLength: 3, digest: md5('abc') });
  });

  it('regex and regex_no_match; no header at all is a failure', () => {
    expect(judgeHttpResponse(url({ regex: 'st[a-z]+us: up' }), resp('200 OK', 'status: up'))).toEqual({ ok: true, detail: 'Regex match' });
    expect(judgeHttpResponse(url({ regex: 'down' }), resp('200 OK', 'status: up')).ok).toBe(false);
    expect(judgeHttpResponse(url({ regex: 'down', regexNoMatch: true }), resp('200 OK', 'status: up')).ok).toBe(true);
    expect(judgeHttpResponse(url(), enc('HTTP/1.1 200 OK\r\n'))).toEqual({ ok: false, detail: 'Read, no data received from ' });
  });
});

describe('DNS', () => {
  it('query bytes: RD, one question, class IN; root and dotted names', () => {
    expect(Buffer.from(buildDnsQuery(0x1234, 6, '.')).toString('hex')).toBe('123401000001000000000000' + '00' + '0006' + '0001');
    expect(Buffer.from(buildDnsQuery(1, 1, 'ex.com.')).toString('hex')).toBe('000101000001000000000000' + '0265780363' + '6f6d00' + '0001' + '0001');
  });

  it('replies: ours with QR and RCODE 0 is ok; another id / a query is ignored; an RCODE fails', () => {
    const reply = (id: number, b2: number, b3: number) => Uint8Array.from([id >> 8, id & 0xff, b2, b3, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(judgeDnsReply(7, reply(7, 0x81, 0x80))).toEqual({ kind: 'ok' });
    expect(judgeDnsReply(7, reply(8, 0x81, 0x80))).toEqual({ kind: 'ignore' });
    expect(judgeDnsReply(7, reply(7, 0x01, 0x00))).toEqual({ kind: 'ignore' });
    expect(judgeDnsReply(7, reply(7, 0x81, 0x83))).toEqual({ kind: 'error', detail: 'read error occurred. (rcode = 3)' });
    expect(judgeDnsReply(7, new Uint8Array(11))).toEqual({ kind: 'ignore' });
  });
});

describe('SMTP', () => {
  it.each([['220 mx ready', 220], ['250', 250], ['220-multi', -1], ['22 x', -1], ['2200 x', -1], ['250 ok\r', 250]])('status of %j is %i', (line, st) => {
    expect(smtpStatus(line)).toBe(st);
  });
  it('dialogue: 220 -> HELO, 250 -> QUIT, then any line', () => {
    expect(smtpDialogue('me')).toEqual([
      { expect: 220, send: 'HELO me\r\n', bad: 'Bad greeting banner from server %s' },
      { expect: 250, send: 'QUIT\r\n', bad: 'Bad HELO response from server %s' },
      {},
    ]);
  });
});

describe('UDP patterns', () => {
  it('hex with blanks and X wildcards', () => {
    const p = parseHexPattern('0a Xb cX ff', true)!;
    expect([...p.data]).toEqual([0x0a, 0x0b, 0xc0, 0xff]);
    expect([...p.mask]).toEqual([0, 0xf0, 0x0f, 0]);
    expect(parseHexPattern('0g', true)).toBeUndefined();
    expect(parseHexPattern('xx', false)).toBeUndefined();
    expect([...parseHexPattern('a bc', false)!.data]).toEqual([0x0a, 0xbc]);
  });
  it('matching: lengths, wildcards, only the shorter of reply and pattern compared', () => {
    const p = parseHexPattern('41 4X 43', true)!;
    expect(udpReplyMatches(enc('ABC'), p, 0, 255)).toBe(true);
    expect(udpReplyMatches(enc('AOC'), p, 0, 255)).toBe(true);
    expect(udpReplyMatches(enc('ABD'), p, 0, 255)).toBe(false);
    expect(udpReplyMatches(enc('AB'), p, 0, 255)).toBe(true);
    expect(udpReplyMatches(enc('AB'), p, 3, 255)).toBe(false);
    expect(udpReplyMatches(enc('ABCDEF'), p, 0, 5)).toBe(false);
  });
  it('default payload: 32 bytes of keepalived\'s text', () => {
    expect(new TextDecoder().decode(DEFAULT_UDP_PAYLOAD)).toBe('keepalived check - keepalived ch');
  });
});

describe('MISC and FILE', () => {
  it.each([
    [{ code: 0, timedOut: false }, false, { ok: true, exitCode: 0 }],
    [{ code: 1, timedOut: false }, false, { ok: false, exitCode: 1, detail: 'exited with status 1' }],
    [{ code: 7, timedOut: false }, false, { ok: false, exitCode: 7, detail: 'exited with status 7' }],
    [{ code: 7, timedOut: false }, true, { ok: true, exitCode: 7, weight: 5 }],
    [{ code: 1, timedOut: false }, true, { ok: false, exitCode: 1, detail: 'exited with status 1' }],
    [{ code: null, timedOut: true }, true, { ok: false, timedOut: true, detail: 'timed out' }],
  ])('%j dynamic=%s', (end, dynamic, r) => {
    expect(miscVerdict(end, dynamic)).toEqual(r);
  });
  it('track file status', () => {
    expect(fileStatus({ file: 'f', weight: 0, reverse: false }, 1)).toBe(WEIGHT_FAULT);
    expect(fileStatus({ file: 'f', weight: 0, reverse: true }, 0)).toBe(WEIGHT_FAULT);
    expect(fileStatus({ file: 'f', weight: 3, reverse: true }, 2)).toBe(-6);
    expect(fileStatus({ file: 'f', weight: 2 ** 30, reverse: false }, -4)).toBe(WEIGHT_FAULT);
  });
});

describe('ICMP echo', () => {
  it('IPv4 request has a valid checksum and round-trips as a reply', () => {
    const req = buildEchoRequest('inet', 0xbeef, 3, enc('abc'));
    expect(inetChecksum(req)).toBe(0);
    const reply = new Uint8Array(20 + req.length);
    reply[0] = 0x45;
    reply.set(req, 20);
    reply[20] = 0;
    expect(parseEchoReply('inet', reply)).toEqual({ id: 0xbeef, seq: 3 });
    expect(parseEchoReply('inet', reply.subarray(0, 24))).toBeUndefined();
  });
  it('ICMPv6: type 128 out, 129 back', () => {
    const req = buildEchoRequest('inet6', 1, 2, new Uint8Array(0));
    expect(req[0]).toBe(128);
    expect(parseEchoReply('inet6', req)).toBeUndefined();
    req[0] = 129;
    expect(parseEchoReply('inet6', req)).toEqual({ id: 1, seq: 2 });
  });
});
