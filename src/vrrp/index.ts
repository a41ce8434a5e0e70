/** Public surface of the sans-I/O VRRP engine (see types.ts for inputs and effects). */
export * from './config.js';
export * from './engine.js';
export { VrrpInstance } from './instance.js';
export * from './packet.js';
export { SyncGroup } from './sync-group.js';
export * from './timers.js';
export * from './track.js';
export * from './types.js';
