package workflows

import (
	"fmt"

	"github.com/dsrflow/dsrflow/request"
)

// The lifecycle of a case is one explicit state machine: every change of
// status is an event looked up in this table, and nothing else assigns a
// status. docs/case-lifecycle.md draws the same table; a test keeps them
// equal.

// caseEvent is something that happens to a case and may move its status.
type caseEvent string

const (
	evOpened              caseEvent = "opened"               // a case whose identity must still be verified
	evOpenedVerified      caseEvent = "opened_verified"      // the intake channel vouched for the requester
	evVerified            caseEvent = "verified"             // code, portal or staff verified the requester
	evVerificationExpired caseEvent = "verification_expired" // the window to verify passed
	evInfoRequested       caseEvent = "info_requested"       // staff asked the requester something
	evInfoReceived        caseEvent = "info_received"        // the requester answered staff
	evRequesterNeeded     caseEvent = "requester_needed"     // fulfilment waits for the requester (settle, confirm)
	evRequesterDone       caseEvent = "requester_done"       // what fulfilment waited for happened
	evCompleted           caseEvent = "completed"            // staff or fulfilment completed the request
	evDenied              caseEvent = "denied"               // staff refused the request
	evWithdrawn           caseEvent = "withdrawn"            // the requester withdrew (or revoked a cancellation)
)

// transition is one legal move: from a status, on an event, to a status.
type transition struct {
	From  request.Status
	Event caseEvent
	To    request.Status
}

// lifecycle is the table of legal moves. An event with two rows from the
// same status (info_received) returns the case to where it was before it
// waited; every other (status, event) has exactly one row.
var lifecycle = []transition{
	{request.Received, evOpened, request.PendingVerification},
	{request.Received, evOpenedVerified, request.InProgress},

	{request.PendingVerification, evVerified, request.InProgress},
	{request.PendingVerification, evVerificationExpired, request.Denied},
	{request.PendingVerification, evInfoRequested, request.AwaitingRequester},
	{request.PendingVerification, evDenied, request.Denied},
	{request.PendingVerification, evWithdrawn, request.Withdrawn},

	{request.InProgress, evInfoRequested, request.AwaitingRequester},
	{request.InProgress, evRequesterNeeded, request.AwaitingRequester},
	{request.InProgress, evCompleted, request.Completed},
	{request.InProgress, evDenied, request.Denied},
	{request.InProgress, evWithdrawn, request.Withdrawn},

	{request.AwaitingRequester, evInfoReceived, request.PendingVerification},
	{request.AwaitingRequester, evInfoReceived, request.InProgress},
	{request.AwaitingRequester, evRequesterDone, request.InProgress},
	// Staff may verify a case whose requester they asked for evidence; the
	// wait ends with the verification.
	{request.AwaitingRequester, evVerified, request.InProgress},
	{request.AwaitingRequester, evDenied, request.Denied},
	{request.AwaitingRequester, evWithdrawn, request.Withdrawn},
}

// nextStatus is where ev takes a case in status from; resumeTo picks among
// several rows (the status the case waited from).
func nextStatus(from request.Status, ev caseEvent, resumeTo request.Status) (request.Status, error) {
	var found []request.Status
	for _, t := range lifecycle {
		if t.From == from && t.Event == ev {
			found = append(found, t.To)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("case lifecycle: %s cannot happen to a case that is %s", ev, from)
	case 1:
		return found[0], nil
	}
	for _, to := range found {
		if to == resumeTo {
			return to, nil
		}
	}
	return "", fmt.Errorf("case lifecycle: %s from %s: cannot return to %q", ev, from, resumeTo)
}

// outcomeOf is the outcome a closed status stands for; open cases have none.
func outcomeOf(s request.Status) string {
	if s.Closed() {
		return string(s)
	}
	return ""
}

// apply moves the case on ev. An illegal move is a bug in the workflow (the
// validators refuse illegal actions before they reach here), so it is
// returned for the caller to fail loudly with.
func (r *run) apply(ev caseEvent) error {
	st := r.st
	from := st.Status
	if from == "" {
		from = request.Received
	}
	to, err := nextStatus(from, ev, st.resumeTo)
	if err != nil {
		return err
	}
	if to == request.AwaitingRequester {
		st.resumeTo = from
	}
	st.Status, st.Outcome = to, outcomeOf(to)
	return nil
}

// Ack is what an update returns. It is kept in the case's history, so it
// is small: where the case stands after the action. Read the whole case
// with the state query.
type Ack struct {
	Status   request.Status `json:"status"`
	Revision int64          `json:"revision"`
}

func (r *run) ack() Ack { return Ack{Status: r.st.Status, Revision: r.st.Revision} }

// acked is the answer to an update whose last step was err: the Ack is
// taken after that step.
func (r *run) acked(err error) (Ack, error) { return r.ack(), err }
