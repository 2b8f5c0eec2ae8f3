package snapshot_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/seed07617466/privaterdsapi/snapshot"
)

// recorder is a testing.TB that records failures instead of failing the test, to test
// what Match and NewApp report. Everything else goes to the real test.
type recorder struct {
	testing.TB
	errors, fatals []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}

func (r *recorder) failures() string {
	return strings.Join(append(append([]string(nil), r.fatals...), r.errors...), "\n")
}

// writeFiles writes files (name: content) into dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// cdkJSON writes a cdk.json holding config into a new directory and returns its path.
func cdkJSON(t *testing.T, config string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"cdk.json": config})
	return filepath.Join(dir, "cdk.json")
}

// outsideCI unsets CI for the test (it is restored afterwards), as on a developer's
// machine, so that Match may write golden files although .ci/run sets CI=true.
func outsideCI(t *testing.T) {
	t.Helper()
	t.Setenv("CI", "")
	if err := os.Unsetenv("CI"); err != nil {
		t.Fatal(err)
	}
}

// assetStack is a stack with a container image asset built from dir, a file asset
// (dir/config.txt) referred to by outputs and by asset metadata, and a parameter.
func assetStack(app awscdk.App, dir string, memory float64) awscdk.Stack {
	stack := awscdk.NewStack(app, jsii.String("Assets"), nil)
	task := awsecs.NewFargateTaskDefinition(stack, jsii.String("Task"), &awsecs.FargateTaskDefinitionProps{
		Cpu:            jsii.Number(256),
		MemoryLimitMiB: jsii.Number(memory),
	})
	task.AddContainer(jsii.String("App"), &awsecs.ContainerDefinitionOptions{
		Image: awsecs.ContainerImage_FromAsset(jsii.String(dir), nil),
	})
	file := awss3assets.NewAsset(stack, jsii.String("File"), &awss3assets.AssetProps{
		Path: jsii.String(filepath.Join(dir, "config.txt")),
	})
	awscdk.NewCfnOutput(stack, jsii.String("FileKey"), &awscdk.CfnOutputProps{Value: file.S3ObjectKey()})
	awscdk.NewCfnOutput(stack, jsii.String("FileUrl"), &awscdk.CfnOutputProps{Value: file.S3ObjectUrl()})
	awscdk.NewCfnOutput(stack, jsii.String("FileJoin"), &awscdk.CfnOutputProps{
		Value: awscdk.Fn_Join(jsii.String(""), &[]*string{stack.Region(), jsii.String(":"), file.S3ObjectKey()}),
	})
	stage := awscdk.NewCfnParameter(stack, jsii.String("Stage"), &awscdk.CfnParameterProps{Default: jsii.String("prod")})
	param := awscdk.NewCfnResource(stack, jsii.String("Param"), &awscdk.CfnResourceProps{
		Type:       jsii.String("AWS::SSM::Parameter"),
		Properties: &map[string]any{"Type": "String", "Value": file.HttpUrl(), "Description": stage.ValueAsString()},
	})
	file.AddResourceMetadata(param, jsii.String("Value"))
	return stack
}

