import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSpanFileWriter, readSpanFile } from './span-file';
import { createTestSpan } from './testing/create-test-span';

const span = (n: number) =>
  createTestSpan({
    spanId: n.toString(16).padStart(16, '0'),
    name: `span-${n}`,
    startTimeUnixNano: String(n),
    endTimeUnixNano: String(n + 1),
  });

describe('span file', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'span-file-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('appends spans as JSON lines and reads them back, skipping a line cut short', async () => {
    const path = join(dir, 'sub', 'traces.jsonl');
    const writer = await createSpanFileWriter(path);
    writer.append([span(1), span(2)]);
    writer.append([span(3)]);
    await writer.close();
    await appendFile(path, '{"traceId":"aaaa'); // a crash mid-write
    expect(await readSpanFile(path)).toEqual({
      spans: [span(1), span(2), span(3)],
      skippedLines: 1,
    });
  });

  it('rolls over to <file>.1 past its size bound and still reads both', async () => {
    const path = join(dir, 'traces.jsonl');
    const lineBytes = Buffer.byteLength(`${JSON.stringify(span(1))}\n`);
    const writer = await createSpanFileWriter(path, { maxFileBytes: lineBytes * 2 });
    for (let n = 1; n <= 5; n++) writer.append([span(n)]);
    await writer.close();
    // 1,2 went to a file that 3,4 then replaced as .1; 5 is in the current one.
    expect((await readFile(`${path}.1`, 'utf8')).trim().split('\n')).toHaveLength(2);
    expect((await readSpanFile(path)).spans.map((s) => s.name)).toEqual([
      'span-3',
      'span-4',
      'span-5',
    ]);
  });
});
