// Package notice renders what the engine tells people about a case — the
// requester and DPO staff — in each language a notice exists in.
//
// Templates live in templates/<kind>.<lang>.tmpl. The first line is
// "Subject: ..." and the rest is the plain-text body. Every subject carries
// "[<Reference>]" so that replies thread back to the case.
package notice

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/template"

	"github.com/dsrflow/dsrflow/request"
)

// Kind is what a notice is about.
type Kind string

const (
	Acknowledgement    Kind = "acknowledgement"
	VerificationCode   Kind = "verification_code"
	Extension          Kind = "extension"
	Denial             Kind = "denial"
	IdentityUnverified Kind = "identity_unverified"
	InfoRequest        Kind = "info_request"
	Completion         Kind = "completion"
	Withdrawn          Kind = "withdrawn"
	Reminder           Kind = "reminder"
	Overdue            Kind = "overdue"
	DeadlineUnknown    Kind = "deadline_unknown"
	MessageReceived    Kind = "message_received"
	// Fulfilment.
	ExportReady           Kind = "export_ready"
	TaskAssigned          Kind = "task_assigned"
	TaskReminder          Kind = "task_reminder"
	CorrectionsPending    Kind = "corrections_pending"
	CancellationObstacles Kind = "cancellation_obstacles"
	CancellationConfirm   Kind = "cancellation_confirm"
	IdentityVerified      Kind = "identity_verified"
	CoolingOffStarted     Kind = "cooling_off_started"
	CoolingOffEnded       Kind = "cooling_off_ended"
	// AttentionNeeded tells staff that the engine stopped doing something by
	// itself (a fulfilment that failed for good, a loop at its cap, a case
	// the store refused) and what they can do.
	AttentionNeeded Kind = "attention_needed"
)

// Kinds lists every kind in a stable order.
var Kinds = []Kind{Acknowledgement, VerificationCode, Extension, Denial, IdentityUnverified,
	InfoRequest, Completion, Withdrawn, Reminder, Overdue, DeadlineUnknown, MessageReceived,
	ExportReady, TaskAssigned, TaskReminder, CorrectionsPending, CancellationObstacles, CancellationConfirm,
	IdentityVerified, CoolingOffStarted, CoolingOffEnded, AttentionNeeded}

// Data is what a template may use. Dates are preformatted by the caller, who
// knows the tenant's time zone and the deadline rules.
type Data struct {
	Reference     string
	Type          request.Type
	RequesterName string
	DueDate       string
	NewDueDate    string
	Reason        string // why an extension is needed
	Explanation   string // staff's own words for a denial
	DenialReason  request.DenialReason
	Code          string
	CodeExpires   string
	Summary       string
	Info          string // what the requester still has to provide
	DaysLeft      int    // reminder: days until due; overdue: negative days past due
	Tenant        string
	Problem       string // deadline_unknown: why the deadline cannot be computed; task: why it is manual
	Link          string // export_ready: the signed download link
	LinkExpires   string // the day the link stops working
	Task          string // task_*: the task's ID
	Connector     string // task_*: the system
	Operation     string // task_*: what to do there
	CoolingOffEnd string // cooling_off_*: the day the cooling-off period ends
}

// required lists, per kind, the fields a notice would be meaningless or
// unlawful without. Reference is required for every kind.
var required = map[Kind][]string{
	Acknowledgement:       {"Type"}, // no due date yet when the clock starts on verification
	VerificationCode:      {"Code", "CodeExpires"},
	Extension:             {"Type", "Reason", "NewDueDate"},
	Denial:                {"Type", "DenialReason", "Explanation"},
	IdentityUnverified:    {"Type"},
	InfoRequest:           {"Type", "Info"},
	Completion:            {"Type", "Summary"},
	Withdrawn:             {"Type"},
	Reminder:              {"Type", "DueDate"},
	Overdue:               {"Type", "DueDate"},
	DeadlineUnknown:       {"Type", "Problem"},
	MessageReceived:       {"Type"},
	ExportReady:           {"Type", "Link", "LinkExpires"},
	TaskAssigned:          {"Type", "Task", "Connector", "Operation", "Info"},
	TaskReminder:          {"Type", "Task", "Connector", "Operation", "Info"},
	CorrectionsPending:    {"Type"},
	CancellationObstacles: {"Type", "Info"},
	CancellationConfirm:   {"Type"},
	IdentityVerified:      {"Type", "DueDate"},
	CoolingOffStarted:     {"Type", "CoolingOffEnd"},
	CoolingOffEnded:       {"Type", "CoolingOffEnd"},
	AttentionNeeded:       {"Type", "Problem"},
}

//go:embed templates/*.tmpl templates/sms/*.tmpl
var files embed.FS

var (
	templates    = template.Must(template.New("").Option("missingkey=error").ParseFS(files, "templates/*.tmpl"))
	smsTemplates = template.Must(template.New("").Option("missingkey=error").ParseFS(files, "templates/sms/*.tmpl"))
)

// SMSKinds are the kinds that also exist as a text message.
var SMSKinds = []Kind{VerificationCode}

