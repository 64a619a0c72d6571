package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"latchkey/models/ledger"
)

// Webhook request headers.
const (
	// HeaderTimestamp carries the Unix time (seconds) of the request; it is
	// part of the signed text, so receivers can refuse stale replays.
	HeaderTimestamp = "X-Latchkey-Timestamp"
	// HeaderSignature is "sha256=" and the hex HMAC-SHA256, keyed with
	// notifiers.webhook.secret, of the timestamp, ".", and the body.
	HeaderSignature = "X-Latchkey-Signature"
	// HeaderEvent repeats the event type.
	HeaderEvent = "X-Latchkey-Event"
	// HeaderDelivery is the event id: the same on every attempt to deliver
	// one notice, so receivers can drop repeats.
	HeaderDelivery = "X-Latchkey-Delivery"
)

// Sign returns the X-Latchkey-Signature value for a request body sent at
// timestamp (Unix seconds, as in X-Latchkey-Timestamp).
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is a valid X-Latchkey-Signature of body
// at timestamp; receivers should also check that the timestamp is recent.
func Verify(secret []byte, timestamp string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature))
}

// webhookChannel POSTs signed JSON events (the source's, see
// Wording.Webhook), one per notice and URL.
type webhookChannel struct {
	urls   []string
	secret []byte
	client *http.Client
	// attempts is how many times one run tries a request; backoff is the
	// wait before attempt n+1.
	attempts int
	backoff  func(n int) time.Duration
	// now stamps requests: the real clock, since receivers compare it
	// with theirs.
	now func() time.Time
}

func newWebhookChannel(urls []string, secret string) *webhookChannel {
	return &webhookChannel{
		urls: urls, secret: []byte(secret),
		client:   &http.Client{Timeout: 10 * time.Second},
		attempts: 3,
		backoff:  func(n int) time.Duration { return time.Duration(1<<(n-1)) * 500 * time.Millisecond },
		now:      time.Now,
	}
}

// accepts only URLs still configured: a row for a removed URL is obsolete.
func (c *webhookChannel) accepts(d ledger.Delivery) bool { return slices.Contains(c.urls, d.Recipient) }

// deliver posts each notice to its URL. Once a URL has failed in this run,
// its remaining notices are skipped (left to the next run without counting
// an attempt), so a dead endpoint costs one timeout per run, not one per
// notice.
func (c *webhookChannel) deliver(ctx context.Context, _ string, ns []notice) []error {
	results := make([]error, len(ns))
	down := map[string]bool{}
	for i, n := range ns {
		if down[n.Recipient] || ctx.Err() != nil {
			results[i] = errSkipped
			continue
		}
		if err := c.post(ctx, n.Recipient, n.Event, webhookID(&n), n.wording.Webhook(&n)); err != nil {
			down[n.Recipient] = true
			results[i] = err
		}
	}
	return results
}

// post sends one event, retrying network errors, 408, 429 and 5xx answers
// with exponential backoff.
func (c *webhookChannel) post(ctx context.Context, url, event, id string, payload any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	var last error
	for attempt := 1; attempt <= c.attempts; attempt++ {
		if attempt > 1 && !sleep(ctx, c.backoff(attempt-1)) {
			return ctx.Err()
		}
		retry, err := c.postOnce(ctx, url, event, id, body)
		if err == nil {
			return nil
		}
		last = err
		if !retry {
			break
		}
	}
	return last
}

func (c *webhookChannel) postOnce(ctx context.Context, url, event, id string, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	ts := strconv.FormatInt(c.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Latchkey-Webhook/1")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(c.secret, ts, body))
	req.Header.Set(HeaderEvent, event)
	req.Header.Set(HeaderDelivery, id)
	res, err := c.client.Do(req)
	if err != nil {
		return true, fmt.Errorf("POST %s: %w", redactURL(url), err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return false, nil
	}
	retry = res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests || res.StatusCode == http.StatusRequestTimeout
	return retry, fmt.Errorf("POST %s: %s", redactURL(url), res.Status)
}

// redactURL drops the query string from URLs in messages: webhook URLs
// often carry a token there.
func redactURL(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i] + "?…"
	}
	return u
}
