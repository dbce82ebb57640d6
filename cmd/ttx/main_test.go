package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs ttx in-process with args and returns stdout, stderr and the
// error (nil means exit 0). A failing command must print an "Error: " line
// on stderr (after any progress lines).
func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	if exitCode(err) == 1 && !strings.Contains("\n"+errb.String(), "\nError: ") {
		t.Errorf("ttx %s failed without an Error: line on stderr: %q", strings.Join(args, " "), errb.String())
	}
	return out.String(), errb.String(), err
}

// isolate points HOME and the TTX_* variables at nothing, so that the
// tests never read the real ~/.ttx or environment.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, s := range settings() {
		t.Setenv(s.env, "")
	}
	return home
}

func TestHelpExitsZero(t *testing.T) {
	isolate(t)
	var cmds [][]string
	for _, c := range commands() {
		cmds = append(cmds, []string{c.name})
	}
	cmds = append(cmds, []string{"proof", "export"}, []string{"proof", "verify"}, []string{"proof", "import"}, []string{"genesis", "new"},
		[]string{"wallet", "backup"}, []string{"wallet", "restore"}, []string{"wallet", "passphrase"})
	for _, c := range cmds {
		for _, h := range []string{"-h", "--help"} {
			name := strings.Join(c, " ") + " " + h
			t.Run(name, func(t *testing.T) {
				out, _, err := runCmd(t, append(c, h)...)
				if err != nil {
					t.Fatalf("err %v, want nil (exit 0)", err)
				}
				if !strings.Contains(out, "Usage:") {
					t.Errorf("no usage text on stdout:\n%s", out)
				}
			})
		}
	}
	for _, h := range []string{"-h", "--help", "help"} {
		out, _, err := runCmd(t, h)
		if err != nil || !strings.Contains(out, "Flags go before positional arguments") {
			t.Errorf("ttx %s: %v\n%s", h, err, out)
		}
	}
}

func TestFlagHelpMentionsOrder(t *testing.T) {
	isolate(t)
	out, _, err := runCmd(t, "proof", "export", "-h")
	if err != nil || !strings.Contains(out, "before any argument") || !strings.Contains(out, "-o string") {
		t.Errorf("%v\n%s", err, out)
	}
}

func TestUsageErrors(t *testing.T) {
	isolate(t)
	tests := []struct {
		name    string
		args    []string
		wantErr string
		wantTry string
	}{
		{"no command", nil, "no command given", "ttx -h"},
		{"unknown command", []string{"sned"}, `unknown command "sned"`, "ttx -h"},
		{"unknown flag", []string{"status", "--nope"}, "flag provided but not defined: -nope", "ttx status -h"},
		{"flag after argument", []string{"proof", "export", "abc", "-o", "x"}, "flags go before positional arguments", "ttx proof export -h"},
		{"missing argument", []string{"tx"}, "tx takes 1 argument(s), got 0", "ttx tx -h"},
		{"bad tx id", []string{"tx", "xyz"}, "transaction ID must be 64 hex characters", "64 lowercase hex"},
		{"send without amount", []string{"send", "--to", "ttx1x"}, "send needs --to and --amount", "--amount 1.5"},
		{"send float amount", []string{"send", "--to", "ttx1x", "--amount", "1e3"}, `amount "1e3"`, "decimals"},
		{"proof without command", []string{"proof"}, "proof needs a command", "ttx proof -h"},
		{"genesis without new", []string{"genesis"}, `genesis has one command: "new"`, "ttx genesis new -h"},
		{"genesis new without name", []string{"genesis", "new"}, "needs --name and --prefix", "--name mynet"},
		{"genesis bad prefix", []string{"genesis", "new", "--name", "x", "--prefix", "Bad!", "--plaintext", "--dir", "PLACEHOLDER"}, "prefix", ""},
		{"verify missing file", []string{"proof", "verify", "/nonexistent.torrent"}, "read proof /nonexistent.torrent", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i, a := range tc.args {
				if a == "PLACEHOLDER" {
					tc.args[i] = t.TempDir()
				}
			}
			_, stderr, err := runCmd(t, tc.args...)
			if err == nil {
				t.Fatal("err nil, want an error (exit 1)")
			}
			if !strings.Contains(stderr, "Error: ") || !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("stderr %q, want Error: ...%s", stderr, tc.wantErr)
			}
			if tc.wantTry != "" && (!strings.Contains(stderr, "Try: ") || !strings.Contains(stderr, tc.wantTry)) {
				t.Errorf("stderr %q, want Try: ...%s", stderr, tc.wantTry)
			}
		})
	}
}

