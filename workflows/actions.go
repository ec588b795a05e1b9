package workflows

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
)

// Staff and requester actions, each a Temporal Update whose validator
// refuses an illegal action before it reaches history.
const (
	VerifyUpdate       = "verify"
	ResendCodeUpdate   = "resend_code"
	ExtendUpdate       = "extend"
	DenyUpdate         = "deny"
	CompleteUpdate     = "complete"
	WithdrawUpdate     = "withdraw"
	RequestInfoUpdate  = "request_info"
	InfoReceivedUpdate = "info_received"
	ClassifyUpdate     = "classify"
)

// ActorEmail is the actor of actions that e-mail intake takes on a
// requester's behalf (a code found in a reply).
const ActorEmail = "email"

// WrongCode is the error type of a verify update whose code did not match;
// the attempt is counted.
const WrongCode = "WrongCode"

// VerifyInput verifies the requester's identity.
type VerifyInput struct {
	Method string `json:"method"`
	Code   string `json:"code,omitempty"`
	Note   string `json:"note,omitempty"`
	Actor  string `json:"actor,omitempty"`
}

// ExtendInput extends the deadline. Amount is in the unit of the policy's
// extension; zero asks for the policy's maximum.
type ExtendInput struct {
	Reason string `json:"reason"`
	Amount int    `json:"amount,omitempty"`
	Actor  string `json:"actor,omitempty"`
}

// DenyInput refuses the request.
type DenyInput struct {
	Reason      request.DenialReason `json:"reason"`
	Explanation string               `json:"explanation"`
	Actor       string               `json:"actor,omitempty"`
}

// CompleteInput closes a fulfilled request.
type CompleteInput struct {
	Summary string `json:"summary"`
	Actor   string `json:"actor,omitempty"`
}

// ClassifyInput sets the request type: of a request that came in by e-mail
// unclassified, or one classified wrongly.
type ClassifyInput struct {
	Type  request.Type `json:"type"`
	Actor string       `json:"actor,omitempty"`
}

// NoteInput carries a free-text note: withdraw, request_info (what is
// needed), info_received, resend_code.
type NoteInput struct {
	Note  string `json:"note,omitempty"`
	Actor string `json:"actor,omitempty"`
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

func (r *run) registerUpdates() error {
	handlers := []struct {
		name      string
		handler   any
		validator any
	}{
		{VerifyUpdate, afterIntake(r, r.verify), r.validateVerify},
		{ResendCodeUpdate, afterIntake(r, r.resendCode), r.validateResendCode},
		{ExtendUpdate, afterIntake(r, r.extend), r.validateExtend},
		{DenyUpdate, afterIntake(r, r.deny), r.validateDeny},
		{CompleteUpdate, afterIntake(r, r.complete), r.validateComplete},
		{WithdrawUpdate, afterIntake(r, r.withdraw), r.validateWithdraw},
		{RequestInfoUpdate, afterIntake(r, r.requestInfo), r.validateRequestInfo},
		{InfoReceivedUpdate, afterIntake(r, r.infoReceived), r.validateInfoReceived},
		{ClassifyUpdate, afterIntake(r, r.classify), r.validateClassify},
		{MailUpdate, afterIntake(r, r.mail), r.validateMail},
		{AssignUpdate, afterIntake(r, keepBooks[AssignInput](r)), validateBooks[AssignInput](r)},
		{NoteUpdate, afterIntake(r, keepBooks[NoteInput](r)), validateBooks[NoteInput](r)},
		{TagUpdate, afterIntake(r, keepBooks[TagInput](r)), validateBooks[TagInput](r)},
		{CompleteTaskUpdate, afterIntake(r, r.completeTask), r.validateCompleteTask},
		{DecideCorrectionsUpdate, afterIntake(r, r.decide), r.validateDecide},
		{IssueLinkUpdate, afterIntake(r, r.reissueLink), r.validateIssueLink},
		{ConfirmCancellationUpdate, afterIntake(r, r.confirmCancellation), r.validateConfirm},
		{RevokeCancellationUpdate, afterIntake(r, r.revokeCancellation), r.validateRevoke},
		{RecheckUpdate, afterIntake(r, r.recheck), r.validateRecheck},
		{RetryFulfilmentUpdate, afterIntake(r, r.retryFulfilment), r.validateRetryFulfilment},
		{RepinUpdate, afterIntake(r, r.repin), r.validateRepin},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(r.ctx, h.name, h.handler,
			workflow.UpdateHandlerOptions{Validator: h.validator}); err != nil {
			return fmt.Errorf("register update %s: %w", h.name, err)
		}
	}
	return nil
}

// afterIntake makes an action wait until the intake is done, so its events
// follow the case's opening in the audit trail.
func afterIntake[I any](r *run, h func(workflow.Context, I) (Ack, error)) func(workflow.Context, I) (Ack, error) {
	return func(ctx workflow.Context, in I) (Ack, error) {
		if err := workflow.Await(ctx, func() bool { return r.intakeDone }); err != nil {
			return r.ack(), err
		}
		return h(ctx, in)
	}
}

// refused is the error of a validator, and of a handler that finds the case
// changed since its validator ran.
func refused(format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), "Refused")
}

