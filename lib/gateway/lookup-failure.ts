// What a caller learns when looking its machine up failed. The lookup runs with the gateway's
// identity, so the API's own words may name that identity and its RBAC ("User
// system:serviceaccount:... cannot get ..."): only a missing machine or pool and an unscheduled
// machine keep their message; other failures keep their code with a message of our own, and the
// API refusing the gateway's credentials is the gateway's fault, a 500.
import { KubeApiError } from '../kube/index.js';
import { StatusError } from '../protocol/index.js';

export function lookupFailureForCaller(error: unknown): Error {
  if (!(error instanceof KubeApiError)) return error as Error;
  const cause = { cause: error };
  switch (error.code) {
    case 400:
    case 404:
      return error;
    case 401:
    case 403:
      return new StatusError(500, 'Internal error occurred: the machine could not be looked up', 'InternalError', cause);
    case 503:
      return new StatusError(503, 'the Kubernetes API is unavailable; try again later', 'ServiceUnavailable', cause);
    case 504:
      return new StatusError(504, 'the Kubernetes API did not answer in time; try again later', 'Timeout', cause);
    default:
      return new StatusError(error.code, `the machine could not be looked up: the Kubernetes API answered ${error.code}`, error.reason, cause);
  }
}
