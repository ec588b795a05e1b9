// Package workflows holds the request workflow: one Temporal workflow per
// data-subject request, from receipt through identity verification, the SLA
// clock, staff actions and closure.
package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/calendar"
	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
)

// Names under which the workflow, its query and its updates are registered.
const (
	RequestName = "Request"
	StateQuery  = "state"
)

// Search attributes carry no personal data: where the case stands and when
// it is due.
var (
	StatusKey = temporal.NewSearchAttributeKeyKeyword("DsrStatus")
	TypeKey   = temporal.NewSearchAttributeKeyKeyword("DsrType")
	DueKey    = temporal.NewSearchAttributeKeyTime("DsrDueAt")
)

// WorkflowID is the Temporal workflow ID of a case. Case IDs are random, so
// the workflow ID tells nothing about the requester.
func WorkflowID(caseID string) string { return "dsr:" + caseID }

// Verification of identity at intake and afterwards.
const (
	MethodCode   = "code"   // one-time code sent by e-mail
	MethodPortal = "portal" // the customer-service portal vouches for a logged-in subject
	MethodManual = "manual" // DPO staff reviewed documents
)

const (
	maxCodeAttempts = 5
	maxCodeResends  = 3
	codeLifetime    = 30 * time.Minute
)

// Requester is the data subject or whoever acts for them. It is personal
// data: it travels in workflow history only sealed by the payload codec.
type Requester struct {
	Name      string            `json:"name,omitempty"`
	Email     string            `json:"email,omitempty"`
	Phone     string            `json:"phone,omitempty"`
	AccountID string            `json:"account_id,omitempty"`
	Language  request.Language  `json:"language"`
	ActingFor request.ActingFor `json:"acting_for"`
}

// Input opens a case.
type Input struct {
	CaseID     string          `json:"case_id"`
	Reference  string          `json:"reference"`
	Tenant     string          `json:"tenant"`
	Type       request.Type    `json:"type"`
	Channel    request.Channel `json:"channel"`
	PolicyID   string          `json:"policy_id"`
	Requester  Requester       `json:"requester"`
	ReceivedAt time.Time       `json:"received_at"`
	Details    string          `json:"details,omitempty"`
	// VerifiedBy is set when the intake channel already established the
	// subject's identity (a portal assertion); empty means verify first.
	VerifiedBy string `json:"verified_by,omitempty"`
	// CodeChannel asks for one-time codes by "sms" rather than e-mail.
	CodeChannel string `json:"code_channel,omitempty"`
	// OpenedBy is the API key that opened the case.
	OpenedBy string `json:"opened_by,omitempty"`
	Actor    string `json:"actor,omitempty"`
	// Email is the e-mail that made the request, for requests by e-mail;
	// the acknowledgement answers it, so it lands in the requester's thread.
	Email *Email `json:"email,omitempty"`
	// Corrections are what a correction request asks to change.
	Corrections []connector.Correction `json:"corrections,omitempty"`
	// Grounds is why a deletion is asked for (request.DeletionGrounds).
	Grounds request.DeletionGround `json:"grounds,omitempty"`
	// Controller names the receiving controller a portability request asks
	// to transfer the data to directly.
	Controller string `json:"controller,omitempty"`
	// Carried is the case as its previous run left it, when it continued
	// as new; nil for a case just opened.
	Carried *Carried `json:"carried,omitempty"`
}

// Extension is one granted extension of the deadline.
type Extension struct {
	Reason string `json:"reason"`
	// Period is what the extension added, so that a re-pinned case can
	// apply it again on its new calendar.
	Period policy.Period   `json:"period,omitzero"`
	From   policy.Deadline `json:"from"`
	To     policy.Deadline `json:"to"`
	At     time.Time       `json:"at"`
	By     string          `json:"by"`
}

// Pause is a period the clock stood still while the case waited for the
// requester (stop-the-clock policies only).
type Pause struct {
	From time.Time  `json:"from"`
	To   *time.Time `json:"to,omitempty"`
}