func (r *run) open() error {
	if r.st.Status.Closed() {
		return refused("the case is %s", r.st.Status)
	}
	return nil
}

// openUnchanged refuses to close a case whose data systems are being
// changed: it would misreport what happened to the data.
func (r *run) openUnchanged() error {
	if err := r.open(); err != nil {
		return err
	}
	if r.f.applying {
		return refused("the data systems are being changed; the case completes when that is done")
	}
	return nil
}

// --- verify ---

func (r *run) validateVerify(ctx workflow.Context, in VerifyInput) error {
	if err := r.open(); err != nil {
		return err
	}
	st := r.st
	if st.VerifiedAt != nil {
		return refused("identity is already verified")
	}
	switch in.Method {
	case MethodCode:
		if !sixDigits.MatchString(in.Code) {
			return refused("code must be 6 digits")
		}
		if st.Verification.Locked {
			return refused("code verification is locked after %d wrong codes; staff must verify manually", maxCodeAttempts)
		}
		if st.Verification.codeHash == "" && !st.Verification.sending {
			return refused("no code was sent for this case")
		}
		if st.Verification.ExpiresAt != nil && !workflow.Now(ctx).Before(*st.Verification.ExpiresAt) {
			return refused("the code has expired; ask for a new one")
		}
	case MethodManual:
		if strings.TrimSpace(in.Note) == "" {
			return refused("manual verification needs a note on the evidence reviewed")
		}
	case MethodPortal:
	default:
		return refused("method must be one of code, portal, manual")
	}
	return nil
}

func (r *run) verify(ctx workflow.Context, in VerifyInput) (Ack, error) {
	if err := r.validateVerify(ctx, in); err != nil {
		return r.ack(), err
	}
	if in.Method != MethodCode {
		err := r.markVerified(ctx, in.Method, actorOr(in.Actor), in.Note)
		return r.ack(), err
	}
	// The mail can arrive, and its code be typed in, before the activity
	// that sent it has reported the code's hash back.
	if err := workflow.Await(ctx, func() bool { return !r.st.Verification.sending }); err != nil {
		return r.ack(), err
	}
	if err := r.validateVerify(ctx, in); err != nil {
		return r.ack(), err
	}
	hash := r.st.Verification.codeHash
	var ok bool
	check := activities.CodeCheck{CaseID: r.st.CaseID, Code: in.Code, Hash: hash}
	if err := r.quick(ctx, checkOptions(ctx), "CheckCode", a.CheckCode, check, &ok); err != nil {
		return r.ack(), fmt.Errorf("check code: %w", err)
	}
	// The case may have changed while the check ran.
	if err := r.validateVerify(ctx, in); err != nil {
		return r.ack(), err
	}
	if ok {
		err := r.markVerified(ctx, MethodCode, "requester", "")
		return r.ack(), err
	}
	v := &r.st.Verification
	if r.core && in.Actor == ActorEmail {
		// Anyone can put the requester's address in a From: header, so a
		// wrong code by e-mail is recorded but never counts towards the
		// lock: five forged replies must not lock the requester out.
		if err := r.project(ctx, r.event(ctx, r.nextKey("verification.email_code_wrong"), "verification.failed", ActorEmail,
			map[string]string{"via": "email", "counted": "false"})); err != nil {
			return r.ack(), err
		}
		return r.ack(), temporal.NewApplicationError("wrong code in an e-mail reply; not counted", WrongCode)
	}
	v.Attempts++
	left := maxCodeAttempts - v.Attempts
	kind := "verification.failed"
	if left <= 0 {
		v.Locked = true
		kind = "verification.locked"
	}
	r.changed++
	if err := r.project(ctx, r.event(ctx, fmt.Sprintf("verification.failed:%d", v.Attempts), kind, "requester",
		map[string]string{"attempt": fmt.Sprint(v.Attempts)})); err != nil {
		return r.ack(), err
	}
	if v.Locked {
		return r.ack(), temporal.NewApplicationError("wrong code; verification is now locked", WrongCode)
	}
	return r.ack(), temporal.NewApplicationError(fmt.Sprintf("wrong code; %d tries left", left), WrongCode)
}

