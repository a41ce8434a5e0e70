/**
 * The state of virtual and real servers and keepalived's rules for them (ipwrapper.c
 * `update_svr_checker_state`, `perform_svr_state`, `update_quorum_state`, `update_svr_wgt`,
 * `init_service_rs`, `clear_service_rs`; reference §e.5):
 *
 * - a real server is alive while none of its checkers is down (`numFailed == 0`);
 * - down: removed from the table, or kept with weight 0 with inhibit_on_failure;
 * - quorum: the sum of the live weights against quorum ± hysteresis; losing it runs
 *   quorum_down and, with a sorry server, swaps every live real server for it;
 * - notify_up / notify_down on each real server change, VS/RS lines for the notify FIFOs.
 */
import type { LbKind, RealServer, Script, TunnelSpec, VirtualServer } from '../config/model.js';
import type { LiveDest } from '../ipvs/live-dest.js';
import { ipEquals, type IpAddress } from '../util/ip.js';
import { formatRs, formatVs, trio } from './format.js';
import { sameSettings } from '../config/same.js';
import type { CheckLogEvent, ScriptReason, VsKey } from './types.js';

/** Where server rules send what they decide (the engine turns these into effects). */
export interface Sink {
  log(event: CheckLogEvent): void;
  script(script: Script, reason: ScriptReason, vs: VsState, rs: RsState | undefined, stopping: boolean): void;
  fifo(line: string): void;
  /** a change SNMP notifies (check/types.ts 'stateTrap') */
  trap(vs: VsState, rs: RsState | undefined, stopping: boolean): void;
  /** an email alert (smtp_alert): the subject after `[router_id] `, and the body */
  alert(subject: string, body: string): void;
  /** the IPVS table of this virtual server changes */
  dirty(vs: VsState): void;
}

export const realWeight = (w: number): number => (w < 0 ? 0 : w > 2147483647 ? 2147483647 : w);

export class RsState {
  /** keepalived's name of the real server (`[10.0.1.1]:tcp:80`): unique in its virtual server, its key there */
  readonly name: string;
  alive = false;
  /** in the IPVS table (keepalived rs->set) */
  set = false;
  numFailed = 0;
  /** the real server as configured; a reload's engine that takes this state over sets its own (adopt) */
  cfg: RealServer;
  vs: VsState;
  /** configured weight (keepalived iweight) */
  iweight: number;
  /** iweight plus dynamic contributions (misc_dynamic, FILE_CHECK), may go negative */
  effWeight: number;
  inhibit: boolean;
  /** carried over from the configuration before a reload, with its effective weight then */
  reloaded = false;
  prevEffWeight = 0;
  /** where its checkers start in its engine's list of them (units.ts buildUnits): a reload's build that takes it over finds the old ones there */
  checkersAt = -1;
  /**
   * Taken over at a reload with nothing its probes are made of changed (its virtual server's
   * settings and its own, its checkers aside): a checker configured as before is the same
   * probe, found without making it again (units.ts buildUnits).
   */
  probesAsBefore = false;
  private cached: LiveDest | undefined;

  constructor(cfg: RealServer, vs: VsState, name = formatRs(cfg, vs.cfg)) {
    this.name = name;
    this.cfg = cfg;
    this.vs = vs;
    this.iweight = cfg.weight;
    this.effWeight = cfg.weight;
    this.inhibit = cfg.inhibitOnFailure ?? vs.cfg.inhibitOnFailure;
  }

  /**
   * A reload's engine takes this object over for the same real server of the same virtual
   * server (one object less per real server to allocate: at 50,000 of them, a new one each was
   * most of a reload's page faults in a small VM). It is as a new one would be, with what a
   * reload carries over already in place: alive, set, the effective weight before.
   * `vsAsBefore`: its virtual server's settings are as before.
   */
  adopt(cfg: RealServer, vs: VsState, vsAsBefore: boolean): void {
    this.reloaded = true;
    this.probesAsBefore = vsAsBefore && sameSettings(this.cfg, cfg, 'checkers');
    this.prevEffWeight = this.effWeight;
    this.cfg = cfg;
    this.vs = vs;
    this.iweight = cfg.weight;
    this.effWeight = cfg.weight;
    this.inhibit = cfg.inhibitOnFailure ?? vs.cfg.inhibitOnFailure;
    this.numFailed = 0;
    this.cached = undefined;
  }

