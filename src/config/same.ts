/**
 * Whether two parts of configuration models say the same, whatever their source places: a
 * checker's reload finds a probe configured as before without making it again (check/units.ts).
 */

/**
 * Structural equality of model values: primitives, arrays, byte arrays (addresses), and
 * objects (plain or a model node's class) key by key; `loc` (a source place) and symbol keys
 * (each field's place, config/loc.ts) are not compared, nor the key `skip` at the top (a
 * virtual server's real servers, a real server's checkers). Anything else (a Map, a RegExp)
 * is the same only as itself: such a part is then different, never wrongly the same.
 */
/**
 * Whether objects of this prototype are compared key by key (plain objects and model classes),
 * found once per prototype: asking each object its class (Object.prototype.toString) was most
 * of a 50,000-server reload's comparisons.
 */
const byKeys = new Map<object | null, boolean>([[Object.prototype, true]]);

function comparedByKeys(proto: object | null, sample: object): boolean {
  let yes = byKeys.get(proto);
  if (yes === undefined) {
    // the prototype's own tag (a Map's, a RegExp's) is the class of all objects made from it
    yes = Object.prototype.toString.call(sample) === '[object Object]';
    byKeys.set(proto, yes);
  }
  return yes;
}

export function sameSettings(a: unknown, b: unknown, skip?: string): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameSettings(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Uint8Array) {
    if (!(b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(a) as object | null;
  if (proto !== Object.getPrototypeOf(b) || !comparedByKeys(proto, a)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const k in x) {
    if (k === 'loc' || k === skip) continue;
    if (!sameSettings(x[k], y[k])) return false;
  }
  for (const k in y) {
    if (k === 'loc' || k === skip) continue;
    if (!(k in x) && y[k] !== undefined) return false;
  }
  return true;
}
