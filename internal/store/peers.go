package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// MaxPeerAddrLen bounds the length of a saved peer address.
const MaxPeerAddrLen = 256

// SavePeers replaces the saved peer addresses with addrs (duplicates are
// kept once). The node calls it now and then, and Peers gives the list back
// after a restart.
func (s *Store) SavePeers(addrs []string) error {
	for _, a := range addrs {
		if a == "" || len(a) > MaxPeerAddrLen {
			return fmt.Errorf("save peers: address %q must be 1 to %d bytes", a, MaxPeerAddrLen)
		}
	}
	err := s.guard(func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			if err := tx.DeleteBucket(bucketPeers); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(bucketPeers); err != nil {
				return err
			}
			b := newBucket(tx, bucketPeers, nil)
			for _, a := range addrs {
				if err := b.Put([]byte(a), nil); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("save peers: %w", err)
	}
	return nil
}

// Peers returns the saved peer addresses in byte order.
func (s *Store) Peers() ([]string, error) {
	var addrs []string
	err := s.guard(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			c := newBucket(tx, bucketPeers, nil).Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				addrs = append(addrs, string(k))
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read peers: %w", err)
	}
	return addrs, nil
}
