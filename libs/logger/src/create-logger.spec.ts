import { Writable } from 'node:stream';
import { createLogger } from './create-logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes JSON lines tagged with the service and redacts secrets', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 'auth-service', destination: stream });
    logger.info({ request: { email: 'a@b.c', password: 'hunter22hunter' } }, 'login');
    logger.info({ metadata: { authorization: 'Bearer abc.def.ghi' } }, 'call');
    expect(lines[0]).toMatchObject({ service: 'auth-service', level: 'info', msg: 'login' });
    expect(JSON.stringify(lines)).not.toContain('hunter22hunter');
    expect(JSON.stringify(lines)).not.toContain('abc.def.ghi');
  });

  it('drops lines below the configured level', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 's', level: 'warn', destination: stream });
    logger.info('quiet');
    logger.warn('loud');
    expect(lines.map((l) => l.msg)).toEqual(['loud']);
  });
});