  /** The table entry at `weight`, reused while the weight does not change. */
  dest(weight: number): LiveDest {
    if (this.cached?.weight === weight) return this.cached;
    const c = this.cfg;
    this.cached = {
      address: c.address, ...(c.port !== undefined && this.vs.cfg.fwmark === undefined ? { port: c.port } : {}), weight,
      ...(c.lvsMethod !== undefined && c.lvsMethod !== this.vs.cfg.lbKind ? { lvsMethod: c.lvsMethod } : {}),
      ...(c.tunnel !== undefined && (c.lvsMethod ?? this.vs.cfg.lbKind) === 'TUN' ? { tunnel: c.tunnel } : {}),
      ...(c.uthreshold !== undefined ? { uthreshold: c.uthreshold } : {}),
      ...(c.lthreshold !== undefined ? { lthreshold: c.lthreshold } : {}),
    };
    return this.cached;
  }
}

export class VsState {
  /** keepalived's name of the virtual server (`[10.0.0.1]:tcp:80`, `FWM 7`, `[GROUP]:80`) */
  readonly name: string;
  readonly rss: RsState[];
  quorumUp = false;
  sorryAlive = false;
  /** ha_suspend and the address is not here */
  suspended: boolean;
  stopped = false;
  /** carried over from the configuration before a reload */
  reloaded = false;
  private dests: readonly LiveDest[] | undefined;
  readonly sorry?: { readonly address: IpAddress; readonly port?: number; readonly name: string; readonly lvsMethod?: LbKind; readonly tunnel?: TunnelSpec };

  /**
   * `idx`: its place in the configuration (views list the servers in that order); `key`: its
   * identity in what the engine says and hears (check/types.ts VsKey).
   */
  constructor(readonly idx: number, readonly cfg: VirtualServer, readonly key: VsKey, before?: VsState) {
    this.name = formatVs(cfg);
    this.rss = before ? this.takeOver(before) : cfg.realServers.map((rs) => new RsState(rs, this));
    this.suspended = cfg.haSuspend && cfg.fwmark === undefined;
    const s = cfg.sorryServer;
    if (s) {
      const port = s.port ?? cfg.port;
      this.sorry = {
        address: s.address, ...(port !== undefined && cfg.fwmark === undefined ? { port } : {}), name: trio(s.address, cfg.protocol, port),
        ...(cfg.sorryServerLvsMethod !== undefined ? { lvsMethod: cfg.sorryServerLvsMethod } : {}),
        ...(cfg.sorryServerTunnel !== undefined ? { tunnel: cfg.sorryServerTunnel } : {}),
      };
    }
  }

  /**
   * The real servers, those also in `before` (the same virtual server before a reload) being
   * its objects taken over (RsState.adopt); `before` is not used again.
   */
  private takeOver(before: VsState): RsState[] {
    const asBefore = sameSettings(before.cfg, this.cfg, 'realServers');
    const rss = this.cfg.realServers;
    const olds: (RsState | undefined)[] = before.rss.slice();
    const out = new Array<RsState | undefined>(rss.length);
    let misplaced = 0;
    // a real server at its old place with its old address and port has its old name (the
    // protocol is the virtual server's): taken over without making the name to look it up
    const sameProtocol = before.cfg.protocol === this.cfg.protocol;
    for (let i = 0; i < rss.length; i++) {
      const o = olds[i];
      const cfg = rss[i]!;
      if (sameProtocol && o && o.cfg.port === cfg.port && ipEquals(o.cfg.address, cfg.address)) {
        olds[i] = undefined;
        o.adopt(cfg, this, asBefore);
        out[i] = o;
      } else misplaced++;
    }
    if (misplaced === 0) return out as RsState[];
    const old = new Map<string, RsState>();
    for (const o of olds) if (o) old.set(o.name, o);
    for (let i = 0; i < rss.length; i++) {
      if (out[i]) continue;
      const cfg = rss[i]!;
      const name = formatRs(cfg, this.cfg);
      const o = old.get(name);
      if (!o) {
        out[i] = new RsState(cfg, this, name);
        continue;
      }
      // names are unique in a virtual server (the configuration drops a duplicate): taken once
      old.delete(name);
      o.adopt(cfg, this, asBefore);
      out[i] = o;
    }
    return out as RsState[];
  }

