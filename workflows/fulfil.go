package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/request"
)

// Fulfilment: once a case is verified, the engine does what was asked
// across the tenant's connectors, in parallel, and completes the case
// itself. A connector with no API, or one that still fails after its
// retries, becomes a manual task for its owner, and the case waits for it:
// the completion notice never reports work that was not done.

// Operations on a connector.
const (
	OpAccess     = connector.OpAccess
	OpErase      = connector.OpErase
	OpCorrect    = connector.OpCorrect
	OpCheck      = connector.OpCheck
	OpDeactivate = connector.OpDeactivate
)

// DownloadLifetime is how long an export's download link stays valid.
const DownloadLifetime = 7 * 24 * time.Hour

// fulfilment is the workflow's own bookkeeping of the work; what staff and
// the requester see of it is State.Fulfilment.
type fulfilment struct {
	started bool
	conns   []connector.Info
	// applying is set while data systems are being changed: the case can
	// then be neither denied nor withdrawn, as it would misreport what
	// happened.
	applying bool
	// awaitingConfirm: an account cancellation waits for the requester to
	// confirm it is permanent.
	awaitingConfirm bool
	// rechecks counts staff's requests to check the account again.
	rechecks int
	// checkRound numbers the account checks, which repeat until the
	// requester has settled; each round is a new request to the systems.
	checkRound int
	// waiting is set while fulfilment waits for the requester (case-core
	// cases: see waiting.go).
	waiting bool
	// child is the running round's workflow, when fulfilment runs in child
	// workflows (fulfil_child.go); childRunning until it has ended.
	child        workflow.ChildWorkflowFuture
	childRunning bool
	// path is how the case fulfils (pathInline, pathChildren); empty until
	// its first start.
	path string
}

// Fulfilment paths, decided at a case's first start of fulfilment.
const (
	pathInline   = "inline"
	pathChildren = "children"
)

// fulfillable reports whether the engine fulfils a type through
// connectors; the others (restriction, objection, consent withdrawal,
// complaint) are completed by staff.
func (r *run) fulfillable() bool {
	switch r.st.Type {
	case request.Access, request.Portability, request.Deletion, request.AccountCancellation:
		return true
	case request.Correction:
		return len(r.in.Corrections) > 0
	}
	return false
}

// startFulfilment starts the work once the case is in progress.
func (r *run) startFulfilment(ctx workflow.Context) {
	if !r.fulfils || r.f.started || r.st.Status != request.InProgress || !r.fulfillable() {
		return
	}
	r.f.started = true
	// Cases that first start fulfilment after the change run each round
	// in a child workflow; the first start decides for the case, so a
	// retry never switches a case from one path to the other.
	if r.core && r.f.path == "" {
		r.f.path = pathInline
		if workflow.GetVersion(ctx, fulfilChildren, workflow.DefaultVersion, 1) == 1 {
			r.f.path = pathChildren
		}
	}
	inChild := r.f.path == pathChildren
	r.background(1)
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer r.background(-1)
		fulfil := r.fulfil
		if inChild {
			fulfil = r.fulfilInChild
		}
		err := fulfil(ctx)
		if err == nil {
			return
		}
		if !r.core {
			r.logger.Error("fulfilment stopped", "error", err)
			return
		}
		r.fulfilmentFailed(ctx, err)
	})
}

// errClosed stops fulfilment of a case staff closed meanwhile.
var errClosed = errors.New("the case was closed")

func (r *run) fulfil(ctx workflow.Context) error {
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
	var (
		summary string
		err     error
	)
	switch st.Type {
	case request.Access, request.Portability:
		summary, err = r.access(ctx)
	case request.Deletion:
		summary, err = r.erase(ctx)
	case request.Correction:
		summary, err = r.correct(ctx)
	case request.AccountCancellation:
		summary, err = r.cancelAccount(ctx)
	}
	r.f.applying = false
	if errors.Is(err, errClosed) || st.Status.Closed() {
		return nil
	}
	if err != nil {
		return err
	}
	return r.finish(ctx, summary)
}

// finish completes the case once it is back in progress (staff may have
// asked the requester something meanwhile).
func (r *run) finish(ctx workflow.Context, summary string) error {
	st := r.st
	if err := workflow.Await(ctx, func() bool { return st.Status == request.InProgress || st.Status.Closed() }); err != nil {
		return err
	}
	if st.Status.Closed() {
		return nil
	}
	if err := r.apply(evCompleted); err != nil {
		return err
	}
	st.Summary = summary
	r.close(ctx)
	r.changed++
	r.notifyRequester(ctx, "completion", noticeData{Summary: summary})
	return r.project(ctx, r.event(ctx, "case.completed", "case.completed", "system",
		map[string]string{"summary": summary, "on_time": fmt.Sprint(!st.Overdue), "by": "fulfilment"}))
}

func (r *run) subject() connector.Subject {
	q := r.st.Requester
	return connector.Subject{Email: q.Email, Phone: q.Phone, AccountID: q.AccountID}
}

// call names an operation on a connector; its key is the same on every
// retry of the operation.
func (r *run) call(c connector.Info, op string) activities.ConnectorCall {
	round := 0
	if op == OpCheck {
		round = r.f.checkRound
	}
	return activities.ConnectorCall{CaseID: r.st.CaseID, Connector: c.Name,
		Key: fmt.Sprintf("%s:%s:%s:%d", r.st.CaseID, op, c.Name, round), Subject: r.subject()}
}

