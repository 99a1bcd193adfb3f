// Command belfry-interop checks a running Belfry log with the Go checksum
// database's own client code (golang.org/x/mod/sumdb/note and
// golang.org/x/mod/sumdb/tlog, as packaged by Debian) and prints TAP.
//
// It checks: the signed checkpoint (note.Open with the log's vkey), the
// witnesses' cosignature/v1 lines (checked here: x/mod 0.7 predates type
// 0x04), every hash tile through tlog.TileHashReader (which authenticates
// tiles against the signed root) and tlog.TreeHash, every entry bundle
// entry by entry against the level-0 hashes and the entries that were
// appended, inclusion proofs from /log/proof receipts with
// tlog.CheckRecord, consistency proofs from /log/consistency with
// tlog.CheckTree, and the x/mod signed-note known answer; and that edited
// inputs (wrong key ID, edited size, flipped proofs, wrong leaf, wrong
// index) are all rejected.
//
// C2SP tile paths differ from x/mod's: x/mod writes tile/8/L/N (height in
// the path) and tile/8/data/N, C2SP writes tile/L/N and tile/entries/N,
// and entry bundles hold u16-length-prefixed entries instead of lines.
package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var (
	nTest  int
	failed int
	client = &http.Client{Timeout: 20 * time.Second}
)

func ok(cond bool, format string, args ...interface{}) bool {
	nTest++
	status := "ok"
	if !cond {
		status = "not ok"
		failed++
	}
	fmt.Printf("%s %d - %s\n", status, nTest, fmt.Sprintf(format, args...))
	return cond
}

func diag(format string, args ...interface{}) {
	fmt.Printf("# %s\n", fmt.Sprintf(format, args...))
}

func get(url string) ([]byte, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	}
	return body, nil
}

// checkpoint is a parsed C2SP checkpoint (x/mod's tlog.ParseTree insists
// on the "go.sum database tree" origin, so the three lines are read here).
type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func parseCheckpoint(text string) (checkpoint, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		return checkpoint{}, fmt.Errorf("checkpoint has fewer than 3 lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return checkpoint{}, fmt.Errorf("bad size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return checkpoint{}, err
	}
	return checkpoint{lines[0], size, root}, nil
}

// cosigKey is a parsed cosignature/v1 verifier key name+hex8+base64(0x04 ‖ pub).
type cosigKey struct {
	name string
	id   uint32
	pub  ed25519.PublicKey
}

func parseCosigKey(vkey string) (cosigKey, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return cosigKey{}, fmt.Errorf("malformed key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		return cosigKey{}, fmt.Errorf("not a cosignature/v1 key")
	}
	h := sha256.Sum256(append([]byte(parts[0]+"\n"), raw...))
	id := binary.BigEndian.Uint32(h[:4])
	if fmt.Sprintf("%08x", id) != parts[1] {
		return cosigKey{}, fmt.Errorf("key ID mismatch")
	}
	return cosigKey{parts[0], id, ed25519.PublicKey(raw[1:])}, nil
}

// verifyCosig checks that signed note msg carries a valid cosignature/v1
// of k over its text (c2sp.org/tlog-cosignature): keyID ‖ u64 time ‖ sig
// over "cosignature/v1\ntime <t>\n" ‖ text.
func verifyCosig(msg []byte, k cosigKey) (uint64, error) {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return 0, fmt.Errorf("not a signed note")
	}
	text, sigs := msg[:i+1], string(msg[i+2:])
	for _, line := range strings.Split(strings.TrimSuffix(sigs, "\n"), "\n") {
		prefix := "\u2014 " + k.name + " "
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(line[len(prefix):])
		if err != nil || len(raw) != 76 || binary.BigEndian.Uint32(raw[:4]) != k.id {
			continue
		}
		t := binary.BigEndian.Uint64(raw[4:12])
		signed := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), text...)
		if ed25519.Verify(k.pub, signed, raw[12:]) {
			return t, nil
		}
		return 0, fmt.Errorf("cosignature of %s does not verify", k.name)
	}
	return 0, fmt.Errorf("no cosignature of %s", k.name)
}

// tileReader maps x/mod tiles onto C2SP tile paths under base.
type tileReader struct {
	base    string
	fetched int
}

func (r *tileReader) Height() int { return 8 }

func c2spPath(t tlog.Tile) string {
	p := t.Path() // tile/8/L/N[.p/W] or tile/8/data/N[.p/W]
	p = strings.TrimPrefix(p, "tile/8/")
	if strings.HasPrefix(p, "data/") {
		p = "entries/" + strings.TrimPrefix(p, "data/")
	}
	return "tile/" + p
}

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := get(r.base + "/" + c2spPath(t))
		if err != nil {
			return nil, err
		}
		if len(data) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("%s: %d bytes, want %d", c2spPath(t), len(data), t.W*tlog.HashSize)
		}
		out[i] = data
		r.fetched++
	}
	return out, nil
}

