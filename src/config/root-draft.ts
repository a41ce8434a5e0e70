/**
 * The top level of a configuration being read: what each top-level keyword fills, before the
 * completion (complete.ts) makes the model's KeepalivedConfig of it. Each block's draft is
 * typed by the file whose keyword table fills it; the VRRP side's part is keywords-vrrp.ts's.
 */
import type { Mutable } from './parser.js';
import type { GarpGroup, SslContextConfig, VirtualServerGroup } from './model.js';
import type { VsDraft } from './keywords-lvs.js';
import type { GlobalDraft } from './keywords-global.js';
import type { BfdDraft } from './keywords-bfd.js';
import type { VrrpRootDraft } from './keywords-vrrp.js';

/** garp_group being read: its interfaces grow as the block is read. */
export type GarpGroupDraft = Omit<Mutable<GarpGroup>, 'interfaces'> & { interfaces: Mutable<GarpGroup>['interfaces'][number][] };

/** A type, not an interface, so it is also a Draft. */
export type RootDraft = VrrpRootDraft & {
  globalDefs: GlobalDraft;
  virtualServerGroups: VirtualServerGroup[];
  virtualServers: VsDraft[];
  bfdInstances: BfdDraft[];
  ssl?: Mutable<SslContextConfig>;
  netNamespace?: string;
  instance?: string;
  usePidDir?: boolean;
  linkbeatUsePolling?: boolean;
  garpGroups?: GarpGroupDraft[];
};
