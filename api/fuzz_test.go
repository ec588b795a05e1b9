package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/api/apitest"
	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/blob"
	"github.com/dsrflow/dsrflow/codec"
	"github.com/dsrflow/dsrflow/export"
	"github.com/dsrflow/dsrflow/intake"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
	"github.com/dsrflow/dsrflow/workflows"
)

// FuzzRequests sends arbitrary bodies to every route that takes one (POST
// /v1/requests, every case action, the e-mail intake) and checks that a
// malformed request is refused with a documented 4xx problem before
// anything reaches the workflow engine, and that no input makes the server
// answer 5xx or panic.
//
// The engine is a recording fake (fakeEngine), not the down client the other
// tests here use nor a dev server. With the engine down every well-formed
// request ends in 503, which hides whether a malformed one was refused
// first or sent and failed; the fake shows exactly what was sent, so "never
// 5xx" and "malformed never reaches the engine" can both be asserted. A dev
// server takes seconds to start and needs a worker, and these seeds run in
// every `go test ./api`. The fake answers as a healthy engine: the cases it
// runs take updates, ended or unknown ones are NotFound, the validators'
// enum and code checks refuse, and the server's payload limits (measured
// against Temporal Server 1.29) apply.
//
// The route selector's low seven bits pick a route, and for an action the
// case: one the keys may act on, a closed one, one of another tenant, an
// unknown UUID and an ID that is no UUID. Its high bit pads the body with
// 1 MiB of JSON whitespace: oversized bodies that way keep the corpus small,
// since the fuzzer spends a minute minimizing each new input and a
// megabyte input would stall it. The mode packs the content type, the key's
// role, how the body's length is announced and whether the request is sent
// twice under one Idempotency-Key (see fuzzMode).
func FuzzRequests(f *testing.F) {
	env := newFuzzEnv(f)
	for _, s := range fuzzSeeds(f, env) {
		f.Add(s.route, s.mode, s.body)
	}
	f.Fuzz(func(t *testing.T, route, mode uint8, body []byte) {
		if route&padBit != 0 {
			body = append(slices.Clip(body), fuzzPadding...)
		}
		env.check(t, env.routes[int(route&^padBit)%len(env.routes)], mode, body)
	})
}

// The cases the fuzz store holds; the engine runs fuzzOpenCase and
// fuzzBankCase, fuzzClosedCase's workflow has ended.
const (
	fuzzOpenCase    = "6f1c2d4e-0000-4000-8000-00000000f001"
	fuzzClosedCase  = "6f1c2d4e-0000-4000-8000-00000000f002"
	fuzzBankCase    = "6f1c2d4e-0000-4000-8000-00000000f003"
	fuzzUnknownCase = "6f1c2d4e-0000-4000-8000-00000000ffff"
	fuzzNotACase    = "not-a-case"
	// fuzzOpenRef is fuzzOpenCase's reference, which e-mail replies quote.
	fuzzOpenRef = "DSR-FZ00-0000-0001"
	// fuzzCode is the verification code the fake engine takes.
	fuzzCode = "123456"
)

var fuzzCases = []string{fuzzOpenCase, fuzzClosedCase, fuzzBankCase, fuzzUnknownCase, fuzzNotACase}

// fuzzAction is what the fuzzer must know of an action: the update behind
// it and what its body decodes into.
type fuzzAction struct {
	update string
	input  func() any
}

var fuzzActions = map[string]fuzzAction{
	"verify":               {workflows.VerifyUpdate, func() any { return &workflows.VerifyInput{} }},
	"resend-code":          {workflows.ResendCodeUpdate, func() any { return &workflows.NoteInput{} }},
	"extend":               {workflows.ExtendUpdate, func() any { return &workflows.ExtendInput{} }},
	"deny":                 {workflows.DenyUpdate, func() any { return &workflows.DenyInput{} }},
	"complete":             {workflows.CompleteUpdate, func() any { return &workflows.CompleteInput{} }},
	"withdraw":             {workflows.WithdrawUpdate, func() any { return &workflows.NoteInput{} }},
	"request-info":         {workflows.RequestInfoUpdate, func() any { return &workflows.NoteInput{} }},
	"info-received":        {workflows.InfoReceivedUpdate, func() any { return &workflows.NoteInput{} }},
	"classify":             {workflows.ClassifyUpdate, func() any { return &workflows.ClassifyInput{} }},
	"assign":               {workflows.AssignUpdate, func() any { return &workflows.AssignInput{} }},
	"note":                 {workflows.NoteUpdate, func() any { return &workflows.NoteInput{} }},
	"tag":                  {workflows.TagUpdate, func() any { return &workflows.TagInput{} }},
	"complete-task":        {workflows.CompleteTaskUpdate, func() any { return &workflows.TaskInput{} }},
	"decide-corrections":   {workflows.DecideCorrectionsUpdate, func() any { return &workflows.DecideInput{} }},
	"issue-link":           {workflows.IssueLinkUpdate, func() any { return &workflows.NoteInput{} }},
	"confirm-cancellation": {workflows.ConfirmCancellationUpdate, func() any { return &workflows.NoteInput{} }},
	"revoke-cancellation":  {workflows.RevokeCancellationUpdate, func() any { return &workflows.NoteInput{} }},
	"recheck":              {workflows.RecheckUpdate, func() any { return &workflows.NoteInput{} }},
	"retry-fulfilment":     {workflows.RetryFulfilmentUpdate, func() any { return &workflows.NoteInput{} }},
	"repin":                {workflows.RepinUpdate, func() any { return &workflows.NoteInput{} }},
}

type fuzzRouteKind int

const (
	routeOpen fuzzRouteKind = iota
	routeAction
	routeIntake
)

// fuzzRoute is one target of the route selector.
type fuzzRoute struct {
	kind   fuzzRouteKind
	path   string
	roles  []auth.Role
	caseID string // actions
	action fuzzAction
}

// The mode byte: bits 0-2 the content type, 3-4 the role, 5-6 how the
// length is announced, 7 send twice under one Idempotency-Key.
var fuzzContentTypes = [8]string{
	"application/json",
	"application/json; charset=utf-8",
	"message/rfc822",
	"",
	"text/plain",
	"Application/JSON",
	"application/json; charset", // a parameter without a value
	"application/merge-patch+json",
}

