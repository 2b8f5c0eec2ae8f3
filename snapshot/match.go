package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/google/go-cmp/cmp"
)

// UpdateEnv is the environment variable that makes [Match] write golden files: run
// `UPDATE_SNAPSHOTS=1 go test ./...`, then read the diff of the files before committing.
//
// Golden files are written on a developer's machine only: where the environment variable
// CI says the tests run in a CI job, [Match] refuses to write and fails the test instead,
// because a job that rewrites every golden file passes whatever the templates became
// (an UPDATE_SNAPSHOTS=1 copied from a shell into a job's settings or a script). CI counts
// as set when it is neither empty nor "false" or "0"; GitHub Actions, GitLab CI,
// CircleCI and Travis CI set CI=true, other services may need it set in the job.
// (ci-info, which Jest uses to detect CI, reads CI the same way, but also counts "0"
// as set and looks at variables of particular CI services; Jest in CI refuses to
// write new snapshots.) To write golden files in a shell where CI is set, unset it
// for the run: `env -u CI UPDATE_SNAPSHOTS=1 go test ./...`.
const UpdateEnv = "UPDATE_SNAPSHOTS"

// ciEnv is the environment variable by which CI services say that a job runs in CI.
const ciEnv = "CI"

// Match compares Template(stack) with the golden JSON file and reports a go-cmp diff
// that names the resource's logical id; with UPDATE_SNAPSHOTS=1 in the environment it
// writes the file instead (creating its directory), except in CI: with CI set (see
// [UpdateEnv]) as well, it fails the test, says why, and writes nothing.
//
// The comparison is of the decoded JSON, so a golden file's formatting does not matter;
// written files are [Marshal]ed: indented, keys sorted, stable byte for byte. A missing
// golden file fails the test with a message saying how to create it. Each difference is
// reported under its path from the template's root, per entry of the template's
// sections, for example "Resources.ApiServiceC2E2F0F4 (AWS::ECS::Service): changed",
// followed by go-cmp's diff of that entry (-want +got). A synthesis that fails (a cyclic
// reference, a validation error) fails the test with the CDK's message. opts change the
// normalization, as for [Template].
func Match(t testing.TB, stack awscdk.Stack, golden string, opts ...Option) {
	t.Helper()
	update, err := updating()
	if err != nil {
		t.Fatalf("snapshot.Match: %v", err)
		return
	}
	if ci, in := inCI(); update && in {
		t.Fatalf("snapshot.Match: %s=%s asks to rewrite %s, but %s=%s says this is a CI job: golden files are written on a developer's machine and reviewed, never rewritten by CI (a job that rewrites them passes whatever the template became). Remove %s from the job; to write golden files in a shell where %s is set, run `env -u %s %s=1 go test ./...`",
			UpdateEnv, os.Getenv(UpdateEnv), golden, ciEnv, ci, UpdateEnv, ciEnv, ciEnv, UpdateEnv)
		return
	}
	got, err := template(stack, opts)
	if err != nil {
		t.Fatalf("snapshot.Match: %v", err)
		return
	}
	if update {
		changed, err := write(golden, got)
		if err != nil {
			t.Fatalf("snapshot.Match: %v", err)
			return
		}
		if changed {
			t.Logf("snapshot.Match: wrote %s (%s is set): review its diff before committing", golden, UpdateEnv)
		}
		return
	}
	b, err := os.ReadFile(golden)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("snapshot.Match: golden file %s does not exist: run the test with %s=1 in the environment to write it (for example `%s=1 go test ./...`), then review and commit it", golden, UpdateEnv, UpdateEnv)
		return
	}
	if err != nil {
		t.Fatalf("snapshot.Match: %v", err)
		return
	}
	var want map[string]any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("snapshot.Match: golden file %s: %v (run with %s=1 to rewrite it)", golden, err, UpdateEnv)
		return
	}
	if diff := Diff(want, got); diff != "" {
		t.Errorf("snapshot.Match: the template of stack %s differs from %s (-want +got); if the change is intended, run with %s=1 and review the file's diff:\n%s",
			*stack.Node().Path(), golden, UpdateEnv, diff)
	}
}

// updating reports whether UPDATE_SNAPSHOTS asks Match to write golden files.
func updating() (bool, error) {
	v, ok := os.LookupEnv(UpdateEnv)
	if !ok || v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want 1 (write golden files) or 0", UpdateEnv, v)
	}
	return b, nil
}

// inCI returns the value of CI and whether it says that the process runs in a CI job:
// not empty, and neither "false" nor "0".
func inCI() (string, bool) {
	v := os.Getenv(ciEnv)
	return v, v != "" && v != "false" && v != "0"
}

// write writes tpl to path, creating its directory, unless path holds it already. It
// reports whether the file changed.
func write(path string, tpl map[string]any) (bool, error) {
	b, err := Marshal(tpl)
	if err != nil {
		return false, err
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	return true, os.WriteFile(path, b, 0o644)
}

// Marshal returns the golden file form of a template: JSON indented by two spaces, object
// keys sorted, no HTML escaping of <, > and &, and a trailing newline. The same template
// gives the same bytes on every run and machine.
func Marshal(tpl map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(tpl); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Diff returns the differences between two templates, "" when they are equal: one
// paragraph per differing entry of an object section (Resources, Outputs, Parameters,
// Conditions, Mappings, Rules, ...), headed by its path and, for resources, its type,
// with go-cmp's diff of the entry (-want +got); other top-level keys are reported by
// name. Paragraphs are sorted by path.
func Diff(want, got map[string]any) string {
	var out []string
	for _, section := range sortedKeys(want, got) {
		w, wok := want[section]
		g, gok := got[section]
		wm, wIsMap := w.(map[string]any)
		gm, gIsMap := g.(map[string]any)
		if (wIsMap || !wok) && (gIsMap || !gok) {
			for _, id := range sortedKeys(wm, gm) {
				we, wok := wm[id]
				ge, gok := gm[id]
				if d := cmp.Diff(we, ge); d != "" {
					out = append(out, paragraph(section+"."+id+typeOf(we, ge), change(wok, gok), d))
				}
			}
			continue
		}
		if d := cmp.Diff(w, g); d != "" {
			out = append(out, paragraph(section, change(wok, gok), d))
		}
	}
	return strings.Join(out, "\n")
}

func paragraph(path, change, diff string) string {
	return fmt.Sprintf("%s: %s\n%s", path, change, strings.TrimRight(diff, "\n"))
}

func change(inWant, inGot bool) string {
	switch {
	case !inWant:
		return "added"
	case !inGot:
		return "removed"
	}
	return "changed"
}

// typeOf returns " (<Type>)" for a resource entry, the type it has in got if any.
func typeOf(want, got any) string {
	for _, v := range []any{got, want} {
		if m, ok := v.(map[string]any); ok {
			if s, ok := m["Type"].(string); ok {
				return " (" + s + ")"
			}
		}
	}
	return ""
}

func sortedKeys(ms ...map[string]any) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}