// logicalID returns the logical id of the only resource of type typ in tpl.
func logicalID(t *testing.T, tpl map[string]any, typ string) string {
	t.Helper()
	var ids []string
	for id, r := range tpl["Resources"].(map[string]any) {
		if r.(map[string]any)["Type"] == typ {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("want one %s, got %v", typ, ids)
	}
	return ids[0]
}

func marshal(t *testing.T, tpl map[string]any) string {
	t.Helper()
	b, err := snapshot.Marshal(tpl)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var imageHash = regexp.MustCompile(`:([0-9a-f]{64})$`)

// TestAssets synthesizes the asset stack three times (as built, after an edit of the
// image's source, with a property changed) and checks Template and Match on them.
func TestAssets(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"Dockerfile": "FROM scratch\nCOPY main.go /\n",
		"main.go":    "package main\n\nfunc main() {}\n",
		"config.txt": "setting=1\n",
	})
	config := cdkJSON(t, `{"app": "go run .", "context": {"@aws-cdk/aws-ecs:removeDefaultDeploymentAlarm": true}}`)

	s1 := assetStack(snapshot.NewApp(t, config), dir, 512)
	tpl1 := snapshot.Template(s1)
	raw1 := snapshot.Template(s1, snapshot.KeepAssetHashes(), snapshot.KeepBootstrapVersion())
	task := logicalID(t, tpl1, "AWS::ECS::TaskDefinition")
	image := func(tpl map[string]any) string {
		c := tpl["Resources"].(map[string]any)[task].(map[string]any)["Properties"].(map[string]any)["ContainerDefinitions"].([]any)[0]
		return c.(map[string]any)["Image"].(map[string]any)["Fn::Sub"].(string)
	}

	t.Run("asset hashes are replaced everywhere", func(t *testing.T) {
		m := imageHash.FindStringSubmatch(image(raw1))
		if m == nil {
			t.Fatalf("no image hash in the raw template's image %q", image(raw1))
		}
		if want := strings.TrimSuffix(image(raw1), m[1]) + snapshot.AssetHashPlaceholder; image(tpl1) != want {
			t.Errorf("image = %q, want %q", image(tpl1), want)
		}
		fileKey := raw1["Outputs"].(map[string]any)["FileKey"].(map[string]any)["Value"].(string)
		fileHash := strings.TrimSuffix(fileKey, ".txt")
		if len(fileHash) != 64 {
			t.Fatalf("file asset key %q is not <hash>.txt", fileKey)
		}
		got := marshal(t, tpl1)
		for _, h := range []string{m[1], fileHash} {
			if strings.Contains(got, h) {
				t.Errorf("normalized template still contains asset hash %s", h)
			}
		}
		if fk := tpl1["Outputs"].(map[string]any)["FileKey"].(map[string]any)["Value"]; fk != snapshot.AssetHashPlaceholder+".txt" {
			t.Errorf("FileKey output = %v", fk)
		}
		// Inside Fn::Sub strings, in Fn::Join parts and in asset metadata too.
		for _, want := range []string{
			`"Fn::Sub": "s3://cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}/` + snapshot.AssetHashPlaceholder + `.txt"`,
			`":` + snapshot.AssetHashPlaceholder + `.txt"`,
			`"aws:asset:path": "asset.` + snapshot.AssetHashPlaceholder + `.txt"`,
		} {
			if !strings.Contains(got, want) {
				t.Errorf("normalized template lacks %s:\n%s", want, got)
			}
		}
	})

	t.Run("toolchain parameter and rule are removed, nothing else", func(t *testing.T) {
		params := tpl1["Parameters"].(map[string]any)
		if _, ok := params["BootstrapVersion"]; ok {
			t.Error("Parameters.BootstrapVersion kept")
		}
		if _, ok := params["Stage"]; !ok {
			t.Error("the stack's own parameter Stage was removed")
		}
		if _, ok := tpl1["Rules"]; ok {
			t.Error("empty Rules section kept")
		}
		if _, ok := raw1["Parameters"].(map[string]any)["BootstrapVersion"]; !ok {
			t.Error("KeepBootstrapVersion dropped Parameters.BootstrapVersion")
		}
		if _, ok := raw1["Rules"].(map[string]any)["CheckBootstrapVersion"]; !ok {
			t.Error("KeepBootstrapVersion dropped Rules.CheckBootstrapVersion")
		}
		// NewApp's context: construct paths as the CLI sets them, no CDKMetadata.
		md, _ := tpl1["Resources"].(map[string]any)[task].(map[string]any)["Metadata"].(map[string]any)
		if md["aws:cdk:path"] != "Assets/Task/Resource" {
			t.Errorf("task definition metadata = %v, want aws:cdk:path Assets/Task/Resource", md)
		}
		if _, ok := tpl1["Resources"].(map[string]any)["CDKMetadata"]; ok {
			t.Error("CDKMetadata resource present")
		}
	})

	t.Run("Template is deterministic", func(t *testing.T) {
		if d := cmp.Diff(tpl1, snapshot.Template(s1)); d != "" {
			t.Errorf("second Template of the same stack differs:\n%s", d)
		}
	})

	t.Run("Drop", func(t *testing.T) {
		tpl := snapshot.Template(s1, snapshot.Drop("Resources", "*", "Metadata", "aws:cdk:path"), snapshot.Drop("Outputs"))
		if _, ok := tpl["Outputs"]; ok {
			t.Error("Outputs kept")
		}
		for id, r := range tpl["Resources"].(map[string]any) {
			md, ok := r.(map[string]any)["Metadata"].(map[string]any)
			if _, has := md["aws:cdk:path"]; has {
				t.Errorf("%s keeps aws:cdk:path", id)
			}
			if ok && len(md) == 0 {
				t.Errorf("%s keeps an empty Metadata", id)
			}
		}
		param := tpl["Resources"].(map[string]any)[logicalID(t, tpl, "AWS::SSM::Parameter")].(map[string]any)
		if _, ok := param["Metadata"].(map[string]any)["aws:asset:path"]; !ok {
			t.Error("Drop of aws:cdk:path removed the asset metadata too")
		}
	})

	// The image's source changes: the raw template changes, the snapshot does not.
	writeFiles(t, dir, map[string]string{"main.go": "package main\n\nfunc main() { println(1) }\n"})
	s2 := assetStack(snapshot.NewApp(t, config), dir, 512)
	t.Run("editing the image's source changes nothing", func(t *testing.T) {
		raw2 := snapshot.Template(s2, snapshot.KeepAssetHashes(), snapshot.KeepBootstrapVersion())
		if image(raw2) == image(raw1) {
			t.Fatalf("the image tag did not change with its source (%s): the test proves nothing", image(raw1))
		}
		if d := snapshot.Diff(tpl1, snapshot.Template(s2)); d != "" {
			t.Errorf("snapshot changed with the image's source:\n%s", d)
		}
	})

	// A property changes: the diff names the resource, and only it.
	s3 := assetStack(snapshot.NewApp(t, config), dir, 1024)
	t.Run("a property change is reported by logical id", func(t *testing.T) {
		d := snapshot.Diff(tpl1, snapshot.Template(s3))
		head := "Resources." + task + " (AWS::ECS::TaskDefinition): changed"
		if !strings.HasPrefix(d, head+"\n") || !strings.Contains(d, "512") || !strings.Contains(d, "1024") {
			t.Errorf("diff does not start with %q and show the memory change:\n%s", head, d)
		}
		if n := strings.Count(d, ": changed"); n != 1 {
			t.Errorf("%d entries reported, want 1:\n%s", n, d)
		}
	})

	golden := filepath.Join(t.TempDir(), "new", "dir", "Assets.template.json")
	t.Run("Match: missing golden file", func(t *testing.T) {
		t.Setenv(snapshot.UpdateEnv, "")
		r := &recorder{TB: t}
		snapshot.Match(r, s1, golden)
		if len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "UPDATE_SNAPSHOTS=1") || !strings.Contains(r.fatals[0], golden) {
			t.Errorf("want one fatal naming %s and UPDATE_SNAPSHOTS=1, got %q", golden, r.failures())
		}
	})

	t.Run("Match: UPDATE_SNAPSHOTS=1 writes the golden file", func(t *testing.T) {
		outsideCI(t)
		t.Setenv(snapshot.UpdateEnv, "1")
		r := &recorder{TB: t}
		snapshot.Match(r, s1, golden)
		if f := r.failures(); f != "" {
			t.Fatal(f)
		}
		first, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if want := marshal(t, tpl1); string(first) != want {
			t.Errorf("golden file is not Marshal(Template):\n%s", cmp.Diff(want, string(first)))
		}
		// Indented, keys sorted, trailing newline.
		if !strings.HasPrefix(string(first), "{\n  \"Outputs\": {\n") || !strings.HasSuffix(string(first), "\n}\n") {
			t.Errorf("golden file is not indented JSON with a trailing newline:\n%.200s", first)
		}
		if o, p, res := bytes.Index(first, []byte(`"Outputs"`)), bytes.Index(first, []byte(`"Parameters"`)), bytes.Index(first, []byte(`"Resources"`)); !(o < p && p < res) {
			t.Error("top-level keys are not sorted")
		}
		var indented bytes.Buffer
		if err := json.Indent(&indented, first, "", "  "); err != nil || !bytes.Equal(indented.Bytes(), first) {
			t.Errorf("golden file is not canonical indented JSON (%v)", err)
		}
		// From another app, after the image's source changed: the same bytes.
		snapshot.Match(r, s2, golden)
		again, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Errorf("rewriting the golden file changed it:\n%s", cmp.Diff(string(first), string(again)))
		}
	})

	t.Run("Match: passes on the next run", func(t *testing.T) {
		t.Setenv(snapshot.UpdateEnv, "")
		for _, s := range []awscdk.Stack{s1, s2} {
			r := &recorder{TB: t}
			snapshot.Match(r, s, golden)
			if f := r.failures(); f != "" {
				t.Error(f)
			}
		}
	})

	t.Run("Match: UPDATE_SNAPSHOTS=1 in CI fails and writes nothing", func(t *testing.T) {
		before, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		missing := filepath.Join(t.TempDir(), "missing", "Assets.template.json")
		t.Setenv(snapshot.UpdateEnv, "1")
		for _, ci := range []string{"true", "1", "yes"} {
			t.Setenv("CI", ci)
			// s3 differs from the golden file: a write would change it.
			for _, path := range []string{golden, missing} {
				r := &recorder{TB: t}
				snapshot.Match(r, s3, path)
				if len(r.fatals) != 1 || len(r.errors) != 0 {
					t.Fatalf("CI=%s: want one fatal, got %q", ci, r.failures())
				}
				for _, want := range []string{"UPDATE_SNAPSHOTS=1", "CI=" + ci, path, "env -u CI UPDATE_SNAPSHOTS=1 go test"} {
					if !strings.Contains(r.fatals[0], want) {
						t.Errorf("CI=%s: the failure lacks %q:\n%s", ci, want, r.fatals[0])
					}
				}
			}
			if after, err := os.ReadFile(golden); err != nil || !bytes.Equal(before, after) {
				t.Errorf("CI=%s: the golden file was rewritten (%v)", ci, err)
			}
			if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("CI=%s: %s was created (%v)", ci, filepath.Dir(missing), err)
			}
		}
	})

	t.Run("Match: CI=false or CI=0 is not CI", func(t *testing.T) {
		t.Setenv(snapshot.UpdateEnv, "1")
		for _, ci := range []string{"false", "0"} {
			t.Setenv("CI", ci)
			path := filepath.Join(t.TempDir(), "Assets.template.json")
			r := &recorder{TB: t}
			snapshot.Match(r, s1, path)
			if f := r.failures(); f != "" {
				t.Errorf("CI=%s: %s", ci, f)
			}
			if b, err := os.ReadFile(path); err != nil || string(b) != marshal(t, tpl1) {
				t.Errorf("CI=%s: golden file not written (%v)", ci, err)
			}
		}
	})

	t.Run("Match: a property change fails naming the resource", func(t *testing.T) {
		t.Setenv(snapshot.UpdateEnv, "0")
		r := &recorder{TB: t}
		snapshot.Match(r, s3, golden)
		if len(r.fatals) != 0 || len(r.errors) != 1 {
			t.Fatalf("want one error, got %q", r.failures())
		}
		for _, want := range []string{golden, "Resources." + task + " (AWS::ECS::TaskDefinition): changed", "-want +got", "UPDATE_SNAPSHOTS=1"} {
			if !strings.Contains(r.errors[0], want) {
				t.Errorf("error lacks %q:\n%s", want, r.errors[0])
			}
		}
	})

	t.Run("Match: a bad UPDATE_SNAPSHOTS fails", func(t *testing.T) {
		t.Setenv(snapshot.UpdateEnv, "yes please")
		r := &recorder{TB: t}
		snapshot.Match(r, s1, golden)
		if len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "UPDATE_SNAPSHOTS") {
			t.Errorf("want a fatal naming UPDATE_SNAPSHOTS, got %q", r.failures())
		}
	})
}

