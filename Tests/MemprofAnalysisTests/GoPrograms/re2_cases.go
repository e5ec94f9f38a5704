// Random regular expressions made of the pieces where Go's syntax and Swift's differ, and what
// Go's regexp does with each: refuses it (with its message) or which of the texts it matches.
// RegexDifferentialTests compares GoRegex with this, case by case.
//
//	go run re2_cases.go COUNT SEED
//
// One line a case: the pattern in hex, then "OK" and the indices of the texts it matches
// (comma-separated), or "ERR" and Go's error message.
package main

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// The same texts, in the same order, as RegexDifferentialTests.texts.
var texts = []string{"main.héllo世界", "main.Val.Do", "a{,3}", "a&b", "x-y", "tab\there", "v\vt", "main.(*T).Get",
	"runtime.mallocgc", "_Z3fooi", "[lib].so", "a]b", "C:\\path", "αβγ", "x_y9", "a.b", "$s4main3FooC", "", "aaa",
	"Ab1-:", "line1\nline2", "Ωmega", "a\tb\v"}

// (?m) is left out: with it, Swift's ^ and $ also stop at line breaks other than \n.
var pieces = []string{`\`, `[`, `]`, `(`, `)`, `{`, `}`, `*`, `+`, `?`, `^`, `$`, `|`, `.`, `-`, `:`, `&`, `~`, `a`,
	`b`, `A`, `P`, `p`, `Q`, `E`, `d`, `w`, `s`, `x`, `0`, `1`, `3`, `,`, `<`, `>`, `=`, `!`, `_`, `i`, `L`, `é`,
	`[:alpha:]`, `[:^digit:]`, `\b`, `\pL`, `{2}`, `{1,3}`, `(?i)`, `(?:`, `\x{41}`, `\Qa.\E`, `\d`, `\W`, `#`, ` `,
	`/`, `(?s)`, `\n`, `\v`, `\z`, `\A`, `\B`, `\S`, `[^`, `\p{Greek}`, `\p{^L}`, `{0,}`, `\00`, `世`, `(?U)`, `\t`}

func main() {
	count, _ := strconv.Atoi(os.Args[1])
	seed, _ := strconv.ParseInt(os.Args[2], 10, 64)
	r := rand.New(rand.NewSource(seed))
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for k := 0; k < count; k++ {
		var b strings.Builder
		for j, n := 0, 1+r.Intn(8); j < n; j++ {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		p := b.String()
		re, err := regexp.Compile(p)
		if err != nil {
			fmt.Fprintf(w, "%x\tERR\t%s\n", p, err.Error())
			continue
		}
		var m []string
		for i, t := range texts {
			if re.MatchString(t) {
				m = append(m, strconv.Itoa(i))
			}
		}
		fmt.Fprintf(w, "%x\tOK\t%s\n", p, strings.Join(m, ","))
	}
}
