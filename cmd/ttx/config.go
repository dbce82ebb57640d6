package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/genesis"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/torrentx"
)

// ConfigFile is the optional JSON config file in the data dir.
const ConfigFile = "config.json"

// Defaults.
const (
	defaultDataDir   = "~/.ttx"
	defaultListen    = "0.0.0.0:6881"
	defaultLogLevel  = "info"
	defaultLogFormat = "text"
)

// Config is the resolved configuration of a command. Precedence, lowest
// first: defaults, <datadir>/config.json, TTX_* environment variables,
// flags (btcd's two-pass parse). The data dir itself comes from
// --datadir, TTX_DATADIR or the default.
type Config struct {
	// DataDir holds the node's store, keys, cookie and config.json.
	DataDir string `json:"-"`
	// API is the node's API address (host:port).
	API string `json:"api,omitempty"`
	// Genesis is the path of a network's genesis tx.json; empty means the
	// embedded default network, ttx-testnet.
	Genesis string `json:"genesis,omitempty"`
	// Listen is the BitTorrent listen address (start).
	Listen string `json:"listen,omitempty"`
	// Advertise is the ip:port peers reach the node at, shown in its
	// magnet links (start); empty means the listen address, or an
	// interface address when listening on every address.
	Advertise string `json:"advertise,omitempty"`
	// Bootstrap lists DHT nodes or peers to start from, host:port (start);
	// empty means the public DHT routers.
	Bootstrap []string `json:"bootstrap,omitempty"`
	// DHT is "on" or "off": off keeps the node off the mainline DHT, so it
	// meets only the peers in Bootstrap and those that dial it (start).
	DHT string `json:"dht,omitempty"`
	// MaxPeers caps the node's connections on the genesis swarm, and
	// MaxOutbound of them are the ones it dials itself (start; 0: the
	// defaults, torrentx.DefaultMaxPeers and DefaultMaxOutbound).
	MaxPeers    int `json:"max_peers,omitempty"`
	MaxOutbound int `json:"max_outbound,omitempty"`
	// LogLevel is debug, info, warn or error; LogFormat text or json.
	LogLevel  string `json:"log_level,omitempty"`
	LogFormat string `json:"log_format,omitempty"`
	// Trusted lists the peers `ttx tx --peers` asks by default.
	Trusted []string `json:"trusted,omitempty"`
	// PassphraseFile names a file (mode 0600 or stricter) holding the
	// wallet's passphrase, so a node starts with no terminal to ask on.
	PassphraseFile string `json:"passphrase_file,omitempty"`
}

func defaultConfig() Config {
	return Config{
		API:       api.DefaultAddr,
		DHT:       "on",
		Listen:    defaultListen,
		LogLevel:  defaultLogLevel,
		LogFormat: defaultLogFormat,
	}
}

// setting ties a flag, its environment variable and a Config field.
type setting struct {
	flag, env, usage string
	set              func(c *Config, v string)
}

