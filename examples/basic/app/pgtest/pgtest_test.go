package pgtest

import (
	"strings"
	"testing"
)

// TestMissingServer: without server binaries, Start fails and says how to install them.
func TestMissingServer(t *testing.T) {
	t.Setenv("PG_BINDIR", t.TempDir())
	s, err := Start()
	if err == nil {
		s.Close()
		t.Fatal("Start succeeded without binaries")
	}
	if !strings.Contains(err.Error(), "apt-get install postgresql") {
		t.Errorf("error %q does not say how to install PostgreSQL", err)
	}
}

func TestQuote(t *testing.T) {
	if got := QuoteIdent(`a"b`); got != `"a""b"` {
		t.Errorf("QuoteIdent = %s", got)
	}
	if got := QuoteLiteral(`it's \`); got != `'it''s \'` {
		t.Errorf("QuoteLiteral = %s", got)
	}
}
