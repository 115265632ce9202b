// Types for rabbitmq-plan.mjs, which node runs as it is.
type Env = Readonly<Record<string, string | undefined>>;

export interface RabbitMqPlan {
  readonly missing: boolean;
  /** What local-rabbitmq.mjs said about installing it, when missing. */
  readonly advice?: string;
  /** Services the start banner does not wait for. */
  readonly waiting: readonly string[];
}

export declare function queueIsRabbitMq(env: Env): boolean;
export declare function planRabbitMq(root: string, env: Env): Promise<RabbitMqPlan>;