// connectorOptions retry an operation with backoff as the connector's
// configuration says; after that a person takes over.
func connectorOptions(ctx workflow.Context, c connector.Info) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Hour,
		HeartbeatTimeout:    20 * time.Second,
		// The maximum interval is never below the first: the server refuses
		// such a policy, and a backoff over 30 minutes is valid configuration.
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        c.Backoff,
			BackoffCoefficient:     2,
			MaximumInterval:        max(30*time.Minute, c.Backoff),
			MaximumAttempts:        int32(c.Attempts),
			NonRetryableErrorTypes: []string{activities.ErrUnsupported, activities.ErrPermanent},
		},
	})
}

// onEach runs op on every connector in parallel and returns when each is
// done, by its system or by a person.
func (r *run) onEach(ctx workflow.Context, op string, conns []connector.Info,
	call func(workflow.Context, connector.Info) (string, error)) {
	wg := workflow.NewWaitGroup(ctx)
	for _, c := range conns {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			r.onOne(ctx, op, c, call)
		})
	}
	wg.Wait(ctx)
}

func (r *run) onOne(ctx workflow.Context, op string, c connector.Info,
	call func(workflow.Context, connector.Info) (string, error)) {
	f := r.st.Fulfilment
	i := len(f.Steps)
	f.Steps = append(f.Steps, Step{Connector: c.Name, Operation: op, Status: StepRunning, At: workflow.Now(ctx)})
	r.touched()
	// Each change of the step is an event of its own: under one key the
	// store would keep only the first (failed) and drop "done by hand".
	changes := 0
	set := func(status, detail string) {
		changes++
		f.Steps[i].Status, f.Steps[i].Detail, f.Steps[i].At = status, detail, workflow.Now(ctx)
		r.record(ctx, r.event(ctx, fmt.Sprintf("fulfilment.%s:%s:%d:%d", op, c.Name, i, changes), "fulfilment."+status, "system",
			map[string]string{"connector": c.Name, "operation": op, "detail": detail}))
	}
	doneByHand := func(t Task) {
		if t.Status != TaskDone {
			set(StepNotDone, "the case closed before the task was done")
			return
		}
		set(StepManual, "done by hand: "+t.Evidence)
	}
	if c.Kind == connector.KindManual {
		set(StepManual, "a manual task for "+c.Owner)
		doneByHand(r.openTask(ctx, c, op, "the system has no API"))
		return
	}
	detail, err := call(connectorOptions(ctx, c), c)
	var appErr *temporal.ApplicationError
	switch {
	case err == nil:
		set(StepDone, detail)
	case errors.As(err, &appErr) && appErr.Type() == activities.ErrUnsupported:
		set(StepSkipped, "the connector does not offer "+op)
	default:
		reason := failure(err)
		set(StepFailed, reason)
		doneByHand(r.openTask(ctx, c, op, reason))
	}
}