  invalidate(): void {
    this.dests = undefined;
  }

  /** What must be in this virtual server's IPVS table now. */
  liveDests(): readonly LiveDest[] {
    if (this.dests) return this.dests;
    const out: LiveDest[] = [];
    if (!this.stopped) {
      const sorryActive = this.sorry !== undefined && this.sorryAlive;
      for (const rs of this.rss) {
        if (!rs.set) continue;
        if (sorryActive) {
          if (rs.inhibit) out.push(rs.dest(0));
        } else if (rs.alive) out.push(rs.dest(realWeight(rs.effWeight)));
        else if (rs.inhibit) out.push(rs.dest(0));
      }
      if (this.sorry && (sorryActive || this.cfg.sorryServerInhibit)) {
        const s = this.sorry;
        out.push({
          address: s.address, ...(s.port !== undefined ? { port: s.port } : {}), weight: sorryActive ? 1 : 0,
          ...(s.lvsMethod !== undefined ? { lvsMethod: s.lvsMethod } : {}),
          ...(s.tunnel !== undefined && (s.lvsMethod ?? this.cfg.lbKind) === 'TUN' ? { tunnel: s.tunnel } : {}),
        });
      }
    }
    this.dests = out;
    return out;
  }

  /** the live real servers (keepalived's count in the SNMP notifications) */
  liveCount(): number {
    let n = 0;
    for (const rs of this.rss) if (rs.alive) n++;
    return n;
  }

  weighLive(): number {
    let sum = 0;
    for (const rs of this.rss) if (rs.alive) sum += realWeight(rs.effWeight);
    return sum;
  }
}

/** Whether real servers and virtual servers without their own `smtp_alert` send alerts. */
export interface AlertDefaults {
  readonly rs: boolean;
  readonly vs: boolean;
  /** no_checker_emails: a checker emails only when its real server goes up or down */
  readonly noCheckerEmails: boolean;
}

/** keepalived's rules over the server states. */
export class ServerRules {
  constructor(private readonly out: Sink, private readonly alerts: AlertDefaults) {}

  /** init_service_rs + update_quorum_state(init): the table at start. */
  initVs(vs: VsState): void {
    for (const rs of vs.rss) {
      if ((rs.numFailed === 0 && !rs.alive) || (rs.inhibit && !rs.set)) {
        rs.set = true;
        if (rs.numFailed === 0) rs.alive = true;
      }
    }
    this.updateQuorum(vs, true);
    this.out.dirty(vs);
  }

  /** perform_svr_state: a real server goes up or down. */
  setAlive(rs: RsState, alive: boolean): void {
    if (rs.alive === alive) return;
    const vs = rs.vs;
    this.out.log({ event: 'service', alive, inhibit: rs.inhibit, rs: rs.name, vs: vs.name });
    if (vs.quorumUp || !vs.sorry || !vs.sorryAlive) {
      if (alive) rs.set = true;
      this.out.dirty(vs);
    }
    rs.alive = alive;
    this.rsNotify(rs, false);
    this.updateQuorum(vs, false);
  }

  /** update_svr_wgt: a new effective weight (misc_dynamic, FILE_CHECK). */
  setWeight(rs: RsState, weight: number): void {
    const vs = rs.vs;
    const to = realWeight(weight);
    const from = realWeight(rs.effWeight);
    rs.effWeight = weight;
    if (to === from) return;
    this.out.log({ event: 'weight', from, to, alive: rs.alive, rs: rs.name, vs: vs.name });
    if (rs.set && rs.alive && (vs.quorumUp || !vs.sorry || !vs.sorryAlive)) this.out.dirty(vs);
    this.updateQuorum(vs, false);
  }

