package workflows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
)

// Fulfilment as child workflows (cases started after the change
// "fulfil-children"): the work on the data systems runs in a workflow of
// its own, one type per request type (fulfil_access.go and the like), a
// round per attempt. The case stays the one owner of its status, its
// projection to the store, its clock and its notices: the child reports
// what it did with small signals (FulfilReportSignal) and the case does
// the rest; staff's actions stay updates on the case, which checks them
// against its copy of the fulfilment and passes them on to the child
// (FulfilControlSignal). The child runs the same steps as the inline
// fulfilment of older cases; what differs is where their effects land
// (see the r.link branches in fulfil.go, waiting.go, notices.go and
// projection.go).

// fulfilChildren is the change that runs fulfilment in child workflows.
const fulfilChildren = "fulfil-children"

// Names of the fulfilment workflows and their signals.
const (
	FulfilAccessName       = "FulfilAccess"
	FulfilPortabilityName  = "FulfilPortability"
	FulfilErasureName      = "FulfilErasure"
	FulfilCorrectionName   = "FulfilCorrection"
	FulfilCancellationName = "FulfilCancellation"

	// FulfilReportSignal goes from a fulfilment to its case.
	FulfilReportSignal = "fulfilment_report"
	// FulfilControlSignal goes from a case to its fulfilment.
	FulfilControlSignal = "fulfilment_control"
)

// fulfilName is the fulfilment workflow for a request type.
func fulfilName(t request.Type) string {
	switch t {
	case request.Access:
		return FulfilAccessName
	case request.Portability:
		return FulfilPortabilityName
	case request.Deletion:
		return FulfilErasureName
	case request.Correction:
		return FulfilCorrectionName
	case request.AccountCancellation:
		return FulfilCancellationName
	}
	return ""
}

// FulfilWorkflowID names a fulfilment round after its case's workflow;
// like it, it tells nothing about the requester.
func FulfilWorkflowID(caseWorkflowID string, round int) string {
	return fmt.Sprintf("%s/fulfil/%d", caseWorkflowID, round)
}

// FulfilInput is everything a fulfilment decides from; it never reads the
// live configuration. Requester is personal data, sealed by the payload
// codec like the case's own input.
type FulfilInput struct {
	CaseID      string                 `json:"case_id"`
	Reference   string                 `json:"reference"`
	Tenant      string                 `json:"tenant"`
	Type        request.Type           `json:"type"`
	Requester   Requester              `json:"requester"`
	Connectors  []connector.Info       `json:"connectors"`
	Corrections []connector.Correction `json:"corrections,omitempty"`
	Controller  string                 `json:"controller,omitempty"`
	// Fulfilment is the work as it stands: a retry continues its steps and
	// tasks, numbered on from the earlier rounds.
	Fulfilment *Fulfilment `json:"fulfilment"`
	// TimeZone is the pinned policy's, for the dates the summaries name;
	// BackupRotation the worker's when the round started.
	TimeZone       string        `json:"time_zone"`
	BackupRotation time.Duration `json:"backup_rotation,omitempty"`
	Round          int           `json:"round"`
}

// FulfilResult is how a round ended: the summary of work done, or Closed
// when the case closed before it was.
type FulfilResult struct {
	Summary string `json:"summary,omitempty"`
	Closed  bool   `json:"closed,omitempty"`
}

// FulfilReport is what a fulfilment tells its case: the work as it now
// stands and the things that happened since the last report, in order.
type FulfilReport struct {
	Fulfilment      *Fulfilment  `json:"fulfilment"`
	AwaitingConfirm bool         `json:"awaiting_confirm,omitempty"`
	Items           []ReportItem `json:"items,omitempty"`
}

// ReportItem is one thing that happened: audit events to record, a notice
// to send, a wait for the requester begun or ended, or the data systems
// about to be changed (the case answers with Proceed, unless it closed).
type ReportItem struct {
	Events        []activities.Event `json:"events,omitempty"`
	Notice        *ReportNotice      `json:"notice,omitempty"`
	Wait          *ReportWait        `json:"wait,omitempty"`
	RequesterDone bool               `json:"requester_done,omitempty"`
	Changing      bool               `json:"changing,omitempty"`
}