// failure is an activity error in a line for staff.
func failure(err error) string {
	msg := err.Error()
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		msg = appErr.Error()
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

// openTask gives the work to the connector's owner and waits until it is
// done, chasing the owner every RemindEvery. It returns the task as done.
func (r *run) openTask(ctx workflow.Context, c connector.Info, op, reason string) Task {
	f := r.st.Fulfilment
	i := len(f.Tasks)
	t := Task{ID: fmt.Sprintf("task-%d", i+1), Connector: c.Name, Operation: op, Owner: c.Owner,
		Instructions: c.Instructions, Reason: reason, Status: TaskOpen, OpenedAt: workflow.Now(ctx)}
	f.Tasks = append(f.Tasks, t)
	r.changed++
	d := noticeData{Task: t.ID, Connector: c.Name, Operation: op, Info: instructionsFor(c, op), Problem: reason}
	owner := activities.Notice{Recipient: activities.ToOwner, To: c.Owner}
	r.notify(ctx, owner, "task_assigned", r.nextKey("task_assigned"), d)
	r.record(ctx, r.event(ctx, "task.opened:"+t.ID, "task.opened", "system",
		map[string]string{"task": t.ID, "connector": c.Name, "operation": op, "owner": c.Owner, "reason": reason}))
	taskDone := func() bool { return f.Tasks[i].Status == TaskDone || r.st.Status.Closed() }
	for reminders := 0; ; reminders++ {
		if r.core && reminders == maxTaskReminders {
			// The owner did not answer; the DPO takes it from here.
			r.notifyDPO(ctx, "attention_needed", r.nextKey("attention_needed"), noticeData{Problem: fmt.Sprintf(
				"Task %s (%s on %s, owner %s) is still open after %d reminders; dsrflow stopped reminding. Complete it with complete-task once done.",
				t.ID, op, c.Name, c.Owner, maxTaskReminders)})
			_ = workflow.Await(ctx, taskDone)
			return f.Tasks[i]
		}
		done, err := workflow.AwaitWithTimeout(ctx, c.RemindEvery, taskDone)
		if err != nil || done {
			return f.Tasks[i]
		}
		r.notify(ctx, owner, "task_reminder", r.nextKey("task_reminder"), d)
	}
}

// Caps on the loops of a case, so that no case repeats itself for ever
// (cases of the case core): at the cap staff are told, and the case waits
// for them.
const (
	// maxTaskReminders: reminders to a task's owner before the DPO is told.
	maxTaskReminders = 10
	// maxAutoRechecks: daily checks of an account with something to
	// settle before the engine leaves rechecking to staff (recheck).
	maxAutoRechecks = 60
)

func instructionsFor(c connector.Info, op string) string {
	what := map[string]string{
		OpAccess:     "Send the DPO office a copy of everything this system holds on the requester.",
		OpErase:      "Erase the requester's data from this system, except what the law requires to keep; restrict that.",
		OpCorrect:    "Apply the approved corrections listed on the case in this system.",
		OpCheck:      "Check whether the requester has balances, assets or subscriptions to settle in this system.",
		OpDeactivate: "Deactivate the requester's account in this system.",
	}[op]
	if c.Instructions != "" {
		what += " " + c.Instructions
	}
	return what
}

// CompleteTaskUpdate marks a manual task done, with evidence.
const CompleteTaskUpdate = "complete_task"

// TaskInput completes a manual task.
type TaskInput struct {
	TaskID   string `json:"task_id"`
	Evidence string `json:"evidence"`
	Actor    string `json:"actor,omitempty"`
}

func (r *run) task(id string) (*Task, error) {
	if r.st.Fulfilment != nil {
		for i := range r.st.Fulfilment.Tasks {
			if t := &r.st.Fulfilment.Tasks[i]; t.ID == id {
				return t, nil
			}
		}
	}
	return nil, refused("task_id: no task %q on this case", id)
}

func (r *run) validateCompleteTask(in TaskInput) error {
	if err := r.open(); err != nil {
		return err
	}
	t, err := r.task(in.TaskID)
	if err != nil {
		return err
	}
	if t.Status == TaskDone {
		return refused("task %s was done by %s", t.ID, t.DoneBy)
	}
	switch n := len(strings.TrimSpace(in.Evidence)); {
	case n == 0:
		return refused("evidence: say what was done (a ticket, a log line, who did it)")
	case n > maxNoteLen:
		return refused("evidence: at most %d bytes", maxNoteLen)
	}
	return nil
}

func (r *run) completeTask(ctx workflow.Context, in TaskInput) (Ack, error) {
	if err := r.validateCompleteTask(in); err != nil {
		return r.ack(), err
	}
	t, _ := r.task(in.TaskID)
	now := workflow.Now(ctx)
	t.Status, t.DoneAt, t.DoneBy, t.Evidence = TaskDone, &now, actorOr(in.Actor), strings.TrimSpace(in.Evidence)
	r.changed++
	done := *t
	r.forward(ctx, FulfilControl{Task: &done})
	err := r.project(ctx, r.event(ctx, "task.completed:"+t.ID, "task.completed", t.DoneBy,
		map[string]string{"task": t.ID, "connector": t.Connector, "operation": t.Operation, "evidence": t.Evidence}))
	return r.ack(), err
}

// changing marks the data systems as being changed from here on.
func (r *run) changing(ctx workflow.Context) error {
	if r.link != nil {
		return r.childChanging(ctx)
	}
	if r.st.Status.Closed() {
		return errClosed
	}
	r.f.applying = true
	return nil
}

// --- access and portability ---

func (r *run) access(ctx workflow.Context) (string, error) {
	parts, err := r.collect(ctx)
	if err != nil {
		return "", err
	}
	if err := r.pack(ctx, parts); err != nil {
		return "", err
	}
	if err := r.issueLink(ctx, "system"); err != nil {
		return "", err
	}
	summary := r.exportSummary(parts)
	if r.st.Type == request.Portability {
		summary += " " + r.transfer(ctx, parts.exportID)
	}
	return summary, nil
}

// parts is what the systems gave for an export: the systems, in the
// configuration's order, and their rows.
type parts struct {
	exportID string
	systems  []string
	rows     int64
}

// collect has every system give its part of the requester's data, by its
// API or, where it has none or keeps failing, by its owner as a task.
func (r *run) collect(ctx workflow.Context) (parts, error) {
	p := parts{exportID: r.st.CaseID}
	r.onEach(ctx, OpAccess, r.f.conns, func(ctx workflow.Context, c connector.Info) (string, error) {
		var got activities.Collected
		err := workflow.ExecuteActivity(ctx, a.Collect, activities.CollectInput{
			ConnectorCall: r.call(c, OpAccess), ExportID: p.exportID}).Get(ctx, &got)
		if err != nil {
			return "", err
		}
		p.systems = append(p.systems, c.Name)
		p.rows += got.Rows
		return fmt.Sprintf("%d rows in %d datasets", got.Rows, got.Datasets), nil
	})
	if r.st.Status.Closed() {
		return p, errClosed
	}
	// Parts come in the configuration's order, whichever finished first.
	slices.SortFunc(p.systems, func(x, y string) int { return r.connIndex(x) - r.connIndex(y) })
	return p, nil
}

// pack builds the export from the parts: one package, in the requester's
// language, machine-readable for portability.
func (r *run) pack(ctx workflow.Context, p parts) error {
	st := r.st
	now := workflow.Now(ctx)
	var pkg activities.Packaged
	if err := workflow.ExecuteActivity(exportOptions(ctx), a.Package, activities.PackageInput{
		CaseID: st.CaseID, ExportID: p.exportID, Reference: st.Reference, Connectors: p.systems,
		Language: st.Requester.Language, Portability: st.Type == request.Portability, CreatedAt: now,
	}).Get(ctx, &pkg); err != nil {
		return err
	}
	st.Fulfilment.Export = &Export{ID: p.exportID, Rows: p.rows, Bytes: pkg.Bytes, SHA256: pkg.SHA256, CreatedAt: now}
	r.record(ctx, r.event(ctx, "export.created", "export.created", "system", map[string]string{
		"export": p.exportID, "rows": fmt.Sprint(p.rows), "bytes": fmt.Sprint(pkg.Bytes), "sha256": pkg.SHA256}))
	return nil
}

// exportSummary tells the requester what the export holds, until when its
// link works, and which systems' parts a person gave.
func (r *run) exportSummary(p parts) string {
	lines := []string{r.words().exported(p.rows, len(p.systems), r.dateOf(r.st.Fulfilment.Export.ExpiresAt))}
	if manual := r.manualSteps(); len(manual) > 0 {
		lines = append(lines, r.words().byHand(manual))
	}
	return strings.Join(lines, " ")
}

func (r *run) connIndex(name string) int {
	return slices.IndexFunc(r.f.conns, func(c connector.Info) bool { return c.Name == name })
}

// manualSteps names the connectors whose part a person did.
func (r *run) manualSteps() []string {
	var out []string
	for _, s := range r.st.Fulfilment.Steps {
		if s.Status == StepManual && !slices.Contains(out, s.Connector) {
			out = append(out, s.Connector)
		}
	}
	return out
}

func exportOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 6 * time.Hour,
		HeartbeatTimeout:    20 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumInterval: 10 * time.Minute},
	})
}

