package run

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"scf-cvm-project/handler/answer"
)

func TestEstimate(t *testing.T) {
	for _, tt := range []struct {
		pages int
		want  time.Duration
	}{
		{0, Overhead},
		{40, Overhead + 6*time.Second},     // 1 s of listings, 4 s of moves, 1 s of confirmations
		{500, Overhead + 75*time.Second},   // 50,000 instances: fits in 900 s
		{6000, Overhead + 900*time.Second}, // 600,000: does not
	} {
		assert.Equal(t, tt.want, Estimate(tt.pages), "%d pages", tt.pages)
	}
}

func TestMerge(t *testing.T) {
	fail := &answer.Failure{Code: "InternalError", Message: "region b"}
	outs := []answer.Outcome{
		{Rules: []answer.RuleReport{{ProjectId: 1, Matched: 2, Moved: []string{"ins-a"}}}, Batches: []answer.Batch{{RequestId: "r1"}}, FirstRequestID: "r0"},
		{Rules: []answer.RuleReport{{ProjectId: 1, Matched: 1, Failed: []answer.Failure{{Code: "InternalError"}}}}, ListingFailure: fail, ListingRequest: "r2"},
		{Rules: []answer.RuleReport{{ProjectId: 1, Matched: 3, AlreadyInProject: 3}}, WouldMove: 0},
	}
	o := merge(outs)
	assert.Equal(t, []answer.RuleReport{{ProjectId: 1, Matched: 6, AlreadyInProject: 3, Moved: []string{"ins-a"}, Failed: []answer.Failure{{Code: "InternalError"}}}}, o.Rules)
	assert.Len(t, o.Batches, 1)
	assert.Same(t, fail, o.ListingFailure)
	assert.Equal(t, "r2", o.ListingRequest)
	assert.Equal(t, "r0", o.FirstRequestID)
	assert.Equal(t, 2, outs[0].Rules[0].Matched, "merge leaves the regions' own reports as they were")
	assert.Equal(t, outs[0], merge(outs[:1]))
}
