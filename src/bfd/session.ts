/**
 * # src/bfd — the sans-I/O BFD session (RFC 5880 asynchronous mode, RFC 5881 single hop)
 *
 * One `BfdSession` per `bfd_instance`, driven as `handle(now, input) -> { effects, deadline }`
 * like the VRRP engine: it never reads a clock, opens a socket or logs. `now` is in ms; the
 * packet input's receive time is the `now` it is handled at. Effects (types.ts): `send`,
 * `stateChange`, `report` (the Up/Down event for track_bfd / BFD_CHECK), `detectionTime`,
 * `drop`. Codec and TTL check: packet.ts; timer formulas and defaults: timers.ts.
 *
 * keepalived 2.2.7 behaviours followed (keepalived/bfd/…):
 * - defaults min_rx 10 ms, min_tx 10 ms, idle_tx 1 s, multiplier 5, ttl 255 (IPv4) / 64
 *   (IPv6), max_hops 0: bfd_data.c `alloc_bfd`, bfd_parser.c `bfd_end_handler`.
 * - sent packets: Desired Min TX is idle_tx unless Up; P is dropped when F is sent (the new
 *   parameters ride on the Final); no auth, no echo, no demand: bfd.c `bfd_build_packet`.
 * - decode checks: bfd.c `bfd_check_packet`; TTL: bfd.c `bfd_check_packet_ttl`, skipped for
 *   max_hops 255; packets are discarded while AdminDown: bfd_scheduler.c `bfd_handle_packet`.
 * - intervals recomputed on every packet while not Up and only on P or F while Up; the fast
 *   min_tx only once the remote is Up and we are Init/Up, idle_tx otherwise: bfd_handle_packet
 *   with bfd.c `bfd_update_local_tx_intv`, `bfd_update_remote_tx_intv`, `bfd_idle_local_tx_intv`.
 * - Detection Time = remote Detect Mult x max(min_rx, remote Desired Min TX), recomputed on
 *   every packet; a shorter transmit interval reschedules the next packet at once:
 *   bfd_handle_packet, `bfd_sender_reschedule`.
 * - a Poll Sequence starts on entering Up when idle_tx differs from min_tx (the switch to fast
 *   transmission), and on reload when min_rx or min_tx changed; not while a Final is pending:
 *   bfd_scheduler.c `bfd_state_up`, bfd_data.c `bfd_complete_init`, bfd.c `bfd_set_poll`.
 * - a received Poll is answered at once with F, outside the periodic timer: bfd_handle_packet.
 * - the detection timer is armed on entering Init or Up and pushed back by packets only while
 *   Up (so Init must reach Up within one Detection Time): `bfd_state_rise`, bfd_handle_packet.
 * - on expiry: bfd.RemoteDiscr = 0, Down with diag 1: `bfd_expire_thread`.
 * - on leaving Up for Down a new local discriminator is chosen: `bfd_state_down`.
 * - one Detection Time after entering Down the remote state variables (state, discriminator,
 *   diag, demand, P/F) are reset: `bfd_reset_thread`, bfd.c `bfd_reset_state`.
 * - passive: nothing sent before a packet is received; the sender starts on entering Init (one
 *   jittered interval later) or after any accepted packet, and stops on falling Down:
 *   `bfd_state_init`, `bfd_state_down`, bfd_handle_packet, `bfd_register_workers`.
 * - start: report the state, and unless passive send one packet at once and start the periodic
 *   sender: `bfd_register_workers`.
 * - reports: Up on every entry to Up; Down on leaving Up unless the remote signalled AdminDown
 *   (RFC 5882 §3.2): `bfd_state_up`, `bfd_state_fall`, bfd_event.c `bfd_event_send`.
 * - remote Demand with both Up stops periodic transmission: bfd_handle_packet.
 *
 * Where keepalived departs from RFC 5880, and what this core does:
 * - jitter: keepalived always reduces the interval by 10-25% (its test is "Detect Mult is
 *   nonzero", bfd_scheduler.c `get_jitter`); here 0-25%, 10-25% with Detect Mult 1 (§6.8.7).
 * - bfd.RemoteMinRxInterval starts at 0 and a remote Required Min RX of 0 is ignored in
 *   keepalived; here it starts at 1 us (§6.8.1) and 0 stops periodic transmission (§6.8.3).
 * - a passive session never transmits while bfd.RemoteDiscr is 0 (§6.8.7); keepalived can
 *   after its reset timer clears the discriminator of a session that fell Down on a packet.
 * - AdminDown: keepalived enters it only when the output socket cannot be opened and sends
 *   nothing; here `admin` disable sends AdminDown packets for one Detection Time (§6.8.16) and
 *   reports Down at once if it was Up (keepalived reports it at the next start/reload).
 * - extra drops: P with F, Diagnostic above 8, payload longer than Length (packet.ts).
 * - followed as keepalived: a new discriminator on Up -> Down (§6.8.1: never reinitialised);
 *   packets in Init do not push the detection timer back (§6.8.4 counts every packet).
 * - IPv6 default hop limit 64 with max_hops 0, not RFC 5881's 255 (packet.ts `defaultTtl`);
 *   kept for keepalived compatibility. A peer that insists on 255 (FRR bfdd single hop is
 *   expected to) needs `ttl 255`: to be confirmed by the interop tests.
 *
 * Left for the next step: UDP sockets in src/io (listen on port 3784, IPv4 and IPv6, with
 * IP_RECVTTL / IPV6_RECVHOPLIMIT and PKTINFO; one sending socket per session bound to the
 * source address and a source port in 49152-65535, TTL/hop limit from `ttl`); the
 * demultiplexer (Your Discriminator, else neighbour/source addresses) and discriminator
 * allocation; placement in a process (keepalived runs a separate BFD child) driven by the
 * generic driver; the configuration layer compiling `bfd_instance` into BfdSessionConfig;
 * track_bfd (VRRP weight / fault) and BFD_CHECK wiring of `report`; reload keeping state by
 * instance name; dump and log formatting; interop tests with keepalived and FRR bfdd.
 */
