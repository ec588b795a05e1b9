package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/activities"
)

// a names activities by method; it is never called through.
var a *activities.Activities

// noticeData is the part of a notice that varies by kind; the rest comes
// from the case.
type noticeData = activities.NoticeData

// recordOptions: the store projection retries until the store answers, so a
// database outage delays the read model but never loses a case. The timeout
// is also how long a projection held by a worker that died waits before
// another worker retries it: a write takes milliseconds, so keep it short.
func recordOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// noticeOptions: a notice that still fails after about a day of retries is
// recorded as failed on the case instead of holding it open forever. The
// timeout bounds one SMTP submission, and how long a notice held by a dead
// worker waits for another.
func noticeOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    5 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Minute,
			MaximumAttempts:    60,
		},
	})
}

// checkOptions: checking a code is quick and must answer the waiting
// update, so it retries briefly.
func checkOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
	})
}

// nextKey numbers things of one kind that happen many times (notices,
// notes, assignments) so each has a stable key: a retried activity finds its
// key already recorded and does not send or record it again.
func (r *run) nextKey(kind string) string {
	r.st.sent[kind]++
	if r.link != nil {
		// A fulfilment's own keys (its case numbers the notices): apart
		// from the case's, and from those of earlier rounds.
		return fmt.Sprintf("%s:f%d.%d", kind, r.link.round, r.st.sent[kind])
	}
	return fmt.Sprintf("%s:%d", kind, r.st.sent[kind])
}

// notifyRequester sends a notice to the requester; inReplyTo, if given, is
// the Message-ID of the requester's e-mail it answers.
func (r *run) notifyRequester(ctx workflow.Context, kind string, d noticeData, inReplyTo ...string) {
	if r.link != nil {
		r.tell(ReportItem{Notice: &ReportNotice{Kind: kind, Recipient: activities.ToRequester, Data: d}})
		return
	}
	if r.st.Requester.Email == "" {
		// Staff must tell the requester some other way: say so in the trail.
		if r.phoneOnly {
			key := r.nextKey(kind)
			r.recordLater(ctx, r.event(ctx, "notice.not_sent:"+key, "notice.not_sent", "system",
				map[string]string{"kind": kind, "key": key, "reason": "the requester gave no e-mail address"}))
		}
		return
	}
	n := activities.Notice{Recipient: activities.ToRequester, To: r.st.Requester.Email, Language: r.st.Requester.Language}
	if len(inReplyTo) > 0 {
		n.InReplyTo = inReplyTo[0]
	}
	r.notify(ctx, n, kind, r.nextKey(kind), d)
}

func (r *run) notifyDPO(ctx workflow.Context, kind, key string, d noticeData) {
	r.notify(ctx, activities.Notice{Recipient: activities.ToDPO}, kind, key, d)
}

// notify sends in the background so a slow mail relay never delays the
// case; the case waits for outstanding notices only when it closes.
func (r *run) notify(ctx workflow.Context, n activities.Notice, kind, key string, d noticeData) {
	if r.link != nil {
		r.tell(ReportItem{Notice: &ReportNotice{Kind: kind, Recipient: n.Recipient, To: n.To, Data: d}})
		return
	}
	st := r.st
	n.CaseID, n.Kind, n.Key = st.CaseID, kind, key
	d.Reference, d.Type, d.Tenant = st.Reference, st.Type, st.Tenant
	d.RequesterName = st.Requester.Name
	if st.Due != nil && d.DueDate == "" {
		d.DueDate = st.Due.Date.String()
	}
	n.Data = d
	r.background(1)
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer r.background(-1)
		err := r.quick(ctx, noticeOptions(ctx), "Notify", a.Notify, n, nil)
		if err == nil {
			return
		}
		r.logger.Warn("notice failed", "kind", kind, "key", key, "error", err)
		r.record(ctx, r.event(ctx, "notice.failed:"+key, "notice.failed", "system",
			map[string]string{"kind": kind, "key": key}))
	})
}

// recordLater projects an event without holding up the caller; the case
// closes only after it is recorded.
func (r *run) recordLater(ctx workflow.Context, ev activities.Event) {
	r.background(1)
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer r.background(-1)
		r.record(ctx, ev)
	})
}

func (r *run) record(ctx workflow.Context, ev activities.Event) {
	if err := r.project(ctx, ev); err != nil {
		r.logger.Error("record event", "kind", ev.Kind, "error", err)
	}
}
