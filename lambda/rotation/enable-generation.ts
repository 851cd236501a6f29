/**
 * An operator's `enable-generation`: a disabled retired generation comes back
 * (decrypt-only) and is exempt from retention from then on. Through the
 * ledger, under the group's lock, like every other change of a group.
 */
import { Deps } from './context';
import { InvalidRequestError } from './errors';
import { GenerationRecord } from './ledger-model';
import { enableGeneration } from './phases/retention';
import { RotationRequest } from './requests';
import { RotationOutcome } from './rotate';
import { Session } from './session';

/** How long the command waits for a rotation run that holds the group. */
const LOCK_WAIT_MS = 60_000;

export async function enableRetiredGeneration(d: Deps, aliasName: string, n: number): Promise<GenerationRecord & { readonly groupId: string }> {
  const groupId = await d.ledger.groupOfAlias(aliasName);
  if (!groupId || !(await d.ledger.get(groupId))) throw new InvalidRequestError(`no key group with alias ${aliasName} is in the ledger`);
  const s = await Session.open(d, groupId, 'enable-generation', LOCK_WAIT_MS);
  try {
    if (s.record.settings.aliasName !== aliasName) throw new InvalidRequestError(`key group ${groupId} has alias ${s.record.settings.aliasName}, not ${aliasName}`);
    return { ...await enableGeneration(d, s, n), groupId };
  } finally {
    await s.close();
  }
}

/** The rotation entry point's answer to `{"action":"enable-generation", ...}`. */
export async function enableGenerationRequest(d: Deps, req: RotationRequest): Promise<RotationOutcome> {
  const g = await enableRetiredGeneration(d, req.aliasName, req.enableGeneration!);
  return {
    outcome: 'generation-enabled',
    group: g.groupId,
    generation: g.n,
    keyArn: g.keyArn,
    phasesDone: [],
    enabled: {
      generation: g.n,
      keyArn: g.keyArn,
      stage: g.stage,
      fenced: g.fencedAt !== undefined,
      retentionExemptAt: g.retentionExemptAt,
      reenabledAt: g.reenabledAt,
    },
  };
}