// ReportNotice asks the case to send a notice; the case numbers it.
type ReportNotice struct {
	Kind      string               `json:"kind"`
	Recipient activities.Recipient `json:"recipient"`
	To        string               `json:"to,omitempty"`
	Data      noticeData           `json:"data"`
}

// ReportWait asks the case to wait for the requester, telling them why.
type ReportWait struct {
	Kind string `json:"kind"`
	Info string `json:"info,omitempty"`
}

// FulfilControl is what a case passes on to its fulfilment: staff's and
// the requester's actions, the go-ahead to change the data systems, and
// the case's close.
type FulfilControl struct {
	Closed    request.Status   `json:"closed,omitempty"`
	Proceed   bool             `json:"proceed,omitempty"`
	Task      *Task            `json:"task,omitempty"`
	Decided   []CorrectionItem `json:"decided,omitempty"`
	Confirmed *Confirmation    `json:"confirmed,omitempty"`
	Recheck   bool             `json:"recheck,omitempty"`
}

// Confirmation is the requester's confirmation of a cancellation, with
// the end of the cooling-off period the case computed from its pinned
// policy (or why it could not).
type Confirmation struct {
	At              time.Time  `json:"at"`
	CoolingOffUntil *time.Time `json:"cooling_off_until,omitempty"`
	Err             string     `json:"error,omitempty"`
}

// childLink is a fulfilment's side of the link to its case.
type childLink struct {
	parent string
	round  int
	queue  []ReportItem
	// queued and delivered count items, so a step can wait for its own.
	queued, delivered int
	proceed           bool
	confirmation      *Confirmation
	// reported is the work as last reported, encoded.
	reported []byte
}

// encode is f as JSON, to tell whether it changed since it was reported;
// encoding/json writes struct fields in order and map keys sorted.
func encode(f *Fulfilment) []byte {
	b, _ := json.Marshal(f)
	return b
}

// --- the fulfilment's side ---

// fulfilment sets up a fulfilment workflow: a run of the fulfilment steps
// whose effects go to the case.
func (w *Workflows) fulfilment(ctx workflow.Context, in FulfilInput) (*run, error) {
	info := workflow.GetInfo(ctx)
	if info.ParentWorkflowExecution == nil {
		return nil, errors.New("a fulfilment runs as the child of its case")
	}
	loc, err := time.LoadLocation(in.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("fulfilment time zone: %w", err)
	}
	f := in.Fulfilment
	if f == nil {
		f = &Fulfilment{}
	}
	st := &State{CaseID: in.CaseID, Reference: in.Reference, Tenant: in.Tenant, Type: in.Type,
		Status: request.InProgress, Requester: in.Requester, Controller: in.Controller, Fulfilment: f, sent: map[string]int{}}
	r := &run{
		w:   &Workflows{BackupRotation: in.BackupRotation},
		ctx: ctx, st: st, logger: workflow.GetLogger(ctx), notices: workflow.NewWaitGroup(ctx),
		recording: workflow.NewMutex(ctx),
		in:        Input{CaseID: in.CaseID, Reference: in.Reference, Tenant: in.Tenant, Type: in.Type, Corrections: in.Corrections, Controller: in.Controller},
		pol:       &policy.Policy{Location: loc},
		core:      true, fulfils: true, phoneOnly: true, serialProjections: true, intakeDone: true,
		link: &childLink{parent: info.ParentWorkflowExecution.ID, round: in.Round},
	}
	r.f.started, r.f.conns = true, in.Connectors
	r.startReporter(ctx)
	control := workflow.GetSignalChannel(ctx, FulfilControlSignal)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var c FulfilControl
			control.Receive(ctx, &c)
			r.control(c)
		}
	})
	return r, nil
}

