package main

import (
	"crypto/x509"
	"encoding/pem"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// TestDockerfile reads the Dockerfile (no Docker engine is needed to run the tests) and
// checks what the app depends on: the RDS CA bundle and the Amazon Trust Services roots
// (RDS Proxy) in one file where DB_SSLROOTCERT's default looks for it, a static binary
// built with go.sum, and a non-root runtime image.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := string(b)
	for _, want := range []string{
		"COPY go.mod go.sum ./",
		"CGO_ENABLED=0",
		"ADD https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem /out/ca/rds-global-bundle.pem\n",
		"ADD https://www.amazontrust.com/repository/AmazonRootCA1.pem /out/ca/AmazonRootCA1.pem\n",
		"ADD https://www.amazontrust.com/repository/AmazonRootCA2.pem /out/ca/AmazonRootCA2.pem\n",
		"ADD https://www.amazontrust.com/repository/AmazonRootCA3.pem /out/ca/AmazonRootCA3.pem\n",
		"ADD https://www.amazontrust.com/repository/AmazonRootCA4.pem /out/ca/AmazonRootCA4.pem\n",
		"COPY --from=build /out/rds-and-amazon-roots.pem " + defaultSSLRootCert + "\n",
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
	checkBundleScript(t, dockerfile)

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

// checkBundleScript runs the Dockerfile's RUN instruction that makes the CA bundle, with
// /out/ moved to a temporary directory and input files as the ADD lines would leave them
// (a multi-certificate RDS bundle and four roots, none ending with a line break): the
// bundle must hold every certificate of every file, and a file without a certificate (an
// error page instead of a PEM file) must fail the build.
func checkBundleScript(t *testing.T, dockerfile string) {
	t.Helper()
	var script string
	for _, instr := range regexp.MustCompile(`(?m)^RUN (?:.*\\\n)*.*$`).FindAllString(dockerfile, -1) {
		if strings.Contains(instr, "> /out/rds-and-amazon-roots.pem") {
			// Docker joins a line that ends with a backslash to the next one.
			script = strings.TrimPrefix(strings.ReplaceAll(instr, "\\\n", ""), "RUN ")
		}
	}
	if script == "" {
		t.Fatal("no RUN instruction writes /out/rds-and-amazon-roots.pem")
	}
	ca, err := os.ReadFile(pg.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := os.ReadFile(pg.WrongCAFile)
	if err != nil {
		t.Fatal(err)
	}
	noEOL := func(b []byte) string { return strings.TrimRight(string(b), "\n") }
	inputs := map[string]string{
		"rds-global-bundle.pem": string(ca) + noEOL(wrong), // two certificates
		"AmazonRootCA1.pem":     noEOL(ca),
		"AmazonRootCA2.pem":     noEOL(wrong),
		"AmazonRootCA3.pem":     noEOL(ca),
		"AmazonRootCA4.pem":     noEOL(wrong),
	}
	run := func(inputs map[string]string) (string, []byte, error) {
		out := t.TempDir()
		if err := os.Mkdir(filepath.Join(out, "ca"), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range inputs {
			if err := os.WriteFile(filepath.Join(out, "ca", name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command("sh", "-c", strings.ReplaceAll(script, "/out/", out+"/"))
		msg, err := cmd.CombinedOutput()
		return filepath.Join(out, "rds-and-amazon-roots.pem"), msg, err
	}
	bundle, msg, err := run(inputs)
	if err != nil {
		t.Fatalf("the bundle script failed: %v\n%s", err, msg)
	}
	b, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rest := b; ; n++ {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			t.Errorf("certificate %d of the bundle: %v", n+1, err)
		}
	}
	if n != 6 {
		t.Errorf("the bundle holds %d certificates, want 6 (2 of the RDS bundle, 4 roots)", n)
	}

	inputs["AmazonRootCA3.pem"] = "<html>Not Found</html>"
	if _, msg, err := run(inputs); err == nil || !strings.Contains(string(msg), "no certificate in AmazonRootCA3.pem") {
		t.Errorf("a file without a certificate: err = %v, output %q; want the build to fail naming it", err, msg)
	}
}
