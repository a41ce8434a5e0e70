// The parsing rules of keepalived-exporter (github.com/mehdy/keepalived-exporter,
// internal/collector/parser.go and setter.go), rewritten in TypeScript as a test oracle: what
// the exporter reads from keepalived.data, keepalived.stats and keepalived.json. Written from
// its behaviour; it throws where the exporter returns an error (an unknown state, a number
// that does not parse), which makes the scrape fail.

/** The exporter's VRRP states, by number. */
export const EXPORTER_STATES = ['INIT', 'BACKUP', 'MASTER', 'FAULT'] as const;

export interface ExporterData {
  iname: string;
  state: number;
  wantstate: number;
  intf: string;
  garpDelay: number;
  vrid: number;
  vips: string[];
}

export interface ExporterStats {
  advertRcvd: number; advertSent: number; becomeMaster: number; releaseMaster: number;
  packetLenErr: number; advertIntervalErr: number; ipTtlErr: number; invalidTypeRcvd: number;
  addrListErr: number; invalidAuthType: number; authTypeMismatch: number; authFailure: number;
  priZeroRcvd: number; priZeroSent: number;
}

/** Go's strconv.Atoi: an optional sign and decimal digits, nothing else. */
function atoi(text: string, what: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new Error(`exporter: ${what}: strconv.Atoi: parsing "${text}": invalid syntax`);
  return Number(text);
}

function stateNumber(text: string, what: string): number {
  const i = (EXPORTER_STATES as readonly string[]).indexOf(text);
  if (i < 0) throw new Error(`exporter: unknown ${what} found: ${text}`);
  return i;
}

const trim = (s: string): string => s.replace(/^[\s]+|[\s]+$/g, '');

/** ParseVRRPData: " VRRP Instance = NAME" starts an instance; indented "Key = value" lines. */
export function parseVrrpData(text: string): Map<string, ExporterData> {
  const out = new Map<string, ExporterData>();
  let instance = '';
  let key = '';
  let val = '';
  for (const l of text.split('\n')) {
    if (l.startsWith(' VRRP Instance') && l.includes('=')) {
      instance = trim(trim(l).split('=')[1]!);
      out.set(instance, { iname: instance, state: 0, wantstate: 0, intf: '', garpDelay: 0, vrid: 0, vips: [] });
    } else if (l.startsWith('   ') && instance !== '') {
      if (l.startsWith('     ')) val = trim(l);
      else {
        let parts: string[];
        if (l.includes('=')) parts = trim(l).split('=');
        else if (l.includes(':')) parts = trim(l).split(':');
        else continue;
        key = trim(parts[0]!);
        if (key === 'Virtual IP') continue;
        val = trim(parts[1]!);
      }
      const d = out.get(instance)!;
      if ((key.startsWith('Virtual IP (') || key === 'Virtual IP') && val !== '') d.vips.push(trim(val));
      switch (key) {
        case 'State': d.state = stateNumber(val, 'state'); break;
        case 'Wantstate': d.wantstate = stateNumber(val, 'wantstate'); break;
        case 'Interface': case 'Listening device': d.intf = val; break;
        case 'Gratuitous ARP delay': d.garpDelay = atoi(val, 'GArpDelay'); break;
        case 'Virtual Router ID': d.vrid = atoi(val, 'vrid'); break;
        default: break;
      }
    } else if (l.startsWith(' VRRP Version') || l.startsWith(' VRRP Script')) {
      continue;
    } else instance = '';
  }
  return out;
}

const STAT_KEYS: Record<string, Record<string, keyof ExporterStats>> = {
  'Advertisements': { Received: 'advertRcvd', Sent: 'advertSent' },
  'Packet Errors': {
    'Length': 'packetLenErr', 'TTL': 'ipTtlErr', 'Invalid Type': 'invalidTypeRcvd',
    'Advertisement Interval': 'advertIntervalErr', 'Address List': 'addrListErr',
  },
  'Authentication Errors': { 'Invalid Type': 'invalidAuthType', 'Type Mismatch': 'authTypeMismatch', 'Failure': 'authFailure' },
  'Priority Zero': { Received: 'priZeroRcvd', Sent: 'priZeroSent' },
};

