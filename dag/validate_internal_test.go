package dag

import (
	"strings"
	"testing"
)

// TestSpentOutput covers spentOutput on a MemStore whose Put checks no
// rules, so it can hold a spender of an output that does not exist.
func TestSpentOutput(t *testing.T) {
	alice, bob := PubKey{0xa1}, PubKey{0xb0}
	parent := &Parsed{TxIDs: TxIDs{ID: TxID{0x01}, V1: [20]byte{0x01}}, Raw: []byte("parent"), From: alice,
		Out: []TxOut{{Owner: alice, Amount: 5}, {Owner: bob, Amount: 7}}}
	child := &Parsed{TxIDs: TxIDs{ID: TxID{0x02}, V1: [20]byte{0x02}}, Raw: []byte("child"), From: bob,
		Prev: []OutPoint{{TxID: parent.ID, Index: 1}, {TxID: parent.ID, Index: 9}},
		Out:  []TxOut{{Owner: alice, Amount: 7}}}
	s := NewMemStore()
	err := s.Update(func(w WriteTx) error {
		for _, p := range []*Parsed{parent, child} {
			if err := w.Put(p, &Record{ID: p.ID, State: StateAccepted}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		op      OutPoint
		out     TxOut
		winner  TxID
		wantErr string
	}{
		{"spent", OutPoint{TxID: parent.ID, Index: 1}, TxOut{Owner: bob, Amount: 7}, child.ID, ""},
		{"unspent", OutPoint{TxID: parent.ID, Index: 0}, TxOut{}, TxID{}, ""},
		{"no such output, unspent", OutPoint{TxID: parent.ID, Index: 2}, TxOut{}, TxID{}, ""},
		{"unknown tx", OutPoint{TxID: TxID{0x03}}, TxOut{}, TxID{}, ""},
		{"no such output, spent", OutPoint{TxID: parent.ID, Index: 9}, TxOut{}, TxID{}, "has no output 9 but"},
	}
	err = s.View(func(r ReadTx) error {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				out, winner, err := spentOutput(r, tc.op)
				if tc.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Errorf("spentOutput(%s) error = %v, want one saying %q", tc.op, err, tc.wantErr)
					}
					return
				}
				if err != nil || out != tc.out || winner != tc.winner {
					t.Errorf("spentOutput(%s) = %v, %s, %v; want %v, %s, nil", tc.op, out, winner, err, tc.out, tc.winner)
				}
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
