/**
 * What goes into and comes out of the sans-I/O checker engine. The engine is driven as
 * `engine.handle(now, input) -> { effects, deadline }`; the driver performs the effects (runs
 * probes through src/io/probes.ts, reconciles IPVS with `liveDests`, runs scripts, logs) and
 * calls `handle(deadline, { type: 'tick' })` when the deadline is reached.
 */
import type { CheckerType, Script } from '../config/model.js';

/** Where and how a probe connects (keepalived conn_opts_t); addresses as text for node:net. */
export interface ConnPlan {
  readonly family: 'inet' | 'inet6';
  /** connect_ip, or the real server's address */
  readonly host: string;
  /** connect_port, or the real server's port (0 for ICMP) */
  readonly port: number;
  readonly bindto?: string;
  readonly bindPort?: number;
  readonly bindIf?: string;
  readonly timeoutMs: number;
  /** SO_MARK on the probe's socket */
  readonly fwmark?: number;
}

export interface HttpUrlPlan {
  readonly path: string;
  /** inclusive ranges; default 200-299 */
  readonly statusCode: readonly { readonly from: number; readonly to: number }[];
  /** lower-case hex MD5 of the body */
  readonly digest?: string;
  readonly regex?: string;
  readonly regexNoMatch: boolean;
  readonly regexOptions?: readonly string[];
  readonly regexMinOffset?: number;
  readonly regexMaxOffset?: number;
}

export type ProbePlan =
  | { readonly type: 'TCP_CHECK'; readonly conn: ConnPlan }
  | {
    readonly type: 'HTTP_GET' | 'SSL_GET'; readonly conn: ConnPlan;
    /** the whole request (see http.ts `buildHttpRequest`) */
    readonly request: string;
    readonly url: HttpUrlPlan;
    /** TLS server name (enable_sni); undefined = no SNI */
    readonly sni?: string;
  }
  | { readonly type: 'SMTP_CHECK'; readonly conn: ConnPlan; readonly heloName: string }
  | { readonly type: 'DNS_CHECK'; readonly conn: ConnPlan; readonly qtype: number; readonly name: string }
  | {
    readonly type: 'UDP_CHECK'; readonly conn: ConnPlan;
    readonly payload: Uint8Array;
    /** undefined: any reply or none (no ICMP error) is a success */
    readonly requireReply?: UdpReplyPattern;
    readonly minReplyLength: number;
    readonly maxReplyLength: number;
  }
  | { readonly type: 'PING_CHECK'; readonly conn: ConnPlan }
  | {
    readonly type: 'MISC_CHECK'; readonly script: Script; readonly timeoutMs: number;
    readonly dynamic: boolean; readonly user?: { readonly user: string; readonly group?: string };
  };

export type ProbeType = ProbePlan['type'];

/** require_reply: bytes to compare and, per byte, the bits that are wildcards (X nibbles). */
export interface UdpReplyPattern {
  readonly data: Uint8Array;
  readonly mask: Uint8Array;
}

/** What one run of a probe found. */
export interface ProbeResult {
  readonly ok: boolean;
  /** misc_dynamic: the weight from the exit status (exit - 2) */
  readonly weight?: number;
  /** why it failed, in keepalived's words where it has some ("Bad greeting banner from server ...") */
  readonly detail?: string;
  /** MISC_CHECK: exit status, or the signal that ended it */
  readonly exitCode?: number;
  readonly signal?: number;
  readonly timedOut?: boolean;
  /** the probe could not be run at all (no socket, bind failed): counted as CHECK_PROBE */
  readonly code?: 'CHECK_PROBE';
}

export type CheckInput =
  /** Put every real server in place and start the checkers (keepalived init_services). */
  | { readonly type: 'start' }
  /**
   * Run every timer due at `now`, starting at most `maxProbes` probes (PROBES_PER_TICK when
   * not given; the driver sizes it to what its probe starts cost, src/check/tick-budget.ts).
   */
  | { readonly type: 'tick'; readonly maxProbes?: number }
  | ({ readonly type: 'probeResult'; readonly probeId: number } & ProbeResult)
  /** ha_suspend: whether the virtual server's address is on this box */
  | { readonly type: 'vipPresent'; readonly vs: VsKey; readonly present: boolean }
  /** FILE_CHECK: the integer now in track_file `name` */
  | { readonly type: 'fileValue'; readonly name: string; readonly value: number }
  /** BFD_CHECK: bfd_instance `name`'s session went Up (`up`) or Down, as the BFD side reports */
  | { readonly type: 'bfd'; readonly name: string; readonly up: boolean }
  /** A real server's effective weight set from outside (SNMP's realServerWeight), as a dynamic weight is */
  | { readonly type: 'setWeight'; readonly vs: VsKey; readonly rs: RsKey; readonly weight: number }
  /** Stop: every real server leaves, omega scripts run. */
  | { readonly type: 'shutdown' }
  /**
   * SIGHUP, on the new engine instead of `start`: real servers of virtual servers that are in
   * both configurations keep their checkers' results, dynamic weights, alive state and the
   * quorum; unchanged probes keep their schedule (a probe in flight runs again at once, its
   * result goes to the old engine).
   */
  | { readonly type: 'reload'; readonly previous: import('./engine.js').CheckerEngine };