import { Diag, ttlAcceptable, type BfdDiag, type BfdState, type ControlPacket } from './packet.js';
import { addUs, detectionTimeUs, jitteredIntervalUs, leastJitteredIntervalUs, remoteTransmitIntervalUs, transmitIntervalUs } from './timers.js';
import type {
  BfdEffect, BfdInput, BfdSessionConfig, BfdSessionDeps, BfdSessionVars, BfdStep, BfdTimerConfig, SessionDropReason,
} from './types.js';

export class BfdSession {
  readonly name: string;
  private timers: BfdTimerConfig;
  private started = false;
  private state: BfdState = 'Down';
  private remoteState: BfdState = 'Down';
  private localDiscr: number;
  private remoteDiscr = 0;
  private localDiag: BfdDiag = Diag.None;
  private remoteDiag: BfdDiag = Diag.None;
  /** RFC 5880 §6.8.1: initialised to 1 us so that the first packets go out. */
  private remoteMinRxUs = 1;
  private remoteMinTxUs = 0;
  private remoteDemand = false;
  private remoteDetectMult = 0;
  private poll = false;
  private final = false;
  private txIntervalUs: number;
  private remoteTxIntervalUs = 0;
  private detectionUs = 0;
  private lastRxMs: number | undefined;
  /** the periodic sender, the detection timer, the reset of remote variables in Down */
  private nextTxMs: number | undefined;
  /** the start of the next transmission's jitter window (75% of the interval after the last) */
  private txOpensMs = 0;
  private expireAtMs: number | undefined;
  private resetAtMs: number | undefined;
  /** AdminDown: stop telling the remote at this time */
  private adminTxUntilMs: number | undefined;
  private effects: BfdEffect[] = [];

  constructor(private readonly config: BfdSessionConfig, private readonly deps: BfdSessionDeps) {
    this.name = config.name;
    this.timers = {
      desiredMinTxIntervalUs: config.desiredMinTxIntervalUs,
      requiredMinRxIntervalUs: config.requiredMinRxIntervalUs,
      idleTxIntervalUs: config.idleTxIntervalUs,
      detectMult: config.detectMult,
    };
    this.localDiscr = deps.newDiscriminator();
    this.txIntervalUs = config.idleTxIntervalUs;
  }

