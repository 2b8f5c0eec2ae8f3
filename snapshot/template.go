package snapshot

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// AssetHashPlaceholder replaces the content hashes of assets in normalized templates.
const AssetHashPlaceholder = "ASSET-HASH"

// Option changes the normalization of [Template], [TemplateFile] and [Match].
type Option func(*options)

type options struct {
	keepBootstrap bool
	keepHashes    bool
	drop          [][]string
}

// Drop removes the value at path (a key per level; "*" matches every key of an object)
// from the normalized template, and objects it leaves empty. For example,
// Drop("Resources", "*", "Metadata", "aws:cdk:path") hides the construct paths, and
// Drop("Outputs") every output. Default: nothing is dropped beyond the bootstrap version.
func Drop(path ...string) Option {
	p := append([]string(nil), path...)
	return func(o *options) { o.drop = append(o.drop, p) }
}

// KeepBootstrapVersion keeps Parameters.BootstrapVersion and Rules.CheckBootstrapVersion,
// which the default stack synthesizer adds to every template. Default: both are removed.
func KeepBootstrapVersion() Option { return func(o *options) { o.keepBootstrap = true } }

// KeepAssetHashes keeps the content hashes of assets, so that any change of an asset's
// source changes the template. Default: they are replaced by [AssetHashPlaceholder].
func KeepAssetHashes() Option { return func(o *options) { o.keepHashes = true } }

// Template returns the stack's synthesized template, normalized for stable snapshots.
//
// It synthesizes the stack's Stage (its App) again, so that changes made since an
// earlier synthesis are included, and reads the template the synthesis wrote. Normalized:
// Parameters.BootstrapVersion and Rules.CheckBootstrapVersion are removed (and their
// sections when empty); the content hashes of the assets of the cloud assembly are
// replaced by [AssetHashPlaceholder] in every string and key (see [TemplateFile]).
// Nothing else is hidden. Numbers are float64, as encoding/json decodes them.
// It panics when synthesis fails (as the CDK's own synthesis does), with the CDK's message.
func Template(stack awscdk.Stack, opts ...Option) map[string]any {
	tpl, err := template(stack, opts)
	if err != nil {
		panic("snapshot.Template: " + err.Error())
	}
	return tpl
}

// template is Template returning an error, also for a synthesis that panics (the CDK
// throws on validation errors, and jsii turns that into a panic).
func template(stack awscdk.Stack, opts []Option) (tpl map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synthesis of stack %s failed: %v", *stack.Node().Path(), r)
		}
	}()
	stage := awscdk.Stage_Of(stack)
	if stage == nil {
		return nil, fmt.Errorf("stack %s is not in an App or Stage", *stack.Node().Path())
	}
	asm := stage.Synth(&awscdk.StageSynthesisOptions{Force: jsii.Bool(true)})
	return TemplateFile(filepath.Join(*asm.Directory(), *stack.TemplateFile()), opts...)
}

// TemplateFile returns the normalized template in the file path of a cloud assembly,
// for example cdk.out/MyStack.template.json written by `cdk synth`, normalized as
// [Template] does.
//
// The asset hashes are the ids of the file and Docker image assets in the asset
// manifests (*.assets.json) of the assembly and, for stacks using the legacy
// synthesizer, the id and source hash in the "aws:cdk:asset" metadata of its manifest:
// the hashes the template refers to, in image tags (usually inside Fn::Sub), S3 object
// keys and asset metadata ("asset.<hash>"). Only ids of 32 or more hexadecimal digits
// are replaced, so that a short custom asset id cannot rewrite unrelated strings. When
// two keys of one object would become the same, both are kept as they are.
func TemplateFile(path string, opts ...Option) (map[string]any, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var tpl map[string]any
	if err := readJSON(path, &tpl); err != nil {
		return nil, err
	}
	if tpl == nil {
		tpl = map[string]any{}
	}
	var hashes []string
	if !o.keepHashes {
		var err error
		if hashes, err = assetHashes(filepath.Dir(path)); err != nil {
			return nil, err
		}
	}
	return normalize(tpl, hashes, o), nil
}

