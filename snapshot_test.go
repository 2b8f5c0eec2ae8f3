package privaterdsapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/google/go-cmp/cmp"

	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

var update = flag.Bool("update", false, "rewrite testdata/*.template.json from the current synthesis (read the diff before committing)")

// TestSnapshot compares the default scenario's template with the golden file. Only
// the toolchain's bootstrap parameter and rule are left out; a change anywhere else is
// a change users' snapshot tests will see, and belongs in the CHANGELOG.
func TestSnapshot(t *testing.T) {
	for _, name := range []string{"Default", "VpcLinkV1"} {
		got := strip(scenario(t, name).json)
		path := filepath.Join("testdata", name+".template.json")
		if *update {
			b, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestSnapshot -update to create it)", err)
		}
		var want map[string]any
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s template differs from %s (-want +got):\n%s", name, path, diff)
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

// BenchmarkSynth measures one synthesis of the default scenario (new app, construct,
// template), the unit of cost of every test and of a user's snapshot test.
func BenchmarkSynth(b *testing.B) {
	build := scenarios.All()[0].Build
	for i := 0; i < b.N; i++ {
		app := awscdk.NewApp(nil)
		assertions.Template_FromStack(build(app).Stack, nil)
	}
}
