// Command latchkey runs the Latchkey console and OAuth gateway, and manages
// users from the command line.
//
//	latchkey serve [--no-migrate] [--config PATH]
//	latchkey user create --email E --name N --role admin|viewer [--config PATH]  (password on stdin)
//	latchkey notify [--dry-run] [--config PATH]
//	latchkey migrate status|up [--config PATH]
//	latchkey backup|restore [--config PATH] FILE
//	latchkey health [--path /healthz|/readyz] [--config PATH]
//	latchkey version
//
// It may import every package that serves or manages Latchkey (certrotate,
// config, models, notify, web); nothing imports it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "latchkey:", err)
		os.Exit(1)
	}
}

const usage = `Usage:
  latchkey serve [--no-migrate] [--config PATH]
      serve the console and the gateway; --no-migrate: never apply migrations,
      refuse to start while the schema is behind
  latchkey user create --email EMAIL --name NAME --role admin|viewer [--config PATH]
      (reads the password from standard input)
  latchkey notify [--dry-run] [--config PATH]
      run the client-secret expiry job once now; with --dry-run, print what
      it would send and change nothing
  latchkey migrate status [--config PATH]
      list the database migrations: applied (when) or pending
  latchkey migrate up [--config PATH]
      apply the pending migrations (latchkey serve does on start)
  latchkey backup [--config PATH] FILE
      copy the SQLite database to FILE while serve runs (PostgreSQL: use pg_dump)
  latchkey restore [--config PATH] FILE
      with serve stopped, replace the SQLite database by FILE and migrate it up
  latchkey health [--path /healthz|/readyz] [--config PATH]
      ask the local listener for /healthz; exit 0 when it answers 200
  latchkey version
      print the version and commit this binary was built from

The configuration file defaults to ./latchkey.yml when it exists (or
$LATCHKEY_CONFIG); every key can be set by an environment variable: see
latchkey.example.yml.`

// run dispatches the sub-command; it returns instead of exiting so tests can
// drive it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("missing command")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "user":
		if len(args) < 2 || args[1] != "create" {
			fmt.Fprintln(stderr, usage)
			return fmt.Errorf("unknown user command")
		}
		return createUser(ctx, args[2:], stdin, stdout, stderr)
	case "notify":
		return notifyCommand(ctx, args[1:], stdout, stderr)
	case "migrate":
		return migrateCommand(ctx, args[1:], stdout, stderr)
	case "backup":
		return backupCommand(ctx, args[1:], stdout, stderr)
	case "restore":
		return restoreCommand(ctx, args[1:], stdout, stderr)
	case "health":
		return healthCommand(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		printVersion(stdout)
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