/**
 * A virtual server's identity in what the engine says and hears (effects, inputs, queries):
 * keepalived's name of it (`[10.0.0.1]:tcp:80`, `FWM 7`, `[GROUP]:80`), with ` inet6` for an
 * IPv6 fwmark service, and `#2`, `#3` for a second and third with the same name. Not its
 * place in the configuration: a view, SNMP or a reload finds it by key, whatever the order.
 */
export type VsKey = string;
/** A real server's identity in its virtual server: keepalived's name of it (`[10.0.1.1]:tcp:80`), unique there. */
export type RsKey = string;

export type ScriptReason = 'notify_up' | 'notify_down' | 'quorum_up' | 'quorum_down';

/**
 * What a check log line reports, as data. The core decides what happened; log-text.ts words
 * it in keepalived's phrases (what operators grep for), at the edge: the daemon's logger puts
 * the words in the message and the servers in fields. `rs`, `vs`: keepalived's names of the
 * servers (`[10.0.1.1]:tcp:80`, `FWM 7`, `[GROUP]:80`).
 */
export type CheckLogEvent =
  /** a checker starts; `suspended`: its virtual server's address is not here (ha_suspend) */
  | { readonly event: 'checkerStart'; readonly suspended: boolean; readonly rs: string; readonly vs: string }
  /** ha_suspend: the virtual server's address went (`suspended`) or came back while running */
  | { readonly event: 'checkerSuspend'; readonly suspended: boolean; readonly rs: string; readonly vs: string }
  /**
   * A checker's result: it came up (`up`), went down (`down`), or one attempt failed while it
   * was up (`attempt`, log_all_failures). `retryIt`: the attempts counted so far; `hasRun`: it
   * had a result before; `script`: a MISC_CHECK's command.
   */
  | {
    readonly event: 'probe'; readonly outcome: 'up' | 'down' | 'attempt'; readonly checker: CheckerType; readonly script?: string;
    readonly rs: string; readonly vs: string; readonly result: ProbeResult; readonly retry: number; readonly retryIt: number; readonly hasRun: boolean;
  }
  /** HTTP_GET / SSL_GET: a url answered as expected while the checker was down */
  | { readonly event: 'urlSuccess'; readonly detail?: string; readonly rs: string; readonly path: string }
  /** BFD_CHECK: bfd_instance `name`'s session went up or down */
  | { readonly event: 'bfd'; readonly name: string; readonly up: boolean; readonly rs: string }
  /** a real server joins (`alive`) or leaves the pool; `inhibit`: by its weight, staying in the table */
  | { readonly event: 'service'; readonly alive: boolean; readonly inhibit: boolean; readonly rs: string; readonly vs: string }
  /** a real server's effective weight changes (misc_dynamic, FILE_CHECK, SNMP) */
  | { readonly event: 'weight'; readonly from: number; readonly to: number; readonly alive: boolean; readonly rs: string; readonly vs: string }
  /** the live weights `sum` against quorum and hysteresis: quorum gained (`up`), lost, or down at start (`init`) */
  | {
    readonly event: 'quorum'; readonly up: boolean; readonly init: boolean; readonly quorum: number; readonly hysteresis: number;
    readonly threshold: number; readonly sum: number; readonly vs: string;
  }
  /** the sorry server enters (`active`) or leaves; `inhibit`: sorry_server_inhibit */
  | { readonly event: 'sorryServer'; readonly active: boolean; readonly inhibit: boolean; readonly sorry: string; readonly vs: string }
  /** the live real servers leave the pool for the sorry server, or come back (`active`) */
  | { readonly event: 'pool'; readonly active: boolean; readonly vs: string }
  /** stop: a real server leaves; `inhibited`: it was kept at weight 0 */
  | { readonly event: 'shutdown'; readonly inhibited: boolean; readonly rs: string; readonly vs: string };

export type CheckEffect =
  | { readonly type: 'runProbe'; readonly probeId: number; readonly plan: ProbePlan }
  /** virtual server `vs` has new `liveDests(vs)` */
  | { readonly type: 'destsChanged'; readonly vs: VsKey }
  | {
    readonly type: 'runScript'; readonly script: Script; readonly reason: ScriptReason;
    readonly vs: VsKey; readonly rs?: RsKey;
    /** run at shutdown (keepalived waits up to 1 s for these) */
    readonly stopping: boolean;
  }
  /** A notify_fifo / lvs_notify_fifo line, newline included ("RS [..]:tcp:80 [..]:tcp:80 UP\n"). */
  | { readonly type: 'fifo'; readonly line: string }
  /** an email alert (smtp_alert); the daemon adds `[router_id] ` and sends it if a relay is set */
  | { readonly type: 'alert'; readonly subject: string; readonly body: string }
  /** a line for the log, as data: src/check/log-text.ts words it at the edge */
  | { readonly type: 'log'; readonly event: CheckLogEvent }
  /**
   * A state change SNMP notifies (keepalived's check_snmp_rs_trap, check_snmp_quorum_trap): a
   * real server up or down (`rs`), else the virtual server's quorum; with the live real servers
   * counted at that moment. Sent at stop too (`stopping`), for each live real server and each
   * virtual server, omega or not.
   */
  | {
    readonly type: 'stateTrap'; readonly vs: VsKey; readonly rs?: RsKey; readonly alive?: boolean;
    readonly quorumUp: boolean; readonly realUp: number; readonly stopping: boolean;
  };

export interface CheckStep {
  readonly effects: CheckEffect[];
  /** when to call `handle(deadline, { type: 'tick' })`; undefined = no timer pending */
  readonly deadline: number | undefined;
}