  handle(nowMs: number, input: BfdInput): BfdStep {
    this.effects = [];
    switch (input.type) {
      case 'start': this.start(nowMs); break;
      case 'timer': if (this.started) this.runTimers(nowMs, false); break;
      case 'awake': if (this.started) this.runTimers(nowMs, true); break;
      case 'packet': if (this.started) this.receive(nowMs, input.packet, input.ttl); break;
      case 'admin': if (input.enabled) this.enable(nowMs); else this.disable(nowMs, input.diag ?? Diag.AdministrativelyDown); break;
      case 'configure': this.configure(input.timers); break;
    }
    return { effects: this.effects, deadline: this.deadline() };
  }

  /**
   * When the next periodic transmission may go (§6.8.7: 75% of the interval after the last),
   * for a driver that runs several sessions on one wake-up (`awake`); undefined when none is
   * scheduled. Read for every session on every wake-up, so a plain field.
   */
  get txWindowOpensMs(): number | undefined {
    return this.nextTxMs === undefined ? undefined : this.txOpensMs;
  }

  /** bfd.LocalDiscr, cheaply (the demultiplexer reads it for every packet) */
  get localDiscriminator(): number {
    return this.localDiscr;
  }

  get vars(): BfdSessionVars {
    return {
      sessionState: this.state, remoteSessionState: this.remoteState,
      localDiscr: this.localDiscr, remoteDiscr: this.remoteDiscr,
      localDiag: this.localDiag, remoteDiag: this.remoteDiag,
      desiredMinTxIntervalUs: this.state === 'Up' ? this.timers.desiredMinTxIntervalUs : this.timers.idleTxIntervalUs,
      requiredMinRxIntervalUs: this.timers.requiredMinRxIntervalUs,
      remoteMinRxIntervalUs: this.remoteMinRxUs, remoteDesiredMinTxIntervalUs: this.remoteMinTxUs,
      remoteDemandMode: this.remoteDemand,
      detectMult: this.timers.detectMult, remoteDetectMult: this.remoteDetectMult,
      poll: this.poll, final: this.final,
      txIntervalUs: this.txIntervalUs, remoteTxIntervalUs: this.remoteTxIntervalUs,
      detectionTimeUs: this.detectionUs, lastRxMs: this.lastRxMs,
    };
  }

  private deadline(): number | undefined {
    let d: number | undefined;
    for (const t of [this.nextTxMs, this.expireAtMs, this.resetAtMs]) if (t !== undefined && (d === undefined || t < d)) d = t;
    return d;
  }

  // --- inputs ---------------------------------------------------------------------------

  private start(now: number): void {
    if (this.started) return;
    this.started = true;
    this.effects.push({ type: 'report', state: this.state === 'Up' ? 'Up' : 'Down' });
    if (this.state === 'AdminDown' || this.config.passive) return;
    this.transmit();
    this.nextTxMs = this.jittered(now);
  }

  private runTimers(now: number, early: boolean): void {
    if (this.expireAtMs !== undefined && this.expireAtMs <= now) {
      this.expireAtMs = undefined;
      this.remoteDiscr = 0; // §6.8.1: a Detection Time without packets clears it
      this.down(now, Diag.ControlDetectionTimeExpired, now - (this.lastRxMs ?? now));
    }
    if (this.resetAtMs !== undefined && this.resetAtMs <= now) {
      this.resetAtMs = undefined;
      this.resetRemote();
    }
    if (this.nextTxMs !== undefined && (early ? this.txOpensMs : this.nextTxMs) <= now) {
      const adminDone = this.adminTxUntilMs !== undefined && now >= this.adminTxUntilMs;
      if (adminDone || !this.periodicAllowed()) {
        this.nextTxMs = undefined;
        this.adminTxUntilMs = undefined;
      } else {
        this.transmit();
        this.nextTxMs = this.jittered(now);
      }
    }
  }