// TestMatchSynthesisFails checks that a synthesis error fails the test with the CDK's
// message rather than a panic.
func TestMatchSynthesisFails(t *testing.T) {
	app := snapshot.NewApp(t, cdkJSON(t, `{}`))
	a := awscdk.NewStack(app, jsii.String("A"), nil)
	b := awscdk.NewStack(app, jsii.String("B"), nil)
	topic := func(s awscdk.Stack, name string) awscdk.CfnResource {
		return awscdk.NewCfnResource(s, jsii.String(name), &awscdk.CfnResourceProps{Type: jsii.String("AWS::SNS::Topic")})
	}
	ta, tb := topic(a, "TopicA"), topic(b, "TopicB")
	awscdk.NewCfnOutput(a, jsii.String("Other"), &awscdk.CfnOutputProps{Value: tb.Ref()})
	awscdk.NewCfnOutput(b, jsii.String("Other"), &awscdk.CfnOutputProps{Value: ta.Ref()})
	r := &recorder{TB: t}
	snapshot.Match(r, a, filepath.Join(t.TempDir(), "A.template.json"))
	if len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "synthesis of stack A failed") || !strings.Contains(r.fatals[0], "cyclic") {
		t.Errorf("want one fatal with the CDK's message about the cycle, got %q", r.failures())
	}
}

