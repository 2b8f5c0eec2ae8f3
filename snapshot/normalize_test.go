package snapshot

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// These tests need no synthesis: they check the normalization and the diff on templates
// written by hand.

const (
	hashA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	hashB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestNormalize(t *testing.T) {
	tpl := map[string]any{
		"Parameters": map[string]any{"BootstrapVersion": map[string]any{"Type": "String"}},
		"Rules":      map[string]any{"CheckBootstrapVersion": map[string]any{}, "Mine": map[string]any{}},
		"Resources": map[string]any{
			"Fn": map[string]any{"Properties": map[string]any{
				"S3Key": hashA + ".zip",
				"Image": map[string]any{"Fn::Join": []any{"", []any{"repo:", hashB}}},
				"Other": strings.Repeat("c", 64),
			}},
			// Legacy synthesizer: hashes in keys. Two keys that would collide stay as they are.
			"Params": map[string]any{
				"AssetParameters" + hashA + "S3Bucket": 1.0,
				"AssetParameters" + hashB + "S3Bucket": 2.0,
				"Single" + hashA:                       3.0,
			},
		},
	}
	got := normalize(tpl, []string{hashB, hashA, "short"}, options{})
	want := map[string]any{
		"Rules": map[string]any{"Mine": map[string]any{}},
		"Resources": map[string]any{
			"Fn": map[string]any{"Properties": map[string]any{
				"S3Key": "ASSET-HASH.zip",
				"Image": map[string]any{"Fn::Join": []any{"", []any{"repo:", "ASSET-HASH"}}},
				"Other": strings.Repeat("c", 64), // a 64-hex string that is no asset's hash
			}},
			"Params": map[string]any{
				"AssetParameters" + hashA + "S3Bucket": 1.0,
				"AssetParameters" + hashB + "S3Bucket": 2.0,
				"SingleASSET-HASH":                     3.0,
			},
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("normalize (-want +got):\n%s", d)
	}
}

func TestDeletePath(t *testing.T) {
	tpl := map[string]any{
		"Resources": map[string]any{
			"A": map[string]any{"Metadata": map[string]any{"aws:cdk:path": "S/A"}, "Type": "T"},
			"B": map[string]any{"Metadata": map[string]any{"aws:cdk:path": "S/B", "cdk_nag": 1.0}, "Type": "T"},
		},
		"Outputs": map[string]any{"O": map[string]any{"Value": "v"}},
	}
	deletePath(tpl, []string{"Resources", "*", "Metadata", "aws:cdk:path"})
	deletePath(tpl, []string{"Outputs", "O"})
	deletePath(tpl, []string{"Nothing", "here"})
	want := map[string]any{
		"Resources": map[string]any{
			"A": map[string]any{"Type": "T"},
			"B": map[string]any{"Metadata": map[string]any{"cdk_nag": 1.0}, "Type": "T"},
		},
	}
	if d := cmp.Diff(want, tpl); d != "" {
		t.Errorf("deletePath (-want +got):\n%s", d)
	}
}

func TestDiff(t *testing.T) {
	want := map[string]any{
		"Description": "old",
		"Resources": map[string]any{
			"Same":    map[string]any{"Type": "AWS::S3::Bucket"},
			"Changed": map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{"DelaySeconds": 1.0}},
			"Gone":    map[string]any{"Type": "AWS::SNS::Topic"},
		},
	}
	got := map[string]any{
		"Description": "new",
		"Resources": map[string]any{
			"Same":    map[string]any{"Type": "AWS::S3::Bucket"},
			"Changed": map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{"DelaySeconds": 2.0}},
			"New":     map[string]any{"Type": "AWS::SNS::Topic"},
		},
		"Outputs": map[string]any{"Url": map[string]any{"Value": "x"}},
	}
	d := Diff(want, got)
	var heads []string
	for _, line := range strings.Split(d, "\n") {
		if strings.HasSuffix(line, ": changed") || strings.HasSuffix(line, ": added") || strings.HasSuffix(line, ": removed") {
			heads = append(heads, line)
		}
	}
	wantHeads := []string{
		"Description: changed",
		"Outputs.Url: added",
		"Resources.Changed (AWS::SQS::Queue): changed",
		"Resources.Gone (AWS::SNS::Topic): removed",
		"Resources.New (AWS::SNS::Topic): added",
	}
	if dd := cmp.Diff(wantHeads, heads); dd != "" {
		t.Errorf("diff headings (-want +got):\n%s\nfull diff:\n%s", dd, d)
	}
	if strings.Contains(d, "Same") {
		t.Errorf("diff mentions an equal resource:\n%s", d)
	}
	if Diff(want, want) != "" {
		t.Error("Diff of a template with itself is not empty")
	}
}

func TestCliContextMerge(t *testing.T) {
	a := map[string]any{"x": map[string]any{"a": 1.0, "b": 2.0}, "y": []any{1.0}, "z": "keep"}
	deepMerge(a, map[string]any{"x": map[string]any{"b": 3.0}, "y": []any{2.0}, "n": nil})
	want := map[string]any{"x": map[string]any{"a": 1.0, "b": 3.0}, "y": []any{2.0}, "z": "keep", "n": nil}
	if d := cmp.Diff(want, a); d != "" {
		t.Errorf("deepMerge (-want +got):\n%s", d)
	}
	for v, want := range map[any]bool{nil: false, false: false, true: true, 0.0: false, 1.0: true, "": false, "false": true} {
		if truthy(v) != want {
			t.Errorf("truthy(%#v) = %v", v, !want)
		}
	}
}
