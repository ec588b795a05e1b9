package api

import (
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow/request"
)

// clockSkew is how far ahead of this server's clock a received_at may lie:
// the caller's clock may run a little fast, a request from the future
// cannot be.
const clockSkew = 5 * time.Minute

// checkReceivedAt bounds a caller's received_at; it returns why the time is
// refused, or "". received_at exists to key in a request that arrived
// earlier (a letter, a phone call), so the bound is the policy's own
// rather than a fixed floor: a request received so long ago that its
// timers have already run out would be closed the moment it is opened,
// which no caller means. Two limits follow from that:
//
//   - a request that still needs identity verification (no verified_by)
//     must still be inside the policy's verification window, or the case
//     is denied as identity_unverified at once;
//   - any request must still be inside its latest possible due date: the
//     verification window, then the deadline, then every extension the
//     policy allows at full length.
//
// A time the policy's calendar cannot count from (year 1, say) is refused
// for that reason. An unknown policy is reported by validateOpen.
func (s *Server) checkReceivedAt(received time.Time, policyID string, typ request.Type, verified bool) string {
	now := s.now()
	if received.After(now.Add(clockSkew)) {
		return fmt.Sprintf("lies in the future (more than %s ahead of the server's clock)", clockSkew)
	}
	p, ok := s.Policies.Get(policyID)
	if !ok {
		return ""
	}
	verifyBy, err := p.VerificationDeadline(received)
	if err != nil {
		return fmt.Sprintf("policy %s cannot count from that time: %v", p.ID, err)
	}
	if !verified && verifyBy.At.Before(now) {
		return fmt.Sprintf("policy %s's verification window (%s) ended on %s: a case received then would be denied as identity_unverified at once",
			p.ID, p.VerificationWindow.Describe(), verifyBy.Date)
	}
	sched, err := p.Schedule(typ, received, &verifyBy.At)
	if err != nil {
		return fmt.Sprintf("policy %s cannot count from that time: %v", p.ID, err)
	}
	latest := sched.Due
	if sched.MaxExtendedDue != nil {
		latest = sched.MaxExtendedDue
	}
	if latest != nil && latest.At.Before(now) {
		return fmt.Sprintf("too long ago: under policy %s a case received then was due by %s at the latest (verification window, deadline and every extension), so it would be overdue the moment it opened",
			p.ID, latest.Date)
	}
	return ""
}
