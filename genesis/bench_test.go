package genesis

import (
	"testing"

	"github.com/torrenttx/ttx/dag"
)

// BenchmarkDefaultParse measures what parsing the embedded genesis (as
// Default does once per process) costs, and reports its size.
func BenchmarkDefaultParse(b *testing.B) {
	for b.Loop() {
		if _, err := dag.NewNetwork([]byte(testnetTx)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(testnetTx)), "genesis-bytes")
	b.ReportMetric(TestnetFaucetOutputs, "outputs")
}