// Verification is where identity verification stands. The code itself never
// enters the workflow; only its keyed hash does.
type Verification struct {
	Method    string     `json:"method,omitempty"`
	By        string     `json:"by,omitempty"`
	Channel   string     `json:"code_channel,omitempty"` // email or sms
	CodeSent  int        `json:"codes_sent"`
	Attempts  int        `json:"failed_attempts"`
	Locked    bool       `json:"locked"`
	ExpiresAt *time.Time `json:"code_expires_at,omitempty"`
	codeHash  string
	// sending is true while a code is on its way and its hash not yet known.
	sending bool
}

// State is the live state of a case, returned by the state query.
type State struct {
	CaseID     string            `json:"case_id"`
	Reference  string            `json:"reference"`
	Tenant     string            `json:"tenant"`
	Type       request.Type      `json:"type"`
	Channel    request.Channel   `json:"channel"`
	PolicyID   string            `json:"policy_id"`
	Status     request.Status    `json:"status"`
	Extended   bool              `json:"extended"`
	Overdue    bool              `json:"overdue"`
	ReceivedAt time.Time         `json:"received_at"`
	VerifiedAt *time.Time        `json:"verified_at,omitempty"`
	ClosedAt   *time.Time        `json:"closed_at,omitempty"`
	ClockStart policy.ClockStart `json:"clock_start"`
	ClockFrom  *time.Time        `json:"clock_started_at,omitempty"`
	Due        *policy.Deadline  `json:"due,omitempty"`
	// StoreProblem says why the store refused to record the case, which
	// staff must look into; see projection.go.
	StoreProblem string `json:"store_problem,omitempty"`
	// DeadlineProblem says why the dates cannot be computed (a calendar
	// that does not cover them yet); the case then has no due date.
	DeadlineProblem string               `json:"deadline_problem,omitempty"`
	VerifyBy        policy.Deadline      `json:"verify_by"`
	Reminders       []time.Time          `json:"reminders,omitempty"`
	Extensions      []Extension          `json:"extensions,omitempty"`
	Pauses          []Pause              `json:"pauses,omitempty"`
	Verification    Verification         `json:"verification"`
	InfoNeeded      string               `json:"info_needed,omitempty"`
	Outcome         string               `json:"outcome,omitempty"`
	DenialReason    request.DenialReason `json:"denial_reason,omitempty"`
	Explanation     string               `json:"explanation,omitempty"`
	Summary         string               `json:"summary,omitempty"`
	Revision        int64                `json:"revision"`
	Requester       Requester            `json:"requester"`
	OpenedBy        string               `json:"opened_by,omitempty"`
	Assignee        string               `json:"assignee,omitempty"`
	Tags            []string             `json:"tags,omitempty"`
	// Fulfilment is the work on the data systems, for cases the engine
	// fulfils through connectors.
	Fulfilment *Fulfilment `json:"fulfilment,omitempty"`
	// Grounds is why a deletion was asked for.
	Grounds request.DeletionGround `json:"grounds,omitempty"`
	// Controller is the receiving controller a portability request names.
	Controller string `json:"controller,omitempty"`

	// resumeTo is the status a case returns to when the requester answers.
	resumeTo request.Status
	// sent counts notices by kind so each one gets a stable, unique key.
	sent map[string]int
}

// Result is what a closed case returns.
type Result struct {
	Status  request.Status `json:"status"`
	Outcome string         `json:"outcome"`
}

// Workflows holds what the workflow code reads but does not own: the policy
// registry. Deadline arithmetic runs in SideEffects so that a later change of
// a calendar or policy never changes the history of a running case.
type Workflows struct {
	Policies *policy.Registry
	// BackupRotation is how long backups keep erased data before they
	// roll off; a completed erasure records the date.
	BackupRotation time.Duration
}

// Request runs one data-subject request to its close.
func (w *Workflows) Request(ctx workflow.Context, in Input) (Result, error) {
	r, err := w.open(ctx, in)
	if err != nil {
		return Result{}, err
	}
	if r.core {
		r.startProjector(ctx)
	}
	if in.Carried != nil {
		err = r.lifetime()
	} else {
		err = r.run()
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Status: r.st.Status, Outcome: r.st.Outcome}, nil
}

