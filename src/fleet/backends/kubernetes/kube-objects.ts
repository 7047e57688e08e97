/**
 * The parts of the Kubernetes objects this backend writes and reads, named as the API names them. Declared here
 * rather than imported from @kubernetes/client-node, which is an optional peer dependency the type check cannot count on.
 */

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  deletionTimestamp?: Date | string;
  ownerReferences?: {
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }[];
}

export interface ResourceList {
  cpu?: string;
  memory?: string;
}

export interface Container {
  name: string;
  image: string;
  command: string[];
  env: { name: string; value: string }[];
  resources: { limits?: ResourceList; requests?: ResourceList };
  securityContext: {
    allowPrivilegeEscalation: boolean;
    privileged: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities: { drop: string[] };
  };
  volumeMounts: { name: string; mountPath: string; readOnly: boolean }[];
}

export type Volume =
  | { name: string; secret: { secretName: string; defaultMode: number } }
  | { name: string; hostPath: { path: string; type: string } };

export interface PodSpec {
  restartPolicy: 'Never';
  automountServiceAccountToken: boolean;
  enableServiceLinks: boolean;
  shareProcessNamespace: boolean;
  hostNetwork: boolean;
  dnsPolicy?: string;
  terminationGracePeriodSeconds?: number;
  securityContext: {
    runAsNonRoot: boolean;
    runAsUser: number;
    runAsGroup: number;
    fsGroup: number;
    seccompProfile: { type: 'RuntimeDefault' };
  };
  containers: Container[];
  volumes: Volume[];
}

export interface Job {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: {
    backoffLimit: number;
    template: { metadata: ObjectMeta; spec: PodSpec };
  };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

export interface Secret {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: ObjectMeta;
  type: 'Opaque';
  /** base64 of each value, as the API stores it. */
  data: Record<string, string>;
}

export interface NetworkPolicy {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: ObjectMeta;
  spec: { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: []; egress: [] };
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: Date | string };
  terminated?: { exitCode: number; reason?: string; message?: string };
}

export interface Pod {
  metadata?: ObjectMeta;
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    containerStatuses?: { name: string; state?: ContainerState }[];
  };
}
