/**
 * FILE_CHECK (check_file.c, trackers/track_file.c `process_update_checker_track_file_status`):
 * no probe, the value of a track_file. With weight 0 a non-zero value (a zero value with
 * `reverse`) is a failure; otherwise value * weight (negated with `reverse`) is added to the
 * real server's weight, and only a product at or below -2^31 is a failure. The checker's
 * weight defaults to the track_file's weight and reverse.
 */
import type { Checker, TrackFile } from '../config/model.js';

type FileChecker = Extract<Checker, { type: 'FILE_CHECK' }>;

/** IPVS_WEIGHT_FAULT: a track file status meaning "down". */
export const WEIGHT_FAULT = -(2 ** 31);

export interface FileCheckSpec {
  readonly file: string;
  readonly weight: number;
  readonly reverse: boolean;
}

export function fileCheckSpec(c: FileChecker, files: readonly TrackFile[]): FileCheckSpec | undefined {
  const tf = c.trackFile !== undefined ? files.find((f) => f.name === c.trackFile) : undefined;
  if (!tf) return undefined;
  if (c.weight !== undefined) return { file: tf.name, weight: c.weight, reverse: c.weightReverse };
  return { file: tf.name, weight: tf.weight, reverse: tf.weightReverse };
}

/** The status a value gives: WEIGHT_FAULT (down) or the weight to add (clamped to int32). */
export function fileStatus(spec: FileCheckSpec, value: number): number {
  if (spec.weight === 0) return (value !== 0) !== spec.reverse ? WEIGHT_FAULT : 0;
  const v = value * spec.weight * (spec.reverse ? -1 : 1);
  if (v <= WEIGHT_FAULT) return WEIGHT_FAULT;
  return v > 2 ** 31 - 1 ? 2 ** 31 - 1 : v;
}