// settings are the configurable values, by flag name. datadir has no set:
// it is resolved first, since config.json lives in it.
func settings() []setting {
	return []setting{
		{"datadir", "TTX_DATADIR", "data directory: store, keys, cookie, config.json (default " + defaultDataDir + ")", nil},
		{"api", "TTX_API", "address of the node's API (default " + api.DefaultAddr + ")", func(c *Config, v string) { c.API = v }},
		{"genesis", "TTX_GENESIS", "genesis tx.json of the network (default: the embedded " + genesis.TestnetName + ")", func(c *Config, v string) { c.Genesis = v }},
		{"listen", "TTX_LISTEN", "BitTorrent listen address (default " + defaultListen + ")", func(c *Config, v string) { c.Listen = v }},
		{"advertise", "TTX_ADVERTISE", "ip:port peers reach this node at, put in its magnet links (default: the listen address, or an interface's)", func(c *Config, v string) { c.Advertise = v }},
		{"bootstrap", "TTX_BOOTSTRAP", "comma-separated DHT nodes or peers to start from, host:port (default: the public DHT)", func(c *Config, v string) { c.Bootstrap = splitList(v) }},
		{"dht", "TTX_DHT", "mainline DHT: on or off (off: peers only from --bootstrap and those that dial in; default on)", func(c *Config, v string) { c.DHT = v }},
		{"max-peers", "TTX_MAX_PEERS", "most peers on the genesis swarm, in and out (default " + strconv.Itoa(torrentx.DefaultMaxPeers) + ")", func(c *Config, v string) { c.MaxPeers = count(v) }},
		{"max-outbound", "TTX_MAX_OUTBOUND", "how many of them the node dials itself; the rest dial in (default " + strconv.Itoa(torrentx.DefaultMaxOutbound) + ")", func(c *Config, v string) { c.MaxOutbound = count(v) }},
		{"log-level", "TTX_LOG_LEVEL", "log level: debug, info, warn or error (default " + defaultLogLevel + ")", func(c *Config, v string) { c.LogLevel = v }},
		{"log-format", "TTX_LOG_FORMAT", "log format: text or json (default " + defaultLogFormat + ")", func(c *Config, v string) { c.LogFormat = v }},
		{"trusted", "TTX_TRUSTED", "comma-separated peers to ask about a transaction, host:port", func(c *Config, v string) { c.Trusted = splitList(v) }},
		{"passphrase-file", "TTX_PASSPHRASE_FILE", "file holding the wallet's passphrase, mode 0600 or stricter (default: ask on the terminal)", func(c *Config, v string) { c.PassphraseFile = v }},
	}
}

// count parses a peer count; anything but a non-negative integer gives
// -1, which Validate rejects.
func count(v string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// configFlags are the config flags a command registered.
type configFlags struct {
	fs   *flag.FlagSet
	vals map[string]*string
}

// addConfigFlags registers the named settings as flags on fs.
func addConfigFlags(fs *flag.FlagSet, names ...string) *configFlags {
	cf := &configFlags{fs: fs, vals: make(map[string]*string)}
	for _, s := range settings() {
		for _, n := range names {
			if n == s.flag {
				cf.vals[n] = fs.String(n, "", s.usage+"; env "+s.env)
			}
		}
	}
	return cf
}

// passed returns the config flags set on the command line, as they would
// be typed again (" --api 127.0.0.1:8347"), for the commands a hint
// suggests: a follow-up must reach the same node.
func (cf *configFlags) passed() string {
	var b strings.Builder
	cf.fs.Visit(func(f *flag.Flag) {
		if _, ok := cf.vals[f.Name]; ok {
			fmt.Fprintf(&b, " --%s %s", f.Name, shellQuote(f.Value.String()))
		}
	})
	return b.String()
}

// shellQuote quotes s for a POSIX shell if it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:~,@%+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// clientFlags registers what every API client command takes.
func clientFlags(fs *flag.FlagSet) *configFlags { return addConfigFlags(fs, "datadir", "api") }

// load resolves the configuration: defaults < config.json < env < flags.
func (cf *configFlags) load(e *env) (*Config, error) {
	set := make(map[string]bool)
	cf.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	flagVal := func(name string) (string, bool) {
		p, ok := cf.vals[name]
		if !ok || !set[name] {
			return "", false
		}
		return *p, true
	}
	cfg := defaultConfig()
	dir, ok := flagVal("datadir")
	if !ok {
		dir = e.getenv("TTX_DATADIR")
	}
	if dir == "" {
		dir = defaultDataDir
	}
	var err error
	if cfg.DataDir, err = expandHome(dir); err != nil {
		return nil, err
	}
	if err := readConfigFile(filepath.Join(cfg.DataDir, ConfigFile), &cfg); err != nil {
		return nil, err
	}
	for _, s := range settings() {
		if s.set == nil {
			continue
		}
		if v := e.getenv(s.env); v != "" {
			s.set(&cfg, v)
		}
		if v, ok := flagVal(s.flag); ok {
			s.set(&cfg, v)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// expandHome replaces a leading "~" with the home directory.
func expandHome(p string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", withHint(fmt.Errorf("find the data dir: %w", err), "pass --datadir or set TTX_DATADIR")
	}
	return filepath.Join(home, p[1:]), nil
}

// readConfigFile overlays the JSON config file at path (if it exists) on
// cfg. Unknown keys are errors, so a typo does not go unnoticed.
func readConfigFile(path string, cfg *Config) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return withHint(fmt.Errorf("read config %s: %w", path, err), "fix the file; its keys are api, genesis, listen, advertise, bootstrap, dht, log_level, log_format, trusted, passphrase_file")
	}
	return nil
}

// ConfigValidationError reports an invalid setting.
type ConfigValidationError struct {
	Field string // the config.json key
	Err   error
}

func (e *ConfigValidationError) Error() string { return "config " + e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ConfigValidationError) Unwrap() error { return e.Err }

// Validate checks every setting.
func (c *Config) Validate() error {
	if err := checkHostPort(c.API); err != nil {
		return &ConfigValidationError{"api", err}
	}
	if err := checkHostPort(c.Listen); err != nil {
		return &ConfigValidationError{"listen", err}
	}
	if c.Advertise != "" {
		if err := checkHostPort(c.Advertise); err != nil {
			return &ConfigValidationError{"advertise", err}
		}
	}
	if c.DHT != "on" && c.DHT != "off" {
		return &ConfigValidationError{"dht", fmt.Errorf("%q: want on or off", c.DHT)}
	}
	if c.MaxPeers < 0 {
		return &ConfigValidationError{"max_peers", errors.New("want a count of peers, 0 or more")}
	}
	if c.MaxOutbound < 0 {
		return &ConfigValidationError{"max_outbound", errors.New("want a count of peers, 0 or more")}
	}
	if c.MaxPeers > 0 && c.MaxOutbound >= c.MaxPeers {
		return &ConfigValidationError{"max_outbound", fmt.Errorf("%d leaves no room for inbound peers under max_peers %d", c.MaxOutbound, c.MaxPeers)}
	}
	for _, p := range c.Bootstrap {
		if err := checkHostPort(p); err != nil {
			return &ConfigValidationError{"bootstrap", err}
		}
	}
	for _, p := range c.Trusted {
		if err := checkHostPort(p); err != nil {
			return &ConfigValidationError{"trusted", err}
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &ConfigValidationError{"log_level", fmt.Errorf("%q is not debug, info, warn or error", c.LogLevel)}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return &ConfigValidationError{"log_format", fmt.Errorf("%q is not text or json", c.LogFormat)}
	}
	return nil
}

func checkHostPort(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not host:port", s)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%q has a bad port", s)
	}
	return nil
}