// normalize applies the normalization of Template to tpl, with the asset hashes given.
func normalize(tpl map[string]any, hashes []string, o options) map[string]any {
	if len(hashes) > 0 {
		// Longest first, so that no hash is replaced inside a longer one.
		sort.Slice(hashes, func(i, j int) bool {
			if len(hashes[i]) != len(hashes[j]) {
				return len(hashes[i]) > len(hashes[j])
			}
			return hashes[i] < hashes[j]
		})
		pairs := make([]string, 0, 2*len(hashes))
		for _, h := range hashes {
			pairs = append(pairs, h, AssetHashPlaceholder)
		}
		tpl = replaceStrings(tpl, strings.NewReplacer(pairs...)).(map[string]any)
	}
	if !o.keepBootstrap {
		deletePath(tpl, []string{"Parameters", "BootstrapVersion"})
		deletePath(tpl, []string{"Rules", "CheckBootstrapVersion"})
	}
	for _, p := range o.drop {
		deletePath(tpl, p)
	}
	return tpl
}

// replaceStrings returns v with r applied to every string and object key in it. Keys of
// one object that would become equal are left as they are.
func replaceStrings(v any, r *strings.Replacer) any {
	switch v := v.(type) {
	case string:
		return r.Replace(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = replaceStrings(e, r)
		}
		return out
	case map[string]any:
		count := map[string]int{}
		for k := range v {
			count[r.Replace(k)]++
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			nk := r.Replace(k)
			if count[nk] > 1 {
				nk = k
			}
			out[nk] = replaceStrings(e, r)
		}
		return out
	}
	return v
}

// deletePath deletes the value at path in v ("*" matches every key) and removes objects
// the deletion left empty. It reports whether v is now an empty object.
func deletePath(v any, path []string) bool {
	m, ok := v.(map[string]any)
	if !ok || len(path) == 0 {
		return false
	}
	keys := []string{path[0]}
	if path[0] == "*" {
		keys = keys[:0]
		for k := range m {
			keys = append(keys, k)
		}
	}
	changed := false
	for _, k := range keys {
		child, ok := m[k]
		if !ok {
			continue
		}
		if len(path) == 1 || deletePath(child, path[1:]) {
			delete(m, k)
			changed = true
		}
	}
	return changed && len(m) == 0
}

// hashLike is the shape of an asset hash that TemplateFile replaces.
var hashLike = regexp.MustCompile(`^[0-9a-fA-F]{32,}$`)

// assetHashes returns the asset hashes of the cloud assembly in dir.
func assetHashes(dir string) ([]string, error) {
	var manifest struct {
		Artifacts map[string]struct {
			Type       string `json:"type"`
			Properties struct {
				File string `json:"file"`
			} `json:"properties"`
			Metadata               map[string][]metadataEntry `json:"metadata"`
			AdditionalMetadataFile string                     `json:"additionalMetadataFile"`
		} `json:"artifacts"`
	}
	if err := readJSON(filepath.Join(dir, "manifest.json"), &manifest); err != nil {
		return nil, fmt.Errorf("reading the cloud assembly's manifest for asset hashes: %w", err)
	}
	set := map[string]bool{}
	add := func(ids ...string) {
		for _, id := range ids {
			if hashLike.MatchString(id) {
				set[id] = true
			}
		}
	}
	for _, a := range manifest.Artifacts {
		if a.Type == "cdk:asset-manifest" && a.Properties.File != "" {
			var assets struct {
				Files        map[string]any `json:"files"`
				DockerImages map[string]any `json:"dockerImages"`
			}
			if err := readJSON(filepath.Join(dir, a.Properties.File), &assets); err != nil {
				return nil, err
			}
			for id := range assets.Files {
				add(id)
			}
			for id := range assets.DockerImages {
				add(id)
			}
		}
		metadata := []map[string][]metadataEntry{a.Metadata}
		if a.AdditionalMetadataFile != "" {
			var more map[string][]metadataEntry
			if err := readJSON(filepath.Join(dir, a.AdditionalMetadataFile), &more); err != nil {
				return nil, err
			}
			metadata = append(metadata, more)
		}
		for _, m := range metadata {
			for _, entries := range m {
				for _, e := range entries {
					if e.Type == "aws:cdk:asset" {
						var d struct {
							ID         string `json:"id"`
							SourceHash string `json:"sourceHash"`
						}
						if json.Unmarshal(e.Data, &d) == nil {
							add(d.ID, d.SourceHash)
						}
					}
				}
			}
		}
	}
	hashes := make([]string, 0, len(set))
	for h := range set {
		hashes = append(hashes, h)
	}
	return hashes, nil
}

// metadataEntry is an entry of a cloud assembly artifact's metadata.
type metadataEntry struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
