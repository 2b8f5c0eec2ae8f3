package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed07617466/privaterdsapi/snapshot"
)

// stackName is the stack main() creates.
const stackName = "PrivateRdsApiExample"

// TestSnapshot is the snapshot test a user of the library writes for their app: the
// stack, built with the context `cdk synth` gives it, against a golden file. After an
// intended change, run `UPDATE_SNAPSHOTS=1 go test ./...` here and read the diff.
func TestSnapshot(t *testing.T) {
	app := snapshot.NewApp(t, "cdk.json")
	snapshot.Match(t, NewExampleStack(app, stackName, nil), filepath.Join("testdata", stackName+".template.json"))
}

// cdkCLI is the CDK CLI that README.md and .ci/run use.
const cdkCLI = "aws-cdk@2.1148.1"

// cliOnly leaves out of a template what only the CLI asks for: the CDKMetadata resource
// (version reporting) and its condition.
var cliOnly = []snapshot.Option{snapshot.Drop("Resources", "CDKMetadata"), snapshot.Drop("Conditions", "CDKMetadataAvailable")}

// TestTemplateEqualsCdkSynth runs the real CDK CLI on this app, as README.md does, and
// checks that snapshot.Template of the same stack built in this process with
// snapshot.NewApp equals the template `cdk synth` wrote, after the same normalization.
// Only the CDKMetadata resource (and its condition) is left out: the CLI asks for it
// (version reporting) and NewApp does not; construct paths and asset metadata are
// compared too.
//
// The CLI runs without AWS credentials or configuration, so the stack is
// environment-agnostic (main's env() returns nil), and with an empty home directory, so
// that no ~/.cdk.json of the machine changes its context. It compiles and runs the app
// with `go run .` (cdk.json "app"): expect a minute on a cold build cache.
func TestTemplateEqualsCdkSynth(t *testing.T) {
	out := t.TempDir()
	cmd := exec.Command("npx", "--yes", cdkCLI, "synth", "--no-notices", "--quiet", "-o", out)
	cmd.Env = cliEnv(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, b)
	}
	want, err := snapshot.TemplateFile(filepath.Join(out, stackName+".template.json"), cliOnly...)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := want["Resources"].(map[string]any)["CDKMetadata"]; ok {
		t.Fatal("Drop left CDKMetadata in the CLI's template")
	}

	got := snapshot.Template(NewExampleStack(snapshot.NewApp(t, "cdk.json"), stackName, nil), cliOnly...)
	if d := snapshot.Diff(want, got); d != "" {
		t.Errorf("snapshot.Template differs from `cdk synth` (-cdk synth +snapshot.Template):\n%s", d)
	}
	if d := snapshot.Diff(want, exampleTemplate(t)); d != "" {
		t.Errorf("the rehearsal's template differs from `cdk synth` (-cdk synth +rehearsed):\n%s", d)
	}
	b, err := snapshot.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), ":"+snapshot.AssetHashPlaceholder+`"`) {
		t.Error("the image asset's tag is not in the template: the comparison proves less than it should")
	}

	// The trap NewApp exists for: the same stack in a bare awscdk.NewApp(nil) (no feature
	// flags from cdk.json, no path metadata) is not what `cdk synth` deploys, and the
	// rehearsal runs on the template that is (exampleTemplate).
	if snapshot.Diff(want, bareTemplate(t)) == "" {
		t.Error("a bare awscdk.NewApp(nil) gives the template of `cdk synth` too: this test no longer shows what NewApp adds")
	}
}

// cliEnv is the environment of the CDK CLI: this process's, without AWS credentials,
// configuration or CDK variables, with a new empty home directory, and with the Go and
// npm caches and configuration of this machine named explicitly so that the empty home
// costs no download or rebuild.
func cliEnv(t *testing.T) []string {
	t.Helper()
	home := t.TempDir()
	var env []string
	set := map[string]bool{}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "CDK_") || name == "CONTEXT_OVERFLOW_LOCATION_ENV" || name == "HOME" {
			continue
		}
		set[strings.ToLower(name)] = true
		env = append(env, kv)
	}
	env = append(env,
		"HOME="+home,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+filepath.Join(home, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "no-aws-credentials"),
	)
	if !set["jsii_silence_warning_end_of_life_node_version"] {
		env = append(env, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
	}
	goEnv, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOENV").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	for i, v := range strings.Split(strings.TrimSpace(string(goEnv)), "\n") {
		env = append(env, []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOENV"}[i]+"="+v)
	}
	if realHome, err := os.UserHomeDir(); err == nil {
		if !set["npm_config_cache"] {
			env = append(env, "npm_config_cache="+filepath.Join(realHome, ".npm"))
		}
		if rc := filepath.Join(realHome, ".npmrc"); !set["npm_config_userconfig"] {
			if _, err := os.Stat(rc); err == nil {
				env = append(env, "npm_config_userconfig="+rc)
			}
		}
	}
	return env
}
