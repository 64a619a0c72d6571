//go:build tools

// Package deps pins modules that upcoming features use, so that parallel work
// does not race on go.mod. It is never built.
package deps

import (
	_ "github.com/emersion/go-smtp"
	_ "github.com/getkin/kin-openapi/openapi3"
	_ "github.com/go-jose/go-jose/v4"
	_ "github.com/robfig/cron/v3"
	_ "github.com/wneessen/go-mail"
	_ "golang.org/x/oauth2/clientcredentials"
)
