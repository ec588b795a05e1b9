package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"

	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/workflows"
)

var phoneNumber = regexp.MustCompile(`^\+?[0-9(][0-9 ()-]{4,22}[0-9]$`)

// OpenRequest is the body of POST /v1/requests.
type OpenRequest struct {
	Tenant     string              `json:"tenant"`
	Type       string              `json:"type"`
	Channel    string              `json:"channel"`
	PolicyID   string              `json:"policy_id"`
	Requester  workflows.Requester `json:"requester"`
	ReceivedAt *time.Time          `json:"received_at,omitempty"`
	Details    string              `json:"details,omitempty"`
	VerifiedBy string              `json:"verified_by,omitempty"`
	// VerificationChannel is where the one-time code goes: "email" or "sms";
	// empty means e-mail if the requester gave one, else SMS.
	VerificationChannel string `json:"verification_channel,omitempty"`
	Actor               string `json:"actor,omitempty"`
	// Corrections are what a correction request asks to change, each a
	// dataset.column of the tenant's connectors and its new value.
	Corrections []connector.Correction `json:"corrections,omitempty"`
	// Grounds is why a deletion is asked for.
	Grounds string `json:"grounds,omitempty"`
	// Controller names the receiving controller of a direct transfer.
	Controller string `json:"controller,omitempty"`
}

// Opened is the answer to a new request.
type Opened struct {
	ID        string            `json:"id"`
	Reference string            `json:"reference"`
	Status    request.Status    `json:"status"`
	Links     map[string]string `json:"links"`
}

func (s *Server) validateOpen(in *OpenRequest) []FieldError {
	var errs []FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if err := request.CheckTenant(in.Tenant); err != nil {
		bad("tenant", "%v", err)
	}
	if _, err := request.Parse(in.Type, request.Types); err != nil {
		bad("type", "%v", err)
	}
	if in.Channel == "" {
		in.Channel = string(request.ChannelAPI)
	}
	if _, err := request.Parse(in.Channel, request.Channels); err != nil {
		bad("channel", "%v", err)
	}
	if _, ok := s.Policies.Get(in.PolicyID); !ok {
		bad("policy_id", "unknown policy %q (see GET /v1/policies)", in.PolicyID)
	}
	r := &in.Requester
	if r.Email == "" && r.Phone == "" && r.AccountID == "" {
		bad("requester", "an e-mail, phone or account id is needed to answer the requester")
	}
	if r.Email != "" {
		if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email {
			bad("requester.email", "not an e-mail address")
		}
	}
	if r.Phone != "" && !phoneNumber.MatchString(r.Phone) {
		bad("requester.phone", "not a phone number (digits, optionally a leading + and spaces, dashes or brackets)")
	}
	if r.Language == "" {
		r.Language = request.English
	}
	if _, err := request.Parse(string(r.Language), request.Languages); err != nil {
		bad("requester.language", "%v", err)
	}
	if r.ActingFor == "" {
		r.ActingFor = request.Self
	}
	if _, err := request.Parse(string(r.ActingFor), request.ActingFors); err != nil {
		bad("requester.acting_for", "%v", err)
	}
	if in.ReceivedAt != nil {
		if reason := s.checkReceivedAt(*in.ReceivedAt, in.PolicyID, request.Type(in.Type), in.VerifiedBy != ""); reason != "" {
			bad("received_at", "%s", reason)
		}
	}
	switch in.VerificationChannel {
	case "":
	case "email":
		if r.Email == "" {
			bad("verification_channel", "email needs requester.email")
		}
	case "sms":
		if r.Phone == "" {
			bad("verification_channel", "sms needs requester.phone")
		}
	default:
		bad("verification_channel", "%q is not one of email, sms", in.VerificationChannel)
	}
	if in.VerifiedBy != "" && in.Channel != string(request.ChannelPortal) {
		bad("verified_by", "only the portal channel may assert an already verified identity")
	}
	typ := request.Type(in.Type)
	switch {
	case len(in.Corrections) > 0 && typ != request.Correction:
		bad("corrections", "only a correction request carries corrections")
	case len(in.Corrections) > maxCorrections:
		bad("corrections", "at most %d corrections", maxCorrections)
	}
	seen := map[string]bool{}
	for i, c := range in.Corrections {
		field := fmt.Sprintf("corrections[%d]", i)
		if _, _, err := c.Split(); err != nil {
			bad(field+".field", "%v", err)
		} else if seen[c.Field] {
			bad(field+".field", "%q is corrected twice", c.Field)
		}
		seen[c.Field] = true
		if len(c.Value) > maxCorrectionValue {
			bad(field+".value", "at most %d bytes", maxCorrectionValue)
		}
	}
	if in.Grounds != "" {
		if typ != request.Deletion && typ != request.AccountCancellation {
			bad("grounds", "only a deletion or account cancellation has grounds")
		} else if _, err := request.Parse(in.Grounds, request.DeletionGrounds); err != nil {
			bad("grounds", "%v", err)
		}
	}
	if in.Controller != "" {
		if typ != request.Portability {
			bad("controller", "only a portability request names a receiving controller")
		} else if len(in.Controller) > 200 {
			bad("controller", "at most 200 characters")
		}
	}
	return errs
}

const (
	maxCorrections     = 50
	maxCorrectionValue = 2000
)

