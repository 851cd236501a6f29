/**
 * Runs before every test file (jest's setupFiles), in the file's own copy of the environment.
 *
 * aws-cdk-lib validates every synthesized template against the CloudFormation resource schemas and its default
 * rules; it is most of a synth's cost and most of test/construct's time. One dedicated test
 * (test/construct/template-validation.test.ts) runs it, strict, on the stacks that use every prop; every other synth
 * skips it. Child processes (the consumer and CLI tests) inherit the real environment, so their synths still validate.
 */
process.env.CDK_VALIDATION = 'false';