// issueLink signs a fresh download link and sends it to the requester.
func (r *run) issueLink(ctx workflow.Context, actor string) error {
	e := r.st.Fulfilment.Export
	expires := workflow.Now(ctx).Add(DownloadLifetime)
	var link string
	if err := workflow.ExecuteActivity(recordOptions(ctx), a.Link,
		activities.LinkInput{ExportID: e.ID, ExpiresAt: expires}).Get(ctx, &link); err != nil {
		return err
	}
	// A fulfilment round may have reported meanwhile, replacing the case's
	// copy of the work (fulfil_child.go).
	e = r.st.Fulfilment.Export
	e.Link, e.ExpiresAt = link, expires
	r.changed++
	r.notifyRequester(ctx, "export_ready", noticeData{Link: link, LinkExpires: r.dateOf(expires)})
	return r.project(ctx, r.event(ctx, r.nextKey("export.link"), "export.link_issued", actor,
		map[string]string{"export": e.ID, "expires_at": expires.UTC().Format(time.RFC3339)}))
}

func (r *run) dateOf(t time.Time) string { return t.In(r.pol.Location).Format("2006-01-02") }

// IssueLinkUpdate sends the requester a fresh download link.
const IssueLinkUpdate = "issue_link"

func (r *run) validateIssueLink(in NoteInput) error {
	if r.st.Fulfilment == nil || r.st.Fulfilment.Export == nil || r.st.Fulfilment.Export.Link == "" {
		return refused("the case has no export yet")
	}
	return nil
}

func (r *run) reissueLink(ctx workflow.Context, in NoteInput) (Ack, error) {
	if err := r.validateIssueLink(in); err != nil {
		return r.ack(), err
	}
	return r.acked(r.issueLink(ctx, actorOr(in.Actor)))
}

// transfer sends a portability package to the controller the requester
// named, when the engine knows how to reach it.
func (r *run) transfer(ctx workflow.Context, exportID string) string {
	st := r.st
	name := r.in.Controller
	if name == "" {
		return ""
	}
	t := &Transfer{Controller: name, At: workflow.Now(ctx)}
	st.Fulfilment.Transfer = t
	r.touched()
	var got activities.Transferred
	tctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Hour,
		HeartbeatTimeout:    20 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 10 * time.Second, MaximumInterval: 10 * time.Minute,
			MaximumAttempts: 8, NonRetryableErrorTypes: []string{activities.ErrPermanent}},
	})
	err := workflow.ExecuteActivity(tctx, a.Transfer, activities.TransferInput{
		CaseID: st.CaseID, ExportID: exportID, Reference: st.Reference, Controller: name}).Get(ctx, &got)
	t.Status, t.Response = got.Status, got.Response
	if err == nil {
		t.Done = true
	} else {
		t.Reason = failure(err)
	}
	r.record(ctx, r.event(ctx, "export.transferred", "export.transfer", "system", map[string]string{
		"controller": name, "status": fmt.Sprint(got.Status), "done": fmt.Sprint(t.Done), "reason": t.Reason}))
	return r.words().transferred(*t)
}

// --- deletion ---

// ErasureName is the workflow that erases held data when its hold ends.
const ErasureName = "Erasure"

