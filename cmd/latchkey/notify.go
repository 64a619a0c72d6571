package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"latchkey/internal/storeopts"
	"latchkey/models"
	"latchkey/notify"
)

// notifyCommand runs the expiry job of every enabled source (client secrets,
// ...) once, now, as the schedules of `latchkey serve` would; with --dry-run it prints what the run
// would send and changes nothing. Running it next to serving nodes is safe:
// the ledger decides each notice once, whichever process runs first.
func notifyCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("notify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dry := fs.Bool("dry-run", false, "print what the run would send, and change nothing")
	cfg, err := loadConfig(fs, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("notify: unexpected argument %q", fs.Arg(0))
	}
	log := newLogger(cfg, stderr)
	store, err := models.Open(ctx, cfg.Database.DSN, log, storeopts.FromConfig(cfg)...)
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := notify.New(store, cfg, log)
	if err != nil {
		return err
	}
	if *dry {
		plan, err := n.DryRun(ctx)
		if err != nil {
			return err
		}
		printPlan(stdout, plan, n.Channels())
		if !notify.Enabled(cfg) {
			fmt.Fprintln(stdout, "Note: the notifier is switched off (services.notifier.enabled, services.notifier.client-secret.enabled): `latchkey serve` does not run it.")
		} else {
			fmt.Fprintf(stdout, "Next scheduled run: %s.\n", n.Next(time.Now()).Format(time.RFC3339))
		}
		return nil
	}
	if !notify.Enabled(cfg) {
		return errors.New("the notifier is switched off (services.notifier.enabled, services.notifier.client-secret.enabled); use --dry-run to see what it would send")
	}
	run, err := n.Run(ctx)
	if run != nil {
		fmt.Fprintf(stdout, "Scanned %d due secrets: %d notices decided, %d sent, %d failed (retried by the next run), %d taken over from earlier runs.\n",
			run.Scanned, run.Decided, run.Sent, run.Failed, run.Retried)
	}
	return err
}

// printPlan writes a dry run's notices as a table.
func printPlan(w io.Writer, plan []notify.Planned, channels []string) {
	if len(channels) == 0 {
		fmt.Fprintln(w, "No notification channel is enabled (notifiers.*.enabled): nothing would be sent.")
	}
	if len(plan) == 0 {
		fmt.Fprintln(w, "Nothing to send: no client secret or certificate has crossed a threshold or expired since it was last announced.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// CREDENTIAL: the sources list client secrets and certificates alike
	// (a certificate's row has no application).
	fmt.Fprintln(tw, "SOURCE\tEVENT\tCHANNEL\tRECIPIENT\tDOMAIN\tAPPLICATION\tCREDENTIAL\tEXPIRES")
	retries := 0
	for _, p := range plan {
		event := "expired"
		if p.Event == models.NoticeCertificateRotated {
			event = "rotated"
		} else if !p.Expired() {
			event = fmt.Sprintf("will expire (%dd)", p.Threshold)
		}
		if p.Retry {
			event += ", retry"
			retries++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Source, event, p.Channel, oneLine(p.Recipient),
			oneLine(p.Domain), oneLine(p.Application), oneLine(p.Secret), p.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	tw.Flush()
	fmt.Fprintf(w, "%d notices would be sent (%d of them retries), on %s.\n", len(plan), retries, strings.Join(channels, ", "))
}

// oneLine keeps a name on its line of the table.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
