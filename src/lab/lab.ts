/**
 * `keepalived-ts lab`: the built-in failover lab. In network namespaces on one bridge: two
 * keepalived-ts directors sharing a VIP (embedded default config below), two real servers
 * running a small HTTP server, and a client that pings the VIP every 10 ms. It fails the master
 * over by taking its link away, prints what the client lost and how long the takeover took,
 * and removes everything it created. Needs root.
 *
 * The real servers are reachable from the client by their own addresses; putting them behind
 * the VIP with IPVS is the checker / IPVS side (it needs a kernel with ip_vs).
 */
import { readFileSync } from 'node:fs';
import { Director, type Implementation } from './director.js';
import { NetLab } from './netlab.js';
import { LineWatch, sleep, waitUntil } from './watch.js';

export const LAB_VIP = '10.70.0.50';

/** The embedded default configuration of each lab director (priority differs). */
export function labConfig(priority: number, advertInt: number, version: 2 | 3): string {
  return `# keepalived-ts built-in lab: director with priority ${priority}
global_defs {
  router_id lab_${priority}
  enable_script_security
  script_user root
}

vrrp_instance VI_LAB {
  state BACKUP
  interface eth0
  virtual_router_id 70
  priority ${priority}
  advert_int ${advertInt}
  version ${version}
  garp_master_delay 1
  garp_master_repeat 3
  virtual_ipaddress {
    ${LAB_VIP}/24
  }
}
`;
}

export interface LabOptions {
  readonly impl?: Implementation;
  readonly advertInt?: number;
  readonly version?: 2 | 3;
  readonly out?: (line: string) => void;
}

export interface LabReport {
  readonly takeoverMs: number;
  readonly lostProbes: number;
  readonly outageMs: number;
  readonly probes: number;
  readonly newMasterMac: string;
  readonly clientArpMac: string | undefined;
}

const HTTP_SERVER = `
const http = require('node:http');
http.createServer((req, res) => res.end('hello from ' + process.argv[1] + '\\n')).listen(80, '0.0.0.0');
`;

export async function runLab(opts: LabOptions = {}): Promise<LabReport> {
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const impl = opts.impl ?? 'kts';
  const advertInt = opts.advertInt ?? 1;
  const version = opts.version ?? 3;
  const lab = new NetLab('ktslab');
  const directors: Director[] = [];
  try {
    out(`lab ${lab.prefix}: bridge + directors d1, d2 + real servers rs1, rs2 + client (network namespaces)`);
    lab.addHost({ name: 'd1', addresses: ['10.70.0.11/24'] });
    lab.addHost({ name: 'd2', addresses: ['10.70.0.12/24'] });
    lab.addHost({ name: 'rs1', addresses: ['10.70.0.21/24'] });
    lab.addHost({ name: 'rs2', addresses: ['10.70.0.22/24'] });
    lab.addHost({ name: 'c', addresses: ['10.70.0.100/24'] });
    for (const rs of ['rs1', 'rs2']) lab.spawn(rs, process.execPath, ['-e', HTTP_SERVER, rs]);
    out(`VIP ${LAB_VIP}, VRRPv${version}, advert_int ${advertInt} s; d1 priority 150, d2 priority 100 (${impl === 'kts' ? 'keepalived-ts' : 'keepalived'})`);
    const d1 = new Director(lab, 'd1', impl, labConfig(150, advertInt, version));
    const d2 = new Director(lab, 'd2', impl, labConfig(100, advertInt, version));
    directors.push(d1, d2);
    const settleMs = 10_000 + advertInt * 8000;
    await d1.state('MASTER', settleMs, 0, 'VI_LAB');
    await waitUntil('the lab directors to settle', () => d2.lastState('VI_LAB') === 'BACKUP' && hasVip(lab, 'd1') && !hasVip(lab, 'd2'), settleMs);
    out(`d1 is MASTER and holds ${LAB_VIP}; d2 is BACKUP`);
    for (const rs of ['10.70.0.21', '10.70.0.22']) {
      const r = lab.exec('c', process.execPath, ['-e', `fetch('http://${rs}/').then(r=>r.text()).then(t=>process.stdout.write(t)).catch(e=>{console.error(e.message);process.exit(1)})`]);
      out(`real server ${rs}: ${r.rc === 0 ? r.stdout.trim() : `unreachable (${r.stderr.trim()})`}`);
    }
    const ping = new LineWatch(lab.spawn('c', 'ping', ['-n', '-D', '-i', '0.01', '-W', '1', LAB_VIP]));
    await ping.waitFor(/icmp_seq=\d+ ttl/, 5000);
    await sleep(1000);
    out('failing the master: d1 loses its link');
    const mark = d2.watch.mark();
    const t0 = performance.now();
    lab.setCarrier('d1', false);
    const m = await d2.state('MASTER', 10_000 + advertInt * 5000, mark, 'VI_LAB');
    const takeoverMs = m.at - t0;
    await waitUntil('the VIP on d2', () => hasVip(lab, 'd2'), 5000);
    await sleep(1500);
    ping.child.kill('SIGINT');
    await sleep(200);
    const replies = replyTimes(ping.lines.map((l) => l.text));
    const gapMs = longestGapMs(replies);
    const lost = Math.max(0, Math.round(gapMs / 10) - 1);
    const newMasterMac = lab.host('d2').mac;
    const clientArpMac = lab.neighbour('c', LAB_VIP);
    const report: LabReport = {
      takeoverMs, lostProbes: lost, outageMs: Math.round(gapMs - 10), probes: replies.length, newMasterMac, clientArpMac,
    };
    out(`d2 entered MASTER ${takeoverMs.toFixed(0)} ms after d1 lost its link`);
    out(`client: ${replies.length} probes answered; longest silence ${report.outageMs} ms (about ${lost} probes at 10 ms)`);
    out(`client ARP entry for ${LAB_VIP}: ${clientArpMac ?? '(none)'} (d2 is ${newMasterMac}${clientArpMac === newMasterMac ? ', moved by the GARPs' : ''})`);
    out(`daemon memory: d2 ${rssMb(d2.pid).toFixed(1)} MB RSS`);
    return report;
  } finally {
    for (const d of directors) d.cleanup();
    await lab.destroy();
    out('lab removed');
  }
}

/** Reply times (ms) from `ping -D` lines: "[1700000000.123456] 64 bytes from ...". */
export function replyTimes(lines: readonly string[]): number[] {
  const out: number[] = [];
  for (const l of lines) {
    const m = /^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=\d+ ttl/.exec(l);
    if (m) out.push(Number(m[1]) * 1000);
  }
  return out;
}

/** The longest time between two consecutive replies. */
export function longestGapMs(times: readonly number[]): number {
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
  return gap;
}

function hasVip(lab: NetLab, host: string): boolean {
  return lab.hasAddress(host, LAB_VIP);
}


function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