func (r *run) erase(ctx workflow.Context) (string, error) {
	f := r.st.Fulfilment
	if err := r.changing(ctx); err != nil {
		return "", err
	}
	var held []string
	until := map[string]time.Time{}
	r.onEach(ctx, OpErase, r.f.conns, func(ctx workflow.Context, c connector.Info) (string, error) {
		var es []connector.Erasure
		if err := workflow.ExecuteActivity(ctx, a.Erase, activities.EraseInput{
			ConnectorCall: r.call(c, OpErase), Now: workflow.Now(ctx)}).Get(ctx, &es); err != nil {
			return "", err
		}
		var erased, kept int64
		for _, e := range es {
			f.Erasures = append(f.Erasures, ErasureItem{Connector: c.Name, Erasure: e})
			erased, kept = erased+e.Erased, kept+e.Held
		}
		if t := connector.Holds(es); t != nil {
			held = append(held, c.Name)
			until[c.Name] = *t
			return fmt.Sprintf("%d rows erased, %d held until %s", erased, kept, r.dateOf(*t)), nil
		}
		return fmt.Sprintf("%d rows erased", erased), nil
	})
	// Connectors finish in any order; the summary lists them as configured.
	slices.SortStableFunc(f.Erasures, func(x, y ErasureItem) int { return r.connIndex(x.Connector) - r.connIndex(y.Connector) })
	backups, err := compute(r, ctx, func() (time.Time, error) { return workflow.Now(ctx).Add(r.w.BackupRotation), nil })
	if err != nil {
		return "", err
	}
	if r.w.BackupRotation > 0 {
		f.BackupsClearBy = &backups
	}
	if len(held) > 0 {
		slices.SortFunc(held, func(x, y string) int { return r.connIndex(x) - r.connIndex(y) })
		var last time.Time
		for _, c := range held {
			if until[c].After(last) {
				last = until[c]
			}
		}
		if err := r.eraseLater(ctx, held, last); err != nil {
			return "", err
		}
	}
	return r.words().erased(f, r.manualSteps(), r.dateOf), nil
}

// ErasureInput erases what retention holds kept, once they end.
type ErasureInput struct {
	CaseID     string            `json:"case_id"`
	Subject    connector.Subject `json:"subject"`
	Connectors []connector.Info  `json:"connectors"`
	Until      time.Time         `json:"until"`
	Round      int               `json:"round"`
}

// eraseLater starts the workflow that erases held rows when their hold
// ends. It outlives the case, which closes now with the holds listed.
func (r *run) eraseLater(ctx workflow.Context, held []string, until time.Time) error {
	var conns []connector.Info
	for _, c := range r.f.conns {
		if slices.Contains(held, c.Name) {
			conns = append(conns, c)
		}
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:        "dsr-erasure:" + r.st.CaseID,
		ParentClosePolicy: enums.PARENT_CLOSE_POLICY_ABANDON,
	})
	child := workflow.ExecuteChildWorkflow(cctx, ErasureName, ErasureInput{
		CaseID: r.st.CaseID, Subject: r.subject(), Connectors: conns, Until: until, Round: 1})
	var started workflow.Execution
	if err := child.GetChildWorkflowExecution().Get(ctx, &started); err != nil {
		return fmt.Errorf("start erasure of held data: %w", err)
	}
	r.record(ctx, r.event(ctx, "erasure.scheduled", "erasure.scheduled", "system", map[string]string{
		"connectors": strings.Join(held, ","), "at": until.UTC().Format(time.RFC3339)}))
	return nil
}

// Erasure sleeps until the retention holds of a closed deletion case end,
// erases what they kept, and repeats until nothing is held. Each round
// continues as new, so years of waiting keep the history short.
func (w *Workflows) Erasure(ctx workflow.Context, in ErasureInput) error {
	if err := workflow.Sleep(ctx, in.Until.Sub(workflow.Now(ctx))); err != nil {
		return err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Hour,
		HeartbeatTimeout:    20 * time.Second,
		// A system down for days delays the erasure; it never skips it.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Minute, MaximumInterval: 6 * time.Hour},
	})
	var (
		next   []connector.Info
		until  time.Time
		events []activities.Event
	)
	for _, c := range in.Connectors {
		var es []connector.Erasure
		call := activities.ConnectorCall{CaseID: in.CaseID, Connector: c.Name,
			Key: fmt.Sprintf("%s:erase-held:%s:%d", in.CaseID, c.Name, in.Round), Subject: in.Subject}
		if err := workflow.ExecuteActivity(ctx, a.Erase, activities.EraseInput{ConnectorCall: call, Now: workflow.Now(ctx)}).Get(ctx, &es); err != nil {
			return err
		}
		var erased int64
		for _, e := range es {
			erased += e.Erased
		}
		detail := map[string]string{"connector": c.Name, "erased": fmt.Sprint(erased), "round": fmt.Sprint(in.Round)}
		if t := connector.Holds(es); t != nil {
			next = append(next, c)
			if t.After(until) {
				until = *t
			}
			detail["held_until"] = t.UTC().Format(time.RFC3339)
		}
		events = append(events, activities.Event{Key: fmt.Sprintf("erasure.held_erased:%s:%d", c.Name, in.Round),
			Kind: "erasure.held_erased", Actor: "system", Detail: detail, OccurredAt: workflow.Now(ctx)})
	}
	if err := workflow.ExecuteActivity(ctx, a.AppendEvents, in.CaseID, events).Get(ctx, nil); err != nil {
		return err
	}
	if len(next) == 0 {
		return nil
	}
	return workflow.NewContinueAsNewError(ctx, ErasureName, ErasureInput{
		CaseID: in.CaseID, Subject: in.Subject, Connectors: next, Until: until, Round: in.Round + 1})
}

