package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"scf-cvm-project/credentials"
	"scf-cvm-project/cvm"
)

func TestDecide(t *testing.T) {
	tests := []struct {
		name string
		in   cvm.Instance
		want State
	}{
		{"our operation succeeded", cvm.Instance{ProjectID: 7, LatestOperationRequestId: "req-1", LatestOperationState: cvm.OperationSuccess}, Succeeded},
		{"our operation failed", cvm.Instance{ProjectID: 0, LatestOperationRequestId: "req-1", LatestOperationState: cvm.OperationFailed}, Failed},
		{"our operation is under way", cvm.Instance{ProjectID: 0, LatestOperationRequestId: "req-1", LatestOperationState: cvm.OperationOperating}, Pending},
		{"no operation reported, in the project", cvm.Instance{ProjectID: 7}, Succeeded},
		{"no operation reported, not in the project", cvm.Instance{ProjectID: 0}, Pending},
		{"a later operation ended, in the project", cvm.Instance{ProjectID: 7, LatestOperationRequestId: "req-9", LatestOperationState: cvm.OperationSuccess}, Succeeded},
		{"someone's later operation under way, in the project", cvm.Instance{ProjectID: 7, LatestOperation: "StopInstances", LatestOperationRequestId: "req-9", LatestOperationState: cvm.OperationOperating}, Succeeded},
		{"another move under way, in the project", cvm.Instance{ProjectID: 7, LatestOperation: "ModifyInstancesProject", LatestOperationRequestId: "req-9", LatestOperationState: cvm.OperationOperating}, Pending},
		{"an older operation, not in the project", cvm.Instance{ProjectID: 3, LatestOperationRequestId: "req-0", LatestOperationState: cvm.OperationSuccess}, Pending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Decide(tt.in, true, "req-1", 7))
		})
	}
	assert.Equal(t, Gone, Decide(cvm.Instance{}, false, "req-1", 7), "not listed any more")
}

// opsAPI answers DescribeInstances with each instance's state at its n-th
// read (states[id][n], the last one afterwards), or err at the call errAt.
type opsAPI struct {
	mu     sync.Mutex
	states map[string][]cvm.Instance
	reads  map[string]int
	polls  int
	sizes  []int
	errAt  int
	err    error
}

func (f *opsAPI) Call(_ context.Context, _ credentials.Provider, _ string, action cvm.Action, out any) (cvm.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := action.(cvm.DescribeInstances)
	f.polls++
	f.sizes = append(f.sizes, len(a.InstanceIds))
	if f.errAt == f.polls {
		return cvm.Result{RequestID: "r-err"}, f.err
	}
	type item struct {
		InstanceId                                                      string
		Placement                                                       struct{ ProjectId int64 }
		SecurityGroupIds                                                []string
		LatestOperation, LatestOperationState, LatestOperationRequestId string
	}
	var set []item
	for _, id := range a.InstanceIds {
		seq, ok := f.states[id]
		if !ok {
			continue
		}
		if f.reads == nil {
			f.reads = map[string]int{}
		}
		in := seq[min(f.reads[id], len(seq)-1)]
		f.reads[id]++
		it := item{InstanceId: id, SecurityGroupIds: in.SecurityGroupIds, LatestOperation: "ModifyInstancesProject", LatestOperationState: in.LatestOperationState, LatestOperationRequestId: in.LatestOperationRequestId}
		it.Placement.ProjectId = in.ProjectID
		set = append(set, it)
	}
	b, _ := json.Marshal(map[string]any{"TotalCount": len(set), "InstanceSet": set})
	return cvm.Result{RequestID: "r-poll"}, json.Unmarshal(b, out)
}

// fakeTime is a clock that Sleep advances.
type fakeTime struct {
	now    time.Time
	sleeps []time.Duration
}

func (f *fakeTime) clock() time.Time { return f.now }
func (f *fakeTime) sleep(_ context.Context, d time.Duration) error {
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	return nil
}

