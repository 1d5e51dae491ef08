package main

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/singleton-operator/singleton-operator/internal/gatewire"
)

// Defaults of the paths the webhook mounts.
const (
	defaultPodinfoDir = "/singleton/podinfo"
	defaultInterval   = 50 * time.Millisecond
)

// Watch modes: inotify reacts to the kubelet's atomic swap of the volume's ..data symlink;
// poll re-reads the files every interval.
const (
	watchInotify = "inotify"
	watchPoll    = "poll"
)

// options are the flags of exec and await.
type options struct {
	podinfoDir string
	watch      string
	// interval is the poll period (watch=poll), or the period of the safety re-read that backs
	// up inotify (watch=inotify: ten times this, so that a missed event costs bounded time).
	interval time.Duration
	// maxWait makes await give up (exit 1) after this long; 0 waits for ever. Ignored by exec.
	maxWait time.Duration
	// supervise makes exec stay the application's parent (docs/gate.md, "Supervision");
	// channel is set when it also talks to the operator. Both are exec's only.
	supervise bool
	channel   channelOptions
}

// channelOptions say how a supervising gate reaches the operator (internal/gatewire). They are
// all set, or none.
type channelOptions struct {
	container  string // the container's name in the pod: names its files in stateDir
	operator   string // https://IP:PORT
	serverName string // the name the operator's certificate is checked against
	caSHA256   []byte // SHA-256 of the DER of the one CA certificate trusted
	stateDir   string // gatewire.StateDir unless given
	tokenDir   string // gatewire.TokenDir unless given
}

// enabled reports whether the channel is configured.
func (c channelOptions) enabled() bool { return c.operator != "" }

// errNoCommand is returned when exec is given no command after "--".
var errNoCommand = errors.New(`exec needs the command after "--"`)

// parseOptions parses the flags of exec (withArgv: the command follows a mandatory "--") and
// of await (no command). Everything after the first "--" is the command, verbatim: it may
// itself contain "--" or arguments that look like flags.
func parseOptions(name string, args []string, withArgv bool) (options, []string, error) {
	flagArgs, argv, sawDashes := splitAtDashes(args)
	opts := options{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&opts.podinfoDir, "podinfo", defaultPodinfoDir, "downward API volume with the files uid and release")
	fs.StringVar(&opts.watch, "watch", watchInotify, "how to notice the release: inotify or poll")
	fs.DurationVar(&opts.interval, "interval", defaultInterval, "poll period")
	var caHex string
	if !withArgv {
		fs.DurationVar(&opts.maxWait, "max-wait", 0, "give up after this long (0: never)")
	} else {
		ch := &opts.channel
		fs.BoolVar(&opts.supervise, flagName(gatewire.FlagSupervise), false, "stay the app's parent, reap, report its exit")
		fs.StringVar(&ch.container, flagName(gatewire.FlagContainer), "", "the container's name in the pod")
		fs.StringVar(&ch.operator, flagName(gatewire.FlagOperator), "", "the operator's channel, https://IP:PORT")
		fs.StringVar(&ch.serverName, flagName(gatewire.FlagServerName), "", "the name the operator's certificate holds")
		fs.StringVar(&caHex, flagName(gatewire.FlagCASHA256), "", "hex SHA-256 of the DER of the CA certificate to trust")
		fs.StringVar(&ch.stateDir, "state-dir", "", "the pod's state directory (default "+gatewire.StateDir+")")
		fs.StringVar(&ch.tokenDir, "token-dir", "", "the token's directory (default "+gatewire.TokenDir+")")
	}
	if err := fs.Parse(flagArgs); err != nil {
		return options{}, nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := opts.channel.complete(opts.supervise, caHex); err != nil {
		return options{}, nil, fmt.Errorf("%s: %w", name, err)
	}
	if fs.NArg() > 0 {
		return options{}, nil, fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0))
	}
	if opts.watch != watchInotify && opts.watch != watchPoll {
		return options{}, nil, fmt.Errorf("%s: --watch must be %s or %s, not %q", name, watchInotify, watchPoll, opts.watch)
	}
	if opts.interval <= 0 {
		return options{}, nil, fmt.Errorf("%s: --interval must be positive", name)
	}
	if opts.maxWait < 0 {
		return options{}, nil, fmt.Errorf("%s: --max-wait must not be negative", name)
	}
	switch {
	case withArgv && (!sawDashes || len(argv) == 0):
		return options{}, nil, errNoCommand
	case !withArgv && sawDashes:
		return options{}, nil, fmt.Errorf("%s: takes no command", name)
	}
	return opts, argv, nil
}

// splitAtDashes splits args at the first "--".
func splitAtDashes(args []string) (before, after []string, found bool) {
	for i, a := range args {
		if a == "--" {
			return args[:i], args[i+1:], true
		}
	}
	return args, nil, false
}

// flagName is a gatewire flag without its dashes, as package flag names it.
func flagName(f string) string { return strings.TrimLeft(f, "-") }

// complete checks the channel flags (all or none, and only with --supervise), decodes the CA
// hash and fills in the default directories.
func (c *channelOptions) complete(supervise bool, caHex string) error {
	given := c.container + c.operator + c.serverName + caHex + c.stateDir + c.tokenDir
	if given == "" {
		return nil
	}
	if !supervise {
		return fmt.Errorf("the channel flags need %s", gatewire.FlagSupervise)
	}
	if c.container == "" || c.operator == "" || c.serverName == "" || caHex == "" {
		return fmt.Errorf("%s, %s, %s and %s go together", gatewire.FlagContainer, gatewire.FlagOperator,
			gatewire.FlagServerName, gatewire.FlagCASHA256)
	}
	if !isDNSLabel(c.container) {
		return fmt.Errorf("%s %q is not a container name", gatewire.FlagContainer, c.container)
	}
	operator, err := operatorURL(c.operator)
	if err != nil {
		return err
	}
	c.operator = operator
	sum, err := hex.DecodeString(caHex)
	if err != nil || len(sum) != 32 {
		return fmt.Errorf("%s must be 64 hex digits", gatewire.FlagCASHA256)
	}
	c.caSHA256 = sum
	if c.stateDir == "" {
		c.stateDir = gatewire.StateDir
	}
	if c.tokenDir == "" {
		c.tokenDir = gatewire.TokenDir
	}
	return nil
}

// operatorURL checks that s is https://HOST:PORT (a trailing slash aside) and returns it
// without the slash.
func operatorURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" ||
		(u.Path != "" && u.Path != "/") {
		return "", fmt.Errorf("%s must be https://HOST:PORT, not %q", gatewire.FlagOperator, s)
	}
	return "https://" + u.Host, nil
}

// isDNSLabel reports whether s is a Kubernetes container name (an RFC 1123 label), so that it
// is safe as part of a file name.
func isDNSLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}