// done ends a fulfilment workflow once its case has every report.
func (r *run) done(ctx workflow.Context, summary string, err error) (FulfilResult, error) {
	r.f.applying = false
	l := r.link
	now := encode(r.st.Fulfilment) //workflowcheck:ignore encoding/json writes fields in order and map keys sorted
	if len(l.queue) == 0 && !bytes.Equal(l.reported, now) {
		r.tell(ReportItem{}) // the work as it ended, when the case has not seen it
	}
	if werr := workflow.Await(ctx, func() bool { return l.delivered == l.queued }); werr != nil {
		return FulfilResult{}, werr
	}
	if errors.Is(err, errClosed) || r.st.Status.Closed() {
		return FulfilResult{Closed: true}, nil
	}
	if err != nil {
		return FulfilResult{}, err
	}
	return FulfilResult{Summary: summary}, nil
}

// tell queues an item for the next report and returns its number.
func (r *run) tell(item ReportItem) int {
	l := r.link
	l.queue = append(l.queue, item)
	l.queued++
	return l.queued
}

// touched reports a change of the work that has no event of its own (a
// step under way), so the case shows it; inline fulfilment needs nothing.
func (r *run) touched() {
	if r.link != nil {
		r.tell(ReportItem{})
	}
}

// startReporter starts the coroutine that sends what is queued, one report
// at a time so the case hears of things in the order they happened, and
// everything of one workflow task in one signal.
func (r *run) startReporter(ctx workflow.Context) {
	l := r.link
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			if err := workflow.Await(ctx, func() bool { return len(l.queue) > 0 }); err != nil {
				return
			}
			items := l.queue
			l.queue = nil
			rep := FulfilReport{Fulfilment: r.st.Fulfilment, AwaitingConfirm: r.f.awaitingConfirm, Items: items}
			l.reported = encode(r.st.Fulfilment) //workflowcheck:ignore encoding/json writes fields in order and map keys sorted
			if err := workflow.SignalExternalWorkflow(ctx, l.parent, "", FulfilReportSignal, rep).Get(ctx, nil); err != nil {
				// The case is gone (terminated by an operator): nobody is
				// left to tell, and waiting would hold the round for ever.
				r.logger.Error("report to the case failed", "error", err)
			}
			l.delivered += len(items)
		}
	})
}

// control applies what the case passed on.
func (r *run) control(c FulfilControl) {
	f := r.st.Fulfilment
	if c.Closed != "" {
		r.st.Status = c.Closed
	}
	if c.Proceed {
		r.link.proceed = true
	}
	if c.Task != nil {
		if i := slices.IndexFunc(f.Tasks, func(t Task) bool { return t.ID == c.Task.ID }); i >= 0 && f.Tasks[i].Status != TaskDone {
			f.Tasks[i] = *c.Task
		}
	}
	for _, d := range c.Decided {
		if i := slices.IndexFunc(f.Corrections, func(x CorrectionItem) bool { return x.Field == d.Field }); i >= 0 &&
			f.Corrections[i].Decision == DecisionPending {
			f.Corrections[i].Decision, f.Corrections[i].Reason, f.Corrections[i].DecidedBy = d.Decision, d.Reason, d.DecidedBy
		}
	}
	if c.Confirmed != nil && f.Cancellation != nil && f.Cancellation.ConfirmedAt == nil {
		at := c.Confirmed.At
		f.Cancellation.ConfirmedAt = &at
		r.link.confirmation = c.Confirmed
	}
	if c.Recheck {
		r.f.rechecks++
	}
	r.changed++
}

// childWait is waitForRequester in a fulfilment: the case puts itself in
// awaiting_requester and tells the requester; the fulfilment waits for
// what it needs.
func (r *run) childWait(ctx workflow.Context, kind, info string, ready func() bool, every time.Duration) error {
	if kind != "" {
		r.f.waiting = true
		r.st.InfoNeeded = info
		r.tell(ReportItem{Wait: &ReportWait{Kind: kind, Info: info}})
	}
	if err := r.awaitReadyOrRecheck(ctx, ready, every); err != nil {
		return err
	}
	if ready() {
		return r.requesterDone(ctx)
	}
	return nil
}

