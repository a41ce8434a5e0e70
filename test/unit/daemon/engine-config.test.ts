// Config model -> engine input (src/daemon/engine-config.ts): the decisions keepalived makes
// when it completes an instance that need the machine or the whole configuration.
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { mapConfig } from '../../../src/daemon/engine-config.js';
import { formatIp } from '../../../src/util/ip.js';
import { fakeMachine, TmpDir } from '../config/helpers.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

const ETH0 = { inet: Uint8Array.of(192, 168, 50, 1), inet6: Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1) };
const map = (text: string, disabled: string[] = []) => {
  const r = loadConfig(tmp.conf(text), { configId: 'lb1', machine: fakeMachine() });
  return mapConfig(r.config, (name) => (name === 'eth0' ? ETH0 : undefined), new Set(disabled));
};

describe('mapConfig', () => {
  it('sources adverts from the interface primary address unless mcast_src_ip / unicast_src_ip', () => {
    const m = map(`
vrrp_instance A { 
  interface eth0 
  virtual_router_id 1 
  priority 100 
  virtual_ipaddress {
    10.0.0.1
  }
}
vrrp_instance B { 
  interface eth0 
  virtual_router_id 2 
  priority 100 
  mcast_src_ip 192.168.50.9 
  virtual_ipaddress {
    10.0.0.2
  }
}
vrrp_instance C { 
  interface eth0 
  virtual_router_id 3 
  priority 100 
  unicast_src_ip 192.168.50.8
  
  unicast_peer {
    192.168.50.2
  } 
  virtual_ipaddress {
    10.0.0.3
  }
}
vrrp_instance D { 
  interface eth0 
  virtual_router_id 4 
  priority 100 
  virtual_ipaddress {
    fd00::1
  }
}
`);
    const src = (n: string) => formatIp(m.instances.get(n)!.config.sourceAddress);
    expect(src('A')).toBe('192.168.50.1');
    expect(src('B')).toBe('192.168.50.9');
    expect(src('C')).toBe('192.168.50.8');
    expect(src('D')).toBe('fe80::1');
    expect(m.instances.get('C')!.config.unicastPeer!.map((p) => formatIp(p.address))).toEqual(['192.168.50.2']);
  });

  it('tracks the own interface with weight 0 unless dont_track_primary; tracker weights default to the tracker', () => {
    const m = map(`
vrrp_script chk {
  script /bin/true
  weight -30
}
vrrp_instance A { 
  interface eth0 
  virtual_router_id 1 
  priority 100 
  track_script {
    chk
  } 
  virtual_ipaddress {
    10.0.0.1
  }
}
vrrp_instance B { 
  interface eth0 
  virtual_router_id 2 
  priority 100 
  dont_track_primary
  
  track_script {
    chk weight 10
  } 
  track_interface {
    eth1 weight 5
  }
  virtual_ipaddress {
    10.0.0.2
  }
}
`);
    const a = m.instances.get('A')!.config;
    const b = m.instances.get('B')!.config;
    expect(a.trackInterface).toEqual([{ name: 'eth0', weight: 0 }]);
    expect(a.trackScript).toEqual([{ name: 'chk', weight: -30, reverse: false }]);
    expect(b.trackInterface).toEqual([{ name: 'eth1', weight: 5, reverse: false }]);
    expect(b.trackScript).toEqual([{ name: 'chk', weight: 10, reverse: false }]);
  });

  it('static entries with a track_group: each instance of the group tracks their interface, unweighted (static_track_group_init)', () => {
    const inst = (name: string, vrid: number, extra = '') => `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  priority 100\n${extra}  virtual_ipaddress {\n    10.0.0.${vrid}\n  }\n}\n`;
    const m = map(`
track_group TG {
  group {
    A
    B
    NOSUCH
  }
}
track_group EMPTY {
  group {
    NOSUCH
  }
}
static_ipaddress {
  10.1.0.1/24 dev eth1 track_group TG
  10.1.0.2/24 track_group TG
  10.1.0.3/24 dev eth3 track_group TG no_track
}
static_routes {
  10.2.0.0/16 dev eth2 track_group TG
  10.3.0.0/16 dev eth4 track_group EMPTY
}
static_rules {
  iif eth5 table 100 priority 5 track_group TG
  from 10.4.0.0/16 table 100 priority 6 track_group TG
}
${inst('A', 1, '  track_interface {\n    eth2 weight 10\n  }\n')}${inst('B', 2)}${inst('C', 3)}`);
    const tracked = (name: string) => m.instances.get(name)!.config.trackInterface!.map((t) => `${t.name}:${t.weight}`);
    // eth0: the own interface, and the static address without dev (on the default interface)
    expect(tracked('A')).toEqual(['eth2:0', 'eth0:0', 'eth1:0', 'eth5:0']);
    expect(tracked('B')).toEqual(['eth0:0', 'eth1:0', 'eth2:0', 'eth5:0']);
    expect(tracked('C')).toEqual(['eth0:0']);
  });

  it('a sync-group member without sync_group_tracking_weight runs no weighted script (keepalived drops it); with it, the weight stays', () => {
    const m = map(`
vrrp_script chk {
  script /bin/true
  weight -30
}
vrrp_sync_group G { group {
    A
  }
}
vrrp_sync_group H { group {
    B
  } 
  sync_group_tracking_weight
}
vrrp_instance A { 
  interface eth0 
  virtual_router_id 1 
  priority 100 
  track_script {
    chk
  } 
  virtual_ipaddress {
    10.0.0.1
  }
}
vrrp_instance B { 
  interface eth0 
  virtual_router_id 2 
  priority 100 
  track_script {
    chk
  } 
  virtual_ipaddress {
    10.0.0.2
  }
}
`);
    expect(m.instances.get('A')!.config.trackScript).toEqual([]);
    expect(m.instances.get('B')!.config.trackScript).toEqual([{ name: 'chk', weight: -30, reverse: false }]);
    expect(m.engine.syncGroups!.map((g) => g.group)).toEqual([['A'], ['B']]);
  });

  it('a sync-group member\'s weighted track_interface keeps its weight (keepalived says it ignores it, and applies it), shown as 0', () => {
    const m = map(`
vrrp_sync_group G { group {
    A
  }
}
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  priority 100
  track_interface {
    eth1 weight 10
  }
  virtual_ipaddress {
    10.0.0.1
  }
}
`);
    expect(m.instances.get('A')!.config.trackInterface!.find((t) => t.name === 'eth1')).toEqual({ name: 'eth1', weight: 10, reverse: false, shownWeight: 0 });
  });

  it('stops tracking disabled scripts (refused at start-up), as keepalived', () => {
    const m = map(`
vrrp_script bad {
  script /bin/true
}
vrrp_script good {
  script /bin/true
}
vrrp_instance A { 
  interface eth0 
  virtual_router_id 1 
  priority 100 
  track_script {
    bad
    good
  } 
  virtual_ipaddress {
    10.0.0.1
  }
}
`, ['bad']);
    expect(m.instances.get('A')!.config.trackScript!.map((t) => t.name)).toEqual(['good']);
  });

  it('applies the global GARP and advert defaults where the instance says nothing', () => {
    const m = map(`
global_defs {
  
  vrrp_garp_master_repeat 2 
  vrrp_garp_master_delay 3 
  vrrp_higher_prio_send_advert 
  vrrp_version 3
}
vrrp_instance A { 
  interface eth0 
  virtual_router_id 1 
  priority 100 
  advert_int 0.5 
  virtual_ipaddress {
    10.0.0.1
  }
}
vrrp_instance B { 
  interface eth0 
  virtual_router_id 2 
  priority 100 
  garp_master_repeat 7 
  virtual_ipaddress {
    10.0.0.2
  }
}
`);
    const a = m.instances.get('A')!.config;
    expect(a.version).toBe(3);
    expect(a.advertIntervalMs).toBe(500);
    expect(a.garpMasterRepeat).toBe(2);
    expect(a.garpMasterDelayMs).toBe(3000);
    expect(a.higherPrioSendAdvert).toBe(true);
    expect(m.instances.get('B')!.config.garpMasterRepeat).toBe(7);
  });

  it('carries VIPs of the instance family in adverts; other-family VIPs and eVIPs are only installed', () => {
    const m = map(`
vrrp_instance A { 
  interface eth0 
  virtual_router_id 1 
  priority 100
  
  virtual_ipaddress {
    10.0.0.1/24
    10.0.0.2
 
}
  
  virtual_ipaddress_excluded {
    10.9.9.9
    fd00::9
  }
}
`);
    const a = m.instances.get('A')!;
    expect(a.config.virtualIpaddress.map(formatIp)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(a.addresses.map((e) => `${formatIp(e.address)}/${e.address.prefixLen}`)).toEqual(['10.0.0.1/24', '10.0.0.2/32', '10.9.9.9/32', 'fd00::9/128']);
  });

  it('maps AH with its key; an interface without an address (or not there yet) makes the instance wait in FAULT', () => {
    const ah = map(`
vrrp_instance A { 
  interface eth0 
  virtual_router_id 1 
  priority 100
  
  authentication { 
  auth_type AH 
  auth_pass x } 
  virtual_ipaddress {
    10.0.0.1
  } }`).instances.get('A')!;
    expect(ah.config.authentication).toEqual({ authType: 'AH', authPass: 'x' });
    const m = map(`
vrrp_instance A {
  interface eth1
  virtual_router_id 1
  priority 100
  dont_track_primary
  virtual_ipaddress {
    10.0.0.1
  } }`).instances.get('A')!;
    expect(m.waitingForSource).toBe(true);
    // its own interface is tracked even with dont_track_primary, until it is mapped again
    expect(m.config.trackInterface?.map((t) => t.name)).toEqual(['eth1']);
    expect([...m.config.sourceAddress.bytes]).toEqual([0, 0, 0, 0]);
  });
});