// decide is the confirmation's state function for the operation req-1 into
// project 7.
func decide(_ string, in cvm.Instance, found bool) State { return Decide(in, found, "req-1", 7) }

func TestWait(t *testing.T) {
	operating := cvm.Instance{LatestOperationRequestId: "req-1", LatestOperationState: cvm.OperationOperating}
	success := cvm.Instance{ProjectID: 7, LatestOperationRequestId: "req-1", LatestOperationState: cvm.OperationSuccess}
	failed := cvm.Instance{LatestOperationRequestId: "req-1", LatestOperationState: cvm.OperationFailed}
	denied := &cvm.APIError{Action: "DescribeInstances", Code: "UnauthorizedOperation", Message: "no permission"}
	tests := []struct {
		name       string
		states     map[string][]cvm.Instance
		ids        []string
		probe      time.Duration
		deadline   time.Duration // 0: none
		errAt      int
		err        error
		want       map[string]State
		wantPolls  int
		wantSleeps []time.Duration
		wantErr    bool
	}{
		{
			name:   "all end by the expected time: one poll, at it",
			states: map[string][]cvm.Instance{"ins-00000001": {success}, "ins-00000002": {failed}},
			ids:    []string{"ins-00000001", "ins-00000002"},
			want:   map[string]State{"ins-00000001": Succeeded, "ins-00000002": Failed}, wantPolls: 1,
			wantSleeps: []time.Duration{time.Second},
		},
		{
			name:   "one ends at the third poll: only it is polled again, pauses capped at 500 ms",
			states: map[string][]cvm.Instance{"ins-00000001": {success}, "ins-00000002": {operating, operating, success}},
			ids:    []string{"ins-00000001", "ins-00000002"},
			want:   map[string]State{"ins-00000001": Succeeded, "ins-00000002": Succeeded}, wantPolls: 3,
			wantSleeps: []time.Duration{time.Second, 200 * time.Millisecond, 400 * time.Millisecond},
		},
		{
			name:     "still operating at the deadline: Pending, the last poll fitted into the time left",
			states:   map[string][]cvm.Instance{"ins-00000001": {operating}},
			ids:      []string{"ins-00000001"},
			deadline: 3 * time.Second,
			// polls at 1.0, 1.2, 1.6, 2.1, 2.6 and, fitted, 2.7 s (300 ms kept for the read)
			want: map[string]State{"ins-00000001": Pending}, wantPolls: 6,
			wantSleeps: []time.Duration{time.Second, 200 * time.Millisecond, 400 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond, 100 * time.Millisecond},
		},
		{
			name:   "a probe before the expected time catches a quick operation",
			states: map[string][]cvm.Instance{"ins-00000001": {success}}, ids: []string{"ins-00000001"}, probe: 250 * time.Millisecond,
			want: map[string]State{"ins-00000001": Succeeded}, wantPolls: 1,
			wantSleeps: []time.Duration{250 * time.Millisecond},
		},
		{
			name:   "after the probe, the expected time",
			states: map[string][]cvm.Instance{"ins-00000001": {operating, success}}, ids: []string{"ins-00000001"}, probe: 250 * time.Millisecond,
			want: map[string]State{"ins-00000001": Succeeded}, wantPolls: 2,
			wantSleeps: []time.Duration{250 * time.Millisecond, 750 * time.Millisecond},
		},
		{
			name:   "an instance that vanished is Gone at once",
			states: map[string][]cvm.Instance{}, ids: []string{"ins-00000001"}, deadline: 5 * time.Second,
			want: map[string]State{"ins-00000001": Gone}, wantPolls: 1,
			wantSleeps: []time.Duration{time.Second},
		},
		{
			name:   "a refused read stops it",
			states: map[string][]cvm.Instance{"ins-00000001": {operating}}, ids: []string{"ins-00000001"}, errAt: 1, err: denied,
			want: map[string]State{"ins-00000001": Pending}, wantPolls: 1, wantErr: true,
			wantSleeps: []time.Duration{time.Second},
		},
		{
			name:   "less time than the expected length: the one poll fits before the deadline",
			states: map[string][]cvm.Instance{"ins-00000001": {success}}, ids: []string{"ins-00000001"}, deadline: 800 * time.Millisecond,
			want: map[string]State{"ins-00000001": Succeeded}, wantPolls: 1,
			wantSleeps: []time.Duration{500 * time.Millisecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &opsAPI{states: tt.states, errAt: tt.errAt, err: tt.err}
			ft := &fakeTime{now: time.Now()}
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, ft.now.Add(tt.deadline))
				defer cancel()
			}
			cf := Wait(ctx, api, nil, "ap-guangzhou", tt.ids, decide,
				WaitOptions{Probe: tt.probe, First: time.Second, Clock: ft.clock, Sleep: ft.sleep})
			assert.Equal(t, tt.want, cf.States)
			assert.Equal(t, tt.wantPolls, api.polls)
			assert.Equal(t, tt.wantSleeps, ft.sleeps)
			if tt.wantErr {
				require.Error(t, cf.Err)
				assert.True(t, cvm.Unauthorized(cf.Err))
			} else {
				assert.NoError(t, cf.Err)
			}
		})
	}
}

