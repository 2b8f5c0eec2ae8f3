// Package snapshot gives CDK apps written in Go stable snapshot (golden file) tests of
// their stacks, with the template that `cdk synth` would deploy.
//
// A test builds its stack in an App from [NewApp], which gives the app the context the
// CDK CLI would give it in the directory of the project's cdk.json (its feature flags,
// the cached lookups of cdk.context.json, and the CLI's own settings that change the
// template), and compares it with a golden file with [Match]:
//
//	func TestMyStack(t *testing.T) {
//		app := snapshot.NewApp(t, "cdk.json")
//		stack := NewMyStack(app, "MyStack", nil)
//		snapshot.Match(t, stack, "testdata/MyStack.template.json")
//	}
//
// The first run fails and says to run `UPDATE_SNAPSHOTS=1 go test ./...`, which writes
// the golden file (read it, and commit it). Later runs report every difference with the
// logical id of the resource it is in. Where the environment variable CI says the tests
// run in a CI job, [Match] writes nothing and fails instead (see [UpdateEnv]).
//
// [Template] normalizes what would churn without a change of the app: the CDK
// toolchain's Parameters.BootstrapVersion and Rules.CheckBootstrapVersion are removed,
// and content hashes of assets (container images, files) are replaced by
// [AssetHashPlaceholder] wherever they appear, so that editing an image's source does not
// change the snapshot. Nothing else is hidden.
//
// Like everything built on the CDK's Go bindings (jsii), the functions of this package must
// not be called from parallel tests.
//
// The package registers no command-line flags.
package snapshot
