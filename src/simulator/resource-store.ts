// In-memory state of the revocable resources. Every lookup is one Map/Set access, so the
// benchmark's request rate does not depend on how many resources exist.
import type { SimResourceKind, SimResources } from './simulator-types.ts';

// Ids come from decoded path segments and may contain almost anything except NUL.
const key = (...parts: string[]): string => parts.join('\u0000');

const ARITY: Record<SimResourceKind, readonly string[]> = {
  scmPrivacy: ['projectId', 'certId'],
  csr: ['csrId'],
  apigCertificate: ['projectId', 'certificateId'],
  kmsGrant: ['projectId', 'keyId', 'grantId'],
  modelartsAuthorization: ['projectId', 'userId'],
};

export type DeleteResult = 'deleted' | 'not-found' | 'bound';

export class ResourceStore {
  readonly #scmPrivacy = new Set<string>();
  /** csrId → owning account domain, or undefined for "any domain". */
  readonly #csrs = new Map<string, string | undefined>();
  /** projectId+certificateId → bound to a domain name. */
  readonly #apigCertificates = new Map<string, boolean>();
  readonly #kmsGrants = new Set<string>();
  /** projectId → user ids with an authorization. */
  readonly #modelarts = new Map<string, Set<string>>();

  addScmPrivacy(projectId: string, certId: string): void {
    this.#scmPrivacy.add(key(projectId, certId));
  }

  deleteScmPrivacy(projectId: string, certId: string): DeleteResult {
    return this.#scmPrivacy.delete(key(projectId, certId)) ? 'deleted' : 'not-found';
  }

  addCsr(csrId: string, domain?: string): void {
    this.#csrs.set(csrId, domain);
  }

  /** A CSR owned by another account domain is invisible, as in a multi-tenant cloud. */
  deleteCsr(csrId: string, domain: string): DeleteResult {
    if (!this.#csrs.has(csrId)) return 'not-found';
    const owner = this.#csrs.get(csrId);
    if (owner !== undefined && owner !== domain) return 'not-found';
    this.#csrs.delete(csrId);
    return 'deleted';
  }

  addApigCertificate(projectId: string, certificateId: string, bound: boolean): void {
    this.#apigCertificates.set(key(projectId, certificateId), bound);
  }

  deleteApigCertificate(projectId: string, certificateId: string): DeleteResult {
    const k = key(projectId, certificateId);
    const bound = this.#apigCertificates.get(k);
    if (bound === undefined) return 'not-found';
    if (bound) return 'bound';
    this.#apigCertificates.delete(k);
    return 'deleted';
  }

  addKmsGrant(projectId: string, keyId: string, grantId: string): void {
    this.#kmsGrants.add(key(projectId, keyId, grantId));
  }

  deleteKmsGrant(projectId: string, keyId: string, grantId: string): DeleteResult {
    return this.#kmsGrants.delete(key(projectId, keyId, grantId)) ? 'deleted' : 'not-found';
  }

  addModelArtsAuthorization(projectId: string, userId: string): void {
    let users = this.#modelarts.get(projectId);
    if (users === undefined) {
      users = new Set();
      this.#modelarts.set(projectId, users);
    }
    users.add(userId);
  }

  deleteModelArtsAuthorization(projectId: string, userId: string): DeleteResult {
    return this.#modelarts.get(projectId)?.delete(userId) === true ? 'deleted' : 'not-found';
  }

  /** Removes every authorization of the project; returns how many there were. */
  deleteAllModelArtsAuthorizations(projectId: string): number {
    const users = this.#modelarts.get(projectId);
    const count = users?.size ?? 0;
    this.#modelarts.delete(projectId);
    return count;
  }

  addAll(resources: SimResources): void {
    for (const r of resources.scmPrivacy ?? []) this.addScmPrivacy(r.projectId, r.certId);
    for (const r of resources.csrs ?? []) this.addCsr(r.csrId, r.domain);
    for (const r of resources.apigCertificates ?? []) {
      this.addApigCertificate(r.projectId, r.certificateId, r.bound ?? false);
    }
    for (const r of resources.kmsGrants ?? []) this.addKmsGrant(r.projectId, r.keyId, r.grantId);
    for (const r of resources.modelartsAuthorizations ?? []) {
      this.addModelArtsAuthorization(r.projectId, r.userId);
    }
  }

  has(kind: SimResourceKind, ids: readonly string[]): boolean {
    const names = ARITY[kind];
    if (ids.length !== names.length) {
      throw new TypeError(`has('${kind}') takes ${names.join(', ')}; got ${ids.length} id(s)`);
    }
    const [a = '', b = '', c = ''] = ids;
    switch (kind) {
      case 'scmPrivacy':
        return this.#scmPrivacy.has(key(a, b));
      case 'csr':
        return this.#csrs.has(a);
      case 'apigCertificate':
        return this.#apigCertificates.has(key(a, b));
      case 'kmsGrant':
        return this.#kmsGrants.has(key(a, b, c));
      case 'modelartsAuthorization':
        return this.#modelarts.get(a)?.has(b) === true;
    }
  }
}

export const RESOURCE_ID_NAMES = ARITY;