func TestConfigPrecedence(t *testing.T) {
	home := isolate(t)
	dir := filepath.Join(home, ".ttx")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeConfig := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	load := func(vars map[string]string, args ...string) (*Config, error) {
		e := &env{getenv: func(k string) string { return vars[k] }}
		fs := newFlagSet("test")
		cf := addConfigFlags(fs, "datadir", "api", "log-level", "trusted")
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return cf.load(e)
	}
	tests := []struct {
		name      string
		file      string
		env       map[string]string
		args      []string
		wantAPI   string
		wantLevel string
		wantDir   string
	}{
		{"defaults", "", nil, nil, "127.0.0.1:8347", "info", dir},
		{"file", `{"api":"127.0.0.1:1","log_level":"debug"}`, nil, nil, "127.0.0.1:1", "debug", dir},
		{"env beats file", `{"api":"127.0.0.1:1","log_level":"debug"}`, map[string]string{"TTX_API": "127.0.0.1:2"}, nil, "127.0.0.1:2", "debug", dir},
		{"flag beats env", `{"api":"127.0.0.1:1"}`, map[string]string{"TTX_API": "127.0.0.1:2"}, []string{"--api", "127.0.0.1:3"}, "127.0.0.1:3", "info", dir},
		{"datadir from env", "", map[string]string{"TTX_DATADIR": "/tmp/elsewhere"}, nil, "127.0.0.1:8347", "info", "/tmp/elsewhere"},
		{"datadir flag beats env", "", map[string]string{"TTX_DATADIR": "/tmp/elsewhere"}, []string{"-datadir", "/tmp/there"}, "127.0.0.1:8347", "info", "/tmp/there"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			writeConfig(tc.file)
			if tc.file == "" {
				os.Remove(filepath.Join(dir, ConfigFile))
			}
			cfg, err := load(tc.env, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.API != tc.wantAPI || cfg.LogLevel != tc.wantLevel || cfg.DataDir != tc.wantDir {
				t.Errorf("api %s, level %s, dir %s; want %s, %s, %s", cfg.API, cfg.LogLevel, cfg.DataDir, tc.wantAPI, tc.wantLevel, tc.wantDir)
			}
		})
	}
	t.Run("list from env", func(t *testing.T) {
		os.Remove(filepath.Join(dir, ConfigFile))
		if cfg, err := load(map[string]string{"TTX_DHT": "off"}); err != nil || cfg.DHT != "off" {
			t.Errorf("dht %q, %v; want off", cfg.DHT, err)
		}
		if cfg, err := load(map[string]string{"TTX_MAX_PEERS": "12", "TTX_MAX_OUTBOUND": "3"}); err != nil || cfg.MaxPeers != 12 || cfg.MaxOutbound != 3 {
			t.Errorf("max peers %d, outbound %d, %v; want 12, 3", cfg.MaxPeers, cfg.MaxOutbound, err)
		}
		cfg, err := load(map[string]string{"TTX_TRUSTED": "127.0.0.1:1, 127.0.0.1:2"})
		if err != nil || len(cfg.Trusted) != 2 || cfg.Trusted[1] != "127.0.0.1:2" {
			t.Errorf("trusted %v, %v", cfg.Trusted, err)
		}
	})
	bad := []struct {
		name, file string
		env        map[string]string
		wantField  string
	}{
		{"unknown key", `{"apii":"x"}`, nil, "apii"},
		{"bad api in file", `{"api":"nope"}`, nil, "api"},
		{"bad level in env", ``, map[string]string{"TTX_LOG_LEVEL": "loud"}, "log_level"},
		{"bad trusted", ``, map[string]string{"TTX_TRUSTED": "a"}, "trusted"},
		{"bad dht", `{"dht":"maybe"}`, nil, "dht"},
		{"bad max peers", ``, map[string]string{"TTX_MAX_PEERS": "many"}, "max_peers"},
		{"no room for inbound", `{"max_peers":4,"max_outbound":4}`, nil, "max_outbound"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			writeConfig(tc.file)
			if tc.file == "" {
				os.Remove(filepath.Join(dir, ConfigFile))
			}
			_, err := load(tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.wantField) {
				t.Errorf("err %v, want one naming %q", err, tc.wantField)
			}
			var ve *ConfigValidationError
			if tc.name != "unknown key" && !errors.As(err, &ve) {
				t.Errorf("err %T, want *ConfigValidationError", err)
			}
		})
	}
}

func TestReadPassphraseFromPipe(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{"line", "correct horse\nignored\n", "correct horse", false},
		{"no newline", "s3cret", "s3cret", false},
		{"crlf", "pw\r\n", "pw", false},
		{"empty", "\n", "", true},
		{"nothing", "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var errb bytes.Buffer
			e := &env{stdin: strings.NewReader(tc.in), stderr: &errb}
			got, err := readPassphrase(e, "a key", true)
			if (err != nil) != tc.wantErr || string(got) != tc.want {
				t.Errorf("got %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
			if errb.Len() != 0 {
				t.Errorf("prompted on a pipe: %q", errb.String())
			}
		})
	}
}
