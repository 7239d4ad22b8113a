export * from './certs.js';
export * from './x509-verify.js';
export * from './authn.js';
export * from './authz.js';
export * from './standalone.js';
export * from './delegated/index.js';
