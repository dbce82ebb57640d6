package main

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"

	"github.com/torrenttx/ttx/internal/atomicfile"
	"github.com/torrenttx/ttx/internal/node"
	"github.com/torrenttx/ttx/internal/wallet"
)

const walletUsage = `Usage: ttx wallet <backup|restore|passphrase> [flags]

Works on the wallet's key file, <datadir>/wallet.key, with no node
running needed.

  backup       print the wallet's backup (ttxsecret1…) again, or copy its
               key file (--out)
  restore      recreate a wallet from its backup in a new data dir
  passphrase   change the passphrase the key file is encrypted with

Run "ttx wallet <command> -h" for its flags.
`

func runWallet(e *env, args []string) error {
	return runVerbs(e, "wallet", walletUsage, args, []command{
		{name: "backup", run: runWalletBackup},
		{name: "restore", run: runWalletRestore},
		{name: "passphrase", run: runWalletPassphrase},
	})
}

// walletPath is the key file of cfg's data dir.
func walletPath(cfg *Config) string { return filepath.Join(cfg.DataDir, node.WalletFile) }

// openKeyFile reads the key file at path and opens it, asking for its
// passphrase if it is encrypted.
func (e *env) openKeyFile(cfg *Config, path string) (*wallet.KeyFile, *wallet.Key, []byte, error) {
	kf, err := wallet.ReadKeyFile(path)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil, nil, nil, withHint(fmt.Errorf("no wallet in %s: %w", cfg.DataDir, err),
			"pass the --datadir of the wallet; ttx start creates one, ttx wallet restore recreates one")
	}
	if err != nil {
		return nil, nil, nil, err
	}
	var pass []byte
	if kf.Encrypted() {
		if pass, err = e.passphrase(cfg, "wallet "+path, false); err != nil {
			return nil, nil, nil, err
		}
	}
	key, err := kf.Open(pass)
	if errors.Is(err, wallet.ErrWrongPassphrase) {
		return nil, nil, nil, withHint(err, "type the passphrase the wallet was created with (or last changed to)")
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return kf, key, pass, nil
}

const walletBackupUsage = `Usage: ttx wallet backup [flags]

Asks the wallet's passphrase and prints its backup: the ttxsecret1…
string that restores the wallet (ttx wallet restore) on any machine.
Write it on paper and keep it secret: whoever reads it can spend.

With --out, it instead writes a copy of the key file, still encrypted
under the same passphrase, to a new file (never over an existing one).

Example:
  ttx wallet backup --datadir ~/.ttx
  ttx wallet backup --out /media/usb/ttx-wallet.key
`

func runWalletBackup(e *env, args []string) error {
	fs := newFlagSet("wallet backup")
	cf := addConfigFlags(fs, "datadir", "passphrase-file")
	out := fs.String("out", "", "write a copy of the encrypted key file here instead of printing the backup")
	if help, err := e.parse(fs, args, walletBackupUsage, 0); help || err != nil {
		return err
	}
	cfg, err := cf.load(e)
	if err != nil {
		return err
	}
	path := walletPath(cfg)
	kf, key, _, err := e.openKeyFile(cfg, path)
	if err != nil {
		return err
	}
	if *out != "" {
		if err := atomicfile.WriteNew(*out, kf.Bytes(), 0o600); err != nil {
			if errors.Is(err, iofs.ErrExist) {
				return withHint(fmt.Errorf("write key file copy: %w", err), "choose a path where no file is")
			}
			return fmt.Errorf("write key file copy: %w", err)
		}
		fmt.Fprintf(e.stdout, "Wrote a copy of the key file of %s to %s (mode 0600", kf.Address(), *out)
		if kf.Encrypted() {
			fmt.Fprint(e.stdout, ", encrypted under the same passphrase")
		}
		fmt.Fprintln(e.stdout, ").")
		return nil
	}
	fmt.Fprintf(e.stdout, "Backup of wallet %s (address %s):\n\n  %s\n\n", path, kf.Address(), key.Backup())
	fmt.Fprintln(e.stdout, "Keep it secret: it restores the wallet (ttx wallet restore), and anyone who reads it can spend.")
	return nil
}

