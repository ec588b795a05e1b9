package workflows

import (
	"time"

	"github.com/dsrflow/dsrflow/connector"
)

// Fulfilment is how the work on the data systems stands: what each
// connector did, the manual tasks staff owe, the corrections and their
// decisions, the export and the account's cancellation.
type Fulfilment struct {
	Steps        []Step           `json:"steps,omitempty"`
	Tasks        []Task           `json:"tasks,omitempty"`
	Corrections  []CorrectionItem `json:"corrections,omitempty"`
	Erasures     []ErasureItem    `json:"erasures,omitempty"`
	Export       *Export          `json:"export,omitempty"`
	Transfer     *Transfer        `json:"transfer,omitempty"`
	Cancellation *Cancellation    `json:"cancellation,omitempty"`
	// BackupsClearBy is when backup copies of erased data have rotated out;
	// until then they are restricted from processing.
	BackupsClearBy *time.Time `json:"backups_clear_by,omitempty"`
	// Problem says why fulfilment stopped for good (an error no retry
	// mends); staff retry it (retry_fulfilment) or complete the case with
	// evidence of what was done. Attempts counts the runs.
	Problem  string `json:"problem,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
}

// Step statuses.
const (
	StepRunning = "running"
	StepDone    = "done"
	StepFailed  = "failed" // gave up; a manual task took over
	StepManual  = "manual" // a manual task does the work
	StepHeld    = "held"   // done but for rows under a retention hold
	StepSkipped = "skipped"
	// StepNotDone: the case closed before the work was done; nothing
	// claims it was.
	StepNotDone = "not_done"
)

// Step is one operation on one connector.
type Step struct {
	Connector string    `json:"connector"`
	Operation string    `json:"operation"` // access, erase, correct, check, deactivate
	Status    string    `json:"status"`
	Detail    string    `json:"detail,omitempty"`
	At        time.Time `json:"at"`
}

// Task statuses.
const (
	TaskOpen = "open"
	TaskDone = "done"
)

// Task is work a person owes: a system with no API, or a connector that
// failed after its retries.
type Task struct {
	ID           string     `json:"id"`
	Connector    string     `json:"connector"`
	Operation    string     `json:"operation"`
	Owner        string     `json:"owner"`
	Instructions string     `json:"instructions,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	Status       string     `json:"status"`
	OpenedAt     time.Time  `json:"opened_at"`
	DoneAt       *time.Time `json:"done_at,omitempty"`
	DoneBy       string     `json:"done_by,omitempty"`
	Evidence     string     `json:"evidence,omitempty"`
}

// Correction decisions.
const (
	DecisionPending  = "pending"
	DecisionApproved = "approved"
	DecisionRejected = "rejected"
)

// CorrectionItem is one correction the requester asked for and what staff
// decided.
type CorrectionItem struct {
	connector.Correction
	Decision  string `json:"decision"`
	Reason    string `json:"reason,omitempty"`
	DecidedBy string `json:"decided_by,omitempty"`
	Rows      int64  `json:"rows"`
	Applied   bool   `json:"applied"`
}

// ErasureItem is what erasure did to one dataset of one connector.
type ErasureItem struct {
	Connector string `json:"connector"`
	connector.Erasure
}

// Export is the access or portability package.
type Export struct {
	ID        string    `json:"id"`
	Rows      int64     `json:"rows"`
	Bytes     int64     `json:"bytes"`
	SHA256    string    `json:"sha256"`
	CreatedAt time.Time `json:"created_at"`
	// Link is the signed download link last issued, and when it expires.
	Link      string    `json:"link,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Transfer is a direct transfer of the portability package to a receiving
// controller.
type Transfer struct {
	Controller string    `json:"controller"`
	Status     int       `json:"status,omitempty"`
	Response   string    `json:"response,omitempty"`
	Done       bool      `json:"done"`
	Reason     string    `json:"reason,omitempty"` // why not, when not done
	At         time.Time `json:"at"`
}

// Cancellation is where an account cancellation stands.
type Cancellation struct {
	Obstacles       []connector.Obstacle `json:"obstacles,omitempty"`
	ConfirmedAt     *time.Time           `json:"confirmed_at,omitempty"`
	CoolingOffUntil *time.Time           `json:"cooling_off_until,omitempty"`
	Revoked         bool                 `json:"revoked"`
	DeactivatedAt   *time.Time           `json:"deactivated_at,omitempty"`
}
