package proofs

import (
	"crypto/ed25519"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/vote"
	"github.com/torrenttx/ttx/vote/votetest"
)

// TestExportFinal: proofs exported from a ledger whose transactions the
// vote made final verify offline as final, with every voter's vote on
// every input counted; an accepted transaction with no certificate does
// not.
func TestExportFinal(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name      string
		proven    *dag.Parsed
		wantCerts []dag.TxID // the transactions whose certificates the proof carries
	}{
		{"plain payment", f.b, []dag.TxID{f.b.ID}},
		{"winner of a double spend", f.d, []dag.TxID{f.d.ID}},
		{"child of the winner", f.c, []dag.TxID{f.d.ID, f.c.ID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Verify(f.export(t, tc.proven.ID), f.net)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Final || p.NotFinal != "" {
				t.Fatalf("not final: %s", p.NotFinal)
			}
			var ids []dag.TxID
			for _, c := range p.Certificates {
				ids = append(ids, c.ID)
				if c.Err != nil || !c.Final || c.Keys != numVoters || c.Votes != numVoters || c.Weakest != numVoters || c.K != 5 || c.Alpha != 4 {
					t.Errorf("certificate of %s: %+v", c.ID, c)
				}
			}
			if !slices.Equal(ids, tc.wantCerts) {
				t.Errorf("certificates of %v, want %v", ids, tc.wantCerts)
			}
			if p.Certificate == nil || p.Certificate.ID != tc.proven.ID {
				t.Errorf("Certificate %+v is not the proven tx's", p.Certificate)
			}
		})
	}
	t.Run("no certificate", func(t *testing.T) {
		p, err := Verify(f.export(t, f.u.ID), f.net)
		if err != nil {
			t.Fatal(err)
		}
		if p.Final || p.Certificate != nil || len(p.Certificates) != 0 || !strings.Contains(p.NotFinal, "no finality certificate") {
			t.Errorf("final %v (%q), certificates %v", p.Final, p.NotFinal, p.Certificates)
		}
	})
	t.Run("genesis", func(t *testing.T) {
		p, err := Verify(f.export(t, f.net.ID), f.net)
		if err != nil || !p.Final {
			t.Errorf("genesis: final %v (%q), %v", p != nil && p.Final, p.NotFinal, err)
		}
	})
	t.Run("version 1 proof", func(t *testing.T) {
		p, err := Verify(build(t, f.net, f.b.Raw, raws(f.net.Genesis, f.a, f.b), func(f *file) { f.Version = 1 }), f.net)
		if err != nil || p.Final {
			t.Errorf("a version 1 proof: %v, final %v", err, p != nil && p.Final)
		}
	})
}

