package web

import (
	"net"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Connection budget. Each connection holds a file descriptor; what the
// listeners may hold together is RLIMIT_NOFILE less the database pool and
// reservedFiles for everything else (the SQLite file and its WAL, log
// files, outgoing SMTP and webhook connections, the metrics listener).
const (
	reservedFiles = 128
	// metricsMaxConnections caps the metrics.addr listener: a few
	// scrapers, never thousands.
	metricsMaxConnections = 64
)

// connectionCap returns the cap of one of n connection-capped listeners:
// the configured value, lowered so that the n listeners together leave
// dbConns+reservedFiles descriptors free under the soft limit nofile
// (0 or unlimited: the configured value stands). It is never below 1.
func connectionCap(configured, n, dbConns int, nofile uint64) int {
	if nofile == 0 || nofile > 1<<40 || n < 1 {
		return configured
	}
	free := int64(nofile) - int64(dbConns) - reservedFiles - metricsMaxConnections
	budget := max(free/int64(n), 1)
	return int(min(int64(configured), budget))
}

// cappedListener accepts at most limit connections at once. One more is
// closed as soon as it arrives instead of waiting in the accept queue:
// the client (a health probe included) learns at once that the server is
// full, no descriptor is spent on it for longer than the close, and the
// connections already held keep being served.
type cappedListener struct {
	net.Listener
	limit   int64
	open    atomic.Int64
	gauge   prometheus.Gauge
	refused prometheus.Counter
}

func newCappedListener(ln net.Listener, limit int, gauge prometheus.Gauge, refused prometheus.Counter) *cappedListener {
	return &cappedListener{Listener: ln, limit: int64(limit), gauge: gauge, refused: refused}
}

// Accept returns the next connection within the cap, closing those over it.
func (l *cappedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.limit {
			l.open.Add(-1)
			l.refused.Inc()
			// A reset rather than a FIN: nothing to drain, and no
			// TIME_WAIT left on this side.
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = c.Close()
			continue
		}
		l.gauge.Inc()
		return &countedConn{Conn: c, l: l}, nil
	}
}

// countedConn gives its place back to its listener when closed (once,
// however often Close is called).
type countedConn struct {
	net.Conn
	l    *cappedListener
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.open.Add(-1)
		c.l.gauge.Dec()
	})
	return err
}
