/**
 * The MAC address of `use_vmac NAME MAC`, read as keepalived 2.2.7 reads it
 * (vrrp_parser.c vrrp_vmac_handler): hex digits and ':' only; one or two hex digits per octet;
 * five octets (with or without a trailing ':') leave the sixth to the VRID; after six octets
 * the rest is not read. Not a multicast address, and not one of RFC 5798's (00:00:5e:00:01:xx,
 * 00:00:5e:00:02:xx). The error is keepalived's message.
 */
export type VmacMac =
  | { readonly ok: true; readonly octets: readonly number[]; readonly useVrid: boolean }
  | { readonly ok: false; readonly error: string };

const ETH_ALEN = 6;

export function parseVmacMac(text: string): VmacMac {
  if (!/^[0-9a-f:]*$/i.test(text)) return { ok: false, error: `VMAC invalid MAC address ${text}` };
  const invalid: VmacMac = { ok: false, error: `VMAC invalid MAC address ${text} - ignored` };
  const octets: number[] = [];
  let useVrid = false;
  let p = 0;
  for (let j = 0; j < ETH_ALEN; j++) {
    const digits = /^[0-9a-f]*/i.exec(text.slice(p))![0];
    if (digits.length === 0 || digits.length > 2) return invalid;
    const end = p + digits.length;
    const after = text[end];
    // an octet ends with ':', or the text ends after the fifth or sixth
    if (after !== ':' && (after !== undefined || j < ETH_ALEN - 2)) return invalid;
    octets.push(parseInt(digits, 16));
    if (j === ETH_ALEN - 2 && (after === undefined || end + 1 === text.length)) {
      useVrid = true;
      break;
    }
    p = end + 1;
    if (p >= text.length && j < ETH_ALEN - 1) return invalid;
  }
  if (octets[0]! & 1) return { ok: false, error: `VMAC MAC address is multicast ${text} - ignoring` };
  if (octets[0] === 0 && octets[1] === 0 && octets[2] === 0x5e && octets[3] === 0 && (octets[4] === 1 || octets[4] === 2)) {
    return { ok: false, error: `VMAC MAC address not allowed to be RFC5798 address (${text}) - ignoring` };
  }
  return { ok: true, octets, useVrid };
}
