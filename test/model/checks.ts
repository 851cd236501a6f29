/**
 * What must hold after every step of a history (the design's invariants,
 * /work/shared/design.md, under eventual consistency and authorization).
 * Returns violations as sentences, each starting with the invariant's number
 * (or `liveness:` / `ledger:`); nothing here asserts, so the same checks serve
 * jest and the CLI.
 *
 * The truth is read where the design says it is: the ledger (strongly
 * consistent reads of the test's own) and the simulator's latest state (not
 * the lagged view a client gets); what the functions did is read from their
 * own KMS requests (each function's slot records them, with the simulated
 * time), so two invocations at once are told apart.
 */
import { generationAliasPrefix } from '../../lambda/rotation/aliases';
import { addCalendarMonths } from '../../lambda/rotation/dates';
import { currentGeneration, GenerationRecord, GroupRecord } from '../../lambda/rotation/ledger-model';
import { SID } from '../../lambda/rotation/policy';
import { RESERVED_TAG_PREFIX, TAG } from '../../lambda/rotation/tags';
import { MUTATING_OPERATIONS, KeySnapshot } from '../kms-simulator';
import { FunctionCall, ModelEnv } from './env';
import { groupItem, History, InvocationResult, Phase, rotationOutcome } from './history';

export type StepKind = 'clock' | 'encrypt' | 'decrypt' | 'scheduled' | 'emergency' | 'update' | 'delete' | 'create' | 'concurrent' | 'forged' | 'tampering';

/** What a tampering step saw, for the check that it was refused and reported (see tampering.ts). */
export interface TamperEvidence {
  /** `ledger: policy-foreign (seal kept)`, `lifecycle event of another stack`, `tag: victim`, … */
  readonly what: string;
  /** The runs made while the tampering stood: each must be refused before any KMS write (none for a tag). */
  readonly mustRefuse: readonly InvocationResult[];
  /** ERROR lines with a `tampering` attribute logged while the tampering stood. */
  readonly tamperingLines: number;
  /** Per refused rotation run, the TamperingDetected value of its metrics. */
  readonly tamperingMetrics: readonly number[];
  /** The raw ledger entry changed between the tampering and the repair (a function wrote over it). */
  readonly entryRewritten: boolean;
  /** Ledger reads and KMS requests of any principal while a forged event was refused (parse-time refusals only). */
  readonly untouched?: { readonly reads: number; readonly kmsCalls: number };
  /** Keys whose policy names the attacker's account. */
  readonly foreignPolicyKeys: readonly string[];
  /** The repaired entry, read through the verifying ledger: undefined when its seals verify, else the error. */
  readonly repairProblem?: string;
}

/** The attacker's account, named by tampered policies; no key's policy may ever name it. */
export const ATTACKER_ACCOUNT = '444455556666';

export interface StepRecord {
  readonly kind: StepKind;
  readonly invocations: readonly InvocationResult[];
  readonly concurrent: boolean;
  /** The ledger entry before the step. */
  readonly recBefore?: GroupRecord;
  readonly phaseBefore: Phase;
  /** Forged events sent to the rotation entry point in this step, with what they must not have touched. */
  readonly forged?: { readonly simCallsBefore: number; readonly simCallsAfter: number; readonly readsBefore: number; readonly readsAfter: number };
  /** A tampering actor's step: what it did and what the functions did while it stood. */
  readonly tampered?: TamperEvidence;
}

const DAY_MS = 86_400_000;
const FENCE = SID.retiredFence;

export function keyIdOf(id: unknown): string {
  const s = String(id ?? '');
  return s.startsWith('arn:') ? s.slice(s.lastIndexOf('/') + 1) : s;
}

function hasFence(policy: string | undefined): boolean {
  if (!policy) return false;
  try {
    const doc = JSON.parse(policy) as { Statement?: Array<{ Sid?: string }> };
    return (doc.Statement ?? []).some((s) => s.Sid === FENCE);
  } catch {
    return false;
  }
}

function withoutFence(policy: string): unknown {
  const doc = JSON.parse(policy) as { Statement: Array<{ Sid?: string }> };
  return { ...doc, Statement: doc.Statement.filter((s) => s.Sid !== FENCE) };
}

function windowMs(rec: GroupRecord | undefined, hist: History): number {
  return (rec?.settings.propagationSeconds ?? Number(hist.group.props.PropagationWindowSeconds)) * 1000;
}

