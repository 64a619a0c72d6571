package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm/logger"
)

// quietWhenGone is GORM's logger, except that a statement whose context was
// cancelled is not logged as an error: its request's client went away, and
// nothing failed here (writes are detached from the request, see
// Store.write, so only reads for an answer nobody waits for end this way).
type quietWhenGone struct{ logger.Interface }

// LogMode keeps the wrapper around a logger with another level.
func (q quietWhenGone) LogMode(l logger.LogLevel) logger.Interface {
	return quietWhenGone{q.Interface.LogMode(l)}
}

// Trace logs a statement unless its context was cancelled.
func (q quietWhenGone) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		return
	}
	q.Interface.Trace(ctx, begin, fc, err)
}
