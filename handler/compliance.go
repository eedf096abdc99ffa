package handler

import (
	"log/slog"

	"scf-cvm-project/handler/answer"
)

// complianceAttrs are the invocation log line's counts of a
// reconciliation (its compliance summary, its regions and those handed
// to asynchronous invocations), for a CLS dashboard to chart; none for
// any other answer.
func complianceAttrs(a answer.Answer) []slog.Attr {
	c := a.Compliance
	if c == nil {
		return nil
	}
	failedRegions, handed := 0, 0
	for _, r := range a.Regions {
		switch {
		case r.HandedOver != nil:
			handed++
		case r.Code != answer.CodeSuccess && r.Code != answer.CodeDryRun:
			failedRegions++
		}
	}
	return []slog.Attr{
		slog.Int("matched", c.Matched),
		slog.Int("compliant", c.Compliant),
		slog.Int("moved", c.Moved),
		slog.Int("failed_instances", c.Failed),
		slog.Int("conflicts", c.Conflicts),
		slog.Int("skipped", c.Skipped),
		slog.Int("regions", len(a.Regions)),
		slog.Int("regions_failed", failedRegions),
		slog.Int("regions_handed_over", handed),
	}
}
