/**
 * Each stage's figures, written as the stage finishes: one line on stdout
 * (`[stage] <name> <json>`) and the file of the run's stages so far
 * (bench/results/partial.json, replaced atomically), so a failure in a later
 * stage keeps the figures of the earlier ones.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface StageFile {
  readonly startedAt: string;
  /** False until every stage finished (the full figures are then in latest.json). */
  readonly complete: boolean;
  /** Each finished stage's figures, in the order they finished. */
  readonly stages: Record<string, unknown>;
  /** The stage that failed and why, when one did. */
  readonly failed?: { readonly stage: string; readonly error: string };
}

export class StageResults {
  private file: StageFile;

  /**
   * @param file where the stages so far are kept
   * @param print where each stage's line goes (stdout in the benchmark)
   */
  constructor(private readonly filePath: string, private readonly print: (line: string) => void, now: Date = new Date()) {
    this.file = { startedAt: now.toISOString(), complete: false, stages: {} };
    this.flush();
  }

  get stages(): Readonly<Record<string, unknown>> {
    return this.file.stages;
  }

  /** Runs one stage; its figures are written as soon as it returns, its failure before it is thrown on. */
  async stage<T>(name: string, run: () => Promise<T> | T, figures: (result: T) => unknown = (r) => r): Promise<T> {
    let result: T;
    try {
      result = await run();
    } catch (e) {
      this.file = { ...this.file, failed: { stage: name, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) } };
      this.flush();
      throw e;
    }
    this.record(name, figures(result));
    return result;
  }

  record(name: string, figures: unknown): void {
    this.file = { ...this.file, stages: { ...this.file.stages, [name]: figures } };
    this.flush();
    this.print(`[stage] ${name} ${JSON.stringify(figures)}`);
  }

  complete(): void {
    this.file = { ...this.file, complete: true };
    this.flush();
  }

  /** Write to a temporary file and rename: a reader (or a crash) never sees half a file. */
  private flush(): void {
    fs.mkdirSync(path.dirname(this.filePath), { recursive: true });
    const tmp = `${this.filePath}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(this.file, null, 2)}\n`);
    fs.renameSync(tmp, this.filePath);
  }
}