// childChanging asks the case for the go-ahead to change the data
// systems: from the case's answer on, it refuses to be denied or
// withdrawn, and a case closed meanwhile never sees its data changed.
func (r *run) childChanging(ctx workflow.Context) error {
	if r.st.Status.Closed() {
		return errClosed
	}
	r.tell(ReportItem{Changing: true})
	if err := workflow.Await(ctx, func() bool { return r.link.proceed || r.st.Status.Closed() }); err != nil {
		return err
	}
	if r.st.Status.Closed() {
		return errClosed
	}
	r.f.applying = true
	return nil
}

// coolingOffEnd is when a confirmed cancellation's cooling-off period ends
// (nil: the policy has none). The case computes it from its pinned policy;
// a fulfilment is told it with the confirmation.
func (r *run) coolingOffEnd(ctx workflow.Context, confirmed time.Time) (*time.Time, error) {
	if r.link != nil {
		c := r.link.confirmation
		if c == nil {
			return nil, errors.New("the confirmation came without its cooling-off period")
		}
		if c.Err != "" {
			return nil, errors.New(c.Err)
		}
		return c.CoolingOffUntil, nil
	}
	return compute(r, ctx, func() (*time.Time, error) {
		d, err := r.pol.CoolingOffEnd(confirmed)
		if d == nil || err != nil {
			return nil, err
		}
		return &d.At, nil
	})
}

// --- the case's side ---

// fulfilInChild is the case's side of a fulfilment round: it reads the
// tenant's connectors, starts the round's workflow, records and tells
// what it reports, and completes the case when the work is done.
func (r *run) fulfilInChild(ctx workflow.Context) error {
	st := r.st
	var conns []connector.Info
	if err := r.quick(ctx, recordOptions(ctx), "Connectors", a.Connectors, st.Tenant, &conns); err != nil {
		return err
	}
	if len(conns) == 0 {
		return nil // nothing configured: staff fulfil and complete by hand
	}
	r.f.conns = conns
	if st.Fulfilment == nil {
		st.Fulfilment = &Fulfilment{}
	}
	st.Fulfilment.Attempts++
	round := st.Fulfilment.Attempts
	in := FulfilInput{
		CaseID: st.CaseID, Reference: st.Reference, Tenant: st.Tenant, Type: st.Type, Requester: st.Requester,
		Connectors: conns, Corrections: r.in.Corrections, Controller: r.in.Controller, Fulfilment: st.Fulfilment,
		TimeZone: r.pol.Location.String(), BackupRotation: r.w.BackupRotation, Round: round,
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		// From the case ID, not the running workflow's ID, which a replayer
		// does not keep; the case's workflow ID is WorkflowID(case ID).
		WorkflowID: FulfilWorkflowID(WorkflowID(st.CaseID), round),
		// A case ends only after its round has (see below); should it be
		// ended by force, its round is asked to stop too.
		ParentClosePolicy: enums.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
	})
	child := workflow.ExecuteChildWorkflow(cctx, fulfilName(st.Type), in)
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		return fmt.Errorf("start fulfilment round %d: %w", round, err)
	}
	r.f.child, r.f.childRunning = child, true
	defer func() { r.f.childRunning, r.f.applying = false, false }()

	reports := workflow.GetSignalChannel(ctx, FulfilReportSignal)
	var (
		closedSent bool
		firstErr   error
	)
	for {
		if err := workflow.Await(ctx, func() bool {
			return reports.Len() > 0 || child.IsReady() || (st.Status.Closed() && !closedSent)
		}); err != nil {
			return err
		}
		var rep FulfilReport
		for reports.ReceiveAsync(&rep) {
			if err := r.onReport(ctx, rep); err != nil && firstErr == nil {
				firstErr = err
			}
			rep = FulfilReport{}
		}
		if st.Status.Closed() && !closedSent && !child.IsReady() {
			// The round stops where it is; what it leaves undone it reports
			// as not done.
			closedSent = true
			r.forward(ctx, FulfilControl{Closed: st.Status})
		}
		// Every report is in the history before the round's end.
		if child.IsReady() && reports.Len() == 0 {
			break
		}
	}
	var res FulfilResult
	err := child.Get(ctx, &res)
	if st.Status.Closed() || res.Closed {
		return nil
	}
	if err != nil {
		return err
	}
	if firstErr != nil {
		return firstErr
	}
	return r.finish(ctx, res.Summary)
}

