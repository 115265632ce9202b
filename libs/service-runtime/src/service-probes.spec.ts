import { serviceProbes } from './service-probes';

describe('serviceProbes', () => {
  const ok = () => Promise.resolve();

  it('adds the module probes to the standard ones', async () => {
    const queue = jest.fn(() => Promise.reject(new Error('queue unreachable')));
    const probes = serviceProbes({ database: ok, kafka: ok }, { probes: { queue } });
    expect(Object.keys(probes)).toEqual(['database', 'kafka', 'queue']);
    await expect(probes.queue!()).rejects.toThrow('queue unreachable');
    expect(queue).toHaveBeenCalledTimes(1);
  });

  it('keeps the standard ones for a module without probes', () => {
    const database = jest.fn(ok);
    const probes = serviceProbes({ database }, {});
    expect(probes).toEqual({ database });
  });

  it('refuses a module probe that would replace a standard one', () => {
    expect(() => serviceProbes({ database: ok, kafka: ok }, { probes: { kafka: ok } })).toThrow(
      'the module\'s health probe "kafka" is a standard one',
    );
  });
});