// loadWithNetwork resolves the configuration (as load) and the network it
// names: its genesis file's, or the embedded default.
func (cf *configFlags) loadWithNetwork(e *env) (*Config, *dag.Network, error) {
	cfg, err := cf.load(e)
	if err != nil {
		return nil, nil, err
	}
	net, err := loadNetwork(cfg.Genesis)
	if err != nil {
		return nil, nil, err
	}
	return cfg, net, nil
}

// loadNetwork reads the genesis at path, or returns the default network if
// path is empty.
func loadNetwork(path string) (*dag.Network, error) {
	if path == "" {
		return genesis.Default(), nil
	}
	net, err := genesis.Load(path)
	if err != nil {
		return nil, withHint(err, "--genesis takes the tx.json that `ttx genesis new` wrote")
	}
	return net, nil
}

// client returns an API client. Spending commands pass spending = true to
// send the cookie from the data dir.
// client resolves the configuration and returns a client for the node's API;
// spending clients carry the cookie from the data dir.
func (cf *configFlags) client(e *env, spending bool) (*api.Client, error) {
	cfg, err := cf.load(e)
	if err != nil {
		return nil, err
	}
	return cfg.client(spending)
}

func (c *Config) client(spending bool) (*api.Client, error) {
	tok := ""
	if spending {
		var err error
		tok, err = api.ReadCookie(c.DataDir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, withHint(fmt.Errorf("no %s in %s: spending needs the running node's cookie", api.CookieFile, c.DataDir),
				"ttx start, or pass the --datadir the node was started with")
		}
		if err != nil {
			return nil, err
		}
	}
	return api.NewClient(c.API, tok), nil
}
