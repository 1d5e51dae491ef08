// Command imagetool builds container images as tarballs, with no container engine and no
// registry, for the local cluster of hack/cluster.sh (`hack/cluster.sh load-image FILE`).
//
// An image is one layer made of files from the host, plus a config (entrypoint, cmd, user, ...).
// The layer is deterministic: entries sorted by path, owner 0:0 with no owner names, a fixed
// modification time, so building the same inputs twice gives the same image digest.
//
// Usage:
//
//	imagetool build --tag REF --out FILE.tar [options]
//	  --add SRC:DST[:MODE]      copy the host file or directory SRC to DST in the image; MODE
//	                            (octal) overrides the permissions of a file (repeatable)
//	--dir DST[:MODE]            an empty directory (default mode 0755; repeatable)
//	--symlink TARGET:LINK       a symbolic link LINK pointing at TARGET (repeatable)
//	--entrypoint LIST           ENTRYPOINT: a JSON array (["a","b, c"]) or a comma-separated list
//	--cmd LIST                  CMD, the same forms
//	--user USER[:GROUP]         USER, e.g. 65532:65532
//	--workdir DIR               WORKDIR
//	--env KEY=VALUE             an environment variable (repeatable; PATH has a default)
//	--label KEY=VALUE           a label (repeatable)
//	--arch ARCH                 the architecture recorded in the config (default: this machine)
//
//	imagetool inspect FILE.tar  print the names, manifest digest and image ID of a tarball
//
//	imagetool serve [--addr HOST:PORT] [--ready-file FILE] FILE.tar...
//	                            serve the tarballs' images as a read-only registry over plain
//	                            HTTP (default 127.0.0.1:5000) until stopped (serve.go)
//
// `build` prints the tarball, the tag, digest=<manifest digest>, id=<config digest> and
// ref=<repository>@<manifest digest>. The image is an OCI image (OCI media types, one gzip
// layer), and the tarball holds it both as an OCI image layout, whose index names it by its tag
// and by its digest, and with a `docker save` manifest.json (archive.go). `ctr images import`
// reads the OCI layout, so the image keeps the manifest digest computed here, the one a registry
// would serve after a push, and a pod may name it repository@sha256:<digest>.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "build":
		err = runBuild(os.Args[2:])
	case "inspect":
		err = runInspect(os.Args[2:])
	case "serve":
		err = runServe(os.Args[2:])
	case "-h", "--help", "help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "imagetool: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "imagetool: %v\n", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  imagetool build --tag REF --out FILE.tar [--add SRC:DST[:MODE]]... [--dir DST[:MODE]]...
                  [--symlink TARGET:LINK]... [--entrypoint LIST] [--cmd LIST]
                  [--user USER[:GROUP]] [--workdir DIR] [--env K=V]... [--label K=V]... [--arch ARCH]
  imagetool inspect FILE.tar
  imagetool serve [--addr HOST:PORT] [--ready-file FILE] FILE.tar...

LIST is a JSON array (["a","b, c"]) or a comma-separated list (a,b).
`)
}
