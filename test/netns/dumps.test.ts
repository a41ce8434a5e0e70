// keepalived's dump signals on the running daemon: USR1 (keepalived.data), USR2
// (keepalived.stats), 36 (keepalived.json) and 63 (stats, then counters cleared), sent with
// kill(1) as keepalived-exporter does, to a daemon in a network namespace with two instances
// and the *_dump_file overrides pointing at a private directory. The files must be mode
// 0600 and read, through keepalived-exporter's parsing rules, as the daemon's state.
// Then a daemon with vrrp_scripts is scraped as keepalived-exporter does it, through
// libexec/keepalived (its start-up commands, the pid file, STATS then DATA), and the same
// configuration's keepalived.data from keepalived 2.2.7 (src/lab/dump-oracle.ts) must read the
// same through the exporter's rules: instances, VIPs, excluded VIPs, scripts and their status.
// Needs root (and keepalived for the last test); uses dist/ (run after `npm run build`).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directorConf, type DirectorConf } from '../../src/lab/configs.js';
import { Director } from '../../src/lab/director.js';
import { compareDumps } from '../../src/lab/dump-oracle.js';
import { NetLab } from '../../src/lab/netlab.js';
import { waitUntil } from '../../src/lab/watch.js';
import {
  exporterStartUp, parseJson, parsePidFile, parseStats, parseVip, parseVrrpData, parseVrrpScripts, scrape, scriptStateNumber,
  scriptStatusNumber, type ExporterData,
} from '../helpers/keepalived-exporter.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const hasKeepalived = spawnSync('keepalived', ['-v'], { stdio: 'ignore' }).status === 0;

/** A director with three vrrp_scripts: one that passes, one that fails, one that runs for 2 s of every 3. */
const scriptedConf = (c: Pick<DirectorConf, 'vrid' | 'vips' | 'globals' | 'interface'>): string => directorConf({
  ...c, version: 3, advertInt: 0.1, priority: 150, state: 'MASTER',
  trackScripts: [
    { name: 'chk_good', script: '/bin/true', interval: 1, weight: 10 },
    { name: 'chk_bad', script: '/bin/false', interval: 1, weight: -20 },
    { name: 'chk_slow', script: '/bin/sleep 2', interval: 3, timeout: 5, weight: 5 },
  ],
  extra: ['virtual_ipaddress_excluded {', '  10.64.9.1/32', '}'],
});

