package main

import (
	"context"
	"fmt"
	"io"
)

func caCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "path" && args[0] != "export") {
		fmt.Fprintln(stderr, "Usage: phiproxy ca path [--ca-dir DIR]    print the CA certificate's path (creating the CA if needed)\n       phiproxy ca export [--der] [--ca-dir DIR]    write the CA certificate to stdout (PEM, or DER)")
		return errUsage
	}
	sub := args[0]
	fs := newFlagSet("ca "+sub, "", stderr)
	caDir := fs.String("ca-dir", "", "`folder` holding ca.pem and ca.key (default $XDG_CONFIG_HOME/phiproxy or ~/.config/phiproxy)")
	der := false
	if sub == "export" {
		fs.BoolVar(&der, "der", false, "write DER instead of PEM")
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	ca, err := loadCA(*caDir)
	if err != nil {
		return err
	}
	switch {
	case sub == "path":
		_, err = fmt.Fprintln(stdout, ca.CertPath())
	case der:
		_, err = stdout.Write(ca.CertDER())
	default:
		_, err = stdout.Write(ca.CertPEM())
	}
	return err
}
