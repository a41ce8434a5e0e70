/**
 * keepalived_check.data (SIGUSR1 in the checker process), as keepalived 2.2.7's checker process
 * writes it (check/check_data.c dump_data_check): the global definitions as that process has
 * them (global.ts), the SSL context, the LVS topology (virtual server groups, virtual
 * servers, real servers: lvs.ts), every health checker (checkers.ts) and the track
 * files the checkers follow. What keepalived-ts writes differently, and why, is listed in
 * test/fixtures/dumps/check/known-differences.json (checked against keepalived by
 * test/uml/check-dump-oracle.test.ts in a user-mode Linux guest, where IPVS exists).
 */
import { formatVs } from '../check/format.js';
import type { CheckDumpView } from '../daemon/check-view.js';
import type { DumpTime } from './common.js';
import { healthCheckerLines } from './checkers.js';
import { globalLines } from './global.js';
import { lvsTopologyLines, serviceProtocol, trio } from './lvs.js';

/** keepalived dump_ssl: the SSL block's files, or the context it makes for SSL_GET without one. */
function sslLines(view: CheckDumpView): string[] {
  const ssl = view.config.ssl;
  const sslGet = view.config.virtualServers.some((vs) => vs.realServers.some((rs) => rs.checkers.some((c) => c.type === 'SSL_GET')));
  if (!ssl && !sslGet) return [];
  const out = ['------< SSL definitions >------'];
  if (!ssl || (ssl.password === undefined && ssl.ca === undefined && ssl.certificate === undefined && ssl.key === undefined)) {
    return [...out, ' Using autogen SSL context'];
  }
  if (ssl.password !== undefined) out.push(` Password : ${ssl.password}`);
  if (ssl.ca !== undefined) out.push(` CA-file : ${ssl.ca}`);
  if (ssl.certificate !== undefined) out.push(` Certificate file : ${ssl.certificate}`);
  if (ssl.key !== undefined) out.push(` Key file : ${ssl.key}`);
  return out;
}

/** keepalived dump_track_file of the checker process: each track_file and the real servers following it. */
function trackFileLines(view: CheckDumpView): string[] {
  const cfg = view.config;
  if (cfg.trackFiles.length === 0) return [];
  const out = ['------< Checker track files >------'];
  const files = (view.engine?.checkers ?? []).filter((b) => b.file);
  for (const f of cfg.trackFiles) {
    out.push(
      ` Track file = ${f.name}`,
      `   File = ${f.file !== undefined ? view.host?.trackFilePath(f.file) ?? f.file : ''}`,
      `   Status = ${f.file !== undefined ? view.host?.trackFileValue(f.file) ?? 0 : 0}`,
      `   Weight = ${f.weight}${f.weightReverse ? ' reverse' : ''}`,
    );
    const tracking = files.filter((b) => b.file!.file === f.name);
    if (tracking.length === 0) continue;
    out.push('   Tracking instances :');
    for (const b of tracking) {
      const vs = b.rs.vs.cfg;
      const rs = trio(b.rs.cfg.address, serviceProtocol(vs, cfg.virtualServerGroups), b.rs.cfg.port);
      out.push(`     ${formatVs(vs)} -> ${rs}, weight ${b.file!.weight}${b.file!.reverse ? ' reverse' : ''}`);
    }
  }
  return out;
}

/** The checker process's state dump. `hostname` is the router_id default. */
export function formatCheckData(view: CheckDumpView, time: DumpTime, hostname = ''): string {
  const out = [
    ...globalLines(view, hostname, 'checker'),
    ...sslLines(view),
    ...lvsTopologyLines(view),
    ...healthCheckerLines(view, time),
    ...trackFileLines(view),
  ];
  return `${out.join('\n')}\n`;
}
