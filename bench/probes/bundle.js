// Cold-start probe of the shipped bundle, run as `node bundle.js <mode> <bundle>`.
//   load:       require the bundle (its clients are built lazily, on the first invocation).
//   first-call: require it, then invoke the handler once, as a scheduled run would:
//               the handler builds its KMS and tagging clients and sends DescribeKey
//               for the alias to AWS_ENDPOINT_URL_KMS, which answers NotFoundException,
//               so the run ends with InvalidRequestError after exactly one KMS call.
// Exit code 0 only when the expected outcome was observed.
'use strict';
const mode = process.argv[2];
const bundle = require(process.argv[3]);

if (mode === 'load') {
  process.exit(typeof bundle.handler === 'function' ? 0 : 2);
}

bundle.handler({ action: 'rotate-if-due', aliasName: 'alias/bench-cold-start' }).then(
  () => process.exit(3),
  (e) => process.exit(e && e.name === 'InvalidRequestError' ? 0 : 4),
);
