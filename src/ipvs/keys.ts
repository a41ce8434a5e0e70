/**
 * Identity and text of services, destinations and operations: the map keys of an IpvsTable
 * and the words error messages use (`NEW_DEST TCP 10.0.0.1:80 -> 10.0.1.1:80`).
 */
import { formatIp } from '../util/ip.js';
import type { IpAddress } from '../util/ip.js';
import type { IpvsDest, IpvsOp, ServiceKey } from './types.js';

/** The table key of a service: equal keys are the same kernel service. */
export function serviceId(k: ServiceKey): string {
  return k.type === 'fwmark' ? `FWM ${k.fwmark} ${k.family}` : `${k.protocol} ${hostPort(k.address, k.port)}`;
}

/** The table key of a destination within its service (the kernel's: address and port). */
export function destId(d: { readonly address: IpAddress; readonly port: number }): string {
  return hostPort(d.address, d.port);
}

/** `10.0.0.1:80`, `[2001:db8::1]:80` */
export function hostPort(a: IpAddress, port: number): string {
  return a.family === 'inet6' ? `[${formatIp(a)}]:${port}` : `${formatIp(a)}:${port}`;
}

/** `TCP 10.0.0.1:80`, `FWM 5`, `FWM 5 inet6` (as ipvsadm and keepalived print them). */
export function describeService(k: ServiceKey): string {
  if (k.type === 'fwmark') return `FWM ${k.fwmark}${k.family === 'inet6' ? ' inet6' : ''}`;
  return `${k.protocol} ${hostPort(k.address, k.port)}`;
}

export function describeDest(k: ServiceKey, d: IpvsDest | { readonly address: IpAddress; readonly port: number }): string {
  return `${describeService(k)} -> ${hostPort(d.address, d.port)}`;
}

/** `NEW_DEST TCP 10.0.0.1:80 -> 10.0.1.1:80`, `SET_SERVICE FWM 5` */
export function describeOp(op: IpvsOp): string {
  switch (op.type) {
    case 'NEW_SERVICE':
    case 'SET_SERVICE':
      return `${op.type} ${describeService(op.service.key)}`;
    case 'DEL_SERVICE':
      return `${op.type} ${describeService(op.key)}`;
    default:
      return `${op.type} ${describeDest(op.key, op.dest)}`;
  }
}

/** The key an operation acts on. */
export function opServiceKey(op: IpvsOp): ServiceKey {
  return 'service' in op ? op.service.key : op.key;
}