// run is one running case: its state and the context it acts in.
type run struct {
	w   *Workflows
	ctx workflow.Context
	in  Input
	pol *policy.Policy
	// pin is what pol was built from (case-core cases).
	pin    policy.Pinned
	st     *State
	logger log.Logger
	// changed is bumped by every update so the main loop re-plans its timers.
	changed int
	// notices tracks notices still being sent, so the case closes only
	// after they are out (or have failed and been recorded).
	notices workflow.WaitGroup
	// replanAt is when to try again to compute dates that could not be;
	// replans counts the tries (bounded by maxReplans).
	replanAt time.Time
	replans  int
	// recording serialises projections to the store; cases started before
	// that change (serialProjections false) keep projecting concurrently.
	recording         workflow.Mutex
	serialProjections bool
	// pending are audit events not yet in the store, projected the
	// revision the store has, and attrs the search attributes as last
	// upserted (case-core cases; see projection.go).
	pending   []activities.Event
	projected int64
	attrs     searchAttrs
	// phoneOnly: codes go by SMS to requesters without e-mail, and notices
	// they cannot get are recorded (cases started before: neither).
	phoneOnly bool
	// inBackground counts coroutines at work (notices, fulfilment); runs
	// counts the runs of the case before this one (continue-as-new).
	inBackground int
	runs         int
	// intakeDone is set once the case is recorded, acknowledged and its
	// verification begun; actions wait for it.
	intakeDone bool
	// fulfils: verified cases are fulfilled through the tenant's connectors
	// (cases started before: staff complete them by hand).
	fulfils bool
	// core: the case runs on its pinned policy, projects in batches as
	// local activities, waits on the requester by the policy's clock rule
	// and bounds its loops (cases started before: none of that).
	core bool
	f    fulfilment
	// link is set on a run that is a fulfilment workflow (fulfil_child.go):
	// its effects go to its case.
	link *childLink
}

func (w *Workflows) open(ctx workflow.Context, in Input) (*run, error) {
	if in.CaseID == "" {
		return nil, temporal.NewNonRetryableApplicationError("case ID is required", "InvalidInput", nil)
	}
	st := &State{
		CaseID: in.CaseID, Reference: in.Reference, Tenant: in.Tenant, Type: in.Type,
		Channel: in.Channel, PolicyID: in.PolicyID, ReceivedAt: in.ReceivedAt,
		Requester: in.Requester, OpenedBy: in.OpenedBy, Grounds: in.Grounds, Controller: in.Controller, sent: map[string]int{},
	}
	r := &run{w: w, ctx: ctx, in: in, st: st, logger: workflow.GetLogger(ctx), notices: workflow.NewWaitGroup(ctx),
		recording: workflow.NewMutex(ctx)}
	// Changes of the command sequence, each switched on only for cases
	// started after it. Cases of the case core have every earlier change
	// and record one marker; older cases find theirs in the order they
	// were recorded.
	r.core = workflow.GetVersion(ctx, "case-core", workflow.DefaultVersion, 1) == 1
	if r.core {
		r.phoneOnly, r.serialProjections, r.fulfils = true, true, true
	} else {
		r.phoneOnly = workflow.GetVersion(ctx, "phone-only-requesters", workflow.DefaultVersion, 1) == 1
		r.serialProjections = workflow.GetVersion(ctx, "serial-projections", workflow.DefaultVersion, 1) == 1
		r.fulfils = workflow.GetVersion(ctx, "fulfilment", workflow.DefaultVersion, 1) == 1
	}
	if err := r.begin(ctx); err != nil {
		return nil, err
	}
	if err := workflow.SetQueryHandler(ctx, StateQuery, func() (State, error) { return *r.st, nil }); err != nil {
		return nil, fmt.Errorf("register query: %w", err)
	}
	if err := r.registerUpdates(); err != nil {
		return nil, err
	}
	return r, nil
}

// begin sets up the case's first run, or restores the state a previous
// run carried into this one.
func (r *run) begin(ctx workflow.Context) error {
	if r.in.Carried != nil {
		return r.resume(r.in.Carried)
	}
	st := r.st
	if err := r.pinPolicy(ctx); err != nil {
		return err
	}
	st.ClockStart = r.pol.ClockStartFor(r.in.Type)
	// Validators see the status the intake leads to, so that an action sent
	// right after opening (even before this first task) is judged by it; its
	// handler then waits for the intake.
	opened := evOpened
	if r.in.VerifiedBy != "" {
		opened = evOpenedVerified
	} else {
		st.Verification.sending = r.codeChannel() != ""
	}
	return r.apply(opened)
}

