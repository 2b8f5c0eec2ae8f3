// Package mdtable reads the tables of a section of a markdown document (README.md,
// SECURITY.md), for the tests that keep a document and the code in agreement. It is the
// one markdown table reader of the library's tests and the conformance suite.
package mdtable

import (
	"fmt"
	"strings"
)

// Tables returns the tables (rows of cells, the separator row left out) of the
// section of a markdown document headed by heading, up to the next heading of its level.
func Tables(doc, heading string) ([][][]string, error) {
	level := strings.SplitN(heading, " ", 2)[0] + " "
	var tables [][][]string
	in, found, inTable := false, false, false
	for line := range strings.SplitSeq(doc, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case line == heading:
			in, found = true, true
			continue
		case in && strings.HasPrefix(line, level):
			in = false
		}
		if !in || !strings.HasPrefix(line, "|") {
			inTable = false
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		separator := true
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
			if strings.Trim(cells[i], ":-") != "" || cells[i] == "" {
				separator = false
			}
		}
		if !inTable {
			tables = append(tables, nil)
			inTable = true
		}
		if !separator {
			tables[len(tables)-1] = append(tables[len(tables)-1], cells)
		}
	}
	if !found {
		return nil, fmt.Errorf("no section %q", heading)
	}
	return tables, nil
}