// --- correction ---

// DecideCorrectionsUpdate records staff's decision on requested corrections.
const DecideCorrectionsUpdate = "decide_corrections"

// Decision approves or rejects one correction; a rejection needs a reason,
// which the requester is told.
type Decision struct {
	Field   string `json:"field"`
	Approve bool   `json:"approve"`
	Reason  string `json:"reason,omitempty"`
}

// DecideInput decides some or all of a case's corrections.
type DecideInput struct {
	Decisions []Decision `json:"decisions"`
	Actor     string     `json:"actor,omitempty"`
}

func (r *run) correct(ctx workflow.Context) (string, error) {
	if err := r.awaitDecisions(ctx); err != nil {
		return "", err
	}
	if err := r.applyApproved(ctx); err != nil {
		return "", err
	}
	return r.words().corrected(r.st.Fulfilment.Corrections), nil
}

// awaitDecisions puts the requested corrections before staff and waits
// until each is approved or rejected (decide_corrections).
func (r *run) awaitDecisions(ctx workflow.Context) error {
	st, f := r.st, r.st.Fulfilment
	for _, c := range r.in.Corrections {
		f.Corrections = append(f.Corrections, CorrectionItem{Correction: c, Decision: DecisionPending})
	}
	r.changed++
	r.notifyDPO(ctx, "corrections_pending", r.nextKey("corrections_pending"), noticeData{})
	r.record(ctx, r.event(ctx, "corrections.requested", "corrections.requested", "system",
		map[string]string{"fields": strings.Join(fieldsOf(f.Corrections, ""), ",")}))
	return workflow.Await(ctx, func() bool { return r.decided() || st.Status.Closed() })
}

// applyApproved applies the approved corrections on every system, once
// the case allows its data systems to be changed; nothing when none was
// approved.
func (r *run) applyApproved(ctx workflow.Context) error {
	f := r.st.Fulfilment
	var approved []connector.Correction
	for _, c := range f.Corrections {
		if c.Decision == DecisionApproved {
			approved = append(approved, c.Correction)
		}
	}
	if len(approved) == 0 {
		return nil
	}
	if err := r.changing(ctx); err != nil {
		return err
	}
	r.onEach(ctx, OpCorrect, r.f.conns, func(ctx workflow.Context, c connector.Info) (string, error) {
		var applied []connector.Applied
		if err := workflow.ExecuteActivity(ctx, a.Correct, activities.CorrectInput{
			ConnectorCall: r.call(c, OpCorrect), Corrections: approved}).Get(ctx, &applied); err != nil {
			return "", err
		}
		var rows int64
		for _, ap := range applied {
			for i := range f.Corrections {
				if f.Corrections[i].Field == ap.Field {
					f.Corrections[i].Rows += ap.Rows
					f.Corrections[i].Applied = true
				}
			}
			rows += ap.Rows
		}
		return fmt.Sprintf("%d corrections, %d rows", len(applied), rows), nil
	})
	// A person who did a connector's part by hand applied its share.
	if len(r.manualSteps()) > 0 {
		for i := range f.Corrections {
			if f.Corrections[i].Decision == DecisionApproved {
				f.Corrections[i].Applied = true
			}
		}
	}
	return nil
}

func (r *run) decided() bool {
	return !slices.ContainsFunc(r.st.Fulfilment.Corrections, func(c CorrectionItem) bool { return c.Decision == DecisionPending })
}

func fieldsOf(cs []CorrectionItem, decision string) []string {
	var out []string
	for _, c := range cs {
		if decision == "" || c.Decision == decision {
			out = append(out, c.Field)
		}
	}
	return out
}

func (r *run) validateDecide(in DecideInput) error {
	if err := r.open(); err != nil {
		return err
	}
	f := r.st.Fulfilment
	if f == nil || len(f.Corrections) == 0 {
		return refused("the case has no corrections to decide")
	}
	if len(in.Decisions) == 0 {
		return refused("decisions: decide at least one correction")
	}
	seen := map[string]bool{}
	for i, d := range in.Decisions {
		j := slices.IndexFunc(f.Corrections, func(c CorrectionItem) bool { return c.Field == d.Field })
		switch {
		case j < 0:
			return refused("decisions[%d].field: the request asks no correction of %q", i, d.Field)
		case seen[d.Field]:
			return refused("decisions[%d].field: %q is decided twice", i, d.Field)
		case f.Corrections[j].Decision != DecisionPending:
			return refused("decisions[%d].field: %q was already %s", i, d.Field, f.Corrections[j].Decision)
		case !d.Approve && strings.TrimSpace(d.Reason) == "":
			return refused("decisions[%d].reason: a rejection needs a reason; the requester is told it", i)
		case len(d.Reason) > maxNoteLen:
			return refused("decisions[%d].reason: at most %d bytes", i, maxNoteLen)
		}
		seen[d.Field] = true
	}
	return nil
}