// TestNewAppContext checks the context NewApp gives: cdk.json's over cdk.context.json's,
// then the CLI's keys.
func TestNewAppContext(t *testing.T) {
	config := cdkJSON(t, `{
  "app": "go run .",
  "context": {"@aws-cdk/aws-ecs:flag": true, "shared": {"a": 1, "b": 2}, "override": "cdk.json",
              "aws:cdk:enable-path-metadata": false}
}`)
	writeFiles(t, filepath.Dir(config), map[string]string{"cdk.context.json": `{
  "shared": {"b": 3, "c": 4}, "override": "cdk.context.json",
  "availability-zones:account=123456789012:region=eu-west-1": ["eu-west-1a", "eu-west-1b"]
}`})
	checkContext(t, snapshot.NewApp(t, config), map[string]any{
		"@aws-cdk/aws-ecs:flag": true,
		"shared":                map[string]any{"a": 1.0, "b": 2.0, "c": 4.0},
		"override":              "cdk.json",
		"availability-zones:account=123456789012:region=eu-west-1": []any{"eu-west-1a", "eu-west-1b"},
		snapshot.ContextPathMetadata:                               true,
		snapshot.ContextAssetMetadata:                              true,
		snapshot.ContextBundlingStacks:                             []any{"**"},
		snapshot.ContextVersionReporting:                           false,
	})

	t.Run("changed before stacks are added, as NewApp's doc says", func(t *testing.T) {
		app := snapshot.NewApp(t, config)
		app.Node().SetContext(jsii.String(snapshot.ContextBundlingStacks), &[]*string{})
		checkContext(t, app, map[string]any{snapshot.ContextBundlingStacks: []any{}})
	})

	t.Run("cdk.json settings", func(t *testing.T) {
		app := snapshot.NewApp(t, cdkJSON(t, `{"app": "x", "pathMetadata": false, "assetMetadata": false,
			"versionReporting": true, "bundlingStacks": ["Api/*"]}`))
		checkContext(t, app, map[string]any{
			snapshot.ContextPathMetadata:     nil,
			snapshot.ContextAssetMetadata:    nil,
			snapshot.ContextBundlingStacks:   []any{"Api/*"},
			snapshot.ContextVersionReporting: false,
		})
	})
}

