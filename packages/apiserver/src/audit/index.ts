/** Kubernetes audit logging (--audit-policy-file, --audit-log-*): policy, events and the log backend. */
export * from './policy.js';
export * from './event.js';
export * from './log-backend.js';
export * from './filter.js';
