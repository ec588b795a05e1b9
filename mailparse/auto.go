package mailparse

import (
	"net/mail"
	"strings"
)

// autoReason says why a machine wrote the message, "" if nothing says so.
// The first reason that applies wins, most specific first.
//
// X-Auto-Response-Suppress is deliberately not a reason: Exchange and
// Outlook put it on mail people write, to ask others not to auto-reply, so
// reading it as "a machine wrote this" would drop real requests. Neither is
// Precedence: list, which mailing lists put on posts people write.
func autoReason(h header, from mail.Address) string {
	mediaType, params := parseParams(h.get("Content-Type"))
	if mediaType == "multipart/report" {
		if strings.EqualFold(params["report-type"], "delivery-status") {
			return "bounce"
		}
		return "report"
	}
	// The null reverse path is how RFC 5321 4.5.5 marks a notification
	// that must not itself bounce; only a present, empty Return-Path says
	// so, since a message that has not been delivered yet has none.
	if h.has("Return-Path") {
		if rp := strings.Trim(h.get("Return-Path"), "<> \t"); rp == "" {
			return "bounce"
		}
	}
	local, _, _ := strings.Cut(from.Address, "@")
	if strings.EqualFold(local, "mailer-daemon") || strings.EqualFold(local, "postmaster") {
		return "bounce"
	}
	if as := token(h.get("Auto-Submitted")); as != "" && as != "no" {
		if as == "auto-replied" {
			return "auto-reply"
		}
		return "auto-submitted"
	}
	for _, name := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder"} {
		if v := token(h.get(name)); h.has(name) && v != "no" && v != "false" {
			return "auto-reply"
		}
	}
	switch token(h.get("Precedence")) {
	case "auto_reply":
		return "auto-reply"
	case "bulk", "junk":
		return "bulk"
	}
	return ""
}

// token returns the first word of a header value, lower case, without the
// parameters or comments after it.
func token(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexAny(v, "; \t("); i >= 0 {
		v = v[:i]
	}
	return v
}
