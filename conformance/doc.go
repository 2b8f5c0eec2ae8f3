// Package conformance is the conformance suite of privaterdsapi. It is a module of its
// own so that cdk-nag and its dependencies never enter the library's dependency graph.
//
// For every scenario of internal/scenarios it synthesizes the app once, with the cdk-nag
// AwsSolutions checks applied and CDK's built-in CloudFormation validation on, and then
// checks the result four ways:
//
//   - cdk-nag: no unsuppressed AwsSolutions error or warning on a resource the construct
//     created (findings on the scenario's own scaffolding are only logged);
//   - CDK's built-in CloudFormation validation (validation-report.json in the cloud
//     assembly): no finding;
//   - cfn-lint (on PATH; CI installs it, and the suite fails, saying how to install it,
//     without it): no error or warning;
//   - AWS Control Tower's proactive controls, run with cfn-guard from the npm package
//     @cdklabs/cdk-validator-cfnguard 0.0.62 (.ci/run installs it and sets
//     CFNGUARD_PACKAGE_DIR to its directory; without the variable the suite uses .ci/run's
//     cache, installing the package there with npm when it is missing, and fails, saying
//     how to install it, when it finds the package in neither):
//     no finding on a resource the construct created, except those in the reviewed table
//     acceptedFindings of controltower_test.go, which SECURITY.md carries too (the Hardened
//     scenario may have none);
//
// except the checks switched off, with their reasons, in conformance_test.go. It also
// checks the cdk-nag suppressions the construct carries against a reviewed table there,
// and that every entry of each reviewed table still silences something.
//
// Run it with:
//
//	cd conformance && go test -count=1 ./...
package conformance
