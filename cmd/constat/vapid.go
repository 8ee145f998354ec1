package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/constat-ent/constat/incidents/push"
)

// runVapidKeys creates the VAPID key pair of Web Push in the data
// directory (mode 0600); serve creates it at first start when absent.
func runVapidKeys(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vapid-keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", "data", "data directory")
	if done, code := parseFlags(fs, args); done {
		return code
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "constat vapid-keys:", err)
		return exitFailure
	}
	k, err := push.CreateKeys(*dir)
	if err != nil {
		fmt.Fprintln(stderr, "constat vapid-keys:", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "public key: %s\n", k.Public)
	return exitOK
}
