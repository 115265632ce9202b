// Types for plan-kafka-cluster.mjs, which node runs as it is.
export declare const MAX_NODES: number;
export declare const CONTROLLER_PORT_OFFSET: number;

export interface ClusterNode {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  readonly address: string;
  readonly controllerPort: number;
  readonly controllerAddress: string;
  readonly dir: string;
}

export interface KafkaClusterPlan {
  readonly nodes: readonly ClusterNode[];
  readonly clusterDir: string;
  readonly kafkaBrokers: string;
  readonly quorumVoters: string;
  readonly replication: { readonly factor: number; readonly minInsync: number };
}

export declare function parseNodeCount(raw: string | undefined, name: string): number;
export declare function replicationFor(nodes: number): { factor: number; minInsync: number };
export declare function clusterBrokers(input: {
  nodes: number;
  kafkaBrokers?: string;
  port?: string;
}): string[];
export declare function planKafkaCluster(input: {
  nodes: number;
  kafkaBrokers?: string;
  port?: string;
  controllerPort?: string;
  dataDir: string;
}): KafkaClusterPlan;
export declare function clusterNodeProperties(
  plan: KafkaClusterPlan,
  id: number,
  logDirs: string,
): string;
export declare function sharedBrokerProperties(): string[];
export declare function splitHostPort(address: string): [string, string];
