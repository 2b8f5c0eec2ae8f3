package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// TestDockerfile reads the Dockerfile (no Docker engine is needed to run the tests) and
// checks what the app depends on: the RDS CA bundle where DB_SSLROOTCERT's default looks
// for it, a static binary built with go.sum, and a non-root runtime image.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := string(b)
	for _, want := range []string{
		"COPY go.mod go.sum ./",
		"CGO_ENABLED=0",
		"ADD https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem /out/rds-global-bundle.pem",
		"COPY --from=build /out/rds-global-bundle.pem " + defaultSSLRootCert + "\n",
		"FROM gcr.io/distroless/static-debian12:nonroot\n",
		"USER nonroot:nonroot\n",
		"EXPOSE " + defaultPort + "\n",
		`ENTRYPOINT ["/app"]`,
	} {
		if !strings.Contains(dockerfile, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	if froms := regexp.MustCompile(`(?m)^FROM `).FindAllString(dockerfile, -1); len(froms) != 2 {
		t.Errorf("%d stages, want a build and a runtime stage", len(froms))
	}

	// The build context is what .dockerignore leaves, read as Docker reads it: in order, a
	// later line overriding an earlier one (moby's patternmatcher, which docker build
	// uses; CDK's asset hash follows the same rules).
	f, err := os.Open(".dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	ignore, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	var context, want []string
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ignored, err := ignore.MatchesOrParentMatches(path); err != nil {
			return err
		} else if !ignored {
			context = append(context, path)
		}
		// go.mod, go.sum and the main package's sources, not its tests nor pgtest/.
		if path == "go.mod" || path == "go.sum" || (filepath.Dir(path) == "." && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go")) {
			want = append(want, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(context, want) {
		t.Errorf("the image's build context is %v, want %v (.dockerignore)", context, want)
	}
	if !slices.Contains(want, "main.go") || !slices.Contains(want, "go.mod") {
		t.Errorf("the expected build context %v lacks main.go or go.mod: the test is not reading the app's directory", want)
	}
}
