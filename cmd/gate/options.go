package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
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
}

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
	if !withArgv {
		fs.DurationVar(&opts.maxWait, "max-wait", 0, "give up after this long (0: never)")
	}
	if err := fs.Parse(flagArgs); err != nil {
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