// checkContext checks the app's context values (nil: not set).
func checkContext(t *testing.T, app awscdk.App, want map[string]any) {
	t.Helper()
	for key, w := range want {
		if d := cmp.Diff(w, app.Node().TryGetContext(jsii.String(key))); d != "" {
			t.Errorf("context %s (-want +got):\n%s", key, d)
		}
	}
}

// TestNewAppFailures checks that NewApp fails the test, saying why, when it cannot give
// the CLI's context.
func TestNewAppFailures(t *testing.T) {
	for name, c := range map[string]struct {
		path func(t *testing.T) string
		env  string
		want string
	}{
		"missing":        {path: func(t *testing.T) string { return filepath.Join(t.TempDir(), "cdk.json") }, want: "cdk.json: no such file"},
		"invalid JSON":   {path: func(t *testing.T) string { return cdkJSON(t, `{"app": `) }, want: "unexpected end of JSON"},
		"context string": {path: func(t *testing.T) string { return cdkJSON(t, `{"context": "x"}`) }, want: `"context" is not a JSON object`},
		"bad cdk.context.json": {path: func(t *testing.T) string {
			p := cdkJSON(t, `{}`)
			writeFiles(t, filepath.Dir(p), map[string]string{"cdk.context.json": "["})
			return p
		}, want: "cdk.context.json"},
		"CDK_CONTEXT_JSON set": {path: func(t *testing.T) string { return cdkJSON(t, `{}`) }, env: "CDK_CONTEXT_JSON", want: "CDK_CONTEXT_JSON is set"},
	} {
		t.Run(name, func(t *testing.T) {
			if c.env != "" {
				t.Setenv(c.env, `{"x": 1}`)
			}
			r := &recorder{TB: t}
			if app := snapshot.NewApp(r, c.path(t)); app != nil {
				t.Error("NewApp returned an app")
			}
			if len(r.fatals) != 1 || !strings.Contains(r.fatals[0], c.want) {
				t.Errorf("want one fatal containing %q, got %q", c.want, r.failures())
			}
		})
	}
}
