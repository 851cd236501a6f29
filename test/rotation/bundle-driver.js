// Runs the shipped bundle in its own Node process, as Lambda would: one JSON
// request per stdin line ({ "now": ISO, "entry": "lifecycle" | "rotation",
// "event": ... }), one JSON answer per stdout line ({ "result": ... } or
// { "error": { name, message } }, plus the log lines of that invocation). The
// bundle's SDK clients are configured only from the environment
// (AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL_DYNAMODB, LEDGER_TABLE_NAME, ...).
// The bundle's metrics lines (CloudWatch EMF, written to stdout by Powertools)
// are taken off stdout and returned in the answer's "emf".
'use strict';
const readline = require('node:readline');

let emf = [];
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  const text = String(chunk);
  if (text.startsWith('{"_aws"')) {
    emf.push(...text.split('\n').filter((l) => l !== ''));
    return true;
  }
  return write(chunk, ...rest);
};
const bundle = require(process.argv[2]);

let now = new Date();
let lines = [];
const record = (level) => (message, attributes) => lines.push({ level, message, attributes: attributes ?? {} });
const handlers = bundle.createHandlers({
  now: () => now,
  log: { info: record('info'), warn: record('warn'), error: record('error') },
  sleep: () => new Promise((resolve) => setTimeout(resolve, 1)),
});

const rl = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on('line', (line) => {
  queue = queue.then(async () => {
    const request = JSON.parse(line);
    now = new Date(request.now);
    lines = [];
    emf = [];
    let answer;
    try {
      answer = { result: await handlers[request.entry](request.event, { awsRequestId: request.requestId, getRemainingTimeInMillis: () => 300000 }) };
    } catch (e) {
      answer = { error: { name: e && e.name, message: e && e.message } };
    }
    process.stdout.write(JSON.stringify({ ...answer, logs: lines, emf }) + '\n');
  });
});