// TestNotFinal builds proofs whose certificates are valid in form but
// do not make the proven transaction final: the proof verifies, as not
// final, with the reason.
func TestNotFinal(t *testing.T) {
	f := newFixture(t)
	g := f.net.Genesis
	bTxs := raws(g, f.a, f.b)
	dTxs := raws(g, f.a, f.d, f.d2)
	cert := func(voters []ed25519.PrivateKey, p *dag.Parsed, pref dag.TxID, edit func(*vote.Certificate)) []byte {
		c := f.certify(t, voters, p, pref)
		if edit != nil {
			edit(c)
		}
		return votetest.Encode(t, c)
	}
	one := slices.Repeat(f.voters[:1], numVoters) // one key signs five batches
	tests := []struct {
		name      string
		proven    *dag.Parsed
		txs       [][]byte
		certs     [][]byte
		wantVotes int // counted for the proven tx
		wantKeys  int
		wantMsg   string
	}{
		{
			name: "tampered vote", proven: f.b, txs: bTxs,
			certs: [][]byte{cert(f.voters, f.b, f.b.ID, func(c *vote.Certificate) { c.Attestations[2].Vote.Pref[0] ^= 1 })},
			// the changed vote no longer hashes to its signed root
			wantMsg: "does not verify",
		},
		{
			name: "tampered signature", proven: f.b, txs: bTxs,
			certs:   [][]byte{cert(f.voters, f.b, f.b.ID, func(c *vote.Certificate) { c.Attestations[0].Sig[7] ^= 0x80 })},
			wantMsg: "bad signature",
		},
		{
			name: "one key's vote repeated", proven: f.b, txs: bTxs,
			certs: [][]byte{cert(f.voters[:1], f.b, f.b.ID, func(c *vote.Certificate) {
				c.Attestations = slices.Repeat(c.Attestations, numVoters)
			})},
			wantVotes: 1, wantKeys: 1, wantMsg: "1 of the 4 votes",
		},
		{
			name: "one key signs five batches", proven: f.b, txs: bTxs,
			certs:     [][]byte{cert(one, f.b, f.b.ID, nil)},
			wantVotes: 1, wantKeys: 1, wantMsg: "1 of the 4 votes",
		},
		{
			name: "three of five voters", proven: f.b, txs: bTxs,
			certs:     [][]byte{cert(f.voters[:3], f.b, f.b.ID, nil)},
			wantVotes: 3, wantKeys: 3, wantMsg: "3 of the 4 votes",
		},
		{
			name: "a key that changed its mind", proven: f.b, txs: bTxs,
			certs: [][]byte{cert(f.voters, f.b, f.b.ID, func(c *vote.Certificate) {
				other := f.certify(t, f.voters[3:4], f.b, f.d.ID) // key 3 also preferred another tx
				c.Attestations = append(c.Attestations, other.Attestations...)
			})},
			wantVotes: 4, wantKeys: 4, wantMsg: "",
		},
		{
			// The network chose d2; the winner's certificate is
			// relabelled as the loser's: its votes prefer d2, not d.
			name: "winner's certificate moved to the loser", proven: f.d, txs: dTxs,
			certs:   [][]byte{cert(f.voters, f.d2, f.d2.ID, func(c *vote.Certificate) { c.Tx = f.d.ID })},
			wantMsg: "0 of the 4 votes",
		},
		{
			name: "votes for the loser's double spend", proven: f.d, txs: dTxs,
			certs:   [][]byte{cert(f.voters, f.d, f.d2.ID, nil)},
			wantMsg: "0 of the 4 votes",
		},
		{
			name: "the double spend is final", proven: f.d, txs: dTxs,
			certs:   [][]byte{cert(f.voters, f.d2, f.d2.ID, nil)},
			wantMsg: "the double spend " + f.d2.ID.String(),
		},
		{
			name: "both sides claim finality", proven: f.d, txs: dTxs,
			certs:     [][]byte{cert(f.voters, f.d, f.d.ID, nil), cert(f.voters, f.d2, f.d2.ID, nil)},
			wantVotes: numVoters, wantKeys: numVoters, wantMsg: "the double spend " + f.d2.ID.String(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Verify(build(t, f.net, tc.proven.Raw, tc.txs, func(f *file) { f.Certs = tc.certs }), f.net)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			var votes, keys int
			if c := p.Certificate; c != nil {
				votes, keys = c.Votes, c.Keys
			}
			if tc.wantMsg == "" { // the equivocator is left out, and four keys are still enough
				if !p.Final || keys != tc.wantKeys || p.Certificate.Equivocators != 1 {
					t.Errorf("final %v (%s), %d keys, %+v", p.Final, p.NotFinal, keys, p.Certificate)
				}
				return
			}
			if p.Final {
				t.Fatalf("final, want not final (%s)", tc.wantMsg)
			}
			if !strings.Contains(p.NotFinal, tc.wantMsg) {
				t.Errorf("reason %q does not mention %q", p.NotFinal, tc.wantMsg)
			}
			if votes != tc.wantVotes || keys != tc.wantKeys {
				t.Errorf("%d votes from %d keys, want %d from %d", votes, keys, tc.wantVotes, tc.wantKeys)
			}
		})
	}
}