var fuzzRoles = [4]auth.Role{auth.Admin, auth.DPO, auth.Portal, auth.Intake}

const (
	lengthExact   = 0 // Content-Length is the body's length
	lengthUnknown = 1 // no Content-Length, as with chunked encoding
	lengthHuge    = 2 // Content-Length claims more than any route takes
)

// padBit in the route selector pads the body with fuzzPadding, which takes
// any JSON body past the limit of 1 MiB.
const padBit = 1 << 7

var fuzzPadding = bytes.Repeat([]byte(" "), 1<<20)

// hugeLength is what lengthHuge announces: more than the e-mail route's
// limit, the largest.
const hugeLength = intake.MaxMessage + 1

func fuzzMode(contentType, role, length int, twice bool) uint8 {
	m := contentType | role<<3 | length<<5
	if twice {
		m |= 1 << 7
	}
	return uint8(m)
}

// fuzzEnv is the server under test and what the checks need to judge its
// answers; one per fuzz worker.
type fuzzEnv struct {
	server   *api.Server
	engine   *fakeEngine
	contract *apitest.Contract
	keys     map[auth.Role]string
	keyNames map[auth.Role]string
	routes   []fuzzRoute
}

func newFuzzEnv(f *testing.F) *fuzzEnv {
	f.Helper()
	// Millions of inputs would log millions of request lines.
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	f.Cleanup(func() { slog.SetDefault(prev) })

	reg, err := policy.NewRegistry(nil, nil)
	if err != nil {
		f.Fatalf("policy registry: %v", err)
	}
	st := storetest.Open(f, store.SQLite)
	env := &fuzzEnv{contract: apitest.Load(f), keys: map[auth.Role]string{}, keyNames: map[auth.Role]string{}}
	keyIDs := map[auth.Role]string{}
	for _, r := range auth.Roles {
		tenants := "shop"
		if r == auth.Admin {
			tenants = auth.AllTenants
		}
		env.keys[r] = newKey(f, st, r, tenants)
		k, err := st.APIKeyByHash(context.Background(), auth.Hash(env.keys[r]))
		if err != nil {
			f.Fatalf("read back the %s key: %v", r, err)
		}
		keyIDs[r], env.keyNames[r] = k.ID, k.Name
	}

	env.engine = &fakeEngine{running: map[string]workflows.State{}, started: map[string]bool{}}
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	closed := received.AddDate(0, 0, 20)
	for _, c := range []store.Case{
		{ID: fuzzOpenCase, Reference: fuzzOpenRef, Tenant: "shop", Status: string(request.PendingVerification),
			RequesterEmail: "li@example.test", OpenedBy: keyIDs[auth.Portal]},
		{ID: fuzzClosedCase, Reference: "DSR-FZ00-0000-0002", Tenant: "shop", Status: string(request.Completed),
			RequesterEmail: "wu@example.test", OpenedBy: keyIDs[auth.Portal], ClosedAt: &closed, Outcome: "completed"},
		{ID: fuzzBankCase, Reference: "DSR-FZ00-0000-0003", Tenant: "bank", Status: string(request.InProgress),
			RequesterEmail: "ng@example.test", OpenedBy: keyIDs[auth.Admin]},
	} {
		c.Type, c.Channel, c.PolicyID, c.Language, c.ActingFor = "access", "api", "gdpr", "en", "self"
		c.ReceivedAt, c.Revision = received, 1
		if err := st.SaveCase(context.Background(), &c); err != nil {
			f.Fatalf("seed case %s: %v", c.ID, err)
		}
		if c.ClosedAt != nil {
			continue
		}
		env.engine.running[workflows.WorkflowID(c.ID)] = workflows.State{CaseID: c.ID, Reference: c.Reference,
			Tenant: c.Tenant, Type: request.Access, Channel: request.ChannelAPI, PolicyID: c.PolicyID,
			Status: request.Status(c.Status), ReceivedAt: c.ReceivedAt, Revision: 1, OpenedBy: c.OpenedBy,
			Requester: workflows.Requester{Email: c.RequesterEmail, Language: request.English, ActingFor: request.Self}}
	}

	sealer, err := codec.New([]codec.Key{{ID: "fuzz", Secret: bytes.Repeat([]byte{7}, 32)}})
	if err != nil {
		f.Fatalf("blob sealer: %v", err)
	}
	in := &intake.Intake{Store: st, Temporal: env.engine, TaskQueue: "dsr",
		Blobs: &blob.Dir{Path: f.TempDir(), Sealer: sealer},
		Mailboxes: []intake.Mailbox{
			{Address: "dpo@bank.example", Tenant: "bank", PolicyID: "gdpr"},
			{Tenant: "shop", PolicyID: "gdpr"},
		}}
	// An empty export store: issue-link on a closed case finds no export
	// (409) rather than no store (503, a configuration matter).
	exports, err := export.NewDir(f.TempDir(), []export.Key{{ID: "fuzz", Secret: bytes.Repeat([]byte{9}, 32)}})
	if err != nil {
		f.Fatalf("export store: %v", err)
	}
	env.server = &api.Server{Store: st, Temporal: env.engine, Policies: reg, TaskQueue: "dsr", Intake: in, Exports: exports}

	for _, rt := range env.server.Routes() {
		if rt.Method != http.MethodPost {
			continue
		}
		name, isAction := strings.CutPrefix(rt.Path, "/v1/requests/:id/")
		switch {
		case rt.Path == "/v1/requests":
			env.routes = append(env.routes, fuzzRoute{kind: routeOpen, path: rt.Path, roles: rt.Roles})
		case rt.Path == "/v1/intake/email":
			env.routes = append(env.routes, fuzzRoute{kind: routeIntake, path: rt.Path, roles: rt.Roles})
		case isAction:
			a, ok := fuzzActions[name]
			if !ok {
				// Without its input type the checks cannot tell a
				// well-formed body from a malformed one.
				f.Fatalf("action %s is missing from fuzzActions", name)
			}
			for _, id := range fuzzCases {
				env.routes = append(env.routes, fuzzRoute{kind: routeAction, action: a, caseID: id, roles: rt.Roles,
					path: strings.Replace(rt.Path, ":id", id, 1)})
			}
		}
		// Other POST routes (the payload codec) take no case input and are
		// outside this target.
	}
	return env
}

