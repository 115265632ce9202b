let installed = false;

/**
 * kafkajs 2.2.4 (unmaintained) arms a timer with a negative delay whenever no
 * request is throttled, and Node 23+ prints a TimeoutNegativeWarning for it on
 * every client. stopKafkajsIdleSpin replaces the method that did so, which
 * ended the 1 ms loop behind it; this stays as a guard for any other such
 * timer in kafkajs: it drops exactly that warning and lets every other one
 * through to Node's usual printer.
 */
export function silenceKafkajsTimerWarning(): void {
  if (installed) return;
  installed = true;
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    for (const print of printers) print(warning);
  });
}
