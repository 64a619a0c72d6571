package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"latchkey/internal/storeopts"
	"latchkey/models"
)

// createUser adds a user from the command line. The password is read from
// standard input (first line) so it never appears in the process list or the
// shell history.
func createUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email address (login)")
	name := fs.String("name", "", "display name")
	role := fs.String("role", models.RoleViewer, "admin or viewer")
	cfg, err := loadConfig(fs, args)
	if err != nil {
		return err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("read password from stdin: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	store, err := models.Open(ctx, cfg.Database.DSN, newLogger(cfg, stderr), storeopts.FromConfig(cfg)...)
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := store.CreateUser(ctx, models.Actor{}, models.NewUser{Email: *email, Name: *name, Password: password, Role: *role})
	if fe, ok := models.AsFieldErrors(err); ok {
		for field, msg := range fe {
			fmt.Fprintf(stderr, "%s: %s\n", field, msg)
		}
		return fmt.Errorf("user not created")
	}
	if err != nil {
		return err
	}
	if err := store.Record(ctx, models.AuditEvent{Type: models.EventUserCreated, ActorEmail: "cli", TargetID: u.ID, TargetName: u.Email, Detail: "role " + u.Role + ", via command line"}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s user %s\n", u.Role, u.Email)
	return nil
}
