/**
 * The control and status API (issue 6). PLACEHOLDER: nothing listens yet.
 */
import type { Logger } from 'pino';
import type { KeepalivedConfig } from '../config/model.js';
import type { CheckerChild } from './checker-child.js';
import type { VrrpView } from './view.js';

export interface ControlOptions {
  readonly log: Logger;
  readonly config: () => KeepalivedConfig;
  readonly vrrp: () => VrrpView;
  readonly checker: () => CheckerChild | undefined;
}

export async function startControl(_o: ControlOptions): Promise<{ close(): Promise<void> }> {
  return { close: async () => undefined };
}