func (s *Server) openRequest(c *gin.Context) {
	var in OpenRequest
	if !decode(c, &in) {
		return
	}
	if errs := s.validateOpen(&in); len(errs) > 0 {
		invalid(c, errs...)
		return
	}
	p := principal(c)
	if !p.ActsFor(in.Tenant) {
		problem(c, http.StatusForbidden, "forbidden", "this key does not act for that tenant",
			FieldError{Field: "tenant", Reason: "not a tenant of this API key"})
		return
	}
	received := s.now().UTC()
	if in.ReceivedAt != nil {
		received = in.ReceivedAt.UTC()
	}
	id := uuid.NewString()
	wi := workflows.Input{
		CaseID: id, Reference: workflows.NewReference(), Tenant: in.Tenant, Type: request.Type(in.Type),
		Channel: request.Channel(in.Channel), PolicyID: in.PolicyID, Requester: in.Requester,
		ReceivedAt: received, Details: in.Details, VerifiedBy: in.VerifiedBy, Actor: actor(p, in.Actor),
		CodeChannel: in.VerificationChannel, OpenedBy: p.KeyID,
		Corrections: in.Corrections, Grounds: request.DeletionGround(in.Grounds), Controller: in.Controller,
	}
	if tooLargeForEngine(c, wi) {
		return
	}
	if err := workflows.Start(c.Request.Context(), s.Temporal, s.TaskQueue, wi); err != nil {
		// Never answer 201 for a case that does not exist.
		slog.Error("start request workflow", "case", id, "error", err)
		problem(c, http.StatusServiceUnavailable, "cannot open the case now", "the workflow engine did not accept the request; retry later")
		return
	}
	c.Header("Location", "/v1/requests/"+id)
	c.JSON(http.StatusCreated, Opened{ID: id, Reference: wi.Reference, Status: request.Received,
		Links: map[string]string{"self": "/v1/requests/" + id, "events": "/v1/requests/" + id + "/events"}})
}

// CaseView is a case as the API shows it: the workflow's live state when the
// engine answers, else the store's last projection.
type CaseView struct {
	workflows.State
	Source string `json:"source"`
}

func (s *Server) getRequest(c *gin.Context) {
	if id, ok := s.visibleCase(c); ok {
		s.showCase(c, id)
	}
}

// showCase answers with the case: the workflow's live state, else the
// store's last projection.
func (s *Server) showCase(c *gin.Context, id string) {
	resp, err := s.Temporal.QueryWorkflow(c.Request.Context(), workflows.WorkflowID(id), "", workflows.StateQuery)
	if err == nil {
		var st workflows.State
		if err := resp.Get(&st); err != nil {
			problem(c, http.StatusInternalServerError, "cannot read the case", "")
			return
		}
		if st.Status.Closed() {
			// Bookkeeping after closure is in the store only.
			if row, err := s.Store.Case(c.Request.Context(), id); err == nil {
				booksFromRow(&st, row)
			}
		}
		c.JSON(http.StatusOK, CaseView{State: st, Source: "workflow"})
		return
	}
	var nf *serviceerror.NotFound
	if !errors.As(err, &nf) {
		slog.Warn("query case, falling back to the store", "case", id, "error", err)
	}
	row, serr := s.Store.Case(c.Request.Context(), id)
	if errors.Is(serr, store.ErrNotFound) {
		if errors.As(err, &nf) {
			problem(c, http.StatusNotFound, "no such case", "")
		} else {
			problem(c, http.StatusServiceUnavailable, "cannot read the case now", "the case is not yet in the store and the workflow engine did not answer")
		}
		return
	}
	if serr != nil {
		problem(c, http.StatusServiceUnavailable, "cannot read the case now", "")
		return
	}
	c.JSON(http.StatusOK, viewFromRow(row))
}

func viewFromRow(row *store.Case) CaseView {
	v := CaseView{Source: "store"}
	v.CaseID, v.Reference, v.Tenant, v.PolicyID = row.ID, row.Reference, row.Tenant, row.PolicyID
	v.Type, v.Channel, v.Status = request.Type(row.Type), request.Channel(row.Channel), request.Status(row.Status)
	v.Extended, v.Overdue, v.ReceivedAt = row.Extended, row.Overdue, row.ReceivedAt
	v.VerifiedAt, v.ClosedAt = row.VerifiedAt, row.ClosedAt
	v.Outcome, v.DenialReason, v.Summary = row.Outcome, request.DenialReason(row.DenialReason), row.Summary
	v.Revision, v.OpenedBy = row.Revision, row.OpenedBy
	booksFromRow(&v.State, row)
	v.Requester = workflows.Requester{Name: row.RequesterName, Email: row.RequesterEmail, Phone: row.RequesterPhone,
		AccountID: row.RequesterAccountID, Language: request.Language(row.Language), ActingFor: request.ActingFor(row.ActingFor)}
	return v
}

func booksFromRow(st *workflows.State, row *store.Case) {
	st.Assignee, st.Tags = row.Assignee, row.TagList()
}

// EventView is one audit event.
type EventView struct {
	Seq        int64           `json:"seq"`
	Kind       string          `json:"kind"`
	Actor      string          `json:"actor"`
	Detail     json.RawMessage `json:"detail,omitempty"`
	OccurredAt time.Time       `json:"occurred_at"`
	RecordedAt time.Time       `json:"recorded_at"`
	Hash       string          `json:"hash"`
}

func (s *Server) requestEvents(c *gin.Context) {
	id, ok := s.visibleCase(c)
	if !ok {
		return
	}
	evs, err := s.Store.Events(c.Request.Context(), id)
	if err != nil {
		problem(c, http.StatusServiceUnavailable, "cannot read the audit trail now", "")
		return
	}
	out := make([]EventView, len(evs))
	for i, e := range evs {
		out[i] = EventView{Seq: e.Seq, Kind: e.Kind, Actor: e.Actor, OccurredAt: e.OccurredAt,
			RecordedAt: e.RecordedAt, Hash: e.Hash}
		if e.Detail != "" && e.Detail != "null" {
			out[i].Detail = json.RawMessage(e.Detail)
		}
	}
	c.JSON(http.StatusOK, gin.H{"events": out})
}