func (r *run) decide(ctx workflow.Context, in DecideInput) (Ack, error) {
	if err := r.validateDecide(in); err != nil {
		return r.ack(), err
	}
	f := r.st.Fulfilment
	actor := actorOr(in.Actor)
	var (
		events  []activities.Event
		decided []CorrectionItem
	)
	for _, d := range in.Decisions {
		j := slices.IndexFunc(f.Corrections, func(c CorrectionItem) bool { return c.Field == d.Field })
		c := &f.Corrections[j]
		c.Decision, c.Reason, c.DecidedBy = DecisionRejected, strings.TrimSpace(d.Reason), actor
		if d.Approve {
			c.Decision = DecisionApproved
		}
		events = append(events, r.event(ctx, "correction.decided:"+c.Field, "correction."+c.Decision, actor,
			map[string]string{"field": c.Field, "reason": c.Reason}))
		decided = append(decided, *c)
	}
	r.changed++
	r.forward(ctx, FulfilControl{Decided: decided})
	return r.acked(r.project(ctx, events...))
}

// --- account cancellation ---

// Cancellation updates: the requester confirms the cancellation is
// permanent or revokes it during the cooling-off period; staff ask for the
// account to be checked again once the requester has settled.
const (
	ConfirmCancellationUpdate = "confirm_cancellation"
	RevokeCancellationUpdate  = "revoke_cancellation"
	RecheckUpdate             = "recheck"
)

// recheckEvery is how often an account with something to settle is checked
// again without being asked.
const recheckEvery = 24 * time.Hour

func (r *run) cancelAccount(ctx workflow.Context) (string, error) {
	c := &Cancellation{}
	r.st.Fulfilment.Cancellation = c
	if err := r.settleFirst(ctx, c); err != nil {
		return "", err
	}
	if err := r.awaitConfirmation(ctx, c); err != nil {
		return "", err
	}
	if err := r.coolOff(ctx, c); err != nil {
		return "", err
	}
	if err := r.deactivate(ctx, c); err != nil {
		return "", err
	}
	summary, err := r.erase(ctx)
	return r.words().cancelled() + " " + summary, err
}

// settleFirst checks the systems for what the requester would lose
// (balances, assets, subscriptions) and, while there is any, waits for
// them to settle it: checked again daily, or when staff recheck.
func (r *run) settleFirst(ctx workflow.Context, c *Cancellation) error {
	st := r.st
	checkable := slices.DeleteFunc(slices.Clone(r.f.conns), func(c connector.Info) bool { return c.Kind == connector.KindManual })
	var told string
	for round := 0; ; round++ {
		r.f.checkRound = round
		var obstacles []connector.Obstacle
		r.onEach(ctx, OpCheck, checkable, func(ctx workflow.Context, conn connector.Info) (string, error) {
			var got []connector.Obstacle
			if err := workflow.ExecuteActivity(ctx, a.Check, r.call(conn, OpCheck)).Get(ctx, &got); err != nil {
				return "", err
			}
			obstacles = append(obstacles, got...)
			return fmt.Sprintf("%d to settle", len(got)), nil
		})
		if st.Status.Closed() {
			return errClosed
		}
		c.Obstacles = obstacles
		if len(obstacles) == 0 {
			break
		}
		// The requester hears of what to settle once, and again only when
		// it changes; the daily recheck is silent.
		info := r.words().obstacles(obstacles)
		kind := "cancellation_obstacles"
		if info == told {
			kind = ""
		}
		told = info
		every := recheckEvery
		if r.core && round >= maxAutoRechecks {
			every = 0 // staff recheck once the requester says they settled
			if round == maxAutoRechecks {
				r.notifyRequester(ctx, "info_request", noticeData{Info: r.words().rechecksStopped(maxAutoRechecks)})
				r.notifyDPO(ctx, "attention_needed", r.nextKey("attention_needed"), noticeData{Problem: fmt.Sprintf(
					"The account still has something to settle after %d daily checks; dsrflow stopped checking by itself. Use recheck when the requester says they settled.",
					maxAutoRechecks)})
			}
		}
		if err := r.waitForRequester(ctx, kind, info, func() bool { return false }, every); err != nil {
			return err
		}
	}
	if r.core {
		return r.requesterDone(ctx)
	}
	return nil
}

// awaitConfirmation waits for the requester to confirm that the
// cancellation is permanent (confirm_cancellation).
func (r *run) awaitConfirmation(ctx workflow.Context, c *Cancellation) error {
	r.f.awaitingConfirm = true
	if err := r.waitForRequester(ctx, "cancellation_confirm", "", func() bool { return c.ConfirmedAt != nil }, 0); err != nil {
		return err
	}
	r.f.awaitingConfirm = false
	return nil
}

// coolOff lets the policy's cooling-off period run from the confirmation;
// the requester may revoke the cancellation until it ends.
func (r *run) coolOff(ctx workflow.Context, c *Cancellation) error {
	st := r.st
	end, err := r.coolingOffEnd(ctx, *c.ConfirmedAt)
	if err != nil || end == nil {
		return err
	}
	c.CoolingOffUntil = end
	r.changed++
	if r.core {
		// The confirmation notice promised to say when it ends.
		r.notifyRequester(ctx, "cooling_off_started", noticeData{CoolingOffEnd: r.dateOf(*end)})
		if err := r.project(ctx, r.event(ctx, "cancellation.cooling_off", "cancellation.cooling_off", "system",
			map[string]string{"until": end.UTC().Format(time.RFC3339)})); err != nil {
			return err
		}
	}
	if _, err := workflow.AwaitWithTimeout(ctx, end.Sub(workflow.Now(ctx)), func() bool { return st.Status.Closed() }); err != nil {
		return err
	}
	if r.core && !st.Status.Closed() {
		r.notifyRequester(ctx, "cooling_off_ended", noticeData{CoolingOffEnd: r.dateOf(*end)})
	}
	return nil
}

