// Package metrics holds Latchkey's Prometheus metrics: token endpoint
// requests by outcome and their latency, secrets per domain by status,
// notifications per channel, connections per listener and the database
// pool. Each server owns its
// own registry (tests build many servers in one process).
//
// It may import models (pool statistics) only.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"latchkey/models"
)

// Metrics is one process's set of metrics.
type Metrics struct {
	registry *prometheus.Registry

	// TokenRequests counts gateway requests by endpoint ("token",
	// "introspect") and outcome ("success" or the OAuth error code;
	// "throttled" for 429; "error" for internal errors).
	TokenRequests *prometheus.CounterVec
	// TokenLatency is the gateway's handling time by endpoint.
	TokenLatency *prometheus.HistogramVec
	// Notifications counts notices by channel and result ("sent",
	// "failed").
	Notifications *prometheus.CounterVec
	// ConnectionsOpen is the number of connections open on each listener
	// ("console", "gateway", "metrics").
	ConnectionsOpen *prometheus.GaugeVec
	// ConnectionsRefused counts connections closed on arrival because
	// their listener held its maxConnections already.
	ConnectionsRefused *prometheus.CounterVec
}

// New registers every metric. sqlDB feeds the pool gauges; store the
// per-domain secret gauges, read at scrape time.
func New(store *models.Store, sqlDB *sql.DB) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		TokenRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latchkey_token_requests_total",
			Help: "Gateway requests by endpoint and outcome (success or the OAuth error code).",
		}, []string{"endpoint", "outcome"}),
		TokenLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "latchkey_token_request_duration_seconds",
			Help:    "Time to handle a gateway request, by endpoint.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1},
		}, []string{"endpoint"}),
		Notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latchkey_notifications_total",
			Help: "Expiry notices by channel and result (sent or failed).",
		}, []string{"channel", "result"}),
		ConnectionsOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "latchkey_connections_open",
			Help: "Connections open on each listener.",
		}, []string{"listener"}),
		ConnectionsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latchkey_connections_refused_total",
			Help: "Connections closed on arrival because the listener held its maxConnections.",
		}, []string{"listener"}),
	}
	m.registry.MustRegister(
		m.TokenRequests, m.TokenLatency, m.Notifications, m.ConnectionsOpen, m.ConnectionsRefused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newSecretsCollector(store),
	)
	if sqlDB != nil {
		m.registry.MustRegister(collectors.NewDBStatsCollector(sqlDB, "latchkey"))
	}
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// TokenObserver records the requests of one gateway endpoint by outcome
// and their latency, with its series looked up once: a label lookup
// hashes the labels on every call.
type TokenObserver struct {
	m        *Metrics
	endpoint string
	latency  prometheus.Observer
	// outcomes holds the counters of the outcomes named when it was made;
	// others are looked up per request.
	outcomes map[string]prometheus.Counter
}

// TokenObserver returns endpoint's observer, its counters ready for
// outcomes.
func (m *Metrics) TokenObserver(endpoint string, outcomes ...string) *TokenObserver {
	o := &TokenObserver{m: m, endpoint: endpoint, latency: m.TokenLatency.WithLabelValues(endpoint),
		outcomes: make(map[string]prometheus.Counter, len(outcomes))}
	for _, out := range outcomes {
		o.outcomes[out] = m.TokenRequests.WithLabelValues(endpoint, out)
	}
	return o
}

// Observe records one request that started at start.
func (o *TokenObserver) Observe(outcome string, start time.Time) {
	c, ok := o.outcomes[outcome]
	if !ok {
		c = o.m.TokenRequests.WithLabelValues(o.endpoint, outcome)
	}
	c.Inc()
	o.latency.Observe(time.Since(start).Seconds())
}

// secretsCollector reads secret counts per domain and status when scraped,
// so the figures are exact and nothing is computed between scrapes.
type secretsCollector struct {
	store *models.Store
	desc  *prometheus.Desc
}

func newSecretsCollector(store *models.Store) *secretsCollector {
	return &secretsCollector{store: store, desc: prometheus.NewDesc(
		"latchkey_client_secrets", "Client secrets by domain and status (active, expiring, expired).",
		[]string{"domain", "status"}, nil)}
}

func (c *secretsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *secretsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := c.store.SecretCountsByDomain(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, r := range rows {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(r.Active), r.HRID, "active")
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(r.Expiring), r.HRID, "expiring")
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(r.Expired), r.HRID, "expired")
	}
}
