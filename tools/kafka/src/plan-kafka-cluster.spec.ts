import {
  clusterBrokers,
  clusterNodeProperties,
  parseNodeCount,
  planKafkaCluster,
  replicationFor,
} from './plan-kafka-cluster.mjs';

describe('planKafkaCluster', () => {
  it('gives three nodes consecutive broker ports from the first KAFKA_BROKERS port, controllers 100 above', () => {
    const plan = planKafkaCluster({ nodes: 3, kafkaBrokers: '127.0.0.1:9092', dataDir: '/d/' });
    expect(plan.kafkaBrokers).toBe('127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094');
    expect(plan.nodes.map((n) => [n.id, n.controllerAddress, n.dir])).toEqual([
      [1, '127.0.0.1:9192', '/d/kafka-cluster/node-1'],
      [2, '127.0.0.1:9193', '/d/kafka-cluster/node-2'],
      [3, '127.0.0.1:9194', '/d/kafka-cluster/node-3'],
    ]);
    expect(plan.quorumVoters).toBe('1@127.0.0.1:9192,2@127.0.0.1:9193,3@127.0.0.1:9194');
  });

  it('takes N listed addresses as they are, and --port over them', () => {
    const listed = '127.0.0.1:40001,127.0.0.1:40005,127.0.0.1:40009';
    expect(clusterBrokers({ nodes: 3, kafkaBrokers: listed })).toEqual(listed.split(','));
    expect(clusterBrokers({ nodes: 2, kafkaBrokers: listed, port: '41000' })).toEqual([
      '127.0.0.1:41000',
      '127.0.0.1:41001',
    ]);
    expect(() => clusterBrokers({ nodes: 3, kafkaBrokers: '127.0.0.1:1,127.0.0.1:2' })).toThrow(
      /lists 2 addresses but 3/,
    );
  });

  it('refuses controller ports that land on a broker port', () => {
    expect(() =>
      planKafkaCluster({ nodes: 3, port: '9092', controllerPort: '9094', dataDir: '/d' }),
    ).toThrow(/node 3's broker port 127.0.0.1:9094 is also node 1's controller port/);
  });

  it('replicates three ways with two in sync from three nodes on, and stays satisfiable below', () => {
    expect(replicationFor(1)).toEqual({ factor: 1, minInsync: 1 });
    expect(replicationFor(2)).toEqual({ factor: 2, minInsync: 1 });
    expect(replicationFor(3)).toEqual({ factor: 3, minInsync: 2 });
    expect(replicationFor(5)).toEqual({ factor: 3, minInsync: 2 });
    const plan = planKafkaCluster({ nodes: 3, port: '39092', dataDir: '/d' });
    const props = clusterNodeProperties(plan, 2, '/d/kafka-cluster/node-2/data');
    for (const line of [
      'node.id=2',
      'listeners=PLAINTEXT://127.0.0.1:39093,CONTROLLER://127.0.0.1:39193',
      'default.replication.factor=3',
      'min.insync.replicas=2',
      'offsets.topic.replication.factor=3',
      'transaction.state.log.min.isr=2',
      'share.coordinator.state.topic.min.isr=2',
    ]) {
      expect(props.split('\n')).toContain(line);
    }
  });

  it('says clearly what a bad node count is', () => {
    expect(parseNodeCount(undefined, '--nodes')).toBe(1);
    expect(parseNodeCount('3', '--nodes')).toBe(3);
    expect(() => parseNodeCount('three', 'KAFKA_NODES')).toThrow(
      'KAFKA_NODES must be a whole number from 1 to 9 (got "three")',
    );
    expect(() => parseNodeCount('0', '--nodes')).toThrow(/--nodes must be/);
  });
});
