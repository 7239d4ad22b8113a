/** The wardle.example.com types, as k8s.io/sample-apiserver declares them. */
import type { KubeObject } from '@kapi/apimachinery';

export const GROUP = 'wardle.example.com';

export type ReferenceType = 'Flunder' | 'Fischer';

/** v1beta1, also the hub (storage) version: one field per kind of reference. */
export interface FlunderV1beta1 extends KubeObject {
  spec?: {
    flunderReference?: string;
    fischerReference?: string;
    referenceType?: ReferenceType;
  };
  status?: Record<string, never>;
}

/** v1alpha1: one reference and a type that says what it names. */
export interface FlunderV1alpha1 extends KubeObject {
  spec?: {
    reference?: string;
    referenceType?: ReferenceType;
  };
  status?: Record<string, never>;
}

export interface FischerV1alpha1 extends KubeObject {
  disallowedFlunders?: string[];
}
