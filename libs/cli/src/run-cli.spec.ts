import { CliError } from './cli-error';
import { runCliCommand, type CliProgram } from './run-cli';
import { UsageError } from './usage-error';

function program(overrides: Partial<CliProgram<string>>): CliProgram<string> {
  return {
    name: 'tool',
    usage: 'usage: tool <x>',
    parse: (argv) => argv.join(' '),
    run: async () => {},
    ...overrides,
  };
}

async function exitOf(p: CliProgram<string>, argv: string[] = ['a']) {
  let stderr = '';
  const code = await runCliCommand(p, argv, { write: (text: string) => (stderr += text) });
  return { code, stderr };
}

describe('runCliCommand', () => {
  it('runs the parsed command and exits 0', async () => {
    const seen: string[] = [];
    const result = await exitOf(program({ run: async (c) => void seen.push(c) }), ['a', 'b']);
    expect(result).toEqual({ code: 0, stderr: '' });
    expect(seen).toEqual(['a b']);
  });

  it('prints a usage error with the usage text and exits 2', async () => {
    const parse = () => {
      throw new UsageError('missing command');
    };
    expect(await exitOf(program({ parse }))).toEqual({
      code: 2,
      stderr: 'tool: missing command\n\nusage: tool <x>\n',
    });
  });

  it('prints a CliError as one line and exits 1', async () => {
    const run = async () => {
      throw new CliError('no such file');
    };
    expect(await exitOf(program({ run }))).toEqual({ code: 1, stderr: 'tool: no such file\n' });
  });

  it('prints what explain says about a failure and exits 1', async () => {
    const run = async () => {
      throw new Error('denied');
    };
    const explain = (err: unknown) => ((err as Error).message === 'denied' ? 'refused' : undefined);
    expect(await exitOf(program({ run, explain }))).toEqual({ code: 1, stderr: 'tool: refused\n' });
  });

  it('rethrows any other failure, from parse or run, so its stack is kept', async () => {
    const bug = new Error('bug');
    const fails = () => {
      throw bug;
    };
    await expect(exitOf(program({ parse: fails }))).rejects.toBe(bug);
    await expect(
      exitOf(program({ run: async () => fails(), explain: () => undefined })),
    ).rejects.toBe(bug);
  });
});