  /** update_quorum_state */
  updateQuorum(vs: VsState, init: boolean): void {
    const sum = vs.weighLive();
    const q = vs.cfg.quorum;
    const h = vs.cfg.hysteresis;
    const threshold = q + (vs.quorumUp ? -1 : 1) * h;
    if (!vs.quorumUp && sum >= threshold) {
      vs.quorumUp = true;
      this.out.log({ event: 'quorum', up: true, init, quorum: q, hysteresis: h, threshold, sum, vs: vs.name });
      if (vs.sorry && vs.sorryAlive) {
        this.out.log({ event: 'sorryServer', active: false, inhibit: vs.cfg.sorryServerInhibit, sorry: vs.sorry.name, vs: vs.name });
        vs.sorryAlive = false;
        this.out.log({ event: 'pool', active: true, vs: vs.name });
        for (const rs of vs.rss) if (rs.alive) rs.set = true;
        this.out.dirty(vs);
      }
      this.vsNotify(vs, false);
    } else if ((vs.quorumUp && (!sum || sum < threshold)) || (init && !vs.quorumUp && vs.sorry && !vs.sorryAlive)) {
      vs.quorumUp = false;
      this.out.log({ event: 'quorum', up: false, init, quorum: q, hysteresis: h, threshold, sum, vs: vs.name });
      if (vs.sorry && !vs.sorryAlive) {
        this.out.log({ event: 'sorryServer', active: true, inhibit: vs.cfg.sorryServerInhibit, sorry: vs.sorry.name, vs: vs.name });
        this.out.log({ event: 'pool', active: false, vs: vs.name });
        vs.sorryAlive = true;
        this.out.dirty(vs);
      }
      this.vsNotify(vs, false);
    }
  }

  /** clear_service_vs at stop: every real server leaves; omega runs the down scripts. */
  stopVs(vs: VsState): void {
    vs.sorryAlive = false;
    for (const rs of vs.rss) {
      this.out.log({ event: 'shutdown', inhibited: rs.inhibit && !rs.alive, rs: rs.name, vs: vs.name });
      rs.set = false;
      if (!rs.alive) continue;
      rs.alive = false;
      // SNMP hears of every live real server going, omega or not
      if (vs.cfg.omega) this.rsNotify(rs, true);
      else this.out.trap(vs, rs, true);
    }
    vs.quorumUp = false;
    this.vsNotify(vs, true);
    vs.stopped = true;
    this.out.dirty(vs);
  }

  /** do_rs_notifies */
  rsNotify(rs: RsState, stopping: boolean): void {
    const s = rs.alive ? rs.cfg.notifyUp : rs.cfg.notifyDown;
    if (s) this.out.script(s, rs.alive ? 'notify_up' : 'notify_down', rs.vs, rs, stopping);
    this.out.fifo(`RS ${rs.name} ${rs.vs.name} ${rs.alive ? 'UP' : 'DOWN'}\n`);
    this.out.trap(rs.vs, rs, stopping);
  }

  /**
   * The email of one checker's reported result (keepalived sends it from each checker, after
   * update_svr_checker_state): unless `no_checker_emails`, every checker that changes emails,
   * even when its real server stays as it was; the subject says what the real server now is.
   */
  checkerAlert(rs: RsState, rsWasAlive: boolean, body: string): void {
    if (!(rs.cfg.smtpAlert ?? this.alerts.rs)) return;
    if (rsWasAlive === rs.alive && this.alerts.noCheckerEmails) return;
    this.out.alert(`Realserver ${rs.name} of virtual server ${rs.vs.name} - ${rs.alive ? 'UP' : 'DOWN'}`, body);
  }

  /** do_vs_notifies (at stop only with omega) */
  private vsNotify(vs: VsState, stopping: boolean): void {
    // SNMP hears of it first, at stop too
    this.out.trap(vs, undefined, stopping);
    if (stopping && !vs.cfg.omega) return;
    const s = vs.quorumUp ? vs.cfg.quorumUp : vs.cfg.quorumDown;
    if (s) this.out.script(s, vs.quorumUp ? 'quorum_up' : 'quorum_down', vs, undefined, stopping);
    this.out.fifo(`VS ${vs.name} ${vs.quorumUp ? 'UP' : 'DOWN'}\n`);
    if (!stopping && (vs.cfg.smtpAlert ?? this.alerts.vs)) {
      this.out.alert(`Virtualserver ${vs.name} - ${vs.quorumUp ? 'UP' : 'DOWN'}`,
        vs.quorumUp ? '=> Gained quorum <=' : '=> Lost quorum <=');
    }
  }
}
