package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
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

	b, err = os.ReadFile(".dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, want := range []string{"*", "!go.mod", "!go.sum", "!*.go", "*_test.go"} {
		if !lines[want] {
			t.Errorf(".dockerignore lacks the line %q", want)
		}
	}
}
