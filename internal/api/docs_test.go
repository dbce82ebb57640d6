package api

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

// TestAPIDocExamples keeps docs/API.md true to the code: every full
// address in it is valid (or, in an error example, fails exactly as the
// example says), every full tx ID parses, every code it shows is one the
// API sends, and every example without elisions is valid JSON.
func TestAPIDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("error.go")
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	for _, m := range regexp.MustCompile(`Code\w+\s*=\s*"(\w+)"`).FindAllSubmatch(src, -1) {
		codes[string(m[1])] = true
	}
	for c := dag.ErrorCode(0); c < 255; c++ {
		if name := c.String(); !strings.HasPrefix(name, "ErrorCode(") {
			codes[name] = true
		}
	}

	addr := regexp.MustCompile(`ttx1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}`)
	errLine := regexp.MustCompile(`\{"error":"((?:[^"\\]|\\.)*)","code":"(\w+)"\}`)
	var addrs, errs int
	for _, line := range strings.Split(string(doc), "\n") {
		documented := map[string]string{} // address → documented error
		for _, m := range errLine.FindAllStringSubmatch(line, -1) {
			var msg string
			if err := json.Unmarshal([]byte(`"`+m[1]+`"`), &msg); err != nil {
				t.Errorf("error example %q: %v", m[0], err)
				continue
			}
			if !codes[m[2]] {
				t.Errorf("error example %q: code %s is not one the API sends", m[0], m[2])
			}
			for _, a := range addr.FindAllString(msg, -1) {
				documented[a] = msg
			}
			errs++
		}
		for _, a := range addr.FindAllString(line, -1) {
			addrs++
			_, err := dag.ParseAddress(a, "ttx")
			want, isErr := documented[a]
			switch {
			case !isErr && err != nil:
				t.Errorf("docs/API.md shows address %s, which is invalid: %v", a, err)
			case isErr && (err == nil || err.Error() != want):
				t.Errorf("docs/API.md says %s gives %q; the code says %v", a, want, err)
			}
		}
		for _, m := range regexp.MustCompile(`"code":"(\w+)"`).FindAllStringSubmatch(line, -1) {
			if !codes[m[1]] {
				t.Errorf("docs/API.md shows code %s, which the API never sends", m[1])
			}
		}
	}
	if addrs < 3 || errs < 2 {
		t.Errorf("found %d full addresses and %d error examples: the test no longer reads the examples", addrs, errs)
	}

	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	var checked int
	for _, b := range blocks {
		if strings.Contains(b[1], "…") {
			continue // elided for reading
		}
		for _, part := range strings.Split(strings.TrimSpace(b[1]), "\n\n") {
			if !json.Valid([]byte(part)) {
				t.Errorf("docs/API.md example is not JSON:\n%s", part)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Error("no JSON example checked")
	}
	for _, m := range regexp.MustCompile(`\b[0-9a-f]{64}\b`).FindAllString(string(doc), -1) {
		if _, err := dag.ParseTxID(m); err != nil {
			t.Errorf("docs/API.md shows ID %s: %v", m, err)
		}
	}
}
