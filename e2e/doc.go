// Package e2e holds browser tests: a real Latchkey console on a random port,
// driven by headless Chromium through chromedp.
package e2e