// selector is the route selector of path.
func (e *fuzzEnv) selector(tb testing.TB, path string) uint8 {
	tb.Helper()
	for i, rt := range e.routes {
		if rt.path == path {
			if i >= padBit {
				tb.Fatalf("route %s is selector %d, which sets the pad bit", path, i)
			}
			return uint8(i)
		}
	}
	tb.Fatalf("no fuzz route %s", path)
	return 0
}

// fuzzAnswer is one exchange as the checks see it.
type fuzzAnswer struct {
	req    *http.Request
	status int
	header http.Header
	body   []byte
	// calls are what the request made the engine do.
	calls []engineCall
}

func (e *fuzzEnv) send(t *testing.T, h http.Handler, rt fuzzRoute, mode uint8, body []byte, idempotencyKey string) fuzzAnswer {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, rt.path, bytes.NewReader(body))
	switch int(mode>>5) & 3 {
	case lengthUnknown:
		req.ContentLength = -1
		req.Body = io.NopCloser(bytes.NewReader(body))
	case lengthHuge:
		req.ContentLength = hugeLength
	}
	if ct := fuzzContentTypes[mode&7]; ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Authorization", "Bearer "+e.keys[fuzzRoles[int(mode>>3)&3]])
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	e.engine.calls = nil
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	a := fuzzAnswer{req: req, status: rec.Code, header: rec.Header(), body: rec.Body.Bytes(), calls: e.engine.calls}
	e.contract.Check(t, req, a.status, a.header, a.body)
	return a
}

func (e *fuzzEnv) check(t *testing.T, rt fuzzRoute, mode uint8, body []byte) {
	// A fresh handler per input: the verify rate limit lives in the
	// handler, and after ten inputs it would answer every later verify
	// with 429 before the body is read.
	h := e.server.Handler()
	twice := mode&(1<<7) != 0
	var key string
	if twice {
		key = uuid.NewString()
	}
	first := e.send(t, h, rt, mode, body, key)
	e.checkAnswer(t, rt, mode, body, first)
	if !twice {
		return
	}
	again := e.send(t, h, rt, mode, body, key)
	e.checkReplay(t, rt, fuzzRoles[int(mode>>3)&3], first, again)
}

func (e *fuzzEnv) checkAnswer(t *testing.T, rt fuzzRoute, mode uint8, body []byte, a fuzzAnswer) {
	role := fuzzRoles[int(mode>>3)&3]
	ctype := fuzzContentTypes[mode&7]
	where := fmt.Sprintf("POST %s as %s, Content-Type %q, mode %#x, %d-byte body %.200q", rt.path, role, ctype, mode, len(body), body)
	if a.status >= 500 {
		t.Fatalf("%s: answered %d: %s", where, a.status, a.body)
	}
	if a.status >= 400 {
		checkProblem(t, where, a)
	}
	switch length := int(mode>>5) & 3; {
	case length == lengthHuge && a.status != http.StatusRequestEntityTooLarge:
		t.Fatalf("%s: announced %d bytes, answered %d, want 413", where, hugeLength, a.status)
	case length != lengthUnknown && rt.kind != routeIntake && len(body) > 1<<20 && a.status != http.StatusRequestEntityTooLarge:
		// The length is known before the body is read: nothing else is
		// looked at.
		t.Fatalf("%s: announced %d bytes, answered %d, want 413", where, len(body), a.status)
	}

	switch rt.kind {
	case routeIntake:
		switch a.status {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestEntityTooLarge,
			http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
			if len(a.calls) > 0 {
				t.Fatalf("%s: answered %d but sent %s to the engine", where, a.status, a.calls)
			}
		}
		return
	case routeOpen:
		var want api.OpenRequest
		e.checkJSON(t, where, mode, body, &want, a)
		checkNoControls(t, where, mode, body, &api.OpenRequest{}, a)
		if len(a.calls) > 0 {
			e.checkOpened(t, where, body, &want, a)
		}
	case routeAction:
		want := rt.action.input()
		e.checkJSON(t, where, mode, body, want, a)
		checkNoControls(t, where, mode, body, rt.action.input(), a)
		if len(a.calls) > 0 {
			e.checkActed(t, where, rt, role, body, want, a)
		}
	}
}

// checkNoControls holds that no input both answers 2xx and holds a NUL,
// another C0 control (tab, LF and CR aside, which free text may hold) or
// DEL in any of its strings, nor reaches the engine with one: PostgreSQL
// cannot store NUL, and a case it cannot project is lost to the queue.
// into is a fresh value of the body's type.
func checkNoControls(t *testing.T, where string, mode uint8, body []byte, into any, a fuzzAnswer) {
	if !wellFormed(mode, body, into) {
		return // refused as malformed: checkJSON's affair
	}
	field, ok := controlIn(reflect.ValueOf(into), "body")
	if !ok {
		return
	}
	if a.status >= 200 && a.status < 300 || len(a.calls) > 0 {
		t.Fatalf("%s: %s holds a control character, yet answered %d and sent %s to the engine: %s",
			where, field, a.status, a.calls, a.body)
	}
}

// controlIn finds a string in v holding a NUL, a C0 control other than
// tab, LF and CR, or DEL, and names where.
func controlIn(v reflect.Value, at string) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return controlIn(v.Elem(), at)
		}
	case reflect.String:
		for _, r := range v.String() {
			if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f {
				return at, true
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			if f, ok := controlIn(v.Index(i), fmt.Sprintf("%s[%d]", at, i)); ok {
				return f, true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			if f, ok := controlIn(v.Field(i), at+"."+v.Type().Field(i).Name); ok {
				return f, true
			}
		}
	}
	return "", false
}