func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// bundle parses a C2SP entry bundle into entries.
func bundle(data []byte) ([][]byte, error) {
	var out [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, fmt.Errorf("truncated length")
		}
		n := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+n {
			return nil, fmt.Errorf("truncated entry")
		}
		out = append(out, data[2:2+n])
		data = data[2+n:]
	}
	return out, nil
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}

// parseReceipt reads a c2sp.org/tlog-proof@v1 receipt.
func parseReceipt(r []byte) (index int64, proof tlog.RecordProof, cp []byte, err error) {
	i := bytes.Index(r, []byte("\n\n"))
	if i < 0 || !bytes.HasPrefix(r, []byte("c2sp.org/tlog-proof@v1\n")) {
		return 0, nil, nil, fmt.Errorf("not a tlog-proof")
	}
	lines := strings.Split(string(r[:i]), "\n")[1:]
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return 0, nil, nil, fmt.Errorf("no index line")
	}
	if index, err = strconv.ParseInt(lines[0][6:], 10, 64); err != nil {
		return 0, nil, nil, err
	}
	for _, l := range lines[1:] {
		h, err := tlog.ParseHash(l)
		if err != nil {
			return 0, nil, nil, err
		}
		proof = append(proof, h)
	}
	return index, proof, r[i+2:], nil
}

func flip(p []tlog.Hash, i int) []tlog.Hash {
	q := append([]tlog.Hash(nil), p...)
	q[i][0] ^= 1
	return q
}

func checkNoteKAT() {
	const skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
	const vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
	const text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
	const want = "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
	s, err := note.NewSigner(skey)
	if !ok(err == nil, "x/mod parses the PeterNeumann private key") {
		return
	}
	msg, err := note.Sign(&note.Note{Text: text}, s)
	ok(err == nil && string(msg) == text+"\n"+want, "x/mod reproduces the signed-note known answer of ledger.md")
	v, _ := note.NewVerifier(vkey)
	_, err = note.Open(msg, note.VerifierList(v))
	ok(err == nil, "x/mod verifies it with the PeterNeumann vkey")
}

// checkBelfryKAT: a checkpoint Belfry signed with the PeterNeumann key
// verifies in Go, and Go's own signature of the same text is byte-equal.
func checkBelfryKAT(path string) {
	const skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
	const vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
	msg, err := os.ReadFile(path)
	if !ok(err == nil, "read the checkpoint Belfry signed with the PeterNeumann key") {
		return
	}
	v, _ := note.NewVerifier(vkey)
	n, err := note.Open(msg, note.VerifierList(v))
	if !ok(err == nil, "x/mod verifies Belfry's PeterNeumann signature: %v", err) {
		return
	}
	s, _ := note.NewSigner(skey)
	again, err := note.Sign(&note.Note{Text: n.Text}, s)
	ok(err == nil && bytes.Equal(again, msg), "x/mod signing the same text reproduces Belfry's note byte for byte")
}

func main() {
	base := flag.String("base", "", "Belfry base URL, e.g. http://127.0.0.1:8080")
	vkey := flag.String("vkey", "", "the log's verifier key")
	witness := flag.String("witness", "", "a witness cosignature key whose cosignature the checkpoint must carry")
	entriesFile := flag.String("entries", "", "file with the entries appended, one per line")
	oldSize := flag.Int64("old", 0, "an earlier tree size for consistency checks")
	pnCheckpoint := flag.String("pn-checkpoint", "", "checkpoint Belfry signed with the PeterNeumann key")
	flag.Parse()

	checkNoteKAT()
	if *pnCheckpoint != "" {
		checkBelfryKAT(*pnCheckpoint)
	}
	if *base != "" {
		checkLog(*base, *vkey, *witness, *entriesFile, *oldSize)
	}
	fmt.Printf("1..%d\n", nTest)
	if failed > 0 {
		os.Exit(1)
	}
}