describe.skipIf(skipUnless(isRoot, 'root'))('dump signals (netns)', () => {
  let lab: NetLab;
  let tmp: string;
  let d: Director | undefined;
  const started: Director[] = [];

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kts-dumps-'));
    chmodSync(tmp, 0o755);
    lab = new NetLab('ktsdu');
    lab.addHost({ name: 'd1', addresses: ['10.64.0.11/24'] });
  });
  afterAll(async () => {
    d?.cleanup();
    for (const x of started) x.cleanup();
    await lab?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  const kill = (sig: string, pid: number): void => {
    execFileSync('kill', [`-${sig}`, String(pid)]);
  };
  /** Signal and wait for the file to be (re)written. */
  const dump = async (sig: string, file: string, pid = d!.pid): Promise<string> => {
    const before = existsSync(file) ? statSync(file).mtimeMs : -1;
    const ino = existsSync(file) ? statSync(file).ino : -1;
    kill(sig, pid);
    await waitUntil(`${file} written`, () => existsSync(file) && (statSync(file).ino !== ino || statSync(file).mtimeMs !== before), 5000);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    return readFileSync(file, 'utf8');
  };

  it('writes keepalived.data, .stats and .json that the exporter reads as the daemon state; 63 clears the counters', async () => {
    const conf = directorConf({
      vrid: 91, version: 3, advertInt: 0.1, priority: 150, state: 'MASTER', vips: ['10.64.0.50/24'],
      globals: [`state_dump_file ${tmp}/`, `stats_dump_file ${tmp}/ka.stats`, `json_dump_file ${tmp}/ka.json`],
    }) + [
      'vrrp_instance VI_2 {', '  state BACKUP', '  interface eth0', '  virtual_router_id 92', '  priority 100',
      '  advert_int 0.1', '  version 3', '  virtual_ipaddress {', '    10.64.0.51/24', '  }', '}', '',
    ].join('\n');
    d = new Director(lab, 'd1', 'kts', conf);
    await d.state('MASTER', 10_000, 0, 'VI_1');
    await d.state('MASTER', 10_000, 0, 'VI_2');
    await new Promise((r) => setTimeout(r, 500));

    const data = parseVrrpData(await dump('USR1', join(tmp, 'keepalived.data')));
    expect([...data.keys()]).toEqual(['VI_1', 'VI_2']);
    expect(data.get('VI_1')).toEqual({
      iname: 'VI_1', state: 2, wantstate: 2, intf: 'eth0', garpDelay: 5, vrid: 91, vips: ['10.64.0.50/24 dev eth0 scope global set'], excludedVips: [],
    });
    expect(data.get('VI_2')!.state).toBe(2);

    const stats = parseStats(await dump('USR2', join(tmp, 'ka.stats')));
    expect(stats.get('VI_1')!.advertSent).toBeGreaterThan(2);
    expect(stats.get('VI_1')!.becomeMaster).toBe(1);
    expect(stats.get('VI_2')!.advertSent).toBeGreaterThan(2);

    const jsonText = await dump('36', join(tmp, 'ka.json'));
    const json = parseJson(jsonText);
    expect(json.map((x) => [x.data.iname, x.data.state, x.data.vrid, x.data.intf])).toEqual([['VI_1', 2, 91, 'eth0'], ['VI_2', 2, 92, 'eth0']]);
    const raw = JSON.parse(jsonText) as { data: Record<string, unknown> }[];
    expect(raw.map((x) => [x.data['base_priority'], x.data['effective_priority'], x.data['adver_int']])).toEqual([[150, 150, 0.1], [100, 100, 0.1]]);
    expect(json[0]!.stats.advertSent).toBeGreaterThanOrEqual(stats.get('VI_1')!.advertSent);

    const atClear = parseStats(await dump('63', join(tmp, 'ka.stats')));
    expect(atClear.get('VI_1')!.advertSent).toBeGreaterThan(2);
    // counters restart from zero: at 10 adverts a second, a few more by now, far fewer than before
    const after = parseStats(await dump('USR2', join(tmp, 'ka.stats')));
    expect(after.get('VI_1')!.becomeMaster).toBe(0);
    expect(after.get('VI_1')!.advertSent).toBeLessThan(atClear.get('VI_1')!.advertSent);
    const afterJson = parseJson(await dump('36', join(tmp, 'ka.json')));
    expect(afterJson[0]!.stats.becomeMaster).toBe(0);

    // the daemon is still running and still MASTER after all of it
    expect(d.watch.child.exitCode).toBeNull();
    expect(lab.hasAddress('d1', '10.64.0.50')).toBe(true);
    d.signal('SIGTERM');
    expect(await d.exited(10_000)).toBe(0);
  });

  it('is scraped as keepalived-exporter scrapes it, through libexec/keepalived: instances, excluded VIPs, scripts and their states', async () => {
    const dir = mkdtempSync(join(tmp, 'scrape-'));
    const conf = scriptedConf({ vrid: 93, vips: ['10.64.0.60/24'], globals: [`state_dump_file ${dir}/`, `stats_dump_file ${dir}/`] });
    const s = new Director(lab, 'd1', 'kts', conf);
    started.push(s);
    await s.state('MASTER', 10_000);

    // the exporter's start-up, with libexec/ first on its PATH
    const startUp = exporterStartUp({ ...process.env, PATH: `${join(process.cwd(), 'libexec')}:${process.env['PATH'] ?? '/usr/bin:/bin'}` }, false);
    expect(startUp.scriptState).toBe(true);
    // a scrape: the pid file, STATS, DATA, then the two files (waited for here, polled by the exporter)
    const pid = parsePidFile(readFileSync(join(s.dir, 'kts.pid'), 'utf8'));
    expect(pid).toBe(s.pid);
    const once = async (): Promise<ReturnType<typeof scrape>> => {
      const stats = await dump(String(startUp.signals['STATS']), join(dir, 'keepalived.stats'), pid);
      return scrape(await dump(String(startUp.signals['DATA']), join(dir, 'keepalived.data'), pid), stats);
    };
    /** Scrape until `done` holds for a scrape. */
    const scrapeUntil = async (what: string, done: (x: ReturnType<typeof scrape>) => boolean): Promise<ReturnType<typeof scrape>> => {
      const end = Date.now() + 10_000;
      for (;;) {
        const x = await once();
        if (done(x)) return x;
        if (Date.now() > end) throw new Error(`no scrape with ${what}: ${JSON.stringify(x.scripts)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    // until each script has its first result (chk_slow after 2 s)
    const got = await scrapeUntil('chk_slow GOOD', (x) => x.scripts.find((y) => y.name === 'chk_slow')?.status === 'GOOD');
    expect(got.vrrps).toHaveLength(1);
    const vi = got.vrrps[0]!;
    expect([vi.data.iname, vi.data.state, vi.data.intf, vi.data.vrid]).toEqual(['VI_1', 2, 'eth0', 93]);
    expect(vi.data.vips.map(parseVip)).toEqual([['10.64.0.60/24', 'eth0']]);
    expect(vi.data.excludedVips.map(parseVip)).toEqual([['10.64.9.1', 'eth0']]);
    expect(vi.stats.becomeMaster).toBe(1);
    const byName = new Map(got.scripts.map((x) => [x.name, x]));
    expect([...byName.keys()]).toEqual(['chk_good', 'chk_bad', 'chk_slow']);
    expect(['chk_good', 'chk_bad', 'chk_slow'].map((n) => scriptStatusNumber(byName.get(n)!))).toEqual([1, 0, 1]);
    for (const x of got.scripts) expect(scriptStateNumber(x), x.name).toBeDefined();
    // chk_slow runs 2 s of every 3: some scrape finds it running, and then idle again
    const states = new Set<string>();
    await scrapeUntil('chk_slow seen running and idle', (x) => {
      states.add(x.scripts.find((y) => y.name === 'chk_slow')!.state);
      return states.has('running') && states.has('idle');
    });
    expect([...states].map((st) => scriptStateNumber({ name: 'chk_slow', status: 'GOOD', state: st })).sort()).toEqual([0, 1]);

    s.signal('SIGTERM');
    expect(await s.exited(10_000)).toBe(0);
  });

  it.skipIf(skipUnless(hasKeepalived, 'keepalived'))('reads through the exporter\'s rules as keepalived 2.2.7\'s keepalived.data of the same configuration', async () => {
    const conf = scriptedConf({ vrid: 94, vips: ['192.168.200.60/24'] });
    // chk_slow's first result comes after 2 s: dump after it
    const { keepalived, kts } = await compareDumps({ text: conf }, { tag: 'ktsdx', settleMs: 3500 });
    expect(keepalived.data, keepalived.log.slice(-20).join('\n')).toBeDefined();
    expect(kts.data, kts.log.slice(-20).join('\n')).toBeDefined();
    const instances = (text: string): Partial<ExporterData>[] => [...parseVrrpData(text).values()].map((x) => ({
      iname: x.iname, intf: x.intf, vrid: x.vrid, garpDelay: x.garpDelay,
      // the state is the moment's; the addresses read the same installed or not
      vips: x.vips.map((v) => parseVip(v)!.join(' ')), excludedVips: x.excludedVips.map((v) => parseVip(v)!.join(' ')),
    }));
    expect(instances(kts.data!)).toEqual(instances(keepalived.data!));
    expect(instances(kts.data!)).toEqual([{
      iname: 'VI_1', intf: 'eth0', vrid: 94, garpDelay: 5, vips: ['192.168.200.60/24 eth0'], excludedVips: ['10.64.9.1 eth0'],
    }]);
    // a script's state is the moment's too (running or idle); its name and status are not
    const scripts = (text: string): [string, number | undefined][] => parseVrrpScripts(text).map((x) => [x.name, scriptStatusNumber(x)]);
    expect(scripts(kts.data!)).toEqual(scripts(keepalived.data!));
    expect(scripts(kts.data!)).toEqual([['chk_good', 1], ['chk_bad', 0], ['chk_slow', 1]]);
    for (const text of [kts.data!, keepalived.data!]) for (const x of parseVrrpScripts(text)) expect(scriptStateNumber(x)).toBeDefined();
  });
});
