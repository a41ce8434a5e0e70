/**
 * The meeting point of the checkers and IPVS: a real server (or the sorry server) that should
 * be in a virtual server's IPVS table right now, with the weight it should have. The checker
 * core (src/check) decides the list of these per virtual server; src/ipvs turns a virtual
 * server's list into IPVS destinations of each of its services and reconciles the kernel.
 */
import type { LbKind, TunnelSpec } from '../config/model.js';
import type { IpAddress } from '../util/ip.js';

export interface LiveDest {
  readonly address: IpAddress;
  /** the real server's port; undefined for fwmark services and when the VS port applies */
  readonly port?: number;
  /** 0 for an inhibited (failed, inhibit_on_failure) real server */
  readonly weight: number;
  /** forwarding method when it differs from the virtual server's (`lvs_method` in real_server, `sorry_server_lvs_method`) */
  readonly lvsMethod?: LbKind;
  /** its own tunnel options when it tunnels (the virtual server's otherwise) */
  readonly tunnel?: TunnelSpec;
  readonly uthreshold?: number;
  readonly lthreshold?: number;
}
