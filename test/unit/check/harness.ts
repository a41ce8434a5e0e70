// A fake driver for CheckerEngine: configs from text (through loadConfig), a fake clock that
// only moves when told, the probes the engine asked for, and every effect kept for assertions.
import { loadConfig } from '../../../src/config/load.js';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import { CheckerEngine } from '../../../src/check/engine.js';
import { checkLogText } from '../../../src/check/log-text.js';
import type { CheckEffect, CheckInput, ProbePlan, ProbeResult } from '../../../src/check/types.js';
import { formatIp } from '../../../src/util/ip.js';
import { fakeMachine, TmpDir } from '../config/helpers.js';

export const tmp = new TmpDir();

export function loadText(text: string): KeepalivedConfig {
  const file = tmp.conf(`global_defs {\n  enable_script_security\n  script_user root\n}\n${text}`);
  const r = loadConfig(file, { configId: 'lb1', machine: fakeMachine(), displayBase: file.replace(/\/keepalived\.conf$/, '') });
  const errors = r.diagnostics.list.filter((d) => d.kaClass !== 'OK' && d.code !== 'CONFIG_WARNING');
  if (errors.length) throw new Error(`config: ${errors.map((d) => d.message).join('; ')}`);
  return r.config;
}

export class Bench {
  readonly engine: CheckerEngine;
  now = 0;
  /** probes asked for and not answered yet: probeId -> plan */
  readonly running = new Map<number, ProbePlan>();
  /** every probe start, in order */
  readonly started: { at: number; id: number; plan: ProbePlan }[] = [];
  readonly effects: CheckEffect[] = [];
  deadline: number | undefined;

  /** `takeOver`: the engine a reload replaces, whose objects this one takes over (CheckerEngineOptions) */
  constructor(readonly cfg: KeepalivedConfig, random: () => number = () => 0, takeOver?: CheckerEngine) {
    this.engine = new CheckerEngine(cfg, { random, ...(takeOver ? { takeOver } : {}) });
  }

  static of(text: string, random?: () => number): Bench {
    return new Bench(loadText(text), random);
  }

  input(i: CheckInput): CheckEffect[] {
    const step = this.engine.handle(this.now, i);
    for (const e of step.effects) {
      if (e.type === 'runProbe') {
        if (this.running.has(e.probeId)) throw new Error(`probe ${e.probeId} started twice`);
        this.running.set(e.probeId, e.plan);
        this.started.push({ at: this.now, id: e.probeId, plan: e.plan });
      }
    }
    this.effects.push(...step.effects);
    this.deadline = step.deadline;
    return step.effects;
  }

  start(): CheckEffect[] {
    return this.input({ type: 'start' });
  }

  /** Advance the clock to `t`, firing every deadline on the way. */
  until(t: number): void {
    while (this.deadline !== undefined && this.deadline <= t) {
      this.now = Math.max(this.now, this.deadline);
      this.input({ type: 'tick' });
    }
    this.now = Math.max(this.now, t);
  }

  /** Answer the running probe(s): `ok` or a ProbeResult. Returns the effects. */
  answer(r: boolean | ProbeResult, id?: number): CheckEffect[] {
    const ids = id !== undefined ? [id] : [...this.running.keys()];
    if (ids.length === 0) throw new Error('no probe running');
    const out: CheckEffect[] = [];
    for (const pid of ids) {
      this.running.delete(pid);
      out.push(...this.input({ type: 'probeResult', probeId: pid, ...(typeof r === 'boolean' ? { ok: r } : r) }));
    }
    return out;
  }

  /** Run to the next probe start and answer it. */
  step(r: boolean | ProbeResult): CheckEffect[] {
    if (this.running.size === 0) this.until(this.deadline ?? Infinity);
    return this.answer(r);
  }

  /** `addr:port@weight` of each live destination of virtual server `vs` (a key, or its place in the configuration). */
  table(vs: number | string = 0): string[] {
    return this.engine.liveDests(typeof vs === 'string' ? vs : this.key(vs)).map((d) => `${formatIp(d.address)}:${d.port ?? 0}@${d.weight}`);
  }

  /** The key of the virtual server at place `i` of the configuration. */
  key(i: number): string {
    return this.engine.virtualServers[i]!.key;
  }

  logs(from = 0): string[] {
    return this.effects.slice(from).flatMap((e) => (e.type === 'log' ? [checkLogText(e.event) ?? []].flat() : []));
  }

  scripts(from = 0): string[] {
    return this.effects.slice(from).flatMap((e) => (e.type === 'runScript' ? [`${e.reason} ${e.script.text}`] : []));
  }
}

/** A virtual server 10.0.0.1:80 with real servers from `rss` (blocks) and extra VS lines. */
export function vs(rss: string, extra = '', head = '10.0.0.1 80'): string {
  return `virtual_server ${head} {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  delay_loop 10\n${extra}${rss}}\n`;
}

export function rs(addr: string, checker = 'TCP_CHECK {\n    }', extra = ''): string {
  return `  real_server ${addr} 80 {\n    weight 1\n${extra}    ${checker}\n  }\n`;
}
