/**
 * The check core's log events in keepalived's words (check_*.c, ipwrapper.c): the phrases
 * operators grep for, worded at the edge (the checker daemon's logger, the tests), not in the
 * core that decides them.
 */
import type { CheckLogEvent } from './types.js';
import { kindFor } from './units.js';

/** The line keepalived logs for `e`; undefined where it logs none (a DNS_CHECK coming up). */
export function checkLogText(e: CheckLogEvent): string | undefined {
  switch (e.event) {
    case 'checkerStart':
      return `${e.suspended ? 'Dea' : 'A'}ctivating healthchecker for service ${e.rs} for VS ${e.vs}`;
    case 'checkerSuspend':
      return `${e.suspended ? 'Suspend' : 'Activat'}ing healthchecker for service ${e.rs} for VS ${e.vs}`;
    case 'probe': {
      const kind = kindFor(e.checker, e.script);
      if (!kind) return undefined;
      const names = { chk: e.rs, vs: e.vs };
      if (e.outcome === 'up') return kind.successLog(names, e.result);
      if (e.outcome === 'down') return kind.failLog(names, e.retry, e.hasRun, e.result);
      return kind.attemptLog(names, e.result, e.retryIt, e.retry);
    }
    case 'urlSuccess':
      return `${e.detail ?? 'HTTP status code'} success to ${e.rs} url(${e.path})`;
    case 'bfd':
      return `BFD check of [${e.name}] RS(${e.rs}) is ${e.up ? 'UP' : 'DOWN'}`;
    case 'service': {
      const verb = e.alive ? (e.inhibit ? 'Enabling' : 'Adding') : e.inhibit ? 'Disabling' : 'Removing';
      return `${verb} service ${e.rs} ${e.inhibit ? 'of' : e.alive ? 'to' : 'from'} VS ${e.vs}`;
    }
    case 'weight':
      return `Changing weight from ${e.from} to ${e.to} for ${e.alive ? '' : 'in'}active service ${e.rs} of VS ${e.vs}`;
    case 'quorum':
      return e.up
        ? `Gained quorum ${e.quorum}+${e.hysteresis}=${e.threshold} <= ${e.sum} for VS ${e.vs}`
        : `${e.init ? 'Starting with quorum down' : 'Lost quorum'} ${e.quorum}-${e.hysteresis}=${e.threshold} > ${e.sum} for VS ${e.vs}`;
    case 'sorryServer':
      return e.active
        ? `${e.inhibit ? 'Enabling' : 'Adding'} sorry server ${e.sorry} to VS ${e.vs}`
        : `${e.inhibit ? 'Disabling' : 'Removing'} sorry server ${e.sorry} from VS ${e.vs}`;
    case 'pool':
      return e.active ? `Adding alive servers to the pool for VS ${e.vs}` : `Removing alive servers from the pool for VS ${e.vs}`;
    case 'shutdown':
      return `Shutting down ${e.inhibited ? '(inhibited) ' : ''}service ${e.rs} from VS ${e.vs}`;
  }
}