func (r *run) run() error {
	ctx, st := r.ctx, r.st
	planChanged := r.plan(ctx)
	openedDetail := map[string]string{
		"type": string(st.Type), "channel": string(st.Channel), "policy": st.PolicyID, "tenant": st.Tenant,
	}
	if r.in.Grounds != "" {
		openedDetail["grounds"] = string(r.in.Grounds)
	}
	if r.in.Controller != "" {
		openedDetail["controller"] = r.in.Controller
	}
	opened := r.event(ctx, "case.opened", "case.opened", actorOr(r.in.Actor), openedDetail)
	events := []activities.Event{opened}
	if r.in.Email != nil {
		events = append(events, r.mailEvent(ctx, *r.in.Email, true))
	}
	if r.core {
		// Written with the next change, in one batch.
		if planChanged {
			events = append(events, r.planEvent(ctx))
		}
		r.stage(events...)
	} else {
		if err := r.project(ctx, events...); err != nil {
			return err
		}
		if planChanged {
			if err := r.project(ctx, r.planEvent(ctx)); err != nil {
				return err
			}
		}
	}
	var inReplyTo string
	if r.in.Email != nil {
		inReplyTo = r.in.Email.MessageID
	}
	// A case the portal verified has its due date before it is
	// acknowledged, so the acknowledgement can name it.
	portalFirst := r.core && r.in.VerifiedBy != ""
	if portalFirst {
		if err := r.markVerified(ctx, MethodPortal, r.in.VerifiedBy, ""); err != nil {
			return err
		}
	}
	r.notifyRequester(ctx, "acknowledgement", noticeData{}, inReplyTo)

	if portalFirst {
		// Verified above.
	} else if r.in.VerifiedBy != "" {
		if err := r.markVerified(ctx, MethodPortal, r.in.VerifiedBy, ""); err != nil {
			return err
		}
	} else {
		var events []activities.Event
		if r.codeChannel() != "" {
			ev, _ := r.sendCode(ctx) // a failure is recorded; staff can resend or verify manually
			events = append(events, ev)
		}
		if err := r.project(ctx, events...); err != nil {
			return err
		}
	}

	r.intakeDone = true
	return r.lifetime()
}

// lifetime runs the case from its intake to its close: timers fire,
// actions come in, until the case is closed.
func (r *run) lifetime() error {
	ctx, st := r.ctx, r.st
	if r.core {
		if err := r.live(ctx); err != nil {
			return err
		}
		return r.closing(ctx)
	}
	for !st.Status.Closed() {
		r.startFulfilment(ctx)
		at, fire := r.nextTimer()
		seen := r.changed
		var fired bool
		if fire == nil {
			if err := workflow.Await(ctx, func() bool { return r.changed != seen }); err != nil {
				return err
			}
		} else {
			d := at.Sub(workflow.Now(ctx))
			if d > 0 {
				ok, err := workflow.AwaitWithTimeout(ctx, d, func() bool { return r.changed != seen })
				if err != nil {
					return err
				}
				fired = !ok
			} else {
				fired = true
			}
		}
		if fired {
			if err := fire(ctx); err != nil {
				return err
			}
		}
	}
	return r.closing(ctx)
}

// closing lets the work of a closed case finish before the workflow ends.
func (r *run) closing(ctx workflow.Context) error {
	// Let update handlers that closed the case finish, then the notices.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	r.notices.Wait(ctx)
	// Bookkeeping may have come in while the notices went out, and the
	// last changes may still be on their way to the store. Awaiting a
	// condition already true adds no command, so old histories replay.
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && r.projectionsDone() })
}