const walletRestoreUsage = `Usage: ttx wallet restore [flags]

Recreates a wallet from its backup (the ttxsecret1… string printed when
the wallet was created, or by ttx wallet backup) in the data dir, under a
new passphrase. It asks for the backup on the terminal (or reads it as
the first line of stdin: never pass it as an argument, which other users
see in ps), then for the passphrase (or reads it from --passphrase-file).
It never overwrites a wallet: the data dir must have none.

The wallet's address is for the network of --genesis (the public test
network by default); the same backup restores it on every network.

Example:
  ttx wallet restore --datadir ~/.ttx-restored
  ttx start --datadir ~/.ttx-restored
`

func runWalletRestore(e *env, args []string) error {
	fs := newFlagSet("wallet restore")
	cf := addConfigFlags(fs, "datadir", "genesis", "passphrase-file")
	if help, err := e.parse(fs, args, walletRestoreUsage, 0); help || err != nil {
		return err
	}
	cfg, net, err := cf.loadWithNetwork(e)
	if err != nil {
		return err
	}
	path := walletPath(cfg)
	if _, err := os.Lstat(path); err == nil {
		return withHint(fmt.Errorf("restore into %s: %w", cfg.DataDir, wallet.ErrExists),
			"restore into a new data dir: --datadir <empty or new directory>")
	}
	line, _, err := e.ask("Backup (ttxsecret1…): ")
	if errors.Is(err, errNoTerminal) {
		return withHint(fmt.Errorf("read the backup: %w", err), "run it in a terminal, or pipe the backup in as the first line of stdin")
	}
	if err != nil {
		return fmt.Errorf("read the backup: %w", err)
	}
	key, err := wallet.Restore(line)
	if err != nil {
		return withHint(err, "check the backup for typos (its checksum caught one); it starts with ttxsecret1")
	}
	pass, err := e.passphrase(cfg, "restored wallet "+path, true)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if err := wallet.Save(path, key, net, pass, wallet.Options{}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Restored wallet %s on %s: address %s\nStart its node with: ttx start --datadir %s\n",
		path, net.Params.Name, key.Address(net), cfg.DataDir)
	return nil
}

const walletPassphraseUsage = `Usage: ttx wallet passphrase [flags]

Changes the passphrase the wallet's key file is encrypted with: it asks
the current one (or reads it from --passphrase-file), then the new one
twice. The key file is replaced atomically: a crash leaves the old file or
the new, and from then on only the new passphrase opens it. The key, the
address and the backup stay the same. A plaintext (devnet) key file gets
encrypted.

From a pipe, the first line is the current passphrase and the next the
new one.

Example:
  ttx wallet passphrase --datadir ~/.ttx
`

func runWalletPassphrase(e *env, args []string) error {
	fs := newFlagSet("wallet passphrase")
	cf := addConfigFlags(fs, "datadir", "passphrase-file")
	if help, err := e.parse(fs, args, walletPassphraseUsage, 0); help || err != nil {
		return err
	}
	cfg, err := cf.load(e)
	if err != nil {
		return err
	}
	path := walletPath(cfg)
	kf, _, old, err := e.openKeyFile(cfg, path)
	if err != nil {
		return err
	}
	pass, err := readPassphrase(e, "wallet "+path+" (new)", true)
	if err != nil {
		return err
	}
	if err := wallet.ChangePassphrase(path, old, pass); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Changed the passphrase of wallet %s (address %s). The old one no longer opens it", path, kf.Address())
	if cfg.PassphraseFile != "" {
		fmt.Fprintf(e.stdout, ": write the new one to %s before the next unattended start", cfg.PassphraseFile)
	}
	fmt.Fprintln(e.stdout, ".")
	return nil
}
