// Command constat measures French school digital services and publishes what
// it measured. Subcommands:
//
//	constat check [-config FILE] [-json] [component…]         run each check once and print the results
//	constat serve [-config FILE] -data DIR -listen ADDR        probe on schedule, record, serve the status page
//	constat demo  [-listen ADDR] [-data DIR]                   the same against loopback simulators of failing ENTs
//	constat export-site [-config FILE] [-data DIR] [-days N] OUTDIR
//	                                                           write the public site as static files, from a stopped serve's data
//	constat admin add|passwd|list|token|revoke [-data DIR] …   manage the admin accounts and API tokens (serve stopped)
//	constat fsck  [-data DIR] [-key VKEY]                      check every record against the evidence log and its checkpoints
//	constat bundle -component ID -from T -to T -o FILE         the evidence for a component's measurements, in one file
//	constat verify [-key VKEY] FILE                            check such a file offline
//	constat witness -log URL -key VKEY -state DIR [-listen ADDR]
//	                                                           witness a log: check, keep and cosign its checkpoints
//
// Without -config, the embedded config.example.yaml (the real endpoints) is
// used. The configuration is read by probes' loader, each top-level section
// by the package that owns it (config.go lists them). This package is
// wiring only: flags, configuration, stores, server, exit code.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// Exit codes shared by the subcommands.
const (
	exitOK      = 0
	exitFailure = 1 // check: a component is not operational; others: Constat failed
	exitUsage   = 2 // bad flags or bad configuration
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "check":
		return runCheck(args[1:], stdout, stderr)
	case "serve":
		return runServe(args[1:], stdout, stderr)
	case "export-site":
		return runExport(args[1:], stdout, stderr)
	case "demo":
		return runDemo(args[1:], stdout, stderr)
	case "vapid-keys":
		return runVapidKeys(args[1:], stdout, stderr)
	case "admin":
		return runAdmin(args[1:], stdout, stderr)
	case "fsck":
		return runFsck(args[1:], stdout, stderr)
	case "bundle":
		return runBundle(args[1:], stdout, stderr)
	case "verify":
		return runVerify(args[1:], stdout, stderr)
	case "witness":
		return runWitness(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	fmt.Fprintf(stderr, "constat: unknown command %q\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  constat check [-config FILE] [-json] [component…]
  constat serve [-config FILE] [-data DIR] [-listen ADDR]
  constat demo  [-listen ADDR] [-data DIR]
  constat export-site [-config FILE] [-data DIR] [-days N] OUTDIR
  constat admin add|passwd|list|token|revoke [-data DIR] …
  constat vapid-keys [-data DIR]
  constat fsck [-data DIR] [-key VKEY]
  constat bundle [-data DIR] -component ID -from T -to T -o FILE
  constat verify [-key VKEY] FILE
  constat witness -log URL -key VKEY -state DIR [-listen ADDR] [-once]
Run "constat COMMAND -h" for a command's flags.
`)
}

// parseFlags parses fs, mapping -h to exit 0 and bad flags to exitUsage.
func parseFlags(fs *flag.FlagSet, args []string) (done bool, code int) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, exitOK
		}
		return true, exitUsage
	}
	return false, exitOK
}
