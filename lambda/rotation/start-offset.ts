/**
 * Where in its minute a group's scheduled rotation starts. Pure.
 *
 * Groups with the same settings share the schedule's minute, so without an
 * offset a fleet would call GetParametersForImport (1 request/s per account)
 * in the same second. The offset is derived from the group id: stable across
 * deploys and runs, spread evenly over the minute.
 */
import { createHash } from 'node:crypto';

export const START_SPREAD_SECONDS = 60;

export function startOffsetSeconds(groupId: string): number {
  return createHash('sha256').update(groupId).digest().readUInt32BE(0) % START_SPREAD_SECONDS;
}