/** ParseStats: "VRRP Instance: NAME", "  Section:", "    Key: n", "  Key: n". */
export function parseStats(text: string): Map<string, ExporterStats> {
  const out = new Map<string, ExporterStats>();
  let instance = '';
  let section = '';
  const zero = (): ExporterStats => ({
    advertRcvd: 0, advertSent: 0, becomeMaster: 0, releaseMaster: 0, packetLenErr: 0, advertIntervalErr: 0,
    ipTtlErr: 0, invalidTypeRcvd: 0, addrListErr: 0, invalidAuthType: 0, authTypeMismatch: 0, authFailure: 0,
    priZeroRcvd: 0, priZeroSent: 0,
  });
  for (const l of text.split('\n')) {
    if (l.startsWith('VRRP Instance') && l.includes(':')) {
      instance = trim(trim(l).split(':')[1]!);
      out.set(instance, zero());
    } else if (l.startsWith('  ') && l.endsWith(':')) {
      section = trim(trim(l).split(':')[0]!);
    } else if (l.startsWith('    ') && section !== '') {
      const parts = trim(l).split(':');
      const key = trim(parts[0]!);
      const value = atoi(trim(parts[1] ?? ''), key);
      const field = STAT_KEYS[section]?.[key];
      if (field) out.get(instance)![field] = value;
    } else if (l.startsWith('  ') && !l.endsWith(':') && !l.startsWith('    ')) {
      const parts = trim(l).split(':');
      const key = trim(parts[0]!);
      const value = atoi(trim(parts[1] ?? ''), key);
      section = '';
      if (key === 'Became master') out.get(instance)!.becomeMaster = value;
      else if (key === 'Released master') out.get(instance)!.releaseMaster = value;
    }
  }
  return out;
}

/** ParseVIP: "ADDR dev IFNAME ..." -> [address, interface]. */
export function parseVip(vip: string): [string, string] | undefined {
  const args = vip.split(' ');
  return args.length < 3 ? undefined : [args[0]!, args[2]!];
}

/**
 * ParseJSON: Go's encoding/json into the exporter's structs. Integer fields refuse a
 * fraction or a string (the decode fails), string fields refuse a number, and so on.
 */
export function parseJson(text: string): { data: ExporterData & { excludedVips: string[] }; stats: ExporterStats }[] {
  const list = JSON.parse(text) as unknown;
  if (!Array.isArray(list)) throw new Error('exporter: json: cannot unmarshal object into []VRRP');
  const int = (o: Record<string, unknown>, k: string): number => {
    const v = o[k];
    if (v === undefined || v === null) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`exporter: json: cannot unmarshal ${JSON.stringify(v)} into int field ${k}`);
    return v;
  };
  const str = (o: Record<string, unknown>, k: string): string => {
    const v = o[k];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new Error(`exporter: json: cannot unmarshal ${JSON.stringify(v)} into string field ${k}`);
    return v;
  };
  const strs = (o: Record<string, unknown>, k: string): string[] => {
    const v = o[k];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`exporter: json: ${k} is not []string`);
    return v as string[];
  };
  return list.map((item: { data?: Record<string, unknown>; stats?: Record<string, unknown> }) => {
    const d = item.data ?? {};
    const s = item.stats ?? {};
    return {
      data: {
        iname: str(d, 'iname'), state: int(d, 'state'), wantstate: int(d, 'wantstate'), intf: str(d, 'ifp_ifname'),
        garpDelay: int(d, 'garp_delay'), vrid: int(d, 'vrid'), vips: strs(d, 'vips'), excludedVips: strs(d, 'evips'),
      },
      stats: {
        advertRcvd: int(s, 'advert_rcvd'), advertSent: int(s, 'advert_sent'), becomeMaster: int(s, 'become_master'),
        releaseMaster: int(s, 'release_master'), packetLenErr: int(s, 'packet_len_err'),
        advertIntervalErr: int(s, 'advert_interval_err'), ipTtlErr: int(s, 'ip_ttl_err'),
        invalidTypeRcvd: int(s, 'invalid_type_rcvd'), addrListErr: int(s, 'addr_list_err'),
        invalidAuthType: int(s, 'invalid_authtype'), authTypeMismatch: int(s, 'authtype_mismatch'),
        authFailure: int(s, 'auth_failure'), priZeroRcvd: int(s, 'pri_zero_rcvd'), priZeroSent: int(s, 'pri_zero_sent'),
      },
    };
  });
}
