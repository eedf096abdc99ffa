// Command barefunction is the smallest scf-go-lib function: the baseline
// that BenchmarkColdStart compares the real function's start-up with.
package main

import (
	"context"

	"github.com/tencentyun/scf-go-lib/cloudfunction"
)

func main() {
	cloudfunction.Start(func(context.Context, map[string]any) (string, error) { return "ok", nil })
}
