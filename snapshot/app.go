package snapshot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// Context keys the CDK CLI (aws-cdk 2.1148.1) sets for the app on every `cdk synth`, in
// contextFromSettings (lib/index.js of the npm package, bundled from
// @aws-cdk/toolkit-lib lib/api/cloud-assembly/environment.ts), from the settings of
// cdk.json (`pathMetadata`, `assetMetadata`, `versionReporting`, `bundlingStacks`,
// `staging`) whose defaults are in lib/cli/user-configuration.js.
const (
	// ContextPathMetadata ("aws:cdk:enable-path-metadata") adds the construct path of every
	// resource as its Metadata "aws:cdk:path". The CLI sets it unless cdk.json says
	// `"pathMetadata": false`. It changes more than metadata: the API Gateway deployment's
	// logical id is a hash of the API's resources, metadata included.
	ContextPathMetadata = "aws:cdk:enable-path-metadata"
	// ContextAssetMetadata ("aws:cdk:enable-asset-metadata") adds "aws:asset:*" Metadata
	// to resources that use file assets (Lambda code, for example). The CLI sets it unless
	// cdk.json says `"assetMetadata": false`.
	ContextAssetMetadata = "aws:cdk:enable-asset-metadata"
	// ContextVersionReporting ("aws:cdk:version-reporting") adds the CDKMetadata resource
	// (and, in an environment-agnostic stack, the CDKMetadataAvailable condition): the CDK
	// version and an inventory of the constructs used, for AWS's statistics. The CLI sets
	// it to true unless cdk.json says `"versionReporting": false`. NewApp sets it to false:
	// the resource configures nothing of the app and would change every snapshot on every
	// CDK upgrade.
	ContextVersionReporting = "aws:cdk:version-reporting"
	// ContextBundlingStacks ("aws:cdk:bundling-stacks") lists the stacks (glob patterns of
	// construct paths) whose assets are bundled (Docker, esbuild, go build) during
	// synthesis. The CLI passes cdk.json's `bundlingStacks`, by default ["**"], all of them.
	ContextBundlingStacks = "aws:cdk:bundling-stacks"
)

// Environment variables through which the CLI hands context to the app
// (CDK_CONTEXT_JSON, or a file named by CONTEXT_OVERFLOW_LOCATION_ENV when it is too
// big); the App reads them in its constructor (aws-cdk-lib core/lib/app.js, loadContext).
var contextEnv = []string{"CDK_CONTEXT_JSON", "CONTEXT_OVERFLOW_LOCATION_ENV"}

// NewApp returns an App whose context is what `cdk synth` would give the app in the
// directory of cdkJSON: the "context" of that cdk.json (feature flags) and the context
// the CDK CLI itself sets that changes the template. Fails the test when unreadable.
//
// The context is, as the CLI 2.1148.1 builds it (lib/cxapp/exec.js execProgram, and the
// Configuration class of lib/cli/user-configuration.js):
//
//   - cdk.context.json next to cdkJSON (the cached lookups: availability zones, VPCs,
//     AMIs, ...), if it exists, deep-merged with
//   - the "context" object of cdkJSON, which wins on conflicts;
//   - then the CLI's own keys, which win over both: [ContextPathMetadata] and
//     [ContextAssetMetadata] (true unless cdkJSON sets "pathMetadata" or "assetMetadata"
//     to false) and [ContextBundlingStacks] (cdkJSON's "bundlingStacks", by default
//     ["**"]).
//
// Deliberate differences from the CLI, so that a snapshot is the same on every machine
// and across CDK upgrades:
//
//   - ~/.cdk.json, command-line --context and the environment are not read: a user's
//     home directory or shell does not change the test. (The CLI reads ~/.cdk.json with
//     the lowest precedence.) NewApp fails the test if CDK_CONTEXT_JSON or
//     CONTEXT_OVERFLOW_LOCATION_ENV is set, because the App would read context from
//     them. NewApp sets no environment variable: stack code that reads
//     CDK_DEFAULT_ACCOUNT or CDK_DEFAULT_REGION should get its environment from the test
//     instead.
//   - [ContextVersionReporting] is false: no CDKMetadata resource.
//   - Assets are always staged into the app's output directory (cdkJSON's "staging" is
//     ignored), so that asset metadata names "asset.<hash>" rather than an absolute path.
//   - "@aws-cdk/core:failSynthOnValidationErrors" is not set (the CLI sets it to false
//     because it prints the validation report itself): in a test, synthesis fails on
//     validation errors.
//
// The app writes its cloud assembly to a directory of t.TempDir(). Its context can be
// changed before stacks are added to it; for example, tests that should not bundle
// assets (bundling can run Docker) set
//
//	app.Node().SetContext(jsii.String(snapshot.ContextBundlingStacks), &[]*string{})
func NewApp(t testing.TB, cdkJSON string) awscdk.App {
	t.Helper()
	ctx, err := cliContext(cdkJSON)
	if err != nil {
		t.Fatalf("snapshot.NewApp: %v", err)
		return nil
	}
	for _, name := range contextEnv {
		if _, ok := os.LookupEnv(name); ok {
			t.Fatalf("snapshot.NewApp: %s is set in the environment; the App would read context from it, and the test would depend on it: unset it", name)
			return nil
		}
	}
	return awscdk.NewApp(&awscdk.AppProps{
		PostCliContext: &ctx,
		Outdir:         jsii.String(t.TempDir()),
		AutoSynth:      jsii.Bool(false),
	})
}

// cliContext returns the context `cdk synth` gives the app in the directory of cdkJSON,
// with the differences NewApp documents.
func cliContext(cdkJSON string) (map[string]any, error) {
	config, err := readObject(cdkJSON)
	if err != nil {
		return nil, err
	}
	if config == nil {
		return nil, fmt.Errorf("%s: want a JSON object", cdkJSON)
	}
	project, ok := config["context"].(map[string]any)
	if !ok && config["context"] != nil {
		return nil, fmt.Errorf("%s: \"context\" is not a JSON object", cdkJSON)
	}
	cached, err := readObject(filepath.Join(filepath.Dir(cdkJSON), "cdk.context.json"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	ctx := map[string]any{}
	deepMerge(ctx, cached)
	deepMerge(ctx, project)

	// `settings.get([name]) ?? default`, tested for JavaScript truthiness, as the CLI does.
	setting := func(name string, def any) any {
		if v := config[name]; v != nil {
			return v
		}
		return def
	}
	if truthy(setting("pathMetadata", true)) {
		ctx[ContextPathMetadata] = true
	}
	if truthy(setting("assetMetadata", true)) {
		ctx[ContextAssetMetadata] = true
	}
	ctx[ContextBundlingStacks] = setting("bundlingStacks", []any{"**"})
	ctx[ContextVersionReporting] = false
	return ctx, nil
}

// readObject reads a JSON file; a file holding null gives a nil map.
func readObject(path string) (map[string]any, error) {
	var m map[string]any
	return m, readJSON(path, &m)
}

// deepMerge copies src into dst, merging objects key by key and replacing everything
// else (arrays and null too), like the CLI's deepMerge of settings.
func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		if sv, ok := v.(map[string]any); ok {
			dv, ok := dst[k].(map[string]any)
			if !ok {
				dv = map[string]any{}
				dst[k] = dv
			}
			deepMerge(dv, sv)
			continue
		}
		dst[k] = v
	}
}

// truthy is JavaScript's truthiness of a decoded JSON value.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case float64:
		return v != 0
	case string:
		return v != ""
	}
	return true
}
