/**
 * The targets of the benchmark and their verdicts. A missed target is
 * reported, never fatal: the benchmark fails only on a measurement error.
 */

export interface Target {
  readonly name: string;
  readonly value: number;
  /** The value must be at most this. */
  readonly max: number;
  readonly unit: string;
  /** Set when the figure could not be compared fairly (e.g. inconsistent measurements). */
  readonly note?: string;
}

export interface Verdict extends Target {
  readonly pass: boolean;
}

export function judge(targets: readonly Target[]): Verdict[] {
  return targets.map((t) => ({ ...t, pass: t.value <= t.max }));
}

export function formatVerdict(v: Verdict): string {
  const value = `${v.value}${v.unit}`;
  const limit = `≤ ${v.max}${v.unit}`;
  return `${v.pass ? 'PASS' : 'MISS'}  ${v.name}: ${value} (target ${limit})${v.note ? ` — ${v.note}` : ''}`;
}