func (r *run) markVerified(ctx workflow.Context, method, by, note string) error {
	st := r.st
	now := workflow.Now(ctx)
	st.VerifiedAt = &now
	st.Verification.Method, st.Verification.By = method, by
	st.Verification.codeHash, st.Verification.ExpiresAt = "", nil
	if st.Status != request.InProgress { // a portal-verified case opened in progress
		if err := r.apply(evVerified); err != nil {
			return err
		}
	}
	planChanged, dated := false, false
	if st.Due == nil {
		planChanged = r.plan(ctx)
		dated = st.Due != nil
	}
	if r.core && dated && r.intakeDone {
		// The acknowledgement promised the date once identity is verified.
		r.notifyRequester(ctx, "identity_verified", noticeData{})
	}
	r.changed++
	detail := map[string]string{"method": method}
	if note != "" {
		detail["note"] = note
	}
	events := []activities.Event{r.event(ctx, "case.verified", "case.verified", actorOr(by), detail)}
	if planChanged {
		events = append(events, r.planEvent(ctx))
	}
	return r.project(ctx, events...)
}

// --- codes ---

func (r *run) validateResendCode(in NoteInput) error {
	if err := r.open(); err != nil {
		return err
	}
	st := r.st
	switch {
	case st.Status != request.PendingVerification:
		return refused("the case is not waiting for identity verification")
	case r.codeChannel() == "":
		return refused("the requester has neither an e-mail address nor a phone number to send a code to")
	case st.Verification.Locked:
		return refused("code verification is locked; staff must verify manually")
	case st.Verification.CodeSent > maxCodeResends:
		return refused("at most %d new codes may be sent", maxCodeResends)
	}
	return nil
}

func (r *run) resendCode(ctx workflow.Context, in NoteInput) (Ack, error) {
	if err := r.validateResendCode(in); err != nil {
		return r.ack(), err
	}
	ev, sendErr := r.sendCode(ctx)
	r.changed++
	if err := r.project(ctx, ev); err != nil {
		return r.ack(), err
	}
	return r.ack(), sendErr
}

// codeChannel is where one-time codes go: the channel asked for at intake
// if the requester has that contact, else e-mail, else SMS; "" when there
// is neither.
func (r *run) codeChannel() string {
	req := r.st.Requester
	switch {
	case !r.phoneOnly && req.Email == "":
		return ""
	case r.in.CodeChannel == activities.BySMS && req.Phone != "":
		return activities.BySMS
	case req.Email != "":
		return activities.ByEmail
	case req.Phone != "":
		return activities.BySMS
	}
	return ""
}

