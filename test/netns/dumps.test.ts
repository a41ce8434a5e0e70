// keepalived's dump signals on the running daemon: USR1 (keepalived.data), USR2
// (keepalived.stats), 36 (keepalived.json) and 63 (stats, then counters cleared), sent with
// kill(1) as keepalived-exporter does, to a daemon in a network namespace with two instances
// and the *_dump_file overrides pointing at a private directory. The files must be mode
// 0600 and read, through keepalived-exporter's parsing rules, as the daemon's state.
// Needs root; uses dist/ (run after `npm run build`).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directorConf } from '../../src/lab/configs.js';
import { Director } from '../../src/lab/director.js';
import { NetLab } from '../../src/lab/netlab.js';
import { waitUntil } from '../../src/lab/watch.js';
import { parseJson, parseStats, parseVrrpData } from '../helpers/keepalived-exporter.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;

describe.skipIf(skipUnless(isRoot, 'root'))('dump signals (netns)', () => {
  let lab: NetLab;
  let tmp: string;
  let d: Director | undefined;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kts-dumps-'));
    chmodSync(tmp, 0o755);
    lab = new NetLab('ktsdu');
    lab.addHost({ name: 'd1', addresses: ['10.64.0.11/24'] });
  });
  afterAll(async () => {
    d?.cleanup();
    await lab?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  const kill = (sig: string, pid: number): void => {
    execFileSync('kill', [`-${sig}`, String(pid)]);
  };
  /** Signal and wait for the file to be (re)written. */
  const dump = async (sig: string, file: string): Promise<string> => {
    const before = existsSync(file) ? statSync(file).mtimeMs : -1;
    const ino = existsSync(file) ? statSync(file).ino : -1;
    kill(sig, d!.pid);
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
      iname: 'VI_1', state: 2, wantstate: 2, intf: 'eth0', garpDelay: 5, vrid: 91, vips: ['10.64.0.50/24 dev eth0 scope global set'],
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
});