// checkProblem holds every 4xx to the problem format: a title, the status
// repeated, and for 400 and 422 the fields at fault.
func checkProblem(t *testing.T, where string, a fuzzAnswer) {
	if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("%s: %d with Content-Type %q, want application/problem+json: %s", where, a.status, ct, a.body)
	}
	var p api.Problem
	if err := json.Unmarshal(a.body, &p); err != nil {
		t.Fatalf("%s: %d problem does not decode: %v: %s", where, a.status, err, a.body)
	}
	if strings.TrimSpace(p.Title) == "" || p.Type == "" || p.Status != a.status {
		t.Fatalf("%s: %d problem without a title, a type or its status: %s", where, a.status, a.body)
	}
	if a.status != http.StatusBadRequest && a.status != http.StatusUnprocessableEntity {
		return
	}
	if len(p.Errors) == 0 {
		t.Fatalf("%s: %d problem names no field: %s", where, a.status, a.body)
	}
	for _, fe := range p.Errors {
		if strings.TrimSpace(fe.Field) == "" || strings.TrimSpace(fe.Reason) == "" {
			t.Fatalf("%s: %d problem has an error without a field or a reason: %s", where, a.status, a.body)
		}
	}
}

// checkJSON judges a JSON route's answer by whether the body is
// well-formed: a malformed one is refused with a 4xx before anything
// reaches the engine, and a well-formed one is never refused as malformed.
// The judgement is RFC 8259's, not the decoder's: one JSON object in
// UTF-8, of the fields and types the route takes. want is the decoded body.
func (e *fuzzEnv) checkJSON(t *testing.T, where string, mode uint8, body []byte, want any, a fuzzAnswer) {
	if wellFormed(mode, body, want) {
		switch a.status {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			t.Fatalf("%s: a well-formed request answered %d: %s", where, a.status, a.body)
		}
		return
	}
	if a.status < 400 || len(a.calls) > 0 {
		t.Fatalf("%s: a malformed request answered %d and sent %s to the engine: %s", where, a.status, a.calls, a.body)
	}
}