// sendCode has a new code made and sent by an activity: the code itself
// never enters history, only its keyed hash. It returns the audit event of
// the attempt; a code that could not be sent leaves the case waiting, for a
// resend or manual verification, and is recorded as failed.
func (r *run) sendCode(ctx workflow.Context) (activities.Event, error) {
	st := r.st
	key := r.nextKey("verification_code")
	expires := workflow.Now(ctx).Add(codeLifetime)
	channel := r.codeChannel()
	to := st.Requester.Email
	if channel == activities.BySMS {
		to = st.Requester.Phone
	}
	in := activities.CodeRequest{
		Notice: activities.Notice{
			CaseID: st.CaseID, Kind: "verification_code", Key: key, Recipient: activities.ToRequester,
			To: to, Language: st.Requester.Language,
			Data: noticeData{Reference: st.Reference, Type: st.Type, Tenant: st.Tenant, RequesterName: st.Requester.Name},
		},
		Channel:   channel,
		ExpiresAt: expires,
	}
	var hash string
	st.Verification.sending = true
	err := r.quick(ctx, noticeOptions(ctx), "SendCode", a.SendCode, in, &hash)
	st.Verification.sending = false
	if err != nil {
		r.logger.Warn("code not sent", "key", key, "error", err)
		return r.event(ctx, "verification.code_failed:"+key, "verification.code_failed", "system",
			map[string]string{"channel": channel}), fmt.Errorf("send code: %w", err)
	}
	st.Verification.codeHash = hash
	st.Verification.ExpiresAt = &expires
	st.Verification.CodeSent++
	st.Verification.Channel = channel
	return r.event(ctx, "verification.code_sent:"+key, "verification.code_sent", "system",
		map[string]string{"channel": channel, "expires_at": expires.UTC().Format(time.RFC3339)}), nil
}

// --- extend ---

func (r *run) validateExtend(ctx workflow.Context, in ExtendInput) error {
	_, err := r.extended(ctx, in)
	return err
}

// extended is the deadline an extension would give, or why it may not.
func (r *run) extended(ctx workflow.Context, in ExtendInput) (policy.Deadline, error) {
	if err := r.open(); err != nil {
		return policy.Deadline{}, err
	}
	st := r.st
	if strings.TrimSpace(in.Reason) == "" {
		return policy.Deadline{}, refused("an extension needs a reason; it is sent to the requester")
	}
	if st.Due == nil {
		return policy.Deadline{}, refused("the clock has not started yet (it starts on identity verification)")
	}
	if !workflow.Now(ctx).Before(st.Due.At) {
		return policy.Deadline{}, refused("the deadline %s has passed; an extension must be granted before it", st.Due.Date)
	}
	if in.Amount < 0 {
		return policy.Deadline{}, refused("amount must be positive")
	}
	d, err := r.pol.Extend(*st.Due, r.extensionBy(in), len(st.Extensions))
	if err != nil {
		return policy.Deadline{}, refused("%v", err)
	}
	return d, nil
}

// extensionBy is the period an extension adds: the amount asked for, in
// the unit of the policy's extension, or the policy's maximum.
func (r *run) extensionBy(in ExtendInput) policy.Period {
	by := r.pol.Extension
	if in.Amount > 0 {
		by.Amount = in.Amount
	}
	return by
}

func (r *run) extend(ctx workflow.Context, in ExtendInput) (Ack, error) {
	if _, err := r.extended(ctx, in); err != nil {
		return r.ack(), err
	}
	due, err := compute(r, ctx, func() (policy.Deadline, error) { return r.extended(ctx, in) })
	if err != nil {
		return r.ack(), refused("%v", err)
	}
	st := r.st
	from := *st.Due
	st.Extensions = append(st.Extensions, Extension{Reason: in.Reason, Period: r.extensionBy(in), From: from, To: due,
		At: workflow.Now(ctx), By: actorOr(in.Actor)})
	st.Extended = true
	r.moveDue(ctx, due)
	r.changed++
	r.notifyRequester(ctx, "extension", noticeData{NewDueDate: due.Date.String(), DueDate: from.Date.String(), Reason: in.Reason})
	err = r.project(ctx, r.event(ctx, fmt.Sprintf("case.extended:%d", len(st.Extensions)), "case.extended", actorOr(in.Actor),
		map[string]string{"reason": in.Reason, "from": from.Date.String(), "to": due.Date.String()}))
	return r.ack(), err
}

