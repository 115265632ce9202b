// Preloaded (`node --require`) into the service processes tests start with
// startServiceProcess. A test runner that dies without cleaning up (SIGKILL,
// a crash, Ctrl-C at the wrong moment) must not leave services behind holding
// ports and database connections. The runner holds the other end of an IPC
// channel; when the runner goes away the channel disconnects, and the service
// shuts down as on SIGTERM, with a hard exit in case that hangs.
if (process.channel) {
  // The channel alone must neither keep the service alive nor delay its exit.
  process.channel.unref();
  process.once('disconnect', () => {
    setTimeout(() => process.exit(1), 10_000).unref();
    process.kill(process.pid, 'SIGTERM');
  });
}
