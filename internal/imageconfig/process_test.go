package imageconfig

import (
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// TestCommand pins the container runtimes' rule (containerd's and CRI-O's, after Docker's): a
// container with no command runs ENTRYPOINT followed by its args, or by CMD when it has none.
// want is the argv the runtime starts: the command Command returns followed by the container's
// args, both expanded by the kubelet as it expands them.
func TestCommand(t *testing.T) {
	cases := []struct {
		name    string
		image   Process
		args    []string
		want    []string
		wantErr error
	}{
		{name: "entrypoint only", image: Process{Entrypoint: []string{"/app", "--serve"}},
			want: []string{"/app", "--serve"}},
		{name: "entrypoint only, with args", image: Process{Entrypoint: []string{"/app"}},
			args: []string{"a b", "--"}, want: []string{"/app", "a b", "--"}},
		{name: "cmd only", image: Process{Cmd: []string{"/bin/sh", "-c", "echo hi"}},
			want: []string{"/bin/sh", "-c", "echo hi"}},
		{name: "cmd only, args replace it and name the program", image: Process{Cmd: []string{"/app"}},
			args: []string{"/other", "x"}, want: []string{"/other", "x"}},
		{name: "both", image: Process{Entrypoint: []string{"/app"}, Cmd: []string{"--default"}},
			want: []string{"/app", "--default"}},
		{name: "both, args replace cmd only", image: Process{Entrypoint: []string{"/app"}, Cmd: []string{"--default"}},
			args: []string{"--mine"}, want: []string{"/app", "--mine"}},
		{name: "neither, args are the argv", args: []string{"/x", "y"}, want: []string{"/x", "y"}},
		{name: "neither, no args", wantErr: ErrNoCommand},
		{name: "empty cmd and entrypoint slices", image: Process{Entrypoint: []string{}, Cmd: []string{}},
			wantErr: ErrNoCommand},
		{name: "entrypoint of one empty string", image: Process{Entrypoint: []string{""}, Cmd: []string{"/app"}},
			wantErr: ErrEmptyEntrypoint},
		{name: "the image's $(VAR) stays literal, the args' are the kubelet's",
			image: Process{Entrypoint: []string{"/app", "$(HOME)", "$$", "a$b"}, Cmd: []string{"$(X)"}},
			args:  []string{"$(Y)", "$$(Y)"}, want: []string{"/app", "$(HOME)", "$$", "a$b", "y", "$(Y)"}},
		{name: "the image's $(VAR) in CMD stays literal", image: Process{Cmd: []string{"/app", "$(X)"}},
			want: []string{"/app", "$(X)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			command, err := Command(tc.image, tc.args)
			if tc.wantErr != nil {
				g.Expect(err).To(MatchError(tc.wantErr))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			env := map[string]string{"HOME": "/home/x", "X": "x", "Y": "y"}
			argv := []string{}
			for _, w := range slices.Concat(command, tc.args) {
				argv = append(argv, kubeletExpand(w, env))
			}
			g.Expect(argv).To(Equal(tc.want))
		})
	}
}

// kubeletExpand is the kubelet's expansion of a command or args word (k8s.io/kubernetes's
// third_party/forked/golang/expansion) for a container whose environment is env: "$$" is "$",
// "$(NAME)" is NAME's value when env defines it, and anything else stays.
func kubeletExpand(w string, env map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		if w[i] != '$' || i+1 >= len(w) {
			b.WriteByte(w[i])
			continue
		}
		switch w[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(w[i:], ')')
			if end < 0 {
				b.WriteByte(w[i])
				continue
			}
			name := w[i+2 : i+end]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(w[i : i+end+1])
			}
			i += end
		default:
			b.WriteByte(w[i])
		}
	}
	return b.String()
}

// FuzzCommand checks the rule for any words: the command Command returns, followed by the
// args, both expanded by the kubelet for any environment, is the image's ENTRYPOINT and CMD
// byte for byte (or its ENTRYPOINT and the expanded args).
func FuzzCommand(f *testing.F) {
	f.Add("/app\x00$(HOME)", "--x\x00$$", "", "HOME")
	f.Add("", "/bin/sh\x00-c\x00echo $(X) $$X", "$(X)", "X")
	f.Add("a$", "$(", "$(Y)\x00$$(Y)", "Y")
	f.Fuzz(func(t *testing.T, entrypoint, cmd, args, defined string) {
		p := Process{Entrypoint: split(entrypoint), Cmd: split(cmd)}
		a := split(args)
		env := map[string]string{}
		for name := range strings.SplitSeq(defined, ",") {
			env[name] = "<" + name + ">"
		}
		command, err := Command(p, a)
		if err != nil {
			return
		}
		got := []string{}
		for _, w := range command {
			got = append(got, kubeletExpand(w, env))
		}
		expandedArgs := []string{}
		for _, w := range a {
			expandedArgs = append(expandedArgs, kubeletExpand(w, env))
		}
		got = append(got, expandedArgs...)
		want := slices.Clone(p.Entrypoint)
		if len(a) == 0 {
			want = append(want, p.Cmd...)
		} else {
			want = append(want, expandedArgs...)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("argv %q, want %q", got, want)
		}
	})
}

// split turns a NUL-separated string into a list; empty means none.
func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}
