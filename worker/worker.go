// Package worker builds the Temporal worker that runs request workflows and
// their activities.
package worker

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/workflows"
)

// Register puts the workflows and activities on any registry: a worker, or
// the SDK test environment.
func Register(r sdkworker.Registry, wf *workflows.Workflows, acts *activities.Activities) {
	r.RegisterWorkflowWithOptions(wf.Request, workflow.RegisterOptions{Name: workflows.RequestName})
	r.RegisterWorkflowWithOptions(wf.Retention, workflow.RegisterOptions{Name: workflows.RetentionName})
	r.RegisterWorkflowWithOptions(wf.Erasure, workflow.RegisterOptions{Name: workflows.ErasureName})
	r.RegisterWorkflowWithOptions(wf.Relink, workflow.RegisterOptions{Name: workflows.RelinkName})
	r.RegisterWorkflowWithOptions(wf.FulfilAccess, workflow.RegisterOptions{Name: workflows.FulfilAccessName})
	r.RegisterWorkflowWithOptions(wf.FulfilPortability, workflow.RegisterOptions{Name: workflows.FulfilPortabilityName})
	r.RegisterWorkflowWithOptions(wf.FulfilErasure, workflow.RegisterOptions{Name: workflows.FulfilErasureName})
	r.RegisterWorkflowWithOptions(wf.FulfilCorrection, workflow.RegisterOptions{Name: workflows.FulfilCorrectionName})
	r.RegisterWorkflowWithOptions(wf.FulfilCancellation, workflow.RegisterOptions{Name: workflows.FulfilCancellationName})
	r.RegisterActivityWithOptions(acts, activity.RegisterOptions{})
}

// New builds a worker on the task queue; the caller starts and stops it.
func New(c client.Client, taskQueue string, wf *workflows.Workflows, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{})
	Register(w, wf, acts)
	return w
}
