// Package request holds the vocabulary of a data-subject request: its types,
// statuses, channels and the refusal reasons the policies name. Everything
// here is plain data so that workflows, the store and the API share one
// spelling of each word.
package request

import (
	"fmt"
	"slices"
)

// Type is what the data subject asks for.
type Type string

const (
	Access              Type = "access"
	Correction          Type = "correction"
	Deletion            Type = "deletion"
	Portability         Type = "portability"
	AccountCancellation Type = "account_cancellation"
	Restriction         Type = "restriction"
	Objection           Type = "objection"
	ConsentWithdrawal   Type = "consent_withdrawal"
	Complaint           Type = "complaint"
)

// Unclassified is the type of a request that came in by e-mail and could
// not be classified with confidence; staff set its type. It is not in
// Types: nobody opens a request as unclassified.
const Unclassified Type = "unclassified"

// Types lists every request type in a stable order.
var Types = []Type{Access, Correction, Deletion, Portability, AccountCancellation,
	Restriction, Objection, ConsentWithdrawal, Complaint}

// Status is where a case stands.
type Status string

const (
	Received            Status = "received"
	PendingVerification Status = "pending_verification"
	InProgress          Status = "in_progress"
	AwaitingRequester   Status = "awaiting_requester"
	Completed           Status = "completed"
	Denied              Status = "denied"
	Withdrawn           Status = "withdrawn"
)

// Statuses lists every status in the order a case moves through them.
var Statuses = []Status{Received, PendingVerification, InProgress, AwaitingRequester,
	Completed, Denied, Withdrawn}

// Closed reports whether a case in this status is finished.
func (s Status) Closed() bool { return s == Completed || s == Denied || s == Withdrawn }

// Channel is how a request reached the controller.
type Channel string

const (
	ChannelAPI    Channel = "api"
	ChannelPortal Channel = "portal"
	ChannelEmail  Channel = "email"
	ChannelPhone  Channel = "phone"
	ChannelMail   Channel = "mail"
	ChannelInApp  Channel = "in_app"
	// ChannelInPerson is a request made at a counter and keyed in by staff.
	ChannelInPerson Channel = "in_person"
)

// Channels lists every channel.
var Channels = []Channel{ChannelAPI, ChannelPortal, ChannelEmail, ChannelPhone, ChannelMail, ChannelInApp, ChannelInPerson}

// ActingFor says on whose behalf the requester acts.
type ActingFor string

const (
	Self            ActingFor = "self"
	GuardianOfMinor ActingFor = "guardian_of_minor"
	AuthorisedAgent ActingFor = "authorised_agent"
)

// ActingFors lists every kind of representation.
var ActingFors = []ActingFor{Self, GuardianOfMinor, AuthorisedAgent}

// Language is the language notices go out in.
type Language string

const (
	Chinese Language = "zh-CN"
	English Language = "en"
)

// Languages lists the languages notices exist in.
var Languages = []Language{Chinese, English}

// DenialReason is a refusal ground from the catalogue in the policies
// (seed 003 §10.3, seed 004 五.5).
type DenialReason string

const (
	NotEntitled         DenialReason = "not_entitled"
	IdentityUnverified  DenialReason = "identity_unverified"
	UnfoundedOrRepeated DenialReason = "unfounded_or_repeated"
	OutOfScope          DenialReason = "out_of_scope"
	DisputeHarm         DenialReason = "dispute_harm"
	StatisticsOnly      DenialReason = "statistics_only"
	NationalSecurity    DenialReason = "national_security"
	PublicInterest      DenialReason = "public_interest"
	CriminalProceedings DenialReason = "criminal_proceedings"
	AbuseOfRights       DenialReason = "abuse_of_rights"
	HarmToOthers        DenialReason = "harm_to_others"
	TradeSecret         DenialReason = "trade_secret"
	OtherLegalGround    DenialReason = "other_legal_ground"
)

// DeletionGround is why a subject asks for deletion (000 6.3, 004 五.2).
type DeletionGround string

const (
	UnlawfulProcessing DeletionGround = "unlawful_processing"
	NoConsent          DeletionGround = "no_consent"
	BreachOfAgreement  DeletionGround = "breach_of_agreement"
	NoLongerUsed       DeletionGround = "no_longer_using_service"
	ServiceEnded       DeletionGround = "service_ended"
	OtherGround        DeletionGround = "other"
)

// DeletionGrounds lists the grounds in a stable order.
var DeletionGrounds = []DeletionGround{UnlawfulProcessing, NoConsent, BreachOfAgreement,
	NoLongerUsed, ServiceEnded, OtherGround}

// DenialReasons lists the catalogue in a stable order.
var DenialReasons = []DenialReason{NotEntitled, IdentityUnverified, UnfoundedOrRepeated,
	OutOfScope, DisputeHarm, StatisticsOnly, NationalSecurity, PublicInterest,
	CriminalProceedings, AbuseOfRights, HarmToOthers, TradeSecret, OtherLegalGround}

// Parse checks that s is one of allowed and returns it typed. The error names
// what was expected so an API can pass it on as it is.
func Parse[T ~string](s string, allowed []T) (T, error) {
	if slices.Contains(allowed, T(s)) {
		return T(s), nil
	}
	return "", fmt.Errorf("%q is not one of %v", s, allowed)
}
