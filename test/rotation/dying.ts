/**
 * A function that dies: every AWS call (KMS, tagging, DynamoDB) after the
 * first `limit` ones fails before it is sent, as when Lambda stops the
 * function. What it wrote, including its ledger lock, stays as it was.
 */
export class Death extends Error {
  constructor(readonly call: number) {
    super(`the function died before AWS call ${call}`);
    this.name = 'FunctionDied';
  }
}

export class CallBudget {
  calls = 0;
  constructor(private readonly limit: number) {}

  /** Adds the budget to a client's middleware (before retries: a dead function retries nothing). */
  attach(client: { middlewareStack: { add(m: unknown, o: unknown): void } }): void {
    client.middlewareStack.add((next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      this.calls += 1;
      if (this.calls > this.limit) throw new Death(this.calls);
      return next(args);
    }, { step: 'initialize', name: 'callBudget', priority: 'high' });
  }
}
