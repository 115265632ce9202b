// Where the nodes of a local multi-node KRaft cluster live: ports, folders and
// replication settings. Pure (no I/O), so local-kafka.mjs and start.mjs agree
// on the same answer and a spec can check it without starting a JVM.

/** Every node is a broker and a controller; this is where the largest sensible quorum ends. */
export const MAX_NODES = 9;
/** Controller ports sit this far above the broker ports unless told otherwise. */
export const CONTROLLER_PORT_OFFSET = 100;

/**
 * Parses a node count (flag or KAFKA_NODES), 1 when absent.
 * @param {string | undefined} raw
 * @param {string} name how the user wrote it, for the error message
 */
export function parseNodeCount(raw, name) {
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!/^\d+$/.test(String(raw).trim()) || n < 1 || n > MAX_NODES) {
    throw new Error(`${name} must be a whole number from 1 to ${MAX_NODES} (got "${raw}")`);
  }
  return n;
}

/**
 * Replication settings a cluster of `nodes` can satisfy: three copies where
 * three nodes exist, and a write needs all but one of them (so one node may be
 * down and writes go on, while a lone survivor never accepts one alone).
 * @param {number} nodes
 */
export function replicationFor(nodes) {
  const factor = Math.min(nodes, 3);
  return { factor, minInsync: Math.max(1, factor - 1) };
}

/**
 * The broker addresses of an N-node cluster: KAFKA_BROKERS when it lists N
 * addresses, else N consecutive ports from --port (or from the first
 * KAFKA_BROKERS port) on the first KAFKA_BROKERS host.
 * @param {{ nodes: number, kafkaBrokers?: string, port?: string }} input
 * @returns {string[]}
 */
export function clusterBrokers({ nodes, kafkaBrokers, port }) {
  const listed = (kafkaBrokers || '127.0.0.1:9092')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (port === undefined && listed.length === nodes) {
    for (const address of listed) splitHostPort(address);
    return listed;
  }
  if (port === undefined && listed.length > 1) {
    throw new Error(
      `KAFKA_BROKERS lists ${listed.length} addresses but ${nodes} node(s) were asked for; ` +
        `list exactly ${nodes}, or just the first (the others take the next ports)`,
    );
  }
  const [host, firstPort] = splitHostPort(listed[0] ?? '127.0.0.1:9092');
  const first = parsePort(port ?? firstPort, port === undefined ? 'KAFKA_BROKERS port' : '--port');
  if (first + nodes - 1 > 65535) throw new Error(`ports ${first}..${first + nodes - 1} do not fit`);
  return Array.from({ length: nodes }, (_, i) => joinHostPort(host, first + i));
}

/**
 * The whole cluster: node k (1-based) has node.id k, broker port brokers[k-1],
 * controller port C+k-1 and its storage in <dataDir>/kafka-cluster/node-k.
 * @param {{ nodes: number, kafkaBrokers?: string, port?: string,
 *           controllerPort?: string, dataDir: string }} input
 */
export function planKafkaCluster({ nodes, kafkaBrokers, port, controllerPort, dataDir }) {
  if (nodes < 2) throw new Error('a cluster plan needs at least 2 nodes');
  const brokers = clusterBrokers({ nodes, kafkaBrokers, port });
  const firstBrokerPort = Number(splitHostPort(brokers[0])[1]);
  const firstController = parsePort(
    controllerPort ?? String(firstBrokerPort + CONTROLLER_PORT_OFFSET),
    '--controller-port',
  );
  if (firstController + nodes - 1 > 65535) {
    throw new Error(
      `controller ports ${firstController}..${firstController + nodes - 1} do not fit`,
    );
  }
  const clusterDir = `${dataDir.replace(/\/+$/, '')}/kafka-cluster`;
  const list = brokers.map((address, i) => {
    const [host, brokerPort] = splitHostPort(address);
    return {
      id: i + 1,
      host,
      port: Number(brokerPort),
      address,
      controllerPort: firstController + i,
      controllerAddress: joinHostPort(host, firstController + i),
      dir: `${clusterDir}/node-${i + 1}`,
    };
  });
  const used = new Map();
  for (const node of list) {
    for (const [what, address] of [
      [`node ${node.id}'s broker port`, node.address],
      [`node ${node.id}'s controller port`, node.controllerAddress],
    ]) {
      const clash = used.get(address);
      if (clash) throw new Error(`${what} ${address} is also ${clash}; pick other ports`);
      used.set(address, what);
    }
  }
  return {
    nodes: list,
    clusterDir,
    kafkaBrokers: brokers.join(','),
    // Static voters: every node knows the whole quorum from its config, so a
    // node restarted alone on its old data rejoins without any bootstrapping.
    quorumVoters: list.map((n) => `${n.id}@${n.controllerAddress}`).join(','),
    replication: replicationFor(nodes),
  };
}

/**
 * server.properties of one node of the plan, in the order Kafka documents them.
 * @param {ReturnType<typeof planKafkaCluster>} plan
 * @param {number} id
 * @param {string} logDirs
 */
export function clusterNodeProperties(plan, id, logDirs) {
  const node = plan.nodes[id - 1];
  const { factor, minInsync } = plan.replication;
  return (
    [
      '# Written by tools/kafka/local-kafka.mjs on every start; edits are overwritten.',
      'process.roles=broker,controller',
      `node.id=${id}`,
      `listeners=PLAINTEXT://${node.address},CONTROLLER://${node.controllerAddress}`,
      `advertised.listeners=PLAINTEXT://${node.address}`,
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      'controller.listener.names=CONTROLLER',
      `controller.quorum.voters=${plan.quorumVoters}`,
      `log.dirs=${logDirs}`,
      `default.replication.factor=${factor}`,
      `min.insync.replicas=${minInsync}`,
      `offsets.topic.replication.factor=${factor}`,
      `transaction.state.log.replication.factor=${factor}`,
      `transaction.state.log.min.isr=${minInsync}`,
      `share.coordinator.state.topic.replication.factor=${factor}`,
      `share.coordinator.state.topic.min.isr=${minInsync}`,
      // An out-of-sync replica must never become leader: that would drop writes
      // the producer saw acknowledged by the in-sync ones.
      'unclean.leader.election.enable=false',
      ...sharedBrokerProperties(),
    ].join('\n') + '\n'
  );
}

/** The settings every local node has, one broker or a cluster's. */
export function sharedBrokerProperties() {
  return [
    // Fewer internal partitions make the first group join and transaction much faster here.
    'offsets.topic.num.partitions=10',
    'transaction.state.log.num.partitions=10',
    // Topics come from the registry via ensureTopics, never from a typo in a producer.
    'auto.create.topics.enable=false',
    'num.partitions=1',
    // Tests start groups constantly; the default 3 s wait for more members only slows them.
    'group.initial.rebalance.delay.ms=0',
    'log.retention.hours=168',
    'log.segment.bytes=67108864',
  ];
}

/** @param {string} address */
export function splitHostPort(address) {
  const idx = address.lastIndexOf(':');
  if (idx <= 0) throw new Error(`Kafka address "${address}" must be host:port`);
  const host = address.slice(0, idx).replace(/^\[|\]$/g, '');
  parsePort(address.slice(idx + 1), `the port of "${address}"`);
  return [host, address.slice(idx + 1)];
}

function joinHostPort(host, port) {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function parsePort(raw, name) {
  const n = Number(raw);
  if (!/^\d+$/.test(String(raw)) || n < 1 || n > 65535) {
    throw new Error(`${name} must be a port number (got "${raw}")`);
  }
  return n;
}