// Instances are polled 100 a call, and each poll asks only for those
// still pending.
func TestWaitPollsAHundredACall(t *testing.T) {
	states := map[string][]cvm.Instance{}
	all := ids(1, 250)
	for i, id := range all {
		if i < 200 {
			states[id] = []cvm.Instance{{ProjectID: 7, LatestOperationRequestId: "req-1", LatestOperationState: cvm.OperationSuccess}}
		} else {
			states[id] = []cvm.Instance{{LatestOperationRequestId: "req-1", LatestOperationState: cvm.OperationOperating}, {ProjectID: 7, LatestOperationRequestId: "req-1", LatestOperationState: cvm.OperationSuccess}}
		}
	}
	api := &opsAPI{states: states}
	ft := &fakeTime{now: time.Now()}
	cf := Wait(context.Background(), api, nil, "ap-guangzhou", all, decide, WaitOptions{Clock: ft.clock, Sleep: ft.sleep})
	assert.Equal(t, []int{100, 100, 50, 50}, api.sizes, "the first poll: 250 ids, 100 a call; the second: the 50 still pending")
	assert.Len(t, cf.RequestIDs, 4, "calls")
	assert.Equal(t, 2, cf.Polls)
	assert.Equal(t, 200*time.Millisecond, cf.Took)
}

// Expected learns the operation's length from the confirmations.
func TestExpected(t *testing.T) {
	var e Expected
	next := func() []time.Duration { d, p := e.Next(); return []time.Duration{d, p} }
	assert.Equal(t, []time.Duration{Guess, GuessProbe}, next(), "before any confirmation: the guess, and a probe")
	e.Observe(1400*time.Millisecond, 3)
	assert.Equal(t, []time.Duration{1400 * time.Millisecond, 0}, next(), "seen done at a later poll: what it took")
	e.Observe(time.Second, 1)
	assert.Equal(t, []time.Duration{800 * time.Millisecond, 0}, next(), "done at the first poll: it may be shorter, the next poll comes earlier")
	e.Observe(0, 0)
	assert.Equal(t, []time.Duration{800 * time.Millisecond, 0}, next(), "an unfinished wait teaches nothing")
}

func TestUnauthorized(t *testing.T) {
	for code, want := range map[string]bool{
		"AuthFailure.UnauthorizedOperation": true,
		"UnauthorizedOperation":             true,
		"UnauthorizedOperation.CamNoAuth":   true,
		"AuthFailure.SignatureFailure":      false,
		"InternalServerError":               false,
	} {
		assert.Equal(t, want, cvm.Unauthorized(fmt.Errorf("wrapped: %w", &cvm.APIError{Code: code})), code)
	}
	assert.False(t, cvm.Unauthorized(errors.New("UnauthorizedOperation")))
}