// deactivate deactivates the account on every system, once the case
// allows its data systems to be changed.
func (r *run) deactivate(ctx workflow.Context, c *Cancellation) error {
	if err := r.changing(ctx); err != nil {
		return err
	}
	r.onEach(ctx, OpDeactivate, r.f.conns, func(ctx workflow.Context, conn connector.Info) (string, error) {
		err := workflow.ExecuteActivity(ctx, a.Deactivate, r.call(conn, OpDeactivate)).Get(ctx, nil)
		return "account deactivated", err
	})
	now := workflow.Now(ctx)
	c.DeactivatedAt = &now
	r.record(ctx, r.event(ctx, "account.deactivated", "account.deactivated", "system", nil))
	return nil
}

// waitForRequester puts the case in awaiting_requester, tells the
// requester what is needed (a notice of kind, unless kind is empty: they
// were told already) and waits until ready, staff ask for a recheck, or
// every (when not zero) has passed; then the case is back in progress.
func (r *run) waitForRequester(ctx workflow.Context, kind, info string, ready func() bool, every time.Duration) error {
	if r.link != nil {
		return r.childWait(ctx, kind, info, ready, every)
	}
	if r.core {
		return r.waitForRequesterCore(ctx, kind, info, ready, every)
	}
	st := r.st
	if kind != "" {
		if err := r.apply(evRequesterNeeded); err != nil {
			return err
		}
		st.InfoNeeded = info
		r.changed++
		r.notifyRequester(ctx, kind, noticeData{Info: info})
		if err := r.project(ctx, r.event(ctx, r.nextKey("fulfilment."+kind), "fulfilment.awaiting_requester", "system",
			map[string]string{"why": kind, "info": info})); err != nil {
			return err
		}
	}
	if err := r.awaitReadyOrRecheck(ctx, ready, every); err != nil {
		return err
	}
	if st.Status == request.AwaitingRequester {
		if err := r.apply(evRequesterDone); err != nil {
			return err
		}
		st.InfoNeeded = ""
		r.changed++
	}
	return nil
}

func (r *run) validateConfirm(in NoteInput) error {
	if err := r.open(); err != nil {
		return err
	}
	if !r.f.awaitingConfirm {
		return refused("the case is not waiting for the requester to confirm a cancellation")
	}
	return nil
}

func (r *run) confirmCancellation(ctx workflow.Context, in NoteInput) (Ack, error) {
	if err := r.validateConfirm(in); err != nil {
		return r.ack(), err
	}
	now := workflow.Now(ctx)
	r.st.Fulfilment.Cancellation.ConfirmedAt = &now
	r.changed++
	if r.f.childRunning {
		// The cooling-off period is a date of the case: computed here, from
		// the pinned policy, and passed on.
		c := &Confirmation{At: now}
		end, err := r.coolingOffEnd(ctx, now)
		if err != nil {
			c.Err = err.Error()
		}
		c.CoolingOffUntil = end
		r.forward(ctx, FulfilControl{Confirmed: c})
	}
	return r.acked(r.project(ctx, r.event(ctx, "cancellation.confirmed", "cancellation.confirmed", actorOr(in.Actor),
		map[string]string{"note": in.Note})))
}

func (r *run) validateRevoke(in NoteInput) error {
	if err := r.open(); err != nil {
		return err
	}
	f := r.st.Fulfilment
	if r.st.Type != request.AccountCancellation || f == nil || f.Cancellation == nil {
		return refused("the case is not an account cancellation under way")
	}
	if r.f.applying {
		return refused("the cooling-off period is over; the account is being cancelled")
	}
	return nil
}

func (r *run) revokeCancellation(ctx workflow.Context, in NoteInput) (Ack, error) {
	if err := r.validateRevoke(in); err != nil {
		return r.ack(), err
	}
	r.st.Fulfilment.Cancellation.Revoked = true
	return r.withdraw(ctx, in)
}

func (r *run) validateRecheck(in NoteInput) error {
	if err := r.open(); err != nil {
		return err
	}
	if r.st.Status != request.AwaitingRequester || r.st.Fulfilment == nil || r.st.Fulfilment.Cancellation == nil ||
		len(r.st.Fulfilment.Cancellation.Obstacles) == 0 {
		return refused("the case is not waiting for the requester to settle anything")
	}
	return nil
}

func (r *run) recheck(ctx workflow.Context, in NoteInput) (Ack, error) {
	if err := r.validateRecheck(in); err != nil {
		return r.ack(), err
	}
	r.f.rechecks++
	r.forward(ctx, FulfilControl{Recheck: true})
	return r.acked(r.project(ctx, r.event(ctx, r.nextKey("cancellation.recheck"), "cancellation.recheck", actorOr(in.Actor),
		map[string]string{"note": in.Note})))
}