  /** RFC 5880 §6.8.6 from step 7 on; the codec has made the checks before it. */
  private receive(now: number, p: ControlPacket, ttl: number | undefined): void {
    if (p.yourDiscriminator !== 0 && p.yourDiscriminator !== this.localDiscr) return this.drop('your-discriminator');
    if (!ttlAcceptable(ttl, this.config.ttl, this.config.maxHops)) return this.drop('ttl');
    if (this.state === 'AdminDown') return this.drop('admin-down');
    const oldTxUs = this.txIntervalUs;
    const oldDetectionUs = this.detectionUs;
    this.remoteDiscr = p.myDiscriminator;
    this.remoteState = p.state;
    this.remoteDiag = p.diag;
    this.remoteMinRxUs = p.requiredMinRxIntervalUs;
    this.remoteMinTxUs = p.desiredMinTxIntervalUs;
    this.remoteDemand = p.demand;
    this.remoteDetectMult = p.detectMult;
    if (p.final) this.poll = false; // our Poll Sequence is over
    // §6.8.3: while Up, new parameters take effect only through a Poll Sequence
    if (this.state !== 'Up' || p.poll || p.final) {
      const fast = this.remoteState === 'Up' && (this.state === 'Init' || this.state === 'Up');
      this.txIntervalUs = transmitIntervalUs(fast ? this.timers.desiredMinTxIntervalUs : this.timers.idleTxIntervalUs, this.remoteMinRxUs);
      this.remoteTxIntervalUs = remoteTransmitIntervalUs(this.timers.requiredMinRxIntervalUs, this.remoteMinTxUs);
    }
    this.detectionUs = detectionTimeUs(this.remoteDetectMult, this.remoteTxIntervalUs);
    if (this.txIntervalUs < oldTxUs && this.nextTxMs !== undefined) this.nextTxMs = this.jittered(now);
    if (this.detectionUs !== oldDetectionUs) {
      this.effects.push({ type: 'detectionTime', detectionTimeMs: this.detectionUs / 1000, previousMs: oldDetectionUs / 1000 });
    }
    if (this.remoteState === 'AdminDown') {
      if (this.state !== 'Down') this.down(now, Diag.NeighborSignaledSessionDown);
    } else if (this.state === 'Down') {
      if (this.remoteState === 'Down') this.init(now);
      else if (this.remoteState === 'Init') this.up(now);
    } else if (this.state === 'Init') {
      if (this.remoteState === 'Init' || this.remoteState === 'Up') this.up(now);
    } else if (this.remoteState === 'Down') {
      this.down(now, Diag.NeighborSignaledSessionDown);
    }
    if (!this.periodicAllowed()) this.nextTxMs = undefined;
    else if (this.nextTxMs === undefined) this.nextTxMs = this.jittered(now);
    if (p.poll) {
      this.final = true;
      this.transmit(); // §6.8.7: at once, whatever the timer
    }
    this.lastRxMs = now;
    if (this.state === 'Up' && this.expireAtMs !== undefined) this.expireAtMs = addUs(now, this.detectionUs);
  }

  private disable(now: number, diag: BfdDiag): void {
    if (this.state === 'AdminDown') return;
    const from = this.state;
    this.state = 'AdminDown';
    this.localDiag = diag;
    this.changed(from);
    this.resetAtMs = undefined;
    this.fall();
    if (from === 'Up') this.effects.push({ type: 'report', state: 'Down' });
    this.nextTxMs = undefined;
    if (!this.started || (this.config.passive && this.remoteDiscr === 0)) return;
    // §6.8.16: keep sending for at least a Detection Time so that the remote learns it
    this.transmit();
    this.nextTxMs = this.jittered(now);
    this.adminTxUntilMs = addUs(now, this.timers.detectMult * this.txIntervalUs);
  }

  private enable(now: number): void {
    if (this.state !== 'AdminDown') return;
    this.state = 'Down';
    this.changed('AdminDown');
    this.adminTxUntilMs = undefined;
    this.nextTxMs = this.started && !this.config.passive && this.periodicAllowed() ? this.jittered(now) : undefined;
  }

  private configure(timers: BfdTimerConfig): void {
    const pollNeeded = timers.desiredMinTxIntervalUs !== this.timers.desiredMinTxIntervalUs
      || timers.requiredMinRxIntervalUs !== this.timers.requiredMinRxIntervalUs;
    this.timers = { ...timers };
    if (pollNeeded) this.startPoll();
  }