/** Due dates count from the start of the rotation that made a generation (its claim), or from its activation. */
function dueBase(g: GenerationRecord): string | undefined {
  return g.claimedAt ?? g.activatedAt;
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

/** The hour (0-23) of `t` in an IANA time zone. */
function hourIn(timeZone: string, t: number): number {
  return Number(new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', hourCycle: 'h23' }).format(new Date(t))) % 24;
}

export interface CheckContext {
  readonly env: ModelEnv;
  readonly hist: History;
  readonly step: StepRecord;
  readonly rec: GroupRecord | undefined;
  /** Every item of the history's ledger table. */
  readonly items: Record<string, unknown>[];
  /** The group's keys in the simulator (latest state), the forged key excluded. */
  readonly keys: KeySnapshot[];
  readonly now: number;
}

export async function checkStep(env: ModelEnv, hist: History, step: StepRecord): Promise<string[]> {
  const g = hist.group;
  const items = await env.scanLedger();
  const rec = groupItem(items, g.groupId);
  hist.lastRecord = rec;
  const keys = env.h.sim.state.keys().filter((k) => k.tags[TAG.group] === g.groupId && k.id !== hist.forgedKeyId && k.id !== hist.victimKeyId);
  const c: CheckContext = { env, hist, step, rec, items, keys, now: env.h.sim.clock.now().getTime() };
  const v: string[] = [];
  v.push(...consistentReads(c));
  v.push(...onlyGroupKeysWritten(c));
  v.push(...oneWriterAtATime(c));
  v.push(...rotationEntryLimits(c));
  v.push(...secretLeaks(c));
  v.push(...reportsAreTrue(c));
  v.push(...pendingKeys(c));
  v.push(...promotionAndFenceTiming(c));
  v.push(...fencesInPlace(c));
  v.push(...rotationsPerDuePeriod(c));
  v.push(...ledgerMatchesStack(c));
  v.push(...liveness(c));
  v.push(...tamperingRefused(c));
  v.push(...victimUntouched(c));
  if (g.phase === 'live') v.push(...aliasResolves(c));
  // Checks that call KMS come last: they add calls (the writer's probe adds a ciphertext).
  v.push(...await retiredRefuseEncrypt(c));
  if (g.phase === 'live') v.push(...await writerProbe(c));
  if (g.phase !== 'destroyed' && g.phase !== 'creating') v.push(...await readerDecrypts(c, 'sample'));
  return v;
}

// ---------------------------------------------------------------------------
// Every DynamoDB read the functions made was strongly consistent.

function consistentReads(c: CheckContext): string[] {
  const reads = c.env.h.db.reads;
  const fresh = reads.slice(c.hist.readsFrom);
  c.hist.readsFrom = reads.length;
  const eventual = fresh.filter((r) => !r.consistent);
  return eventual.length > 0 ? [`ledger: ${eventual.length} DynamoDB read(s) of the functions were not strongly consistent (${[...new Set(eventual.map((r) => r.command))].join(', ')})`] : [];
}

// ---------------------------------------------------------------------------
// 4. Only keys the ledger records for the group are ever changed.

function namesOfKeyWritten(call: FunctionCall): string[] {
  return [call.request.KeyId, call.request.TargetKeyId].filter((x) => x !== undefined).map(keyIdOf);
}

function onlyGroupKeysWritten(c: CheckContext): string[] {
  const { hist, step, rec } = c;
  const g = hist.group;
  const ledgerKeys = new Set([...(step.recBefore?.generations ?? []), ...(rec?.generations ?? [])].map((x) => x.keyId));
  const v: string[] = [];
  for (const r of step.invocations) {
    for (const call of r.calls) {
      if (call.status !== 200 || !MUTATING_OPERATIONS.has(call.op)) continue;
      if (call.op === 'CreateKey') {
        const tags = (call.request.Tags ?? []) as Array<{ TagKey: string; TagValue: string }>;
        if (!tags.some((t) => t.TagKey === TAG.group && t.TagValue === g.groupId)) v.push(`4: ${r.label} created a key without the tag ${TAG.group}=${g.groupId}`);
        continue;
      }
      const alias = call.request.AliasName as string | undefined;
      if (alias !== undefined && !g.aliasesEver.has(alias) && !alias.startsWith(generationAliasPrefix(g.groupId))) {
        v.push(`4: ${r.label} called ${call.op} on alias ${alias}, which is not an alias of group ${g.groupId}`);
      }
      for (const id of namesOfKeyWritten(call)) {
        if (id === hist.forgedKeyId) {
          v.push(`4: ${r.label} called ${call.op} on the forged key ${id} (tagged with the group by someone else, never in the ledger)`);
          continue;
        }
        if (ledgerKeys.has(id)) continue;
        const key = c.env.h.sim.state.key(id);
        const ownAttempt = key?.tags[TAG.group] === g.groupId && key.tags[TAG.attempt] !== undefined;
        if (!ownAttempt) v.push(`4: ${r.label} called ${call.op} on key ${id}, which the ledger does not record for group ${g.groupId} and no attempt of the group made`);
      }
    }
  }
  return v;
}

/** The group's lock: two invocations at once never both change KMS state of the group at the same time. */
function oneWriterAtATime(c: CheckContext): string[] {
  const [a, b] = c.step.invocations;
  if (!c.step.concurrent || !a || !b) return [];
  const writes = (r: InvocationResult) => r.calls.filter((x) => x.status === 200 && MUTATING_OPERATIONS.has(x.op)).map((x) => x.seq);
  const [wa, wb] = [writes(a), writes(b)];
  if (wa.length === 0 || wb.length === 0) return [];
  const overlap = Math.min(...wa) < Math.max(...wb) && Math.min(...wb) < Math.max(...wa);
  return overlap ? [`lock: ${a.label} and ${b.label} changed the group's keys at the same time (their KMS writes interleave)`] : [];
}

// ---------------------------------------------------------------------------
// 9. The rotation entry point never changes settings, policies beyond the
// fence, or deletes a key that held data; forged events are refused untouched.

function rotationEntryLimits(c: CheckContext): string[] {
  const { step, rec } = c;
  const v: string[] = [];
  const before = step.recBefore;
  const generations = [...(before?.generations ?? []), ...(rec?.generations ?? [])];
  const settings = rec?.settings ?? before?.settings;
  for (const r of step.invocations.filter((x) => x.entry === 'rotation')) {
    for (const call of r.calls) {
      if (call.status !== 200) continue;
      const id = keyIdOf(call.request.KeyId ?? call.request.TargetKeyId);
      switch (call.op) {
        case 'UpdateKeyDescription':
        case 'DeleteAlias':
        case 'DisableKey':
        case 'EnableKey':
        case 'CancelKeyDeletion':
        case 'DeleteImportedKeyMaterial':
          v.push(`9: the rotation entry point called ${call.op} (${JSON.stringify(call.request).slice(0, 160)})`);
          break;
        case 'UntagResource': {
          const userKeys = ((call.request.TagKeys ?? []) as string[]).filter((k) => !k.startsWith(RESERVED_TAG_PREFIX));
          if (userKeys.length > 0) v.push(`9: the rotation entry point removed the user's tags ${userKeys.join(', ')} from ${id}`);
          break;
        }
        case 'TagResource': {
          for (const t of (call.request.Tags ?? []) as Array<{ TagKey: string; TagValue: string }>) {
            if (t.TagKey.startsWith(RESERVED_TAG_PREFIX) || !settings) continue;
            if (settings.userTags[t.TagKey] !== t.TagValue) v.push(`9: the rotation entry point set the user tag ${t.TagKey}=${t.TagValue} on ${id}, which the stack does not declare`);
          }
          break;
        }
        case 'PutKeyPolicy': {
          if (settings && JSON.stringify(withoutFence(String(call.request.Policy))) !== JSON.stringify(settings.policy)) {
            v.push(`9: the rotation entry point put a key policy on ${id} that is not the stack's policy (with or without the fence): ${String(call.request.Policy).slice(0, 300)}`);
          }
          break;
        }
        case 'ScheduleKeyDeletion': {
          const gen = generations.find((x) => x.keyId === id);
          if (gen?.activatedAt !== undefined) v.push(`9: the rotation entry point scheduled the deletion of generation ${gen.n} (${id}), which was current once`);
          break;
        }
        case 'CreateAlias':
        case 'UpdateAlias': {
          const alias = String(call.request.AliasName);
          if (call.op === 'CreateAlias' && !alias.startsWith(generationAliasPrefix(c.hist.group.groupId))) v.push(`9: the rotation entry point created alias ${alias}`);
          break;
        }
      }
    }
  }
  const onlyRotation = step.invocations.length > 0 && step.invocations.every((x) => x.entry === 'rotation');
  if (onlyRotation && before && rec) {
    if (JSON.stringify(before.settings) !== JSON.stringify(rec.settings)) v.push('9: the settings in the ledger changed in a step that only invoked the rotation entry point');
    if (before.status !== rec.status) v.push(`9: the group's status went from ${before.status} to ${rec.status} in a step that only invoked the rotation entry point`);
  }
  if (step.forged) {
    for (const r of step.invocations) {
      if (!r.error || r.error.name !== 'InvalidRequestError') v.push(`9: a forged event to the rotation entry point was not refused (${r.error ? `${r.error.name}: ${r.error.message}` : JSON.stringify(r.result)})`);
      if (r.calls.length > 0) v.push(`9: a forged event made the rotation entry point call KMS (${r.calls.map((x) => x.op).join(', ')})`);
    }
    if (step.forged.simCallsAfter !== step.forged.simCallsBefore) v.push('9: KMS was called while a forged event was refused');
    if (step.forged.readsAfter !== step.forged.readsBefore) v.push('9: the ledger was read for a forged event');
    if (before && rec && before.version !== rec.version) v.push(`9: the ledger entry changed (version ${before.version} -> ${rec.version}) for a forged event`);
  }
  return v;
}

// ---------------------------------------------------------------------------
// 5. No plaintext key material in log lines, the ledger, tags, descriptions,
// results or errors.

function formsOf(m: Buffer): string[] {
  const bytes = [...m];
  return [
    m.toString('hex'),
    m.toString('hex').toUpperCase(),
    m.toString('base64'),
    m.toString('base64url'),
    m.toString('latin1'),
    bytes.join(','),
    bytes.slice(0, 8).map((b, i) => `"${i}":${b}`).join(','),
  ];
}

function secretLeaks(c: CheckContext): string[] {
  const { env, hist, step } = c;
  const secrets: Array<[string, Buffer]> = [
    ...env.h.sim.state.importedMaterials().slice(hist.materialsFrom).map((m, i): [string, Buffer] => [`imported key material #${i + 1}`, m]),
    ...env.h.sim.state.issuedImportTokens().slice(hist.tokensFrom).map((t, i): [string, Buffer] => [`import token #${i + 1}`, t]),
  ];
  const lines = env.h.log.lines.slice(hist.logFrom);
  hist.logFrom = env.h.log.lines.length;
  if (secrets.length === 0) return [];
  const texts: Array<[string, string]> = [
    ['a log line', lines.map((l) => JSON.stringify(l)).join('\n')],
    ['the ledger table', JSON.stringify(c.items)],
    ['a tag or description', JSON.stringify(env.h.sim.state.keys().map((k) => ({ tags: k.tags, description: k.description })))],
    ['a result or an error', JSON.stringify(step.invocations.map((r) => ({ result: r.result, error: r.error && { name: r.error.name, message: r.error.message, stack: r.error.stack } })))],
  ];
  const v: string[] = [];
  for (const [what, secret] of secrets) {
    const forms = formsOf(secret);
    for (const [where, text] of texts) {
      if (forms.some((f) => text.includes(f))) v.push(`5: ${what} of this history appears in ${where}`);
    }
  }
  return v;
}

// ---------------------------------------------------------------------------
// 8. A success reported is true.

function isDueAt(rec: GroupRecord, t: number): boolean {
  if (rec.rotation || rec.emergencyRequestedAt !== undefined) return true;
  const current = currentGeneration(rec);
  if (!rec.nextDueAt || !current) return false;
  const interval = rec.settings.intervalMonths;
  const due = Math.min(Date.parse(rec.nextDueAt), addCalendarMonths(new Date(current.kmsCreationDate), interval).getTime() + DAY_MS);
  if (t < due) return false;
  return hourIn(rec.settings.scheduleTimeZone, t) === rec.settings.scheduleHour || t - due >= DAY_MS;
}

function reportsAreTrue(c: CheckContext): string[] {
  const { step, rec, hist } = c;
  const v: string[] = [];
  const before = step.recBefore;
  for (const r of step.invocations) {
    if (r.error || r.death) continue;
    const o = rotationOutcome(r);
    if (r.entry === 'rotation') {
      if (!o || !['not-due', 'started', 'in-progress', 'queued', 'promoted', 'completed', 'refused'].includes(o.outcome)) {
        v.push(`8: ${r.label} answered ${JSON.stringify(r.result)}, not a rotation outcome`);
        continue;
      }
      const gens = rec?.generations ?? [];
      const byArn = (arn: string | undefined) => gens.find((x) => x.keyArn === arn);
      if (o.outcome === 'promoted' || o.outcome === 'completed') {
        const g = byArn(o.keyArn);
        if (!g || g.activatedAt === undefined) v.push(`8: ${r.label} answered ${o.outcome} with key ${o.keyArn}, which the ledger has no activated generation for`);
        else if (before && currentGeneration(before)?.keyArn === o.keyArn && !o.phasesDone.includes('promote') && o.outcome === 'promoted') v.push(`8: ${r.label} answered promoted, but ${o.keyArn} was already current`);
        if (o.outcome === 'promoted') {
          if (!o.phasesDone.includes('promote')) {v.push(`8: ${r.label} answered promoted without a promote phase (${o.phasesDone.join(', ')})`);} else if (g?.activatedAt && (Date.parse(g.activatedAt) < r.startedAt || Date.parse(g.activatedAt) > r.endedAt)) {
            v.push(`8: ${r.label} answered promoted, but generation ${g.n} was activated at ${g.activatedAt}, outside the run (${iso(r.startedAt)} - ${iso(r.endedAt)})`);
          }
          if (!step.concurrent && rec && currentGeneration(rec)?.keyArn !== o.keyArn) v.push(`8: ${r.label} answered promoted with ${o.keyArn}, but the current generation is ${currentGeneration(rec)?.keyArn}`);
        }
        if (o.outcome === 'completed') {
          if (!o.phasesDone.includes('fence')) v.push(`8: ${r.label} answered completed without a fence phase (${o.phasesDone.join(', ')})`);
          const prev = byArn(o.previousKeyArn);
          const key = o.previousKeyArn ? c.env.h.sim.state.key(o.previousKeyArn) : undefined;
          // A previous generation whose deletion is scheduled (a stack delete began) makes no ciphertext either.
          const deleting = prev?.deletionScheduledAt !== undefined || !key || key.state === 'PendingDeletion';
          if (o.previousKeyArn && !deleting && (!prev || prev.fencedAt === undefined)) v.push(`8: ${r.label} answered completed, but the previous generation ${o.previousKeyArn} is not fenced in the ledger`);
          if (key && !deleting && !hasFence(key.policy)) v.push(`8: ${r.label} answered completed, but the key policy of the previous generation ${o.previousKeyArn} has no fence`);
        }
      }
      if (o.outcome === 'started') {
        const claimed = rec?.rotation?.n === o.generation || gens.some((x) => x.n === o.generation);
        const newer = before ? o.generation > Math.max(0, ...before.generations.map((x) => x.n)) : true;
        if (!claimed) v.push(`8: ${r.label} answered started (generation ${o.generation}), but the ledger has neither that generation nor a rotation making it`);
        if (!newer && !step.concurrent) v.push(`8: ${r.label} answered started with generation ${o.generation}, which is not new`);
      }
      if (o.outcome === 'queued') {
        if ((r.event as { action?: string }).action !== 'rotate-now') v.push(`8: ${r.label} answered queued, but only an emergency is queued`);
        if (!o.busy && o.phase !== 'fence') v.push(`8: ${r.label} answered queued without finding the group busy or a rotation that moved the alias`);
        if (!step.concurrent && rec && rec.emergencyRequestedAt === undefined && !rec.rotation) v.push(`8: ${r.label} answered queued, but the ledger records no emergency request and no rotation`);
      }
      if (o.outcome === 'refused') {
        if ((r.event as { action?: string }).action !== 'rotate-now') v.push(`8: ${r.label} answered refused, but only an emergency is refused`);
        if (!o.refusal) v.push(`8: ${r.label} answered refused without a reason`);
        const made = (rec?.generations.length ?? 0) > (before?.generations.length ?? 0);
        if (!step.concurrent && made) v.push(`8: ${r.label} answered refused, but a generation was made`);
      }
      if (o.outcome === 'not-due') {
        if ((r.event as { action?: string }).action === 'rotate-now') {v.push('8: rotate-now answered not-due');} else if (!step.concurrent && before && isDueAt(before, r.startedAt) && isDueAt(before, r.endedAt)) {
          v.push(`8: ${r.label} answered not-due, but the group was due (ledger next due ${before.nextDueAt}${before.rotation ? `, rotation of generation ${before.rotation.n} under way` : ''}) at ${iso(r.startedAt)}`);
        }
      }
    } else if (r.result && 'PhysicalResourceId' in r.result && r.result.Data && !step.concurrent && rec) {
      const current = currentGeneration(rec);
      const data = r.result.Data;
      if (!current || data.KeyArn !== current.keyArn || data.Generation !== String(current.n)) {
        v.push(`8: ${r.label} answered key ${data.KeyArn} (generation ${data.Generation}), but the ledger's current generation is ${current?.keyArn} (${current?.n})`);
      }
      if (data.AliasName !== hist.group.aliasName) v.push(`8: ${r.label} answered alias ${data.AliasName}, the stack declares ${hist.group.aliasName}`);
      const target = c.env.h.sim.state.aliases().find((a) => a.AliasName === data.AliasName)?.TargetKeyId;
      if (target !== data.KeyId) v.push(`8: ${r.label} answered key ${data.KeyId} for ${data.AliasName}, but the alias points at ${target ?? 'nothing'}`);
    }
  }
  return v;
}

// ---------------------------------------------------------------------------
// 3. At most one pending key per group; none left behind except the one of a
// rotation under way; a failed Create leaves its keys pending deletion.

function pendingKeys(c: CheckContext): string[] {
  const { rec, keys, step } = c;
  const v: string[] = [];
  const gens = rec?.generations ?? [];
  const placed = new Set(gens.filter((x) => x.stage === 'current' || x.stage === 'retired').map((x) => x.keyId));
  const pending = keys.filter((k) => k.state !== 'PendingDeletion' && !placed.has(k.id));
  if (pending.length > 1) v.push(`3: ${pending.length} pending keys of the group (${pending.map((k) => k.id).join(', ')})`);
  const r = rec?.rotation;
  const allowed = (k: KeySnapshot) => !!r
    && (gens.some((x) => x.n === r.n && x.keyId === k.id) || (r.attemptId !== undefined && k.tags[TAG.attempt] === r.attemptId));
  const left = pending.filter((k) => !allowed(k));
  if (left.length > 0) {
    v.push(`3: key(s) ${left.map((k) => `${k.id} (${k.tags[TAG.stage]}, ${gens.find((x) => x.keyId === k.id)?.stage ?? 'not in the ledger'})`).join(', ')} left behind: no rotation under way names them (ledger ${rec ? `${rec.status}, rotation ${r ? `of generation ${r.n} in phase ${r.phase}` : 'none'}` : 'has no entry'})`);
  }
  for (const inv of step.invocations) {
    const create = inv.entry === 'lifecycle' && (inv.event as { RequestType?: string }).RequestType === 'Create';
    if (!create || !inv.error || inv.death) continue;
    if (rec?.status === 'failed') {
      const made = keys.filter((k) => k.creationDate.getTime() >= inv.startedAt && k.state !== 'PendingDeletion');
      if (made.length > 0) v.push(`3: the failed Create left key(s) ${made.map((k) => `${k.id} (${k.state})`).join(', ')} not pending deletion`);
      const madeHere = (id: string) => keys.some((k) => k.id === id && k.creationDate.getTime() >= inv.startedAt);
      const aliases = c.env.h.sim.state.aliases().filter((a) => madeHere(a.TargetKeyId));
      if (aliases.length > 0) v.push(`3: the failed Create left alias(es) ${aliases.map((a) => a.AliasName).join(', ')} on the key(s) it made`);
    } else if (rec?.status === 'active' && (!step.recBefore || ['failed', 'destroyed'].includes(step.recBefore.status))) {
      v.push(`3: a Create failed (${inv.error.name}: ${inv.error.message}) but the ledger says the group is active`);
    }
  }
  return v;
}

// ---------------------------------------------------------------------------
// 7 (timing). The alias moved only after the new generation was authorizable
// for longer than the propagation window; a generation is fenced only a window
// after the alias moved away from it.

interface AliasEvent { readonly alias: string; readonly from?: string; readonly to?: string; readonly at: number; readonly seq: number }

function aliasEvents(hist: History): AliasEvent[] {
  const target = new Map<string, string | undefined>();
  const out: AliasEvent[] = [];
  for (const call of [...hist.calls].sort((a, b) => a.seq - b.seq)) {
    if (call.status !== 200 || !['CreateAlias', 'UpdateAlias', 'DeleteAlias'].includes(call.op)) continue;
    const alias = String(call.request.AliasName);
    if (!hist.group.aliasesEver.has(alias)) continue;
    const to = call.op === 'DeleteAlias' ? undefined : keyIdOf(call.request.TargetKeyId);
    out.push({ alias, from: target.get(alias), to, at: call.at, seq: call.seq });
    target.set(alias, to);
  }
  return out;
}

function promotionAndFenceTiming(c: CheckContext): string[] {
  const { hist, rec, step } = c;
  const v: string[] = [];
  const w = windowMs(rec, hist);
  const events = aliasEvents(hist);
  const calls = [...hist.calls].sort((a, b) => a.seq - b.seq);
  // Promotions of rotations (a deploy's generation 1 has no writer to protect and is promoted at once).
  const rotationSeqs = new Set(step.invocations.filter((r) => r.entry === 'rotation').flatMap((r) => r.calls.map((x) => x.seq)));
  for (const e of events) {
    if (!rotationSeqs.has(e.seq) || !e.to || !e.from || e.from === e.to) continue;
    // The alias moved from one generation to another.
    const key = c.env.h.sim.state.key(e.to);
    if (key && e.at - key.creationDate.getTime() < w) {
      v.push(`7: ${e.alias} moved to ${e.to} at ${iso(e.at)}, ${Math.round((e.at - key.creationDate.getTime()) / 1000)} s after the key was made (window ${w / 1000} s)`);
    }
    for (const p of calls) {
      if (p.seq < e.seq && p.status === 200 && p.op === 'PutKeyPolicy' && keyIdOf(p.request.KeyId) === e.to && e.at - p.at < w) {
        v.push(`7: ${e.alias} moved to ${e.to} at ${iso(e.at)}, ${Math.round((e.at - p.at) / 1000)} s after its key policy changed (window ${w / 1000} s)`);
      }
    }
  }
  for (const r of step.invocations) {
    for (const p of r.calls) {
      if (p.status !== 200 || p.op !== 'PutKeyPolicy' || !hasFence(String(p.request.Policy))) continue;
      const id = keyIdOf(p.request.KeyId);
      const before = events.filter((e) => e.seq < p.seq);
      const behind = [...hist.group.aliasesEver].filter((a) => {
        const last = before.filter((e) => e.alias === a).pop();
        return last?.to === id;
      });
      if (behind.length > 0) v.push(`7: ${r.label} fenced ${id} while ${behind.join(', ')} pointed at it`);
      const away = before.filter((e) => e.from === id && e.to !== id).pop();
      if (!away) v.push(`7: ${r.label} fenced ${id}, which the alias never moved away from`);
      else if (p.at - away.at < w) v.push(`7: ${r.label} fenced ${id} at ${iso(p.at)}, ${Math.round((p.at - away.at) / 1000)} s after ${away.alias} moved away from it (window ${w / 1000} s)`);
    }
  }
  if (rec) {
    const updated = step.invocations.some((r) => r.entry === 'lifecycle' && !r.error && !r.death);
    for (const g of rec.generations) {
      if (g.activatedAt && !hist.group.activationsJudged.has(g.keyId)) {
        hist.group.activationsJudged.add(g.keyId);
        const rotated = rec.generations.some((x) => x.retiredAt === g.activatedAt && x.n < g.n);
        const since = Date.parse(g.activatedAt) - Date.parse(g.authorizableSince);
        if (rotated && !updated && since < w) v.push(`7: the ledger says generation ${g.n} was activated ${Math.round(since / 1000)} s after it became authorizable (window ${w / 1000} s)`);
      }
      if (g.fencedAt && g.retiredAt && !hist.group.fencesJudged.has(g.keyId)) {
        hist.group.fencesJudged.add(g.keyId);
        const since = Date.parse(g.fencedAt) - Date.parse(g.retiredAt);
        if (since < w) v.push(`7: the ledger says generation ${g.n} was fenced ${Math.round(since / 1000)} s after it was retired (window ${w / 1000} s)`);
      }
    }
  }
  return v;
}

/** Once no fence is under way, every retired generation carries the fence in its key policy. */
function fencesInPlace(c: CheckContext): string[] {
  const { rec } = c;
  if (!rec || (rec.status !== 'active' && rec.status !== 'retained') || rec.rotation?.phase === 'fence') return [];
  const v: string[] = [];
  for (const g of rec.generations.filter((x) => x.stage === 'retired' && x.deletionScheduledAt === undefined)) {
    const key = c.env.h.sim.state.key(g.keyId);
    if (!key || key.state === 'PendingDeletion') continue;
    if (g.fencedAt === undefined) v.push(`7: retired generation ${g.n} (${g.keyId}) is not fenced in the ledger and no fence is under way`);
    else if (!hasFence(key.policy)) v.push(`7: retired generation ${g.n} (${g.keyId}) is fenced in the ledger but its key policy has no fence`);
  }
  return v;
}

/** A retired generation refuses Encrypt by key id once its fence has propagated. */
async function retiredRefuseEncrypt(c: CheckContext): Promise<string[]> {
  const { env, rec, hist, now } = c;
  if (!rec || !env.options.authorization) return [];
  const v: string[] = [];
  for (const g of rec.generations.filter((x) => x.stage === 'retired')) {
    const key = env.h.sim.state.key(g.keyId);
    if (!key || key.state !== 'Enabled' || !hasFence(key.policy)) continue;
    const seen = hist.group.fenceSeenAt.get(g.keyId);
    if (seen === undefined) {
      hist.group.fenceSeenAt.set(g.keyId, now);
      continue;
    }
    if (now - seen < env.propagationMs || hist.group.fenceVerified.has(g.keyId)) continue;
    const answer = await env.admin.encrypt(g.keyId, 'after the fence').then(() => 'encrypted', (e: Error) => e.name);
    if (answer === 'AccessDeniedException') hist.group.fenceVerified.add(g.keyId);
    else v.push(`7: retired generation ${g.n} (${g.keyId}), fenced since at least ${iso(seen)}, answered Encrypt by key id with ${answer}`);
  }
  return v;
}

// ---------------------------------------------------------------------------
// 6. At most one rotation per due period (emergencies excepted).

function rotationsPerDuePeriod(c: CheckContext): string[] {
  const { rec, hist } = c;
  if (!rec) return [];
  const interval = Math.min(...hist.group.intervalsEver);
  const early: string[] = [];
  for (const next of rec.generations) {
    if (!next.activatedAt) continue;
    const prev = rec.generations.find((x) => x.n < next.n && x.retiredAt === next.activatedAt);
    if (!prev?.activatedAt) continue;
    const due = Math.min(
      addCalendarMonths(new Date(dueBase(prev)!), interval).getTime(),
      addCalendarMonths(new Date(prev.kmsCreationDate), interval).getTime() + DAY_MS,
    );
    if (Date.parse(next.activatedAt) < due) early.push(`generation ${next.n} activated ${next.activatedAt}, generation ${prev.n} due ${iso(due)}`);
  }
  return early.length > hist.group.emergencies
    ? [`6: ${early.length} rotations before their due date, but only ${hist.group.emergencies} emergencies were asked for (${early.join('; ')})`]
    : [];
}

/** The ledger holds what the stack declared (after a step that applied it) and a due date derived from it. */
function ledgerMatchesStack(c: CheckContext): string[] {
  const { rec, hist, step } = c;
  if (!rec || rec.status !== 'active' || step.concurrent) return [];
  const v: string[] = [];
  const applied = step.invocations.some((r) => r.entry === 'lifecycle' && !r.error && !r.death && (r.event as { RequestType?: string }).RequestType !== 'Delete');
  const p = hist.group.props;
  if (applied) {
    const s = rec.settings;
    const want = [p.AliasName, Number(p.IntervalMonths), p.Description, JSON.parse(p.Tags), p.RemovalPolicy];
    const got = [s.aliasName, s.intervalMonths, s.description, s.userTags, s.removalPolicy];
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      v.push(`ledger: after a successful ${step.kind} the ledger's settings (alias, interval, description, tags, removal) are ${JSON.stringify(got)}, the stack declares ${JSON.stringify(want)}`);
    }
  }
  const current = currentGeneration(rec);
  const from = current && dueBase(current);
  if (from && rec.nextDueAt) {
    const expected = addCalendarMonths(new Date(from), rec.settings.intervalMonths).toISOString();
    if (rec.nextDueAt !== expected) v.push(`ledger: next due ${rec.nextDueAt} is not the start of the current generation's rotation ${from} + ${rec.settings.intervalMonths} months (${expected})`);
  }
  return v;
}

// ---------------------------------------------------------------------------
// 2. The alias resolves to an Enabled key with imported material of this group.

function aliasResolves(c: CheckContext): string[] {
  const { rec, hist, env } = c;
  const g = hist.group;
  const v: string[] = [];
  if (!rec || rec.status !== 'active') return [`2: the group is deployed but its ledger entry is ${rec ? rec.status : 'missing'}`];
  const target = env.h.sim.state.aliases().find((a) => a.AliasName === g.aliasName)?.TargetKeyId;
  if (!target) return [`2: alias ${g.aliasName} does not exist`];
  const key = env.h.sim.state.key(target);
  const gen = rec.generations.find((x) => x.keyId === target);
  if (!key || key.state !== 'Enabled' || !key.hasMaterial || key.origin !== 'EXTERNAL') {
    v.push(`2: alias ${g.aliasName} points at ${target}, which is ${key ? `${key.state}${key.hasMaterial ? '' : ' without material'} (${key.origin})` : 'gone'}`);
  }
  const current = currentGeneration(rec);
  const promoting = rec.rotation?.phase === 'promote' ? rec.generations.find((x) => x.n === rec.rotation!.n) : undefined;
  if (!gen) {v.push(`2: alias ${g.aliasName} points at ${target}, which the ledger does not record for the group`);} else if (gen.keyId !== current?.keyId && gen.keyId !== promoting?.keyId) {
    v.push(`2: alias ${g.aliasName} points at generation ${gen.n} (${gen.stage}), but the ledger's current generation is ${current?.n}`);
  }
  return v;
}

/** 7 + 2: the writer encrypts through the alias; 1 keeps the ciphertext. */
async function writerProbe(c: CheckContext): Promise<string[]> {
  return writerEncrypts(c.env, c.hist, `probe after step ${c.hist.steps}`);
}

export async function writerEncrypts(env: ModelEnv, hist: History, what: string): Promise<string[]> {
  const g = hist.group;
  const plaintext = `history ${hist.id}: ${what}`;
  try {
    const r = await env.writer.encrypt(g.aliasName, plaintext);
    g.kept.push({ plaintext, ciphertext: r.ciphertext, keyArn: r.keyArn });
    return [];
  } catch (e) {
    const name = (e as Error).name;
    const consistency = env.options.consistency;
    if (name === 'AccessDeniedException') return [`7: the writer was denied Encrypt through ${g.aliasName}: ${(e as Error).message}`];
    // A brand-new alias is not seen by every request at once (read lag): for a while it resolves to nothing,
    // or (re-created after a DESTROY) to the key it named before, now pending deletion. When was it made?
    const created = Math.max(g.aliasCreatedAt, ...hist.calls.filter((x) => x.op === 'CreateAlias' && x.status === 200 && x.request.AliasName === g.aliasName).map((x) => x.at));
    const fresh = consistency && env.h.sim.clock.now().getTime() - created <= consistency.readLagMs;
    if (fresh && (name === 'NotFoundException' || (name === 'KMSInvalidStateException' && /pending deletion/.test((e as Error).message)))) {
      hist.freshAliasMisses += 1;
      return [];
    }
    return [`2: the writer's Encrypt through ${g.aliasName} failed: ${name}: ${(e as Error).message}`];
  }
}

/** 1 + 7: the reader decrypts what was kept (`sample`: one ciphertext per key; `all`: every one). */
export async function readerDecrypts(c: Pick<CheckContext, 'env' | 'hist'>, which: 'sample' | 'all'): Promise<string[]> {
  const { env, hist } = c;
  const g = hist.group;
  const now = env.h.sim.clock.now().getTime();
  const chosen = which === 'all' ? g.kept : [...new Map(g.kept.map((k) => [k.keyArn, k])).values()];
  const v: string[] = [];
  for (const k of chosen) {
    const key = env.h.sim.state.key(k.keyArn);
    if (g.destroyRequested && (!key || key.state === 'PendingDeletion')) continue;
    // A sample is decrypted when what Decrypt depends on changed (state, material, policy, the group tag the
    // reader's grant names), and again once that change has reached authorization.
    const fp = key ? JSON.stringify([key.state, key.hasMaterial, key.policy, key.tags[TAG.group]]) : 'gone';
    const seen = g.decryptChecks.get(k.keyArn);
    if (which === 'sample' && seen && seen.fp === fp && seen.verifiedAt >= seen.since + env.propagationMs) continue;
    const since = seen && seen.fp === fp ? seen.since : now;
    g.decryptChecks.set(k.keyArn, { fp, since, verifiedAt: now });
    try {
      if (await env.reader.decrypt(k.ciphertext) !== k.plaintext) v.push(`1: a ciphertext of ${k.keyArn} decrypted to something else`);
    } catch (e) {
      const name = (e as Error).name;
      v.push(name === 'AccessDeniedException'
        ? `7: the reader was denied Decrypt of a ciphertext of ${k.keyArn}: ${(e as Error).message}`
        : `1: a ciphertext of ${k.keyArn} (${key ? key.state : 'key gone'}) no longer decrypts: ${name}: ${(e as Error).message}`);
    }
  }
  return v;
}

// ---------------------------------------------------------------------------
// Liveness: what nothing stopped must succeed; nothing is busy without a run
// that may hold the lock; a waiting rotation waits for a reason.

function expectedRefusal(c: CheckContext, r: InvocationResult): boolean {
  const e = r.error!;
  const rec = c.rec;
  if (e.name === 'GroupBusyError') return r.lockMayBeHeld || c.step.concurrent;
  if (r.entry === 'rotation') {
    // A rotation of a group that is not (or no longer) deployed, or named by an alias it no longer has.
    return e.name === 'InvalidRequestError' && (c.step.phaseBefore !== 'live' || c.step.concurrent || rec?.status !== 'active');
  }
  // A stack operation that lost the race to a Delete.
  return c.step.concurrent && e.name === 'InconsistentGroupError' && /is (destroyed|retained|failed)/.test(e.message);
}

const PROGRAMMING_ERRORS = ['TypeError', 'ReferenceError', 'RangeError', 'SyntaxError'];

function liveness(c: CheckContext): string[] {
  const { step } = c;
  const v: string[] = [];
  if (step.forged || step.tampered) return v;
  for (const r of step.invocations) {
    // A programming error is never an answer, whatever the fault or the state.
    if (r.error && PROGRAMMING_ERRORS.includes(r.error.name)) v.push(`liveness: ${r.label} crashed: ${r.error.name}: ${r.error.message} (${r.error.stack?.split('\n')[1]?.trim()})`);
    if (!r.absorbable || step.phaseBefore === 'deleting') continue;
    if (r.death === 'timeout') v.push(`liveness: ${r.label} ran past its ${r.entry} timeout and was killed (after ${r.calls.length} KMS requests)`);
    if (r.error && !expectedRefusal(c, r)) v.push(`liveness: ${r.label} failed although nothing stopped it: ${r.error.name}: ${r.error.message}`);
    const o = rotationOutcome(r);
    if (o?.busy && !r.lockMayBeHeld && !step.concurrent) v.push(`liveness: ${r.label} found the group busy, but no run can hold its lock`);
    if (o?.outcome === 'in-progress' && o.phasesDone.length === 0 && !o.busy && !(o as { throttled?: boolean }).throttled && !(o as { stale?: boolean }).stale && !step.concurrent && (r.event as { action?: string }).action === 'rotate-if-due') {
      const w = step.recBefore?.rotation;
      const waiting = w?.notBefore !== undefined && Date.parse(w.notBefore) > r.startedAt;
      if (!waiting) v.push(`liveness: ${r.label} answered in-progress without running the phase that was due (${w ? `${w.phase}, not before ${w.notBefore ?? '-'}` : 'no rotation under way'})`);
    }
  }
  return v;
}

export function generationOfKey(rec: GroupRecord | undefined, keyId: string): GenerationRecord | undefined {
  return rec?.generations.find((x) => x.keyId === keyId);
}

// ---------------------------------------------------------------------------
// 10. Tampering: no KMS write that the deployed configuration does not allow;
// every tampering is reported.

const isWrite = (x: FunctionCall) => x.status === 200 && MUTATING_OPERATIONS.has(x.op);

function tamperingRefused(c: CheckContext): string[] {
  const t = c.step.tampered;
  if (!t) return [];
  const v: string[] = [];
  for (const r of t.mustRefuse) {
    if (!r.error || (r.error.name !== 'LedgerTamperedError' && r.error.name !== 'InvalidRequestError')) {
      v.push(`10: after ${t.what}, ${r.label} was not refused (${r.error ? `${r.error.name}: ${r.error.message.slice(0, 200)}` : JSON.stringify(r.result).slice(0, 200)})`);
    }
    const writes = r.calls.filter(isWrite);
    if (writes.length > 0) v.push(`10: after ${t.what}, ${r.label} changed KMS before a repair: ${writes.map((x) => `${x.op} ${keyIdOf(x.request.KeyId ?? x.request.TargetKeyId ?? x.request.AliasName)}`.trim()).join(', ')}`);
  }
  if (t.entryRewritten) v.push(`10: after ${t.what}, a function wrote the tampered ledger entry (it must refuse it untouched)`);
  const ledgerRefusals = t.mustRefuse.filter((r) => r.error?.name === 'LedgerTamperedError').length;
  if (t.untouched === undefined && t.tamperingLines !== t.mustRefuse.length) {
    v.push(`10: after ${t.what}, ${t.mustRefuse.length} refused run(s) logged ${t.tamperingLines} ERROR line(s) with a tampering attribute (one each)`);
  }
  if (ledgerRefusals > 0 || t.tamperingMetrics.length > 0) {
    const silent = t.tamperingMetrics.filter((n) => !(n >= 1)).length;
    if (silent > 0) v.push(`10: after ${t.what}, ${silent} refused rotation run(s) emitted TamperingDetected < 1`);
  }
  if (t.untouched && (t.untouched.reads > 0 || t.untouched.kmsCalls > 0)) {
    v.push(`10: ${t.what} was refused only after ${t.untouched.reads} ledger read(s) and ${t.untouched.kmsCalls} KMS request(s) (refused at parse: none)`);
  }
  if (t.foreignPolicyKeys.length > 0) v.push(`10: after ${t.what}, the key policy of ${t.foreignPolicyKeys.join(', ')} names the attacker's account ${ATTACKER_ACCOUNT}`);
  if (t.repairProblem) v.push(`10: the entry restored after ${t.what} does not verify: ${t.repairProblem}`);
  return v;
}

/** The test's victim key (EXTERNAL, made by someone else; the tampering actor points the ledger and tags at it) is never changed by the functions. */
function victimUntouched(c: CheckContext): string[] {
  const id = c.hist.victimKeyId;
  if (!id) return [];
  const v: string[] = [];
  for (const r of c.step.invocations) {
    for (const x of r.calls.filter(isWrite)) {
      if (namesOfKeyWritten(x).includes(id)) v.push(`10: ${r.label} called ${x.op} on the victim key ${id} (not the group's; only a tampered ledger or tag names it)`);
    }
  }
  const key = c.env.h.sim.state.key(id);
  const fp = key ? JSON.stringify([key.state, key.policy, key.description, key.hasMaterial]) : 'gone';
  if (c.hist.victimFingerprint && fp !== c.hist.victimFingerprint) v.push(`10: the victim key ${id} changed (state, policy, description or material)`);
  return v;
}
