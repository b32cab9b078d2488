// The parts of the API objects this project reads.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export interface KubeList<T> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion: string };
  items: T[];
}

export interface Machine extends KubeObject {
  spec?: { machinePoolRef?: { name?: string } };
  /** IronCore's machine state: Pending, Running, Shutdown, Error, Terminating. */
  status?: { state?: string };
}

export interface MachinePoolAddress {
  type: string;
  address: string;
}

export interface MachinePool extends KubeObject {
  status?: {
    addresses?: MachinePoolAddress[];
    daemonEndpoints?: { machinepoolletEndpoint?: { port?: number } };
  };
}

/** An authenticated user, as TokenReview reports it and SubjectAccessReview takes it. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}
