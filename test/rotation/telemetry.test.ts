/**
 * What the rotation function reports, read from what it really wrote: the
 * metrics lines (CloudWatch EMF, as Powertools writes them) of each run, the
 * events it put on the simulator's default bus with the real EventBridge
 * client (checked against docs/rotation-event.schema.json), and its ERROR lines.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TagResourceCommand } from '@aws-sdk/client-kms';
import { EmfRecord, parseEmf } from './emf-capture';
import { cfnEvent, groupProps, rotateIfDue, rotateNow } from './fixtures';
import { Functions, Harness } from './harness';
import { schemaViolations } from './json-schema-check';
import { currentGeneration } from '../../lambda/rotation/ledger-model';
import { EVENT_DETAIL_TYPE, EVENT_SOURCE } from '../../lambda/rotation/rotation-event';
import { TAG } from '../../lambda/rotation/tags';
import { METRIC_NAMESPACE } from '../../lambda/rotation/telemetry';

const SCHEMA = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'rotation-event.schema.json'), 'utf8'));
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('metrics, events and failure lines of the rotation function', () => {
  let h: Harness;
  let f: Functions;
  beforeEach(async () => {
    h = await Harness.start();
    f = h.functions();
  });
  afterEach(async () => h.stop());

  const metrics = (): EmfRecord[] => h.emf.map(parseEmf);
  const last = (): EmfRecord => metrics()[metrics().length - 1];

  test('every line is in the namespace, with the group as its only dimension and the documented units', async () => {
    await h.deploy(f);
    await f.rotation(rotateIfDue());
    const [m] = metrics();
    expect(metrics()).toHaveLength(1);
    expect(m.namespace).toBe(METRIC_NAMESPACE);
    expect(m.dimensions).toEqual([['KeyGroup']]);
    expect(m.values).toMatchObject({ KeyGroup: 'telemetry-group', alias: 'alias/telemetry' });
    expect(m.units).toEqual({
      RotationSucceeded: 'Count',
      RotationFailed: 'Count',
      TamperingDetected: 'Count',
      EmergencyRotationRefused: 'Count',
      DaysSinceActivation: 'None',
      DaysUntilDue: 'None',
      RetainedGenerations: 'Count',
    });
  });

  test('a run with nothing due: zero counts and the gauges of the ledger record', async () => {
    await h.deploy(f);
    h.sim.clock.advance(10 * DAY);
    await f.rotation(rotateIfDue());
    const rec = await h.group();
    const now = h.sim.clock.now().getTime();
    expect(last().values).toMatchObject({
      RotationSucceeded: 0, RotationFailed: 0, TamperingDetected: 0, EmergencyRotationRefused: 0, RetainedGenerations: 1,
    });
    expect(last().values.DaysSinceActivation).toBeCloseTo((now - Date.parse(currentGeneration(rec)!.activatedAt!)) / DAY, 2);
    expect(last().values.DaysUntilDue).toBeCloseTo((Date.parse('2026-07-01T03:00:00.000Z') - now) / DAY, 2);
    expect(last().values).not.toHaveProperty('DaysUntilMaterialExpiry');
    expect(h.sim.eventBridge.events()).toEqual([]);
  });

  test('a completed rotation: RotationSucceeded 1 in exactly that run, and one event that conforms to the schema', async () => {
    await h.deploy(f);
    await f.rotation(rotateNow());
    const outcomes = await h.runSchedule(f, HOUR);
    const completing = outcomes.findIndex((o) => o.outcome === 'completed');
    expect(completing).toBeGreaterThan(0);
    const runs = metrics();
    expect(runs).toHaveLength(1 + outcomes.length);
    expect(runs.map((m) => m.values.RotationSucceeded)).toEqual(runs.map((_, i) => (i === 1 + completing ? 1 : 0)));
    expect(runs.every((m) => m.values.RotationFailed === 0)).toBe(true);
    expect(last().values).toMatchObject({ RetainedGenerations: 2 });
    expect(last().values.DaysUntilDue).toBeGreaterThan(180);

    const rec = await h.group();
    const [g1, g2] = rec.generations;
    const events = h.sim.eventBridge.events();
    expect(events).toHaveLength(1);
    const [e] = events;
    expect(e).toMatchObject({ eventBusName: 'default', source: EVENT_SOURCE, detailType: EVENT_DETAIL_TYPE, resources: [g2.keyArn, g1.keyArn] });
    expect(e.detail).toEqual({
      version: '1',
      id: 'telemetry-group/generation-2',
      group: 'telemetry-group',
      alias: 'alias/telemetry',
      generation: 2,
      keyArn: g2.keyArn,
      previousGeneration: 1,
      previousKeyArn: g1.keyArn,
      reason: 'emergency',
      activatedAt: g2.activatedAt,
      previousFencedAt: g1.fencedAt,
      nextDueAt: rec.nextDueAt,
    });
    expect(schemaViolations(SCHEMA, e.detail)).toEqual([]);
    // The check can fail: a detail without its id, with a stray field or a wrong reason does not conform.
    const { id: _id, ...withoutId } = e.detail;
    expect(schemaViolations(SCHEMA, withoutId)).toEqual(['$: id is required']);
    expect(schemaViolations(SCHEMA, { ...e.detail, extra: 1 })).toEqual(['$: extra is not allowed']);
    expect(schemaViolations(SCHEMA, { ...e.detail, reason: 'whim', activatedAt: 'yesterday' })).toHaveLength(2);
    expect(h.log.errors()).toEqual([]);
  });

  test('a scheduled rotation\'s event says so, and each rotation has its own id', async () => {
    await h.deploy(f);
    h.sim.clock.set(new Date('2026-07-01T02:55:00Z'));
    await h.runSchedule(f, HOUR);
    await f.rotation(rotateNow());
    await h.runSchedule(f, HOUR);
    const details = h.sim.eventBridge.events().map((e) => e.detail);
    expect(details.map((d) => [d.id, d.reason, d.generation, d.previousGeneration])).toEqual([
      ['telemetry-group/generation-2', 'scheduled', 2, 1],
      ['telemetry-group/generation-3', 'emergency', 3, 2],
    ]);
    for (const d of details) expect(schemaViolations(SCHEMA, d)).toEqual([]);
  });

  test('a run that throws: RotationFailed 1 (no gauges), the error rethrown, exactly one ERROR line naming the step and operation', async () => {
    await h.deploy(f);
    h.sim.faults.serverError('DescribeKey', 'always');
    await expect(f.rotation(rotateIfDue())).rejects.toMatchObject({ name: 'KMSInternalException' });
    expect(metrics()).toHaveLength(1);
    expect(last().values).toMatchObject({ KeyGroup: 'telemetry-group', RotationSucceeded: 0, RotationFailed: 1, TamperingDetected: 0 });
    expect(last().values).not.toHaveProperty('DaysUntilDue');
    expect(h.log.errors()).toEqual([expect.objectContaining({
      attributes: expect.objectContaining({ step: 'run', operation: 'kms:DescribeKey', errorName: 'KMSInternalException' }),
    })]);
  });

  test('a phase that fails in an emergency naming only the alias: one ERROR line of the step, RotationFailed 1 for the group', async () => {
    await h.deploy(f);
    h.sim.faults.serverError('ImportKeyMaterial', 'always');
    await expect(f.rotation(rotateNow())).rejects.toMatchObject({ name: 'KMSInternalException' });
    expect(h.log.errors()).toEqual([expect.objectContaining({
      message: 'step import failed',
      attributes: expect.objectContaining({ step: 'import', operation: 'kms:ImportKeyMaterial', errorName: 'KMSInternalException' }),
    })]);
    expect(last().values).toMatchObject({ KeyGroup: 'telemetry-group', RotationFailed: 1 });
  });

  test('PutEvents failing: the run does not throw, one ERROR line of the announce step, RotationFailed and RotationSucceeded both 1', async () => {
    await h.deploy(f);
    await f.rotation(rotateNow());
    h.sim.faults.serverError('PutEvents', 'always');
    const outcomes = await h.runSchedule(f, HOUR);
    expect(outcomes.map((o) => o.outcome)).toContain('completed');
    expect(h.sim.eventBridge.events()).toEqual([]);
    expect(h.log.errors()).toEqual([expect.objectContaining({
      message: 'step announce failed',
      attributes: expect.objectContaining({ step: 'announce', operation: 'events:PutEvents', eventId: 'telemetry-group/generation-2' }),
    })]);
    expect(metrics().filter((m) => m.values.RotationFailed === 1).map((m) => m.values.RotationSucceeded)).toEqual([1]);
  });

  test('tampering is counted in the run that reports it', async () => {
    await h.deploy(f);
    const g1 = currentGeneration(await h.group())!;
    await h.kms.send(new TagResourceCommand({ KeyId: g1.keyId, Tags: [{ TagKey: TAG.nextDueAt, TagValue: '2036-01-01T00:00:00.000Z' }] }));
    h.sim.clock.advance(HOUR);
    await f.rotation(rotateIfDue());
    h.sim.clock.advance(HOUR);
    await f.rotation(rotateIfDue());
    expect(metrics().map((m) => m.values.TamperingDetected)).toEqual([1, 0]);
  });

  test('with material expiry: days until the earliest expiry of material that has not expired', async () => {
    await f.lifecycle(cfnEvent('Create', groupProps({ MaterialValidityDays: '90' })));
    h.sim.clock.advance(20 * DAY);
    await f.rotation(rotateIfDue());
    const validTo = Date.parse(currentGeneration(await h.group())!.materialValidTo!);
    expect(last().values.DaysUntilMaterialExpiry).toBeCloseTo((validTo - h.sim.clock.now().getTime()) / DAY, 2);
    expect(last().values.DaysUntilMaterialExpiry).toBeGreaterThan(69);
    expect(last().values.DaysUntilMaterialExpiry).toBeLessThan(71);
  });
});