// nextTimer is the earliest thing the case waits for, or nil when it waits
// only for staff or the requester.
func (r *run) nextTimer() (time.Time, func(workflow.Context) error) {
	st := r.st
	var at time.Time
	var fire func(workflow.Context) error
	consider := func(t time.Time, f func(workflow.Context) error) {
		if fire == nil || t.Before(at) {
			at, fire = t, f
		}
	}
	if st.DeadlineProblem != "" {
		// Without dates there is no window or deadline to watch.
		if !r.core || r.replans < maxReplans {
			consider(r.replanAt, r.replan)
		}
		return at, fire
	}
	if st.Status == request.PendingVerification {
		consider(st.VerifyBy.At, r.verificationExpired)
	}
	paused := st.Status == request.AwaitingRequester && r.pol.StopTheClock
	if st.Due != nil && !paused {
		if len(st.Reminders) > 0 {
			consider(st.Reminders[0], r.remind)
		}
		if !st.Overdue {
			consider(st.Due.At, r.breach)
		}
	}
	return at, fire
}

func (r *run) verificationExpired(ctx workflow.Context) error {
	st := r.st
	if err := r.apply(evVerificationExpired); err != nil {
		return err
	}
	st.DenialReason = request.IdentityUnverified
	r.close(ctx)
	r.notifyRequester(ctx, "identity_unverified", noticeData{})
	return r.project(ctx, r.event(ctx, "case.denied", "case.denied", "system", map[string]string{
		"reason": string(request.IdentityUnverified), "explanation": "identity not verified by " + st.VerifyBy.Date.String(),
	}))
}

func (r *run) remind(ctx workflow.Context) error {
	st := r.st
	at := st.Reminders[0]
	st.Reminders = st.Reminders[1:]
	days := st.Due.Date.Sub(calendar.DateOf(at.In(r.pol.Location)))
	key := "reminder:" + at.UTC().Format(time.RFC3339)
	r.notifyDPO(ctx, "reminder", key, noticeData{DaysLeft: days})
	return r.project(ctx, r.event(ctx, key, "sla.reminder", "system", map[string]string{"due": st.Due.Date.String()}))
}

func (r *run) breach(ctx workflow.Context) error {
	st := r.st
	st.Overdue = true
	st.Reminders = nil
	r.notifyDPO(ctx, "overdue", "overdue", noticeData{})
	return r.project(ctx, r.event(ctx, "sla.breached", "sla.breached", "system", map[string]string{"due": st.Due.Date.String()}))
}

// replanEvery is how often a case whose dates could not be computed tries
// again; adding the missing calendar and restarting the worker is enough.
const replanEvery = 24 * time.Hour

// plan computes the policy's dates for the case. When they cannot be
// computed (a calendar that does not cover next year yet), the case stays
// open without a deadline, never with a guessed one, and plan is tried again
// every day. It reports whether the case's deadline problem appeared or went
// away, which planEvent then records.
func (r *run) plan(ctx workflow.Context) bool {
	st := r.st
	if !r.core {
		// A calendar added since the last try is found here. Cases of the
		// case core re-pin instead, as a recorded step (replan, repin).
		if p, ok := r.w.Policies.Get(st.PolicyID); ok {
			r.pol = p
		}
	}
	s, err := compute(r, ctx, func() (policy.Schedule, error) {
		return r.pol.Schedule(st.Type, st.ReceivedAt, st.VerifiedAt)
	})
	if err != nil {
		r.replanAt = workflow.Now(ctx).Add(replanEvery)
		changed := st.DeadlineProblem != err.Error()
		st.DeadlineProblem = err.Error()
		return changed
	}
	changed := st.DeadlineProblem != ""
	st.DeadlineProblem = ""
	st.VerifyBy = s.VerifyBy
	r.setDue(ctx, s)
	return changed
}

// planEvent records a change of the deadline problem; when one appears,
// staff are told, since they must track the deadline by hand meanwhile.
func (r *run) planEvent(ctx workflow.Context) activities.Event {
	st := r.st
	if st.DeadlineProblem == "" {
		detail := map[string]string{}
		if st.Due != nil {
			detail["due"] = st.Due.Date.String()
		}
		return r.event(ctx, fmt.Sprintf("sla.scheduled:%d", st.sent["deadline_unknown"]), "sla.scheduled", "system", detail)
	}
	key := r.nextKey("deadline_unknown")
	r.notifyDPO(ctx, "deadline_unknown", key, noticeData{Problem: st.DeadlineProblem})
	return r.event(ctx, "sla.unknown:"+key, "sla.unknown", "system", map[string]string{"problem": st.DeadlineProblem})
}

// maxReplans bounds the daily retries of a case without dates: after a
// quarter of a year staff are told that the engine stopped trying, and an
// operator's repin is the way on.
const maxReplans = 90

