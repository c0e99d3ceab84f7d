import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type KubeConfig,
} from '@kubernetes/client-node';
import { GROUP, VERSION, type Status } from '../api/v1alpha1';
import type { ObjectRef } from '../controller/controller';
import type { ReplicaReport } from '../controller/programmed';
import { pluralOf } from './resources';

/** Writes `.status` through the status subresource with a merge patch (spec is never touched). */
export function statusWriter(kc: KubeConfig) {
  const api = kc.makeApiClient(CustomObjectsApi);
  return async (ref: ObjectRef, status: Status): Promise<void> => {
    await api.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        namespace: ref.namespace,
        plural: pluralOf(ref.kind),
        name: ref.name,
        body: { status },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  };
}

/** Records a Warning Event on one of our objects, as `kubectl describe` shows it. */
export function eventRecorder(kc: KubeConfig, component: string, instance: string) {
  const api = kc.makeApiClient(CoreV1Api);
  return async (ref: ObjectRef, reason: string, message: string): Promise<void> => {
    const now = new Date();
    await api.createNamespacedEvent({
      namespace: ref.namespace,
      body: {
        metadata: { generateName: `${ref.name}.`, namespace: ref.namespace },
        involvedObject: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: ref.kind,
          name: ref.name,
          namespace: ref.namespace,
        },
        type: 'Warning',
        reason,
        message: message.slice(0, 1024),
        source: { component },
        reportingComponent: component,
        reportingInstance: instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  };
}

const REPORT_ANNOTATION = 'tollgate.dev/report';
const REPORT_LABEL = 'tollgate.dev/report-for';

/**
 * Replica reports on Leases: each replica keeps one Lease (renewed with each report) whose
 * annotation holds its ReplicaReport; the leader lists them. Reports of replicas that stopped
 * renewing are ignored, so a dead replica's proxies stop counting.
 */
export function replicaReports(
  kc: KubeConfig,
  namespace: string,
  group: string,
  identity: string,
  staleMs: number,
) {
  const api = kc.makeApiClient(CoordinationV1Api);
  const name = `${group}-report-${identity}`
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .slice(0, 253);
  return {
    async publish(report: ReplicaReport): Promise<void> {
      const body = {
        metadata: {
          name,
          namespace,
          labels: { [REPORT_LABEL]: group },
          annotations: { [REPORT_ANNOTATION]: JSON.stringify(report) },
        },
        spec: {
          holderIdentity: identity,
          renewTime: new V1MicroTime(),
          leaseDurationSeconds: Math.ceil(staleMs / 1000),
        },
      };
      try {
        const current = await api.readNamespacedLease({ name, namespace });
        await api.replaceNamespacedLease({
          name,
          namespace,
          body: {
            ...body,
            metadata: { ...body.metadata, resourceVersion: current.metadata?.resourceVersion },
          },
        });
      } catch (err) {
        if ((err as { code?: number }).code !== 404) throw err;
        await api.createNamespacedLease({ namespace, body });
      }
    },
    async peers(): Promise<ReplicaReport[]> {
      const list = await api.listNamespacedLease({ namespace, labelSelector: `${REPORT_LABEL}=${group}` });
      const now = Date.now();
      return list.items.flatMap((l) => {
        const renewed = l.spec?.renewTime ? new Date(l.spec.renewTime).getTime() : 0;
        const raw = l.metadata?.annotations?.[REPORT_ANNOTATION];
        if (!raw || now - renewed > staleMs) return [];
        try {
          return [JSON.parse(raw) as ReplicaReport];
        } catch {
          return [];
        }
      });
    },
    async remove(): Promise<void> {
      await api.deleteNamespacedLease({ name, namespace }).catch(() => undefined);
    },
  };
}
