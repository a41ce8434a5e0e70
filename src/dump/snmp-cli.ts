/**
 * The -x / -A options, as the data dump's global section shows them (keepalived prints the
 * SNMP socket it would use): set once at start by the daemon, read by dump/global.ts. A module
 * of its own, so that setting it does not load the dump formatters (an idle daemon never dumps).
 */
export interface DumpSnmpCli {
  readonly snmp?: boolean;
  readonly snmpSocket?: string;
}

let cli: DumpSnmpCli = {};

export function setDumpSnmpCli(c: DumpSnmpCli): void {
  cli = c;
}

export function dumpSnmpCli(): DumpSnmpCli {
  return cli;
}
