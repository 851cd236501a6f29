import { Token } from 'aws-cdk-lib';
import { MaterialExpiration } from '../material-expiration';

// What material that expires asks of a key group (README, "Safe expiry").
// The rotation function computes the same warning and lead days
// (lambda/rotation/reimport.ts; a test keeps the two equal).

/** Fewer days than this and a re-importing provider would leave no time to notice an outage. */
export const MIN_REIMPORTED_VALIDITY_DAYS = 14;
/** Days a manually re-imported current generation must outlive its rotation interval by. */
export const MANUAL_REIMPORT_MARGIN_DAYS = 30;
/** The longest a calendar month is: an interval of n months lasts at most 31 n days. */
const MAX_DAYS_PER_MONTH = 31;

/** The expiry alarm's threshold: at most 30 days, a third of the validity for shorter ones. */
export function materialExpiryWarningDays(validityDays: number): number {
  return Math.max(1, Math.min(30, Math.floor(validityDays / 3)));
}

/** The function re-imports once fewer days than this are left (twice the warning). */
export function reimportLeadDays(validityDays: number): number {
  return 2 * materialExpiryWarningDays(validityDays);
}

export interface ExpiryContext {
  readonly intervalMonths: number;
  /** The material comes from a provider function, which the rotation function asks again before expiry. */
  readonly automaticReimport: boolean;
  /** The material is escrowed, so an operator can import it again by hand. */
  readonly escrowed: boolean;
}

/** Synth-time problems of `materialExpiration` given where the material comes from. */
export function validateMaterialExpiration(expiration: MaterialExpiration, c: ExpiryContext): string[] {
  const days = expiration.validityDays;
  if (!expiration.expires || Token.isUnresolved(days)) return [];
  const afterDays = `materialExpiration: MaterialExpiration.afterDays(${days})`;
  if (c.automaticReimport) {
    if (days < MIN_REIMPORTED_VALIDITY_DAYS) {
      return [`${afterDays} is too short for automatic re-import: it takes ${MIN_REIMPORTED_VALIDITY_DAYS} to ${MaterialExpiration.MAX_VALIDITY_DAYS} days, `
        + 'so that the rotation function re-imports with days to spare and the expiry alarm leaves days, not hours, to fix a provider that stops answering'];
    }
    return [];
  }
  if (!c.escrowed) {
    return [`${afterDays} needs a material source that can import the same material again, and generated material exists nowhere else: `
      + 'set material to KeyMaterialSource.fromFunction(...) (the rotation function re-imports it from your provider before it expires) '
      + 'or escrow to a MaterialEscrow (an operator re-imports it from escrow, docs/escrow-recovery.md), or use MaterialExpiration.never(); '
      + 'otherwise every ciphertext of a generation is lost for good when its material expires'];
  }
  if (Token.isUnresolved(c.intervalMonths)) return [];
  const needed = c.intervalMonths * MAX_DAYS_PER_MONTH + MANUAL_REIMPORT_MARGIN_DAYS;
  if (days < needed) {
    const fix = needed <= MaterialExpiration.MAX_VALIDITY_DAYS
      ? `choose at least ${needed} days (up to ${MaterialExpiration.MAX_VALIDITY_DAYS})`
      : `no validity KMS accepts (at most ${MaterialExpiration.MAX_VALIDITY_DAYS} days) is that long: use MaterialExpiration.never() or a shorter rotationInterval`;
    return [`${afterDays} is shorter than rotationInterval (${c.intervalMonths} month(s), up to ${c.intervalMonths * MAX_DAYS_PER_MONTH} days) `
      + `plus a ${MANUAL_REIMPORT_MARGIN_DAYS}-day margin: the current generation's material would expire before the next rotation replaces it, `
      + `and with escrowed material only a manual re-import would keep it usable; ${fix}, or set material to KeyMaterialSource.fromFunction(...), which re-imports automatically`];
  }
  return [];
}