// TestTrustedKeys: with a trusted set, only its keys' votes count.
func TestTrustedKeys(t *testing.T) {
	f := newFixture(t)
	b := f.export(t, f.c.ID)
	trust := func(keys ...ed25519.PrivateKey) map[vote.NodeKey]bool {
		m := map[vote.NodeKey]bool{}
		for _, k := range keys {
			m[vote.NodeKey(k.Public().(ed25519.PublicKey))] = true
		}
		return m
	}
	stranger := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	tests := []struct {
		name      string
		trusted   map[vote.NodeKey]bool
		wantFinal bool
		wantKeys  int
	}{
		{"every key", nil, true, numVoters},
		{"four voters", trust(f.voters[:4]...), true, 4},
		{"three voters and a stranger", trust(append(slices.Clone(f.voters[:3]), stranger)...), false, 3},
		{"a stranger", trust(stranger), false, 0},
		{"nobody", map[vote.NodeKey]bool{}, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := VerifyTrusted(b, f.net, tc.trusted)
			if err != nil {
				t.Fatal(err)
			}
			if p.Final != tc.wantFinal || p.Certificate.Keys != tc.wantKeys || p.Certificate.Votes != tc.wantKeys {
				t.Errorf("final %v (%s), %d votes from %d keys; want %v, %d keys", p.Final, p.NotFinal, p.Certificate.Votes, p.Certificate.Keys, tc.wantFinal, tc.wantKeys)
			}
			for _, c := range p.Certificates { // d's certificate is filtered alike
				if c.Keys != tc.wantKeys {
					t.Errorf("certificate of %s counts %d keys, want %d", c.ID, c.Keys, tc.wantKeys)
				}
			}
		})
	}
}

// TestCertificateRejects: a certificate that does not belong with its
// transaction, or breaks the list's rules, makes the proof invalid.
func TestCertificateRejects(t *testing.T) {
	f := newFixture(t)
	g := f.net.Genesis
	other, _ := otherNetwork(t)
	bTxs := raws(g, f.a, f.b)
	certOf := func(p *dag.Parsed, edit func(*vote.Certificate)) []byte {
		c := f.certify(t, f.voters, p, p.ID)
		if edit != nil {
			edit(c)
		}
		return votetest.Encode(t, c)
	}
	ca, cb := certOf(f.a, nil), certOf(f.b, nil)
	tests := []struct {
		name    string
		txs     [][]byte
		version int64
		certs   [][]byte
		want    error
		wantMsg string
	}{
		{"not a certificate", bTxs, Version, [][]byte{[]byte("cert")}, ErrMalformed, "decode certificate"},
		{"empty certificate", bTxs, Version, [][]byte{{}}, ErrMalformed, "certificate 0"},
		{"trailing byte", bTxs, Version, [][]byte{append(slices.Clone(cb), 0)}, ErrMalformed, "trailing"},
		{"for a tx not in the proof", bTxs, Version, [][]byte{certOf(f.u, nil)}, ErrMalformed, "does not hold"},
		{"listed twice", bTxs, Version, [][]byte{cb, cb}, ErrMalformed, "listed twice"},
		{"out of order", bTxs, Version, [][]byte{cb, ca}, ErrMalformed, "out of order"},
		{"another network", bTxs, Version, [][]byte{certOf(f.b, func(c *vote.Certificate) { c.Network = other.ID })}, ErrWrongNetwork, "network"},
		{"other inputs", bTxs, Version, [][]byte{certOf(f.b, func(c *vote.Certificate) { c.Inputs = f.d.Prev })}, ErrMalformed, "other inputs"},
		{"more certificates than txs", raws(g), Version, [][]byte{ca, ca}, ErrMalformed, "2 certificates for 1"},
		{"certificates in a version 1 proof", bTxs, 1, [][]byte{cb}, ErrMalformed, "version 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			proof := build(t, f.net, f.b.Raw, tc.txs, func(f *file) { f.Certs, f.Version = tc.certs, tc.version })
			p, err := Verify(proof, f.net)
			if err == nil {
				t.Fatalf("Verify accepted it (final %v)", p.Final)
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err %v, want %v mentioning %q", err, tc.want, tc.wantMsg)
			}
		})
	}
}

// TestExportChecksStoredCertificate: a stored certificate that is not
// the transaction's makes Export fail rather than write a bad proof.
func TestExportChecksStoredCertificate(t *testing.T) {
	f := newFixture(t)
	wrong := votetest.Encode(t, f.certify(t, f.voters, f.a, f.a.ID))
	if err := f.store.Update(func(w dag.WriteTx) error { return w.PutCertificate(f.b.ID, wrong) }); err != nil {
		t.Fatal(err)
	}
	err := f.store.View(func(r dag.ReadTx) error {
		_, err := Export(f.net, r, f.b.ID, nil)
		return err
	})
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "certificate of "+f.b.ID.String()) {
		t.Errorf("export with a wrong stored certificate: %v", err)
	}
}