// wellFormed is checkJSON's judgement; it decodes body into into.
func wellFormed(mode uint8, body []byte, into any) bool {
	if int(mode>>5)&3 == lengthHuge || len(body) > 1<<20 {
		return false
	}
	mt, _, err := mime.ParseMediaType(fuzzContentTypes[mode&7])
	if err != nil || mt != "application/json" {
		return false
	}
	if !utf8.Valid(body) || !json.Valid(body) || !bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{")) ||
		loneSurrogateEscape(body) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(into) == nil
}

// loneSurrogateEscape reports whether valid JSON escapes half of a UTF-16
// surrogate pair (\ud800 without its partner), which cannot be text.
func loneSurrogateEscape(body []byte) bool {
	unit := func(i int) (rune, bool) { // the \uXXXX at body[i:], if any
		if i+6 > len(body) || body[i] != '\\' || body[i+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(body[i+2:i+6]), 16, 16)
		return rune(n), err == nil
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		r, ok := unit(i)
		if !ok {
			i++ // an escape of one character; skip it
			continue
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		case r >= 0xD800 && r <= 0xDBFF:
			low, ok := unit(i + 6)
			if !ok || low < 0xDC00 || low > 0xDFFF {
				return true
			}
			i += 11
		default:
			i += 5
		}
	}
	return false
}

// checkOpened checks the case the engine was asked to start: valid by the
// API's own rules and carrying what the body said.
func (e *fuzzEnv) checkOpened(t *testing.T, where string, body []byte, want *api.OpenRequest, a fuzzAnswer) {
	if len(a.calls) != 1 || a.calls[0].name != "start" {
		t.Fatalf("%s: opening a case made the engine do %s", where, a.calls)
	}
	in, ok := a.calls[0].arg.(workflows.Input)
	if !ok {
		t.Fatalf("%s: started a workflow with %T", where, a.calls[0].arg)
	}
	_, knownPolicy := e.server.Policies.Get(in.PolicyID)
	r := in.Requester
	switch {
	case a.calls[0].workflowID != workflows.WorkflowID(in.CaseID) || uuid.Validate(in.CaseID) != nil:
		t.Fatalf("%s: workflow %s for case %q", where, a.calls[0].workflowID, in.CaseID)
	case strings.TrimSpace(in.Tenant) == "" || !slices.Contains(request.Types, in.Type) ||
		!slices.Contains(request.Channels, in.Channel) || !knownPolicy ||
		!slices.Contains(request.Languages, r.Language) || !slices.Contains(request.ActingFors, r.ActingFor) ||
		r.Email == "" && r.Phone == "" && r.AccountID == "" ||
		!slices.Contains([]string{"", "email", "sms"}, in.CodeChannel):
		t.Fatalf("%s: an invalid case reached the engine: %+v", where, in)
	case in.Tenant != want.Tenant || in.PolicyID != want.PolicyID || in.Details != want.Details ||
		in.VerifiedBy != want.VerifiedBy || r.Name != want.Requester.Name || r.Email != want.Requester.Email ||
		r.Phone != want.Requester.Phone || r.AccountID != want.Requester.AccountID:
		t.Fatalf("%s: the engine got %+v for the body %+v", where, in, *want)
	case !strings.Contains(in.Actor, "key:"):
		t.Fatalf("%s: case opened by %q, not attributed to the key", where, in.Actor)
	case mangled(in, body):
		t.Fatalf("%s: the engine got U+FFFD the body did not send: %+v", where, in)
	}
	if a.status == http.StatusCreated {
		if loc := a.header.Get("Location"); loc != "/v1/requests/"+in.CaseID {
			t.Fatalf("%s: 201 at %q for case %s", where, loc, in.CaseID)
		}
	}
}

// checkActed checks the update the engine got: the route's, for a case
// the key may see, with the body as decoded and the key as the actor.
func (e *fuzzEnv) checkActed(t *testing.T, where string, rt fuzzRoute, role auth.Role, body []byte, want any, a fuzzAnswer) {
	if len(a.calls) != 1 || a.calls[0].name != rt.action.update || a.calls[0].workflowID != workflows.WorkflowID(rt.caseID) {
		t.Fatalf("%s: the action made the engine do %s", where, a.calls)
	}
	visible := rt.caseID == fuzzOpenCase || rt.caseID == fuzzClosedCase || rt.caseID == fuzzBankCase && role == auth.Admin
	if !visible {
		t.Fatalf("%s: an update for a case the %s key may not see reached the engine", where, role)
	}
	got := a.calls[0].arg
	if reflect.TypeOf(got) != reflect.TypeOf(want) {
		t.Fatalf("%s: update argument %T, want %T", where, got, want)
	}
	actor := reflect.ValueOf(got).Elem().FieldByName("Actor").String()
	if !strings.HasSuffix(actor, "key:"+e.keyNames[role]) {
		t.Fatalf("%s: action attributed to %q, not to the %s key", where, actor, role)
	}
	gotCopy, wantCopy := withoutActor(got), withoutActor(want)
	if !reflect.DeepEqual(gotCopy, wantCopy) {
		t.Fatalf("%s: the engine got %+v for the body %+v", where, gotCopy, wantCopy)
	}
	if mangled(got, body) {
		t.Fatalf("%s: the engine got U+FFFD the body did not send: %+v", where, got)
	}
}

// mangled reports whether text sent to the engine holds U+FFFD that the
// body did not: a byte or escape (a lone surrogate, "\ud800") that the
// decoder replaced. A requester's name must reach the case as written or be
// refused; the server refuses bad UTF-8 bytes for that reason.
func mangled(sent any, body []byte) bool {
	b, err := json.Marshal(sent)
	if err != nil || !bytes.ContainsRune(b, utf8.RuneError) {
		return false
	}
	return !bytes.ContainsRune(body, utf8.RuneError) && !bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`))
}

// withoutActor is a copy of an action input with the actor cleared, which
// the server rewrites.
func withoutActor(in any) any {
	v := reflect.New(reflect.TypeOf(in).Elem())
	v.Elem().Set(reflect.ValueOf(in).Elem())
	v.Elem().FieldByName("Actor").SetString("")
	return v.Interface()
}

// checkReplay checks the same request sent again under the same
// Idempotency-Key: the first answer again, and nothing done twice. Answers
// given before the key is looked at (a role the route refuses, a body too
// large) are not kept and are given afresh.
func (e *fuzzEnv) checkReplay(t *testing.T, rt fuzzRoute, role auth.Role, first, again fuzzAnswer) {
	where := fmt.Sprintf("POST %s again under its Idempotency-Key", first.req.URL.Path)
	if again.status >= 500 {
		t.Fatalf("%s: answered %d: %s", where, again.status, again.body)
	}
	if again.status != first.status || !bytes.Equal(again.body, first.body) ||
		again.header.Get("Content-Type") != first.header.Get("Content-Type") {
		t.Fatalf("%s: answered %d %s %s, first %d %s %s", where, again.status, again.header.Get("Content-Type"), again.body,
			first.status, first.header.Get("Content-Type"), first.body)
	}
	kept := slices.Contains(rt.roles, role) && first.status != http.StatusRequestEntityTooLarge
	if replayed := again.header.Get("Idempotent-Replayed") == "true"; replayed != kept {
		t.Fatalf("%s: %d replayed %v, want %v", where, again.status, replayed, kept)
	}
	if kept && len(again.calls) > 0 {
		t.Fatalf("%s: the replay sent %s to the engine", where, again.calls)
	}
}

// fakeEngine stands in for the Temporal client. It runs the cases in
// running and records what each request sends it. A call it does not
// implement panics on the nil Client, and the server's recovery turns that
// into a 500, which the target reports.
type fakeEngine struct {
	client.Client
	running map[string]workflows.State
	started map[string]bool
	calls   []engineCall
}

// engineCall is one start ("start") or update sent to the engine.
type engineCall struct {
	name       string
	workflowID string
	arg        any
}

func (c engineCall) String() string { return c.name + " " + c.workflowID }

// The limits Temporal Server 1.29 (its defaults, as in the dev server)
// puts on what it is sent, measured: a workflow input over 2 MiB is
// refused ("Blob data size exceeds limit."), any request over 4 MiB by
// gRPC. The SDK's JSON encoding escapes <, > and &, so a body of 1 MiB can
// make a payload of 6 MiB.
const (
	temporalBlobLimit = 2 << 20
	temporalGRPCLimit = 4 << 20
)

var errGRPCTooLarge = errors.New("rpc error: code = ResourceExhausted desc = grpc: received message after decompression larger than max 4194304")

func payloadSize(args []any) (int, error) {
	p, err := converter.GetDefaultDataConverter().ToPayloads(args...)
	if err != nil {
		return 0, fmt.Errorf("encode the arguments: %w", err)
	}
	return proto.Size(p), nil
}

func firstArg(args []any) any {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}

func (e *fakeEngine) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	e.calls = append(e.calls, engineCall{name: "start", workflowID: o.ID, arg: firstArg(args)})
	size, err := payloadSize(args)
	switch {
	case err != nil:
		return nil, err
	case size > temporalGRPCLimit:
		return nil, errGRPCTooLarge
	case size > temporalBlobLimit:
		return nil, serviceerror.NewInvalidArgument("Blob data size exceeds limit.")
	case e.started[o.ID]:
		return nil, serviceerror.NewWorkflowExecutionAlreadyStarted("workflow execution already started", "", "")
	}
	if _, ok := e.running[o.ID]; ok {
		return nil, serviceerror.NewWorkflowExecutionAlreadyStarted("workflow execution already started", "", "")
	}
	e.started[o.ID] = true
	return fakeRun{id: o.ID}, nil
}

func (e *fakeEngine) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	e.calls = append(e.calls, engineCall{name: o.UpdateName, workflowID: o.WorkflowID, arg: firstArg(o.Args)})
	size, err := payloadSize(o.Args)
	switch {
	case err != nil:
		return nil, err
	case size > temporalGRPCLimit:
		return nil, errGRPCTooLarge
	}
	st, ok := e.running[o.WorkflowID]
	if !ok {
		return nil, serviceerror.NewNotFound("workflow execution not found")
	}
	return fakeUpdate{workflowID: o.WorkflowID, state: st, err: validate(st, o.UpdateName, firstArg(o.Args))}, nil
}

func (e *fakeEngine) QueryWorkflow(_ context.Context, workflowID, _, _ string, _ ...any) (converter.EncodedValue, error) {
	st, ok := e.running[workflowID]
	if !ok {
		return nil, serviceerror.NewNotFound("workflow execution not found")
	}
	return fakeValue{st}, nil
}

// validate refuses what the workflow's validators refuse without looking
// at the case's history: a value outside an enum, a wrong code, and the
// bookkeeping rules, which workflows.Keep holds. The workflows package
// tests the validators themselves.
func validate(st workflows.State, update string, arg any) error {
	refused := func(format string, args ...any) error {
		return temporal.NewApplicationError(fmt.Sprintf(format, args...), "Refused")
	}
	switch update {
	case workflows.VerifyUpdate:
		var in workflows.VerifyInput
		if err := roundTrip(arg, &in); err != nil {
			return err
		}
		switch in.Method {
		case workflows.MethodCode:
			if in.Code != fuzzCode {
				return temporal.NewApplicationError("wrong code", workflows.WrongCode)
			}
		case workflows.MethodPortal, workflows.MethodManual:
		default:
			return refused("method %q is not one of code, portal, manual", in.Method)
		}
	case workflows.DenyUpdate:
		var in workflows.DenyInput
		if err := roundTrip(arg, &in); err != nil {
			return err
		}
		if _, err := request.Parse(string(in.Reason), request.DenialReasons); err != nil {
			return refused("reason: %v", err)
		}
	case workflows.ClassifyUpdate:
		var in workflows.ClassifyInput
		if err := roundTrip(arg, &in); err != nil {
			return err
		}
		if _, err := request.Parse(string(in.Type), request.Types); err != nil {
			return refused("type: %v", err)
		}
	case workflows.AssignUpdate, workflows.NoteUpdate, workflows.TagUpdate:
		if _, err := workflows.Keep(workflows.Books{Assignee: st.Assignee, Tags: st.Tags}, arg); err != nil {
			return err
		}
	}
	return nil
}

// roundTrip decodes v as the engine would: from its JSON encoding.
func roundTrip(v, into any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %T: %w", v, err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		return fmt.Errorf("decode into %T: %w", into, err)
	}
	return nil
}

type fakeRun struct {
	client.WorkflowRun
	id string
}

func (r fakeRun) GetID() string    { return r.id }
func (r fakeRun) GetRunID() string { return "run-" + r.id }

type fakeUpdate struct {
	workflowID string
	state      workflows.State
	err        error
}

func (u fakeUpdate) WorkflowID() string { return u.workflowID }
func (u fakeUpdate) RunID() string      { return "run-" + u.workflowID }
func (u fakeUpdate) UpdateID() string   { return "update-" + u.workflowID }

func (u fakeUpdate) Get(_ context.Context, into any) error {
	if u.err != nil || into == nil {
		return u.err
	}
	return roundTrip(u.state, into)
}

type fakeValue struct{ state workflows.State }

func (v fakeValue) HasValue() bool     { return true }
func (v fakeValue) Get(into any) error { return roundTrip(v.state, into) }

// fuzzSeed is one f.Add.
type fuzzSeed struct {
	route, mode uint8
	body        []byte
}

func fuzzSeeds(f *testing.F, env *fuzzEnv) []fuzzSeed {
	f.Helper()
	const (
		ctJSON, ctJSONUTF8, ctMail, ctNone, ctText, ctUpper, ctBadParam, ctOtherJSON = 0, 1, 2, 3, 4, 5, 6, 7
		admin, dpo, portal, intakeRole                                               = 0, 1, 2, 3
	)
	var seeds []fuzzSeed
	add := func(path string, mode uint8, body string) {
		seeds = append(seeds, fuzzSeed{env.selector(f, path), mode, []byte(body)})
	}
	// padded sends body and 1 MiB of whitespace after it.
	padded := func(path string, mode uint8, body string) {
		seeds = append(seeds, fuzzSeed{env.selector(f, path) | padBit, mode, []byte(body)})
	}
	jsonAs := func(role int) uint8 { return fuzzMode(ctJSON, role, lengthExact, false) }
	asAdmin := jsonAs(admin)
	action := func(id, name string) string { return "/v1/requests/" + id + "/" + name }

	const open = `{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"}}`
	nested := func(depth int) string { return strings.Repeat("[", depth) + strings.Repeat("]", depth) }

	// Opening a case: valid, then each way to get it wrong.
	for _, body := range []string{
		open,
		`{"tenant":"shop","type":"deletion","channel":"portal","policy_id":"gdpr","verified_by":"sso",` +
			`"requester":{"name":"李雷","phone":"+86 138 0000 0000","language":"zh-CN","acting_for":"guardian_of_minor"},` +
			`"verification_channel":"sms","received_at":"2026-03-01T08:00:00+08:00","details":"all of it","actor":"desk"}`,
		`{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"name":"Li \ud83d\ude00 \u00e9\ufffd","email":"a@example.test"}}`,
		open[:len(open)/2],
		`{"tenant":1}`,
		`{"tenant":"shop","type":"access","policy_id":"gdpr","requester":"a@example.test"}`,
		`{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"},"colour":"red"}`,
		`{"tenant":"shop","type":"erasure","channel":"fax","policy_id":"gdpr","requester":{"email":"a@example.test","language":"fr","acting_for":"friend"},"verification_channel":"pigeon"}`,
		"{\"tenant\":\"sh\xff\xfeop\",\"type\":\"access\",\"policy_id\":\"gdpr\",\"requester\":{\"email\":\"a@example.test\"}}",
		`{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"},"received_at":"99999-01-01T00:00:00Z"}`,
		`{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"},"received_at":1e400}`,
		`{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"},"details":` + nested(5000) + `}`,
		nested(10001),
		open + open,
		`{"tenant":null,"type":null,"policy_id":null,"requester":null}`,
		``,
		// What fuzzing found, fixed since: trailing brackets, bodies that
		// are not objects, an empty key, an escaped lone surrogate, and
		// text that JSON encoding blows past Temporal's payload limit.
		open + "}",
		open + "]",
		"000", "[]", `"x"`, "null",
		`{"":0}`,
		`{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"name":"Li \ud800","email":"a@example.test"}}`,
		`{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"},"details":"` + strings.Repeat("<", 409600) + `"}`,
	} {
		add("/v1/requests", asAdmin, body)
	}
	add(action(fuzzOpenCase, "withdraw"), asAdmin, "null")
	add(action(fuzzOpenCase, "note"), asAdmin, `{"note":"x\udc00y"}`)
	add(action(fuzzOpenCase, "note"), asAdmin, `{"note":"`+strings.Repeat("‹", 300000)+`"}`)
	add("/v1/requests", fuzzMode(ctJSON, portal, lengthExact, false), `{"tenant":"bank","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"}}`)
	padded("/v1/requests", asAdmin, open)
	padded("/v1/requests", fuzzMode(ctJSONUTF8, admin, lengthUnknown, false), open)
	padded("/v1/requests", fuzzMode(ctText, admin, lengthUnknown, false), open)
	padded("/v1/requests", fuzzMode(ctJSON, portal, lengthExact, true), open)
	add("/v1/requests", fuzzMode(ctJSON, admin, lengthHuge, false), open)
	add("/v1/requests", fuzzMode(ctJSON, portal, lengthExact, true), open)
	add("/v1/requests", fuzzMode(ctJSON, admin, lengthExact, true), `{"tenant":"shop"}`)
	for _, ct := range []int{ctNone, ctText, ctUpper, ctBadParam, ctOtherJSON, ctMail} {
		add("/v1/requests", fuzzMode(ct, admin, lengthExact, false), open)
	}

	// Each action with a body it takes, on each kind of case.
	valid := map[string]string{
		"verify":        `{"method":"code","code":"` + fuzzCode + `"}`,
		"resend-code":   `{}`,
		"extend":        `{"reason":"the export is large","amount":1}`,
		"deny":          `{"reason":"out_of_scope","explanation":"we hold no data on you"}`,
		"complete":      `{"summary":"sent the export","actor":"li"}`,
		"withdraw":      `{"note":"the requester withdrew"}`,
		"request-info":  `{"note":"which account?"}`,
		"info-received": `{"note":"account 42"}`,
		"classify":      `{"type":"deletion"}`,
		"assign":        `{"assignee":"li"}`,
		"note":          `{"note":"called the requester"}`,
		"tag":           `{"add":["vip"],"remove":["old"]}`,
	}
	for name, body := range valid {
		for _, id := range fuzzCases {
			add(action(id, name), asAdmin, body)
		}
		add(action(fuzzOpenCase, name), jsonAs(dpo), body)
		add(action(fuzzOpenCase, name), fuzzMode(ctJSON, dpo, lengthExact, true), body)
		add(action(fuzzOpenCase, name), asAdmin, body[:len(body)-1])
		add(action(fuzzOpenCase, name), asAdmin, `{"actor":"li","priority":"high"}`)
		add(action(fuzzOpenCase, name), asAdmin, "{\"actor\":\"l\xffi\"}")
		add(action(fuzzOpenCase, name), asAdmin, `{"actor":`+nested(5000)+`}`)
		add(action(fuzzOpenCase, name), fuzzMode(ctText, admin, lengthExact, false), body)
		add(action(fuzzOpenCase, name), fuzzMode(ctJSON, admin, lengthHuge, false), body)
		padded(action(fuzzOpenCase, name), fuzzMode(ctJSON, admin, lengthUnknown, false), body)
	}
	for _, body := range []string{
		`{"method":"telepathy"}`,
		`{"method":"code","code":"000000"}`,
		`{"method":"code","code":123456}`,
		`{"method":"manual","note":"passport seen"}`,
		`{"method":"portal","actor":"sso"}`,
	} {
		add(action(fuzzOpenCase, "verify"), asAdmin, body)
		add(action(fuzzOpenCase, "verify"), jsonAs(portal), body)
	}
	add(action(fuzzOpenCase, "deny"), asAdmin, `{"reason":"because","explanation":"x"}`)
	add(action(fuzzOpenCase, "classify"), asAdmin, `{"type":"erasure"}`)
	add(action(fuzzOpenCase, "classify"), asAdmin, `{"type":"unclassified"}`)
	for _, body := range []string{`{"reason":"x","amount":"ten"}`, `{"reason":"x","amount":1e400}`,
		`{"reason":"x","amount":99999999999999999999}`, `{"reason":"x","amount":-3}`, `{"reason":"x","amount":1.5}`} {
		add(action(fuzzOpenCase, "extend"), asAdmin, body)
	}
	for _, body := range []string{`{"add":"vip"}`, `{"add":["a,b"," "]}`, `{"add":[1]}`, `{"add":[]}`, `{"remove":["vip"]}`} {
		add(action(fuzzOpenCase, "tag"), asAdmin, body)
		add(action(fuzzClosedCase, "tag"), asAdmin, body)
	}
	add(action(fuzzClosedCase, "assign"), asAdmin, `{"assignee":"`+strings.Repeat("a", 201)+`"}`)
	add(action(fuzzClosedCase, "note"), asAdmin, `{"note":"  "}`)
	padded(action(fuzzOpenCase, "note"), asAdmin, `{"note":"x"}`)
	padded(action(fuzzOpenCase, "note"), fuzzMode(ctJSON, admin, lengthUnknown, true), `{"note":"x"}`)
	add(action(fuzzOpenCase, "note"), asAdmin, ``)

	// E-mail: a request, a reply with the code, an auto-reply, an
	// attachment, mail for another tenant's box, and broken messages.
	mail := func(role int) uint8 { return fuzzMode(ctMail, role, lengthExact, false) }
	for _, msg := range []string{
		"From: Li Lei <li@example.test>\r\nTo: privacy@shop.example\r\nSubject: Please delete my data\r\n" +
			"Message-ID: <req-1@example.test>\r\n\r\nI want you to delete all my personal data.\r\n",
		"From: li@example.test\r\nTo: privacy@shop.example\r\nSubject: Re: " + fuzzOpenRef + "\r\n" +
			"Message-ID: <reply-1@example.test>\r\n\r\nMy code is " + fuzzCode + ".\r\n",
		"From: wu@example.test\r\nTo: privacy@shop.example\r\nSubject: Re: DSR-FZ00-0000-0002\r\n\r\nThanks.\r\n",
		"From: mailer@example.test\r\nTo: privacy@shop.example\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\nAway.\r\n",
		"From: li@example.test\r\nTo: privacy@shop.example\r\nSubject: ID\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nMy ID.\r\n" +
			"--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=id.png\r\n" +
			"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n",
		"From: ng@example.test\r\nTo: dpo@bank.example\r\nSubject: access\r\n\r\nWhat do you hold?\r\n",
		"From: li@example.test\r\nSubject: =?utf-8?B?\xff\xfe?=\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\n",
		"From: li@example.test\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!\r\n",
		"no header at all",
		"",
		// NUL and C0 controls in headers and text, oversized names, and
		// recipients in both tenants' mailboxes and many more.
		"From: \"Li\x00 Lei\x01\" <li\x00@example.test>\r\nTo: privacy@shop.example\r\nSubject: delete\x00 my\x1b data\r\n" +
			"Message-ID: <nul\x00-1@example.test>\r\n\r\nPlease\x00 delete\x07 my data.\r\n",
		"From: \"" + strings.Repeat("Li Lei ", 2000) + "\" <li@example.test>\r\nTo: privacy@shop.example\r\nSubject: delete my data\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nDelete.\r\n" +
			"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"" + strings.Repeat("n", 3000) + ".pdf\"\r\n\r\n%PDF\r\n--b--\r\n",
		"From: li@example.test\r\nTo: privacy@shop.example, dpo@bank.example, " + strings.Repeat("x@example.test, ", 200) +
			"dpo@bank.example\r\nSubject: delete my data\r\nMessage-ID: <many-1@example.test>\r\n\r\nDelete all my personal data.\r\n",
	} {
		add("/v1/intake/email", mail(admin), msg)
		add("/v1/intake/email", mail(intakeRole), msg)
	}
	// Issue 15: NUL and other C0 controls in every kind of field, names
	// too long for any column, and lists longer than any case takes.
	withOpen := func(extra string) string { return open[:len(open)-1] + extra + "}" }
	for _, body := range []string{
		`{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"name":"a\u0000b","email":"a@example.test"}}`,
		`{"tenant":"sh\u0000op","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"}}`,
		`{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test\u0001","account_id":"42\u001f"}}`,
		`{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"phone":"+44 20 7946 0000\u0000"}}`,
		withOpen(`,"details":"line\nline\ttab\r\n"`),
		withOpen(`,"details":"\u001b[2J\u0007\u007f"`),
		withOpen(`,"actor":"desk\u0000","verified_by":"sso\u2028"`),
		`{"tenant":"shop","type":"correction","policy_id":"gdpr","requester":{"email":"a@example.test"},"corrections":[{"field":"customers.name","value":"Li\u0000"}]}`,
		`{"tenant":"shop","type":"portability","policy_id":"gdpr","requester":{"email":"a@example.test"},"controller":"Acme\u0000"}`,
		`{"tenant":" shop ","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"}}`,
		`{"tenant":"` + strings.Repeat("s", 100_000) + `","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"}}`,
		`{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"name":"` + strings.Repeat("李", 100_000) + `","email":"a@example.test"}}`,
		withOpen(`,"actor":"` + strings.Repeat("a", 500_000) + `"`),
		withOpen(`,"received_at":"0001-01-01T00:00:00Z"`),
		`{"tenant":"shop","type":"correction","policy_id":"gdpr","requester":{"email":"a@example.test"},"corrections":[` +
			strings.TrimSuffix(strings.Repeat(`{"field":"customers.name","value":"x"},`, 51), ",") + `]}`,
		`{"tenant":"shop","type":"correction","policy_id":"gdpr","requester":{"email":"a@example.test"},"corrections":[` +
			strings.TrimSuffix(strings.Repeat(`{"field":"c.n","value":"\u0000"},`, 5000), ",") + `]}`,
	} {
		add("/v1/requests", asAdmin, body)
	}
	add("/v1/requests", jsonAs(portal), `{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"name":"a\u0000b","email":"a@example.test"}}`)
	for name, body := range map[string]string{
		"note":               `{"note":"called\u0000"}`,
		"withdraw":           `{"note":"x\u0008"}`,
		"assign":             `{"assignee":"li\u0000"}`,
		"tag":                `{"add":["vip","a\u0007b"]}`,
		"deny":               `{"reason":"out_of_scope","explanation":"\u0000"}`,
		"complete":           `{"summary":"ok\u001b"}`,
		"extend":             `{"reason":"big\u007f","amount":1}`,
		"verify":             `{"method":"code","code":"12345\u0000"}`,
		"complete-task":      `{"task_id":"t\u0000","evidence":"ok"}`,
		"decide-corrections": `{"decisions":[{"field":"c.n","approve":false,"reason":"\u0000"}]}`,
		"classify":           `{"type":"access\u0000"}`,
	} {
		add(action(fuzzOpenCase, name), asAdmin, body)
		add(action(fuzzClosedCase, name), asAdmin, body)
	}
	add(action(fuzzOpenCase, "tag"), asAdmin, `{"add":[`+strings.TrimSuffix(strings.Repeat(`"t",`, 10_000), ",")+`]}`)
	add(action(fuzzClosedCase, "tag"), asAdmin, `{"add":[`+strings.TrimSuffix(strings.Repeat(`"t\u0000",`, 1000), ",")+`]}`)
	add(action(fuzzOpenCase, "assign"), asAdmin, `{"assignee":"`+strings.Repeat("a", 300_000)+`"}`)
	add(action(fuzzOpenCase, "decide-corrections"), asAdmin,
		`{"decisions":[`+strings.TrimSuffix(strings.Repeat(`{"field":"c.n","approve":true},`, 5000), ",")+`]}`)
	add("/v1/intake/email", mail(intakeRole), "From: li@example.test\r\nTo: "+
		strings.TrimSuffix(strings.Repeat("privacy@shop.example, ", 5000), ", ")+
		"\r\nSubject: access\r\n\r\nWhat do you hold?\r\n")
	add("/v1/intake/email", mail(intakeRole), "From: Li\x00Lei <li@example.test>\r\nTo: privacy@shop.example\r\nSubject: a\x01b\r\n\r\nbody\x00\r\n")

	add("/v1/intake/email", fuzzMode(ctJSON, admin, lengthExact, false), open)
	add("/v1/intake/email", fuzzMode(ctMail, admin, lengthHuge, false), "From: a@example.test\r\n\r\nx")
	padded("/v1/intake/email", fuzzMode(ctMail, intakeRole, lengthUnknown, false),
		"From: li@example.test\r\nTo: privacy@shop.example\r\nSubject: access\r\n\r\nMy data, please.\r\n")
	add("/v1/intake/email", fuzzMode(ctMail, intakeRole, lengthExact, true),
		"From: Li Lei <li@example.test>\r\nTo: privacy@shop.example\r\nSubject: access\r\nMessage-ID: <req-2@example.test>\r\n\r\nWhat data do you hold?\r\n")
	return seeds
}