// RenderSMS returns a notice as one short text message, for the kinds in
// SMSKinds.
func RenderSMS(kind Kind, lang request.Language, d Data) (string, error) {
	if !slices.Contains(SMSKinds, kind) {
		return "", fmt.Errorf("notice: no text message for kind %q", kind)
	}
	if !slices.Contains(request.Languages, lang) {
		return "", fmt.Errorf("notice: unknown language %q", lang)
	}
	if err := validate(kind, d); err != nil {
		return "", fmt.Errorf("notice: %s: %w", kind, err)
	}
	if strings.TrimSpace(d.Tenant) == "" {
		return "", fmt.Errorf("notice: %s: missing Tenant, the sender a text message names", kind)
	}
	name := string(kind) + "." + string(lang) + ".tmpl"
	var buf bytes.Buffer
	if err := smsTemplates.ExecuteTemplate(&buf, name, d); err != nil {
		return "", fmt.Errorf("notice: rendering sms %s: %w", name, err)
	}
	return strings.TrimSpace(buf.String()), nil
}

// view is what templates execute against: Data plus the words that depend
// on the language.
type view struct {
	Data
	TypeName    string
	DenialText  string
	DaysOverdue int
}

// Render returns the subject and body of a notice. It fails on an unknown
// kind or language and names the first required field that is empty.
func Render(kind Kind, lang request.Language, d Data) (subject, body string, err error) {
	if !slices.Contains(Kinds, kind) {
		return "", "", fmt.Errorf("notice: unknown kind %q", kind)
	}
	if !slices.Contains(request.Languages, lang) {
		return "", "", fmt.Errorf("notice: unknown language %q", lang)
	}
	if err := validate(kind, d); err != nil {
		return "", "", fmt.Errorf("notice: %s: %w", kind, err)
	}
	v := view{Data: d, TypeName: TypeName(lang, d.Type), DenialText: DenialText(lang, d.DenialReason)}
	if d.DaysLeft < 0 {
		v.DaysOverdue = -d.DaysLeft
	}

	name := string(kind) + "." + string(lang) + ".tmpl"
	t := templates.Lookup(name)
	if t == nil {
		return "", "", fmt.Errorf("notice: no template %s", name)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		return "", "", fmt.Errorf("notice: rendering %s: %w", name, err)
	}
	first, rest, _ := strings.Cut(buf.String(), "\n")
	subject, ok := strings.CutPrefix(first, "Subject: ")
	if !ok {
		return "", "", fmt.Errorf("notice: template %s does not start with a Subject line", name)
	}
	return strings.TrimSpace(subject), strings.TrimSpace(rest) + "\n", nil
}

func validate(kind Kind, d Data) error {
	if strings.TrimSpace(d.Reference) == "" {
		return errors.New("missing Reference")
	}
	// The reference goes into the subject line; a line break there would
	// split the subject or smuggle in a header.
	if strings.ContainsAny(d.Reference, "\r\n") {
		return errors.New("field Reference contains a line break")
	}
	for _, f := range required[kind] {
		var empty bool
		switch f {
		case "Type":
			if d.Type == "" {
				empty = true
			} else if !slices.Contains(request.Types, d.Type) && d.Type != request.Unclassified {
				return fmt.Errorf("unknown Type %q", d.Type)
			}
		case "DenialReason":
			if d.DenialReason == "" {
				empty = true
			} else if !slices.Contains(request.DenialReasons, d.DenialReason) {
				return fmt.Errorf("unknown DenialReason %q", d.DenialReason)
			}
		case "DueDate":
			empty = strings.TrimSpace(d.DueDate) == ""
		case "NewDueDate":
			empty = strings.TrimSpace(d.NewDueDate) == ""
		case "Reason":
			empty = strings.TrimSpace(d.Reason) == ""
		case "Explanation":
			empty = strings.TrimSpace(d.Explanation) == ""
		case "Code":
			empty = strings.TrimSpace(d.Code) == ""
		case "CodeExpires":
			empty = strings.TrimSpace(d.CodeExpires) == ""
		case "Summary":
			empty = strings.TrimSpace(d.Summary) == ""
		case "Info":
			empty = strings.TrimSpace(d.Info) == ""
		case "Problem":
			empty = strings.TrimSpace(d.Problem) == ""
		case "Link":
			empty = strings.TrimSpace(d.Link) == ""
		case "LinkExpires":
			empty = strings.TrimSpace(d.LinkExpires) == ""
		case "Task":
			empty = strings.TrimSpace(d.Task) == ""
		case "Connector":
			empty = strings.TrimSpace(d.Connector) == ""
		case "Operation":
			empty = strings.TrimSpace(d.Operation) == ""
		case "CoolingOffEnd":
			empty = strings.TrimSpace(d.CoolingOffEnd) == ""
		default:
			panic("notice: no check for required field " + f)
		}
		if empty {
			return fmt.Errorf("missing %s", f)
		}
	}
	if kind == Reminder && d.DaysLeft < 0 {
		return errors.New("DaysLeft is negative; a case past its due date needs an overdue notice")
	}
	return nil
}

// MessageID returns a Message-ID for the notice identified by key (e.g.
// "extension" or "reminder-3") on a case. It is derived, not random, so a
// retried send carries the same ID and receiving systems can drop the
// duplicate; it is a hash so nothing about the case can be read from it.
func MessageID(caseID, key, domain string) string {
	h := sha256.New()
	h.Write([]byte("dsrflow message-id v1\x00"))
	h.Write([]byte(caseID))
	h.Write([]byte{0})
	h.Write([]byte(key))
	domain = strings.Trim(strings.TrimSpace(domain), "<>@")
	if domain == "" || strings.ContainsAny(domain, "<>@ \t\r\n") {
		domain = "dsrflow.invalid"
	}
	return "<" + hex.EncodeToString(h.Sum(nil))[:32] + "@" + domain + ">"
}
