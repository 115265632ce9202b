/** Writes one line to stdout and waits until it is flushed, so piping into `head` or jq loses nothing. */
export function writeLine(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(`${text}\n`, (err) => (err ? reject(err) : resolve())),
  );
}
