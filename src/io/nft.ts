/**
 * nftables through Debian's `nft` and its JSON front end: one transaction per call, applied
 * whole or not at all (the commands of one input are one netlink batch).
 *
 * Why the JSON front end, not nfnetlink from Node: nftables rules are expression bytecode that
 * the `netlink` package does not know; `nft` is the tool that builds it, is in Debian beside
 * keepalived's libnftnl, and its JSON is a structured API (no quoting of table names or
 * addresses in a command line), whose `nft -j list` output the tests compare with what
 * keepalived installs. The price is a process per change, about 3 ms.
 *
 * The JSON goes as nft's argument (`nft -j '{"nftables": [...]}'`): `nft -f -` opens
 * /dev/stdin, which fails on the socket pair Node gives a child as its standard input. An input
 * too long for one argument goes through a file of its own.
 *
 * ```ts
 * const nft = new NftRunner();
 * await nft.run([{ add: { table: { family: 'ip', name: 'keepalived' } } }]);  // rejects with nft's words
 * ```
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One command of nft's JSON schema (`{ add: { table: {...} } }`, `{ delete: {...} }`...). */
export type NftCommand = Readonly<Record<string, unknown>>;

export interface NftPort {
  /** Apply the commands as one transaction; rejects with nft's message when it refuses them. */
  run(commands: readonly NftCommand[]): Promise<void>;
}

/** Linux's limit for one argument is 128 kB (MAX_ARG_STRLEN); keep well under it. */
const MAX_ARG = 64 * 1024;

export class NftRunner implements NftPort {
  constructor(private readonly bin = 'nft') {}

  async run(commands: readonly NftCommand[]): Promise<void> {
    const json = JSON.stringify({ nftables: commands });
    if (json.length <= MAX_ARG) return this.exec(['-j', json]);
    const dir = mkdtempSync(join(tmpdir(), 'kts-nft-'));
    try {
      writeFileSync(join(dir, 'batch.json'), json, { mode: 0o600 });
      await this.exec(['-j', '-f', join(dir, 'batch.json')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private exec(args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(this.bin, args, { timeout: 10_000, maxBuffer: 1 << 20 }, (err, _out, stderr) => {
        if (!err) return resolve();
        const words = String(stderr).trim().split('\n').filter(Boolean).slice(0, 3).join(' | ');
        reject(new Error(words || `cannot run ${this.bin}: ${err.message}`));
      });
    });
  }
}
