package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/torrenttx/ttx/internal/node"
)

func main() {
	node.SetProcs()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		os.Exit(exitCode(err))
	}
}
