// Cold-start probe of the shipped bundle, run as `node bundle.js <mode> <bundle>`.
//   load:       require the bundle (its clients are built lazily, on the first invocation).
//   first-call: require it, then invoke the rotation entry point once, as a scheduled run
//               would: it builds its KMS, tagging and DynamoDB clients and sends one
//               GetItem for the group to the ledger, here the same local endpoint as
//               KMS (AWS_ENDPOINT_URL_DYNAMODB), which refuses it: one AWS call, and
//               the run ends with that service error.
// Exit code 0 only when the expected outcome was observed.
'use strict';
process.env.LEDGER_TABLE_NAME = process.env.LEDGER_TABLE_NAME || 'bench-cold-start-ledger';
process.env.AWS_ENDPOINT_URL_DYNAMODB = process.env.AWS_ENDPOINT_URL_DYNAMODB || process.env.AWS_ENDPOINT_URL_KMS;
const mode = process.argv[2];
const bundle = require(process.argv[3]);

if (mode === 'load') {
  process.exit(typeof bundle.rotationHandler === 'function' ? 0 : 2);
}

bundle.rotationHandler({ action: 'rotate-if-due', aliasName: 'alias/bench-cold-start', groupId: 'bench-cold-start' }).then(
  () => process.exit(3),
  (e) => process.exit(e && e.$metadata ? 0 : 4),
);
