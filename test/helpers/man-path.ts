// The units' Documentation= names keepalived-ts's man pages, and `systemd-analyze verify` runs
// man(1) on each: this installs the repo's pages under `dir` as they would be installed and
// returns an environment whose MANPATH finds them first.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export function withOurManPages(dir: string): NodeJS.ProcessEnv {
  for (const page of ['man8/keepalived-ts.8', 'man5/keepalived-ts-settings.5']) {
    mkdirSync(join(dir, 'man', page, '..'), { recursive: true });
    copyFileSync(join('man', page.slice(5)), join(dir, 'man', page));
  }
  return { ...process.env, MANPATH: `${join(dir, 'man')}:/usr/share/man` };
}
