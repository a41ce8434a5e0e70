/** The checker core: decides, never probes (src/io/probes.ts probes). */
export { CheckerEngine, type CheckerEngineOptions, type CheckerStats } from './engine.js';
export type * from './types.js';
export { buildHttpRequest, judgeHttpResponse, parseHttpResponse } from './http.js';
export { buildDnsQuery, judgeDnsReply, DNS_TYPES } from './dns.js';
export { smtpDialogue, smtpStatus, SMTP_DEFAULT_HELO } from './smtp.js';
export { parseHexPattern, udpReplyMatches, DEFAULT_UDP_PAYLOAD } from './udp.js';
export { miscVerdict } from './misc.js';
export { buildEchoRequest, parseEchoReply } from './ping.js';
export { formatRs, formatVs } from './format.js';
