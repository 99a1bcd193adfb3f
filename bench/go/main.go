// Command tlogbench measures the Go checksum database's tree update, the
// reference for Belfry's in-process append rate (bench/bench_ledger.c):
// for the leaves "leaf 0".."leaf N-1" it computes each record hash and
// the stored hashes it completes with golang.org/x/mod/sumdb/tlog
// StoredHashes, keeping them in memory, then the tree hash. It prints
// appends/s and the root's first bytes (to check both sides built the
// same tree). Build offline (Debian golang-golang-x-mod-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$(mktemp -d) go build -o tlogbench ./bench/go
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

func main() {
	n := int64(1000000)
	if len(os.Args) > 1 {
		v, err := strconv.ParseInt(os.Args[1], 10, 64)
		if err != nil || v < 1 {
			fmt.Fprintln(os.Stderr, "usage: tlogbench [N]")
			os.Exit(2)
		}
		n = v
	}
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	// the leaves are formatted before the clock starts (as in bench_ledger.c)
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i] = strconv.AppendInt([]byte("leaf "), int64(i), 10)
	}
	start := time.Now()
	for i := int64(0); i < n; i++ {
		h, err := tlog.StoredHashes(i, leaves[i], reader)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		stored = append(stored, h...)
	}
	root, err := tlog.TreeHash(n, reader)
	el := time.Since(start).Seconds()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("go_appends_per_sec %.0f root %x stored_hashes %d\n", float64(n)/el, root[:4], len(stored))
}
