import http from 'node:http';
import https from 'node:https';
import type { KubeApi } from './kube-client.js';
import { CONTAINER } from './job-manifest.js';

export interface LogFollow {
  /** Resolves when the API server ends the stream (the container ended), it breaks, or close() is called. */
  done: Promise<void>;
  close(): void;
}

/**
 * Follows the container's log from its start. A plain request rather than the client's Log helper, which pipes
 * the response and drops its errors, so a broken stream would never end `done`. Kubernetes keeps one log per
 * container with stdout and stderr interleaved, so they cannot be told apart here.
 */
export async function followPodLog(
  api: KubeApi,
  namespace: string,
  pod: string,
  onData: (data: Buffer) => void,
): Promise<LogFollow> {
  const url = new URL(
    `${api.server.replace(/\/+$/, '')}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`,
  );
  url.searchParams.set('container', CONTAINER);
  url.searchParams.set('follow', 'true');
  const options = await api.requestOptions();
  const send = url.protocol === 'https:' ? https.request : http.request;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const request = send(url, { ...options, method: 'GET' }, (response) => {
    if (response.statusCode !== 200) {
      response.resume();
      finish();
      return;
    }
    response.on('data', (data: Buffer) => onData(data));
    response.on('end', finish);
    response.on('error', finish);
    response.on('close', finish);
  });
  request.on('error', finish);
  request.end();
  const close = () => {
    request.destroy();
    finish();
  };
  return { done, close };
}