func checkLog(base, vkey, witness, entriesFile string, oldSize int64) {
	verifier, err := note.NewVerifier(vkey)
	if !ok(err == nil, "x/mod parses the log's vkey %s", vkey) {
		return
	}
	raw, err := get(base + "/log/checkpoint")
	if !ok(err == nil, "GET /log/checkpoint: %v", err) {
		return
	}
	n, err := note.Open(raw, note.VerifierList(verifier))
	if !ok(err == nil, "note.Open verifies the checkpoint with the log key: %v", err) {
		return
	}
	cp, err := parseCheckpoint(n.Text)
	if !ok(err == nil && cp.origin == verifier.Name(), "checkpoint parses, origin %q is the key name", cp.origin) {
		return
	}
	diag("checkpoint: %s size %d root %s", cp.origin, cp.size, cp.root)
	checkNoteNegatives(raw, n.Text, vkey, verifier)
	if witness != "" {
		checkCosignature(raw, witness)
	}

	tr := &tileReader{base: base + "/log"}
	thr := tlog.TileHashReader(tlog.Tree{N: cp.size, Hash: cp.root}, tr)
	th, err := tlog.TreeHash(cp.size, thr)
	ok(err == nil && th == cp.root, "tlog.TreeHash over TileHashReader (C2SP paths) equals the signed root (%d tiles): %v", tr.fetched, err)
	bad := tlog.TileHashReader(tlog.Tree{N: cp.size, Hash: flip([]tlog.Hash{cp.root}, 0)[0]}, &tileReader{base: base + "/log"})
	_, err = tlog.TreeHash(cp.size, bad)
	ok(err != nil, "TileHashReader rejects the tiles against a wrong root")

	var entries []string
	if entriesFile != "" {
		entries, err = readLines(entriesFile)
		ok(err == nil && int64(len(entries)) == cp.size, "read %d appended entries (tree size %d)", len(entries), cp.size)
	}
	checkBundles(base, cp, thr, entries)
	checkInclusion(base, cp, thr, entries)
	if oldSize > 0 && oldSize < cp.size {
		checkConsistency(base, cp, thr, oldSize)
	}
}

func checkNoteNegatives(raw []byte, text, vkey string, verifier note.Verifier) {
	// wrong key ID in the vkey: x/mod refuses it
	parts := strings.SplitN(vkey, "+", 3)
	id, _ := strconv.ParseUint(parts[1], 16, 32)
	_, err := note.NewVerifier(fmt.Sprintf("%s+%08x+%s", parts[0], uint32(id)^1, parts[2]))
	ok(err != nil, "a vkey with a wrong key ID is rejected: %v", err)
	// wrong key ID in the signature line: no known signature
	i := bytes.LastIndex(raw, []byte("\n\n"))
	sigs := string(raw[i+2:])
	line := strings.SplitN(sigs, "\n", 2)[0]
	sp := strings.LastIndex(line, " ")
	sig, _ := base64.StdEncoding.DecodeString(line[sp+1:])
	sig[0] ^= 0x80
	edited := string(raw[:i+2]) + line[:sp+1] + base64.StdEncoding.EncodeToString(sig) + "\n"
	_, err = note.Open([]byte(edited), note.VerifierList(verifier))
	ok(err != nil, "a signature with a wrong key ID is not accepted: %v", err)
	// edited size
	lines := strings.SplitN(text, "\n", 3)
	sz, _ := strconv.ParseInt(lines[1], 10, 64)
	editedText := lines[0] + "\n" + strconv.FormatInt(sz+1, 10) + "\n" + lines[2]
	_, err = note.Open([]byte(editedText+string(raw[len(text):])), note.VerifierList(verifier))
	ok(err != nil, "a checkpoint with an edited size fails verification: %v", err)
}

func checkCosignature(raw []byte, witness string) {
	k, err := parseCosigKey(witness)
	if !ok(err == nil, "parse the witness's cosignature/v1 vkey: %v", err) {
		return
	}
	t, err := verifyCosig(raw, k)
	ok(err == nil && t > 1700000000, "the served checkpoint carries a valid cosignature/v1 of %s (time %d): %v", k.name, t, err)
	i := bytes.LastIndex(raw, []byte("\n\n"))
	text := string(raw[:i+1])
	lines := strings.Split(text, "\n")
	lines[1] += "0"
	edited := strings.Join(lines, "\n") + string(raw[i+1:])
	_, err = verifyCosig([]byte(edited), k)
	ok(err != nil, "the cosignature does not verify over an edited checkpoint")
	k.id ^= 1
	_, err = verifyCosig(raw, k)
	ok(err != nil, "a cosignature key with another key ID finds no cosignature")
}