func (r *run) replan(ctx workflow.Context) error {
	if r.core {
		// The daily retry is the recorded step by which a calendar added
		// to the configuration reaches the case.
		r.replans++
		if pin, err := r.livePin(ctx); err == nil {
			if err := r.usePin(pin); err != nil {
				return err
			}
		}
	}
	if !r.plan(ctx) {
		if r.core && r.replans >= maxReplans {
			r.notifyDPO(ctx, "deadline_unknown", r.nextKey("deadline_unknown"),
				noticeData{Problem: r.st.DeadlineProblem + fmt.Sprintf(" (no more automatic retries after %d days; repin the case once its calendar is configured)", maxReplans)})
			return r.project(ctx, r.event(ctx, "sla.retries_ended", "sla.retries_ended", "system",
				map[string]string{"problem": r.st.DeadlineProblem, "retries": fmt.Sprint(r.replans)}))
		}
		return nil
	}
	return r.project(ctx, r.planEvent(ctx))
}

// computed is what a SideEffect records: a value or why there is none.
type computed[T any] struct {
	Value T      `json:"value"`
	Err   string `json:"error,omitempty"`
}

// compute runs deadline arithmetic. Cases of the case core compute from
// their pinned policy, which is in their history, so the result is the
// same on every replay and needs no record. Older cases read the live
// registry and so run it in a SideEffect: the result, error included, is
// recorded, and replay never recomputes it with a newer calendar.
func compute[T any](r *run, ctx workflow.Context, f func() (T, error)) (T, error) {
	if r.core {
		return f()
	}
	var c computed[T]
	if err := workflow.SideEffect(ctx, func(workflow.Context) any {
		v, err := f()
		if err != nil {
			return computed[T]{Err: err.Error()}
		}
		return computed[T]{Value: v}
	}).Get(&c); err != nil {
		return c.Value, fmt.Errorf("decode computed dates: %w", err)
	}
	if c.Err != "" {
		return c.Value, errors.New(c.Err)
	}
	return c.Value, nil
}

func (r *run) setDue(ctx workflow.Context, s policy.Schedule) {
	if s.Due == nil {
		return
	}
	r.st.Due = s.Due
	r.st.ClockFrom = s.StartedAt
	// A case verified late skips the reminders whose day has passed.
	now := workflow.Now(ctx)
	r.st.Reminders = nil
	for _, t := range s.Reminders {
		if t.After(now) {
			r.st.Reminders = append(r.st.Reminders, t)
		}
	}
}

func (r *run) close(ctx workflow.Context) {
	now := workflow.Now(ctx)
	r.st.ClosedAt = &now
	r.st.Reminders = nil
}

func (r *run) snapshot() activities.Case {
	st := r.st
	c := activities.Case{
		ID: st.CaseID, Reference: st.Reference, Tenant: st.Tenant, Type: string(st.Type),
		Channel: string(st.Channel), Status: string(st.Status), PolicyID: st.PolicyID,
		Extended: st.Extended, Overdue: st.Overdue,
		RequesterName: st.Requester.Name, RequesterEmail: st.Requester.Email,
		RequesterPhone: st.Requester.Phone, RequesterAccountID: st.Requester.AccountID,
		Language: string(st.Requester.Language), ActingFor: string(st.Requester.ActingFor),
		ReceivedAt: st.ReceivedAt, VerifiedAt: st.VerifiedAt, ClosedAt: st.ClosedAt,
		Outcome: st.Outcome, DenialReason: string(st.DenialReason), Summary: st.Summary,
		Revision: st.Revision, OpenedBy: st.OpenedBy, Assignee: st.Assignee, Tags: strings.Join(st.Tags, ","),
	}
	if st.Due != nil {
		at := st.Due.At
		c.DueAt = &at
		c.DueDate = st.Due.Date.String()
	}
	return c
}

func (r *run) event(ctx workflow.Context, key, kind, actor string, detail map[string]string) activities.Event {
	return activities.Event{Key: key, Kind: kind, Actor: actor, Detail: detail, OccurredAt: workflow.Now(ctx)}
}

func actorOr(a string) string {
	if a == "" {
		return "system"
	}
	return a
}
