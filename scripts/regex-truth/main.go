// Records how Go's regexp package (the engine behind Sprig's regex functions in Helm)
// treats each case of cases.txt, as JSON lines on stdout:
//
//	go run scripts/regex-truth/main.go <scripts/regex-truth/cases.txt \
//	    >crates/driftlens-gotmpl/testdata/regex-go.jsonl
//
// A case is one line: pattern, input, replacement and count separated by TAB; the
// escapes \t \n \\ in a field stand for tab, newline and backslash.
package main

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
)

type result struct {
	Pattern   string   `json:"pattern"`
	Input     string   `json:"input"`
	Repl      string   `json:"repl"`
	N         int      `json:"n"`
	Error     string   `json:"error,omitempty"`
	Match     bool     `json:"match"`
	Find      string   `json:"find"`
	FindAll   []string `json:"find_all"`
	Replace   string   `json:"replace"`
	ReplaceLi string   `json:"replace_literal"`
	Split     []string `json:"split"`
	QuoteMeta string   `json:"quote_meta"`
}

func unescape(s string) string {
	r := strings.NewReplacer(`\t`, "\t", `\n`, "\n", `\\`, `\`)
	return r.Replace(s)
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		for len(f) < 4 {
			f = append(f, "")
		}
		n := -1
		if f[3] != "" {
			n, _ = strconv.Atoi(f[3])
		}
		r := result{Pattern: unescape(f[0]), Input: unescape(f[1]), Repl: unescape(f[2]), N: n}
		r.QuoteMeta = regexp.QuoteMeta(r.Pattern)
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			r.Error = err.Error()
		} else {
			r.Match = re.MatchString(r.Input)
			r.Find = re.FindString(r.Input)
			r.FindAll = re.FindAllString(r.Input, n)
			r.Replace = re.ReplaceAllString(r.Input, r.Repl)
			r.ReplaceLi = re.ReplaceAllLiteralString(r.Input, r.Repl)
			r.Split = re.Split(r.Input, n)
		}
		if r.FindAll == nil {
			r.FindAll = []string{}
		}
		if r.Split == nil {
			r.Split = []string{}
		}
		enc.Encode(r)
	}
}