// moveDue sets a new deadline and plans its reminders afresh.
func (r *run) moveDue(ctx workflow.Context, due policy.Deadline) {
	st := r.st
	now := workflow.Now(ctx)
	st.Due = &due
	reminders, err := compute(r, ctx, func() ([]time.Time, error) { return r.pol.ReminderTimes(due, now) })
	if err != nil {
		// The deadline itself is known; only the reminders before it are lost.
		r.logger.Warn("plan reminders", "error", err)
	}
	st.Reminders = reminders
	st.Overdue = !now.Before(due.At)
}

// --- deny, complete, withdraw ---

func (r *run) validateDeny(in DenyInput) error {
	if err := r.openUnchanged(); err != nil {
		return err
	}
	if _, err := request.Parse(string(in.Reason), request.DenialReasons); err != nil {
		return refused("reason: %v", err)
	}
	if strings.TrimSpace(in.Explanation) == "" {
		return refused("a denial needs an explanation; it is sent to the requester")
	}
	return nil
}

func (r *run) deny(ctx workflow.Context, in DenyInput) (Ack, error) {
	if err := r.validateDeny(in); err != nil {
		return r.ack(), err
	}
	st := r.st
	if err := r.apply(evDenied); err != nil {
		return r.ack(), err
	}
	st.DenialReason, st.Explanation = in.Reason, in.Explanation
	r.close(ctx)
	r.changed++
	r.notifyRequester(ctx, "denial", noticeData{DenialReason: in.Reason, Explanation: in.Explanation})
	err := r.project(ctx, r.event(ctx, "case.denied", "case.denied", actorOr(in.Actor),
		map[string]string{"reason": string(in.Reason), "explanation": in.Explanation}))
	return r.ack(), err
}

func (r *run) validateComplete(in CompleteInput) error {
	if err := r.open(); err != nil {
		return err
	}
	if r.st.Status != request.InProgress {
		return refused("only a case in progress can be completed (it is %s)", r.st.Status)
	}
	if r.st.Type == request.Unclassified {
		return refused("set the request type first (classify): the completion notice says what was done")
	}
	if strings.TrimSpace(in.Summary) == "" {
		return refused("completion needs a summary; it is sent to the requester")
	}
	if r.st.Fulfilment != nil && !r.fulfilmentStopped() {
		return refused("the engine is fulfilling the request through the data systems and completes the case itself when done")
	}
	return nil
}

func (r *run) complete(ctx workflow.Context, in CompleteInput) (Ack, error) {
	if err := r.validateComplete(in); err != nil {
		return r.ack(), err
	}
	st := r.st
	if err := r.apply(evCompleted); err != nil {
		return r.ack(), err
	}
	st.Summary = in.Summary
	r.close(ctx)
	r.changed++
	r.notifyRequester(ctx, "completion", noticeData{Summary: in.Summary})
	detail := map[string]string{"summary": in.Summary, "on_time": fmt.Sprint(!st.Overdue)}
	if r.fulfilmentStopped() {
		// Staff completed what the engine could not: the summary is their
		// evidence, and the trail says the engine did not do it.
		detail["by"] = "staff after fulfilment failed"
		detail["fulfilment_problem"] = st.Fulfilment.Problem
	}
	err := r.project(ctx, r.event(ctx, "case.completed", "case.completed", actorOr(in.Actor), detail))
	return r.ack(), err
}

func (r *run) validateWithdraw(in NoteInput) error { return r.openUnchanged() }

func (r *run) withdraw(ctx workflow.Context, in NoteInput) (Ack, error) {
	if err := r.validateWithdraw(in); err != nil {
		return r.ack(), err
	}
	if err := r.apply(evWithdrawn); err != nil {
		return r.ack(), err
	}
	r.close(ctx)
	r.changed++
	r.notifyRequester(ctx, "withdrawn", noticeData{})
	err := r.project(ctx, r.event(ctx, "case.withdrawn", "case.withdrawn", actorOr(in.Actor), map[string]string{"note": in.Note}))
	return r.ack(), err
}

