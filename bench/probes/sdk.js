// Cold-start probe of the baseline: the KMS client unbundled from node_modules,
// run as `node sdk.js <mode>`.
//   load:       require('@aws-sdk/client-kms') and construct a KMSClient.
//   first-call: the same, then one DescribeKey for an alias to AWS_ENDPOINT_URL_KMS,
//               which answers NotFoundException (one KMS call, like the bundle probe).
// Exit code 0 only when the expected outcome was observed.
'use strict';
const mode = process.argv[2];
const { KMSClient, DescribeKeyCommand } = require('@aws-sdk/client-kms');

const client = new KMSClient({});

if (mode === 'load') {
  process.exit(client ? 0 : 2);
}

client.send(new DescribeKeyCommand({ KeyId: 'alias/bench-cold-start' })).then(
  () => process.exit(3),
  (e) => process.exit(e && e.name === 'NotFoundException' ? 0 : 4),
);