func checkBundles(base string, cp checkpoint, thr tlog.HashReader, entries []string) {
	good, checked := true, int64(0)
	why := ""
	for start := int64(0); start < cp.size; start += 256 {
		w := cp.size - start
		if w > 256 {
			w = 256
		}
		t := tlog.Tile{H: 8, L: -1, N: start / 256, W: int(w)}
		data, err := get(base + "/log/" + c2spPath(t))
		if err != nil {
			good, why = false, err.Error()
			break
		}
		es, err := bundle(data)
		if err != nil || int64(len(es)) != w {
			good, why = false, fmt.Sprintf("bundle %d: %d entries, want %d (%v)", t.N, len(es), w, err)
			break
		}
		idx := make([]int64, len(es))
		for j := range es {
			idx[j] = tlog.StoredHashIndex(0, start+int64(j))
		}
		hs, err := thr.ReadHashes(idx)
		if err != nil {
			good, why = false, err.Error()
			break
		}
		for j, e := range es {
			if tlog.RecordHash(e) != hs[j] {
				good, why = false, fmt.Sprintf("entry %d does not hash to its level-0 tile hash", start+int64(j))
				break
			}
			if entries != nil && string(e) != entries[start+int64(j)] {
				good, why = false, fmt.Sprintf("entry %d is not the entry appended", start+int64(j))
				break
			}
			checked++
		}
	}
	ok(good && checked == cp.size, "every entry of every bundle (%d) hashes to its authenticated tile hash%s %s", checked,
		map[bool]string{true: " and equals the appended entry", false: ""}[entries != nil], why)
}

func checkInclusion(base string, cp checkpoint, thr tlog.HashReader, entries []string) {
	if cp.size == 0 {
		return
	}
	for _, i := range []int64{0, cp.size / 2, cp.size - 1} {
		r, err := get(fmt.Sprintf("%s/log/proof/%d", base, i))
		if !ok(err == nil, "GET /log/proof/%d: %v", i, err) {
			continue
		}
		index, proof, rcp, err := parseReceipt(r)
		if !ok(err == nil && index == i, "receipt for %d parses (%d hashes): %v", i, len(proof), err) {
			continue
		}
		rtext := string(rcp[:bytes.LastIndex(rcp, []byte("\n\n"))+1])
		rc, err := parseCheckpoint(rtext)
		if err != nil || rc.size != cp.size {
			diag("receipt checkpoint size %d (served %d)", rc.size, cp.size)
		}
		hs, err := thr.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
		if err != nil || rc.size != cp.size {
			ok(false, "leaf hash %d from tiles: %v", i, err)
			continue
		}
		leaf := hs[0]
		if entries != nil {
			ok(tlog.RecordHash([]byte(entries[i])) == leaf, "leaf %d is RecordHash of the appended entry", i)
		}
		ok(tlog.CheckRecord(proof, rc.size, rc.root, i, leaf) == nil, "tlog.CheckRecord accepts Belfry's inclusion proof for %d", i)
		own, err := tlog.ProveRecord(rc.size, i, thr)
		ok(err == nil && fmt.Sprint(own) == fmt.Sprint(proof), "tlog.ProveRecord over Belfry's tiles gives the same proof")
		if len(proof) > 0 {
			ok(tlog.CheckRecord(flip(proof, len(proof)-1), rc.size, rc.root, i, leaf) != nil, "a flipped proof hash is rejected")
			ok(tlog.CheckRecord(proof[:len(proof)-1], rc.size, rc.root, i, leaf) != nil, "a truncated proof is rejected")
		}
		ok(tlog.CheckRecord(proof, rc.size, rc.root, i, tlog.RecordHash([]byte("not the entry"))) != nil, "a wrong leaf is rejected")
		if rc.size > 1 {
			ok(tlog.CheckRecord(proof, rc.size, rc.root, (i+1)%rc.size, leaf) != nil, "a wrong index is rejected")
		}
	}
}

func checkConsistency(base string, cp checkpoint, thr tlog.HashReader, old int64) {
	body, err := get(fmt.Sprintf("%s/log/consistency?from=%d&to=%d", base, old, cp.size))
	if !ok(err == nil, "GET /log/consistency?from=%d&to=%d: %v", old, cp.size, err) {
		return
	}
	var proof tlog.TreeProof
	for _, l := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		h, err := tlog.ParseHash(l)
		if err != nil {
			ok(false, "consistency proof line %q: %v", l, err)
			return
		}
		proof = append(proof, h)
	}
	oldRoot, err := tlog.TreeHash(old, thr)
	ok(err == nil, "root of size %d from authenticated tiles", old)
	ok(tlog.CheckTree(proof, cp.size, cp.root, old, oldRoot) == nil, "tlog.CheckTree accepts Belfry's consistency proof %d -> %d (%d hashes)", old, cp.size, len(proof))
	own, err := tlog.ProveTree(cp.size, old, thr)
	ok(err == nil && fmt.Sprint(own) == fmt.Sprint(proof), "tlog.ProveTree over Belfry's tiles gives the same proof")
	ok(tlog.CheckTree(flip(proof, 0), cp.size, cp.root, old, oldRoot) != nil, "a flipped consistency proof is rejected")
	ok(tlog.CheckTree(nil, cp.size, cp.root, old, oldRoot) != nil, "an empty consistency proof is rejected")
	ok(tlog.CheckTree(proof, cp.size, cp.root, old, flip([]tlog.Hash{oldRoot}, 0)[0]) != nil, "a wrong old root is rejected")
}
