// The core folders (config, vrrp, l2, check, ipvs, realserver, announce, bfd, snmp) never touch sockets, processes, timers,
// clocks or the logger (STYLE.md): those belong to src/io and src/daemon. Nor do they read the
// machine's state (node:os, node:fs): the configuration compiler learns interfaces, users,
// script files, CPUs and the host name through MachineView (src/io/host-machine.ts); only the
// reader of the configuration files themselves opens files.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = ['config', 'vrrp', 'l2', 'check', 'ipvs', 'realserver', 'announce', 'bfd', 'snmp'];
const FORBIDDEN_IMPORT = /from\s+['"](node:)?(dgram|net|child_process|timers|timers\/promises|cluster|worker_threads|pino)['"]|from\s+['"][./]*\/(io|daemon)\//;
const FORBIDDEN_CALL = /\b(setTimeout|setInterval|setImmediate|Date\.now|performance\.now|process\.hrtime)\s*\(/;
const MACHINE_STATE = /from\s+['"](node:)?(os|fs)['"]/;
/** The configuration files are the compiler's input: the reader opens them (includes, globs). */
const READS_CONFIG_FILES = new Set(['src/config/config-files.ts', 'src/config/glob.ts', 'src/config/line.ts']);

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.generated.ts') ? [join(dir, e.name)] : [],
  );
}

describe('core folders stay free of I/O', () => {
  const files = CORE.flatMap((c) => sources(join('src', c)));

  it('finds the core sources', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(files)('%s imports no sockets, processes, timers, logger or io/', (file) => {
    const text = readFileSync(file, 'utf8');
    expect(text.match(FORBIDDEN_IMPORT)?.[0]).toBeUndefined();
    expect(text.match(FORBIDDEN_CALL)?.[0]).toBeUndefined();
    if (!READS_CONFIG_FILES.has(file)) expect(text.match(MACHINE_STATE)?.[0], 'machine state comes through a port').toBeUndefined();
  });
});
