package privaterdsapi_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/google/go-cmp/cmp"

	"github.com/seed07617466/privaterdsapi/internal/scenarios"
	"github.com/seed07617466/privaterdsapi/snapshot"
)

// TestSnapshot compares the template of every scenario with its golden file,
// through the snapshot package users have. Only the toolchain's bootstrap parameter and
// rule are left out; a change anywhere else is a change users' snapshot tests will see,
// and belongs in the CHANGELOG. After an intended change, run
// `UPDATE_SNAPSHOTS=1 go test -run TestSnapshot` and read the diff of testdata/.
//
// The scenarios are built in awscdk.NewApp(nil) (no cdk.json, so the library's default
// feature flags and no path metadata): the library's output without any user setting.
func TestSnapshot(t *testing.T) {
	names := map[string]bool{}
	for _, sc := range scenarios.All() {
		names[sc.Name+".template.json"] = true
		snapshot.Match(t, scenario(t, sc.Name).built.Stack, filepath.Join("testdata", sc.Name+".template.json"))
	}
	// No golden file outlives its scenario.
	files, err := filepath.Glob(filepath.Join("testdata", "*.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !names[filepath.Base(f)] {
			t.Errorf("%s is the golden file of no scenario: remove it", f)
		}
	}
}

// TestSynthIsDeterministic synthesizes the default scenario again in a new app: the
// template must be the same to the byte.
func TestSynthIsDeterministic(t *testing.T) {
	first := scenario(t, "Default").json
	app := awscdk.NewApp(nil)
	again := assertions.Template_FromStack(scenarios.All()[0].Build(app).Stack, nil).ToJSON()
	a, _ := json.Marshal(first)
	b, _ := json.Marshal(again)
	if !bytes.Equal(a, b) {
		t.Errorf("two syntheses differ:\n%s", cmp.Diff(string(a), string(b)))
	}
}