// onReport takes in what the round reports, in order.
func (r *run) onReport(ctx workflow.Context, rep FulfilReport) error {
	st := r.st
	st.Fulfilment = mergeFulfilment(st.Fulfilment, rep.Fulfilment)
	r.f.awaitingConfirm = rep.AwaitingConfirm && !st.Status.Closed()
	r.changed++
	var events []activities.Event
	flush := func() error {
		if len(events) == 0 {
			return nil
		}
		err := r.project(ctx, events...)
		events = nil
		return err
	}
	for _, it := range rep.Items {
		var err error
		switch {
		case len(it.Events) > 0:
			events = append(events, it.Events...)
		case it.Notice != nil:
			n := it.Notice
			if n.Recipient == activities.ToRequester {
				r.notifyRequester(ctx, n.Kind, n.Data)
			} else {
				r.notify(ctx, activities.Notice{Recipient: n.Recipient, To: n.To}, n.Kind, r.nextKey(n.Kind), n.Data)
			}
		case it.Wait != nil:
			if err = flush(); err == nil {
				err = r.beginWait(ctx, it.Wait.Kind, it.Wait.Info)
			}
		case it.RequesterDone:
			if err = flush(); err == nil {
				err = r.requesterDone(ctx)
			}
		case it.Changing:
			if err = flush(); err == nil && !st.Status.Closed() {
				r.f.applying = true
				r.forward(ctx, FulfilControl{Proceed: true})
			}
		}
		if err != nil && !errors.Is(err, errClosed) {
			return err
		}
	}
	return flush()
}

// forward passes a control on to the running round; a round that has
// ended is left alone.
func (r *run) forward(ctx workflow.Context, c FulfilControl) {
	if !r.f.childRunning || r.f.child.IsReady() {
		return
	}
	if err := r.f.child.SignalChildWorkflow(ctx, FulfilControlSignal, c).Get(ctx, nil); err != nil {
		r.logger.Warn("control not passed on to the fulfilment", "error", err)
	}
}

// mergeFulfilment takes the round's report as the work stands, except for
// what the case decided itself after the round last looked: a task staff
// completed, a decided correction, a confirmation, a revocation, a newer
// download link, and the case's own problem and attempt count.
func mergeFulfilment(mine, theirs *Fulfilment) *Fulfilment {
	if theirs == nil {
		return mine
	}
	if mine == nil {
		return theirs
	}
	for i, t := range theirs.Tasks {
		if j := slices.IndexFunc(mine.Tasks, func(m Task) bool { return m.ID == t.ID }); j >= 0 &&
			mine.Tasks[j].Status == TaskDone && t.Status != TaskDone {
			theirs.Tasks[i] = mine.Tasks[j]
		}
	}
	for i, c := range theirs.Corrections {
		if j := slices.IndexFunc(mine.Corrections, func(m CorrectionItem) bool { return m.Field == c.Field }); j >= 0 &&
			mine.Corrections[j].Decision != DecisionPending && c.Decision == DecisionPending {
			theirs.Corrections[i] = mine.Corrections[j]
		}
	}
	if mc, tc := mine.Cancellation, theirs.Cancellation; mc != nil && tc != nil {
		if tc.ConfirmedAt == nil {
			tc.ConfirmedAt = mc.ConfirmedAt
		}
		tc.Revoked = tc.Revoked || mc.Revoked
	}
	if me, te := mine.Export, theirs.Export; me != nil && te != nil && me.ExpiresAt.After(te.ExpiresAt) {
		theirs.Export = me
	}
	theirs.Problem, theirs.Attempts = mine.Problem, mine.Attempts
	return theirs
}
