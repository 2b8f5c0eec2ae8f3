package mdtable

import (
	"fmt"
	"testing"
)

func TestTables(t *testing.T) {
	doc := "# Doc\n## A\n| x | y |\n|---|:-:|\n| 1 | `2` |\n\ntext\n| z |\n### A.1\n| in | sub |\n## B\n| no |\n"
	got, err := Tables(doc, "## A")
	if err != nil {
		t.Fatal(err)
	}
	if want := "[[[x y] [1 `2`]] [[z]] [[in sub]]]"; fmt.Sprint(got) != want {
		t.Errorf("Tables = %v, want %s", got, want)
	}
	if _, err := Tables(doc, "## C"); err == nil {
		t.Error("a missing section is not an error")
	}
}