// --- waiting for the requester ---

func (r *run) validateRequestInfo(in NoteInput) error {
	if err := r.open(); err != nil {
		return err
	}
	if r.st.Status != request.InProgress && r.st.Status != request.PendingVerification {
		return refused("information can be requested only while the case is pending verification or in progress (it is %s)", r.st.Status)
	}
	if strings.TrimSpace(in.Note) == "" {
		return refused("say what information is needed; it is sent to the requester")
	}
	return nil
}

func (r *run) requestInfo(ctx workflow.Context, in NoteInput) (Ack, error) {
	if err := r.validateRequestInfo(in); err != nil {
		return r.ack(), err
	}
	st := r.st
	if err := r.apply(evInfoRequested); err != nil {
		return r.ack(), err
	}
	st.InfoNeeded = in.Note
	r.stopClock(ctx)
	r.changed++
	r.notifyRequester(ctx, "info_request", noticeData{Info: in.Note})
	err := r.project(ctx, r.event(ctx, fmt.Sprintf("info.requested:%d", st.sent["info_request"]), "info.requested",
		actorOr(in.Actor), map[string]string{"info": in.Note, "clock_stopped": fmt.Sprint(r.clockStopped())}))
	return r.ack(), err
}

func (r *run) validateInfoReceived(in NoteInput) error {
	if err := r.open(); err != nil {
		return err
	}
	if r.st.Status != request.AwaitingRequester {
		return refused("the case is not waiting for the requester")
	}
	// Fulfilment's own waits end by what they wait for; staff's question,
	// even one asked during an account cancellation, ends by its answer.
	if r.f.waiting || (!r.core && (r.f.awaitingConfirm || (r.st.Fulfilment != nil && r.st.Fulfilment.Cancellation != nil))) {
		return refused("the account cancellation waits for the requester: use recheck once they settled, or confirm-cancellation")
	}
	return nil
}

func (r *run) infoReceived(ctx workflow.Context, in NoteInput) (Ack, error) {
	if err := r.validateInfoReceived(in); err != nil {
		return r.ack(), err
	}
	st := r.st
	detail := map[string]string{"note": in.Note}
	if err := r.restartClock(ctx, detail); err != nil {
		return r.ack(), refused("%v", err)
	}
	if err := r.apply(evInfoReceived); err != nil {
		return r.ack(), err
	}
	st.InfoNeeded = ""
	r.changed++
	err := r.project(ctx, r.event(ctx, fmt.Sprintf("info.received:%d", st.sent["info_request"]), "info.received", actorOr(in.Actor), detail))
	return r.ack(), err
}

// --- classify ---

func (r *run) validateClassify(in ClassifyInput) error {
	if err := r.open(); err != nil {
		return err
	}
	if _, err := request.Parse(string(in.Type), request.Types); err != nil {
		return refused("type: %v", err)
	}
	if in.Type == r.st.Type {
		return refused("the request is already of type %s", in.Type)
	}
	return nil
}

// classify sets the type. The clock start and deadline follow the policy
// for the new type, unless an extension already fixed the due date.
func (r *run) classify(ctx workflow.Context, in ClassifyInput) (Ack, error) {
	if err := r.validateClassify(in); err != nil {
		return r.ack(), err
	}
	st := r.st
	from := st.Type
	st.Type = in.Type
	st.ClockStart = r.pol.ClockStartFor(in.Type)
	events := []activities.Event{r.event(ctx, r.nextKey("case.classified"), "case.classified", actorOr(in.Actor),
		map[string]string{"from": string(from), "to": string(in.Type)})}
	if !st.Extended {
		// From scratch: under the new type the clock may not have started.
		st.Due, st.ClockFrom, st.Reminders = nil, nil, nil
		if r.plan(ctx) {
			events = append(events, r.planEvent(ctx))
		}
	}
	r.changed++
	return r.acked(r.project(ctx, events...))
}