  // --- state changes --------------------------------------------------------------------

  private up(now: number): void {
    const from = this.state;
    this.state = 'Up';
    this.rise(now, from);
    // the slow idle rate is left through a Poll Sequence
    if (this.timers.idleTxIntervalUs !== this.timers.desiredMinTxIntervalUs) this.startPoll();
    this.effects.push({ type: 'report', state: 'Up' });
  }

  private init(now: number): void {
    const from = this.state;
    this.state = 'Init';
    this.rise(now, from);
    if (this.config.passive && this.nextTxMs === undefined) this.nextTxMs = this.jittered(now);
  }

  private rise(now: number, from: BfdState): void {
    this.localDiag = Diag.None;
    this.changed(from);
    this.resetAtMs = undefined;
    if (this.expireAtMs === undefined) this.expireAtMs = addUs(now, this.detectionUs);
  }

  private down(now: number, diag: BfdDiag, silentForMs?: number): void {
    const from = this.state;
    if (from === 'Up') this.localDiscr = this.deps.newDiscriminator();
    this.state = 'Down';
    this.localDiag = diag;
    this.changed(from, silentForMs);
    this.resetAtMs = addUs(now, this.detectionUs);
    if (this.config.passive) this.nextTxMs = undefined;
    this.fall();
    if (from === 'Up' && this.remoteState !== 'AdminDown') this.effects.push({ type: 'report', state: 'Down' });
  }

  /** Down and AdminDown: back to the idle rate (§6.8.3: at least 1 s), no detection timer. */
  private fall(): void {
    this.txIntervalUs = transmitIntervalUs(this.timers.idleTxIntervalUs, this.remoteMinRxUs);
    this.expireAtMs = undefined;
  }

  private changed(from: BfdState, silentForMs?: number): void {
    this.effects.push({
      type: 'stateChange', from, to: this.state, diag: this.localDiag, remoteDiag: this.remoteDiag,
      ...(silentForMs === undefined ? {} : { silentForMs }),
    });
  }

  private resetRemote(): void {
    this.remoteState = 'Down';
    this.remoteDiscr = 0;
    this.remoteDiag = Diag.None;
    this.remoteDemand = false;
    this.poll = false;
    this.final = false;
    this.txIntervalUs = transmitIntervalUs(this.timers.idleTxIntervalUs, this.remoteMinRxUs);
  }

  private startPoll(): void {
    // §6.5: a system answering a Poll may carry its new parameters on the Final instead
    if (!this.final) this.poll = true;
  }

  // --- transmission ---------------------------------------------------------------------

  /** §6.8.7 limits on periodic transmission (a Final is sent regardless). */
  private periodicAllowed(): boolean {
    if (this.config.passive && this.remoteDiscr === 0) return false;
    if (this.remoteMinRxUs === 0) return false;
    return !(this.remoteDemand && this.state === 'Up' && this.remoteState === 'Up');
  }

  /** The time of the next periodic transmission, jittered (§6.8.7); also opens its window. */
  private jittered(now: number): number {
    this.txOpensMs = addUs(now, leastJitteredIntervalUs(this.txIntervalUs));
    return addUs(now, jitteredIntervalUs(this.txIntervalUs, this.timers.detectMult, this.deps.random));
  }

  private transmit(): void {
    if (this.poll && this.final) this.poll = false; // the parameters ride on the Final
    this.effects.push({
      type: 'send',
      packet: {
        diag: this.localDiag,
        state: this.state,
        poll: this.poll,
        final: this.final,
        controlPlaneIndependent: false,
        demand: false,
        detectMult: this.timers.detectMult,
        myDiscriminator: this.localDiscr,
        yourDiscriminator: this.remoteDiscr,
        desiredMinTxIntervalUs: this.state === 'Up' ? this.timers.desiredMinTxIntervalUs : this.timers.idleTxIntervalUs,
        requiredMinRxIntervalUs: this.timers.requiredMinRxIntervalUs,
        requiredMinEchoRxIntervalUs: 0,
      },
    });
    this.final = false;
  }

  private drop(reason: SessionDropReason): void {
    this.effects.push({ type: 'drop', reason });
  }
}
