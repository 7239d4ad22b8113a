#!/usr/bin/env node
/**
 * The conversion webhook of the server-side apply suite's CRD oracle: ConversionReviews of Robots
 * answered by convertRobot, the function kapi's Robot converts with. Runs as its own process (the
 * suite's kubectl calls block the test's event loop). argv: the serving certificate and key (PEM
 * files); prints the port it listens on (127.0.0.1).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '@kapi/apimachinery';
import { convertRobot } from './apply.js';

interface ConversionReview {
  request?: { uid?: string; desiredAPIVersion?: string; objects?: KubeObject[] };
}

const [certFile, keyFile] = process.argv.slice(2);
if (!certFile || !keyFile) {
  console.error('usage: robot-conversion CERT KEY');
  process.exit(2);
}

const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let review: ConversionReview;
    try {
      review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ConversionReview;
    } catch {
      res.statusCode = 400;
      res.end('not a ConversionReview');
      return;
    }
    const version = review.request?.desiredAPIVersion?.split('/')[1];
    const response =
      version === 'v1' || version === 'v2'
        ? { uid: review.request?.uid, result: { status: 'Success' }, convertedObjects: (review.request?.objects ?? []).map((o) => convertRobot(o, version)) }
        : { uid: review.request?.uid, result: { status: 'Failure', message: `no version ${String(version)}` } };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', response }));
  });
});
server.listen(0, '127.0.0.1', () => console.log((server.address() as AddressInfo).port));
