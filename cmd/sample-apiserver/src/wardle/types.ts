/** The wardle.example.com API group, as k8s.io/sample-apiserver declares it. */
export const GROUP = 'wardle.example.com';
