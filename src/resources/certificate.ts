/**
 * The site's ACM certificate, validated by DNS, in two steps around the validation record:
 *
 * - `certificateKind` requests the certificate (idempotency token, tags in the same call) and waits
 *   only until ACM names the validation CNAME, which the next step writes into the hosted zone.
 *   A certificate that already exists (recorded ARN, or found by its domain and tags) is reused;
 *   one that failed, expired or was revoked is replaced. Deleting waits while a listener still
 *   uses it (ACM lets go a little after the listener is gone).
 * - `certificateValidationKind` waits, with a bound, until the certificate is ISSUED (about 3 minutes
 *   after the CNAME exists on AWS; the emulator issues after MOTO_ACM_VALIDATION_WAIT seconds). It
 *   owns nothing: deleting it does nothing.
 */
import type { CertificateDetail, CertificateStatus } from '@aws-sdk/client-acm';
import { orAbsent } from '../aws/idempotent.js';
import { ACM } from '../aws/sdk.js';
import { isDependencyViolation, isNotFound } from '../aws/errors.js';
import { sleep, waitFor } from '../aws/poll.js';
import { paged } from '../aws/reads.js';
import { fromTagList, addMissingTags, toTagList, type TagMap, tagChanges } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { firstOwned, ownedAmong } from './find-owned.js';
import { LINGER_TIMEOUT_MS } from './lingering.js';
import { defineKind } from './kinds.js';
import { changesOf, known, UNKNOWN, type Actual, type Diff, type ResourceContext, type ResourceKind } from './types.js';

export interface CertificateSpec {
  domainName: string;
  tags: TagMap;
}

export interface ValidationRecord {
  name: string;
  type: string;
  value: string;
}

export interface CertificateActual extends Actual {
  /** The certificate ARN. */
  id: string;
  arn: string;
  state: CertificateStatus | string;
  domainName: string;
  validation?: ValidationRecord;
  failure?: string;
  inUseBy: string[];
  tags: TagMap;
}

/** Statuses from which a certificate never becomes usable again. */
const DEAD = new Set(['FAILED', 'VALIDATION_TIMED_OUT', 'REVOKED', 'EXPIRED', 'INACTIVE']);
const ALL_STATUSES: CertificateStatus[] = ['PENDING_VALIDATION', 'ISSUED', 'INACTIVE', 'EXPIRED', 'VALIDATION_TIMED_OUT', 'REVOKED', 'FAILED'];
const VALIDATION_MS = 180_000;

export const acm = (ctx: ResourceContext) => ctx.aws.get(ACM.ACMClient);

const describe = (ctx: ResourceContext, arn: string): Promise<CertificateDetail | undefined> =>
  orAbsent(async () => (await acm(ctx).send(new ACM.DescribeCertificateCommand({ CertificateArn: arn }))).Certificate);

async function tagsOf(ctx: ResourceContext, arn: string): Promise<TagMap> {
  return fromTagList((await acm(ctx).send(new ACM.ListTagsForCertificateCommand({ CertificateArn: arn }))).Tags);
}

function validationOf(c: CertificateDetail): ValidationRecord | undefined {
  const r = c.DomainValidationOptions?.find((o) => o.DomainName === c.DomainName)?.ResourceRecord ?? c.DomainValidationOptions?.[0]?.ResourceRecord;
  return r?.Name && r.Value ? { name: r.Name, type: r.Type ?? 'CNAME', value: r.Value } : undefined;
}

function toActual(c: CertificateDetail, tags: TagMap): CertificateActual {
  return {
    id: c.CertificateArn!, arn: c.CertificateArn!, state: c.Status ?? 'UNKNOWN', domainName: c.DomainName ?? '',
    validation: validationOf(c), failure: c.FailureReason, inUseBy: c.InUseBy ?? [], tags,
  };
}

/** ACM names the validation record a few seconds after the request: wait for it (bounded). */
async function withValidationRecord(ctx: ResourceContext, arn: string): Promise<CertificateDetail> {
  const c = await waitFor({
    what: `certificate ${arn} to name its DNS validation record`, expectedMs: 10_000, timeoutMs: 120_000, scale: ctx.scale, signal: ctx.signal,
    check: () => describe(ctx, arn),
    done: (v) => !!v && (!!validationOf(v) || v.Status !== 'PENDING_VALIDATION'),
  });
  if (!c) throw new WpdeployError(`certificate ${arn} disappeared right after it was requested.`, { hint: 'Run `wpdeploy up` again.' });
  return c;
}

/** Ours among the account's certificates for this domain: live ones first (issued, then pending). */
async function findByTags(ctx: ResourceContext, domainName: string): Promise<CertificateActual | undefined> {
  const all = await paged((NextToken) => acm(ctx).send(new ACM.ListCertificatesCommand({ CertificateStatuses: ALL_STATUSES, NextToken })), (r) => [r.CertificateSummaryList, r.NextToken]);
  const forDomain = all.filter((s) => s.DomainName === domainName && s.CertificateArn).map((s) => s.CertificateArn!);
  const mine: CertificateActual[] = [];
  for (const { item: arn, tags } of await ownedAmong(ctx, forDomain, (arn) => tagsOf(ctx, arn))) {
    const c = await describe(ctx, arn);
    if (c) mine.push(toActual(c, tags));
  }
  const rank = (a: CertificateActual) => (a.state === 'ISSUED' ? 0 : a.state === 'PENDING_VALIDATION' ? 1 : 2);
  return firstOwned(ctx, 'certificates', mine.sort((a, b) => rank(a) - rank(b)), (c) => `${c.arn} (${c.state})`);
}

export const certificateKind: ResourceKind<CertificateSpec, CertificateActual, 'arn' | 'domainName' | 'status' | 'validationName' | 'validationType' | 'validationValue'> = defineKind({
  name: 'acm:certificate',
  noun: 'certificate',
  timing: { createMs: 10_000, deleteMs: 5_000 },
  onReplace: 'recreate',

  /** By the recorded ARN, then among the certificates for the domain the one with this stack's and step's tags. */
  async find(ctx, desired) {
    let found: CertificateActual | undefined;
    if (ctx.recordedId) {
      const c = await describe(ctx, ctx.recordedId);
      if (c) found = toActual(c, await tagsOf(ctx, c.CertificateArn!));
    }
    if (!found && desired && known(desired.domainName)) found = await findByTags(ctx, desired.domainName);
    if (found && found.state === 'PENDING_VALIDATION' && !found.validation) {
      found = toActual(await withValidationRecord(ctx, found.arn), found.tags);
    }
    return found;
  },

  diff(desired, actual): Diff {
    const changes = changesOf(['domainName', actual.domainName, desired.domainName]);
    changes.push(...tagChanges(desired.tags, actual.tags));
    if (DEAD.has(actual.state)) {
      return { changes: [{ field: 'status', from: actual.state, to: 'ISSUED' }, ...changes], replace: `the certificate is ${actual.state}${actual.failure ? ` (${actual.failure})` : ''}; a new one is requested` };
    }
    if (changes.some((c) => c.field === 'domainName')) {
      return { changes, replace: 'a certificate\'s domain cannot change; a new certificate is requested and validated, and the old one deleted' };
    }
    return { changes };
  },

  /** Requests the certificate (DNS validation, idempotency token, tags) and waits for its validation record. */
  async create(ctx, desired) {
    const r = await acm(ctx).send(new ACM.RequestCertificateCommand({
      DomainName: desired.domainName,
      ValidationMethod: 'DNS',
      IdempotencyToken: ctx.clientToken(),
      KeyAlgorithm: 'RSA_2048',
      Tags: toTagList(desired.tags),
    }));
    const arn = r.CertificateArn!;
    await ctx.recordId(arn, arn);
    const c = await withValidationRecord(ctx, arn);
    if (DEAD.has(c.Status ?? '')) {
      throw new WpdeployError(`certificate for ${desired.domainName} is ${c.Status}: ${c.FailureReason ?? 'ACM gives no reason'}.`, {
        hint: 'Check that the domain is allowed for ACM certificates (CAA records) and run `wpdeploy up` again.',
      });
    }
    return toActual(c, { ...desired.tags });
  },

  /** Tags it; nothing else of a certificate changes in place. */
  update: async (ctx, desired, actual) => ({
    ...actual,
    tags: await addMissingTags(desired.tags, actual.tags, (Tags) => acm(ctx).send(new ACM.AddTagsToCertificateCommand({ CertificateArn: actual.arn, Tags }))),
  }),

  /**
   * Deletes the certificate; already gone is success. ACM goes on counting it in use
   * (ResourceInUseException) for a while after the load balancer that used it is deleted, so the
   * delete is retried for up to LINGER_TIMEOUT_MS (scaled), saying what ACM still names.
   */
  async delete(ctx, actual) {
    const start = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await acm(ctx).send(new ACM.DeleteCertificateCommand({ CertificateArn: actual.arn }));
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isDependencyViolation(err)) throw err;
        const users = (await describe(ctx, actual.arn))?.InUseBy ?? [];
        const by = users.length ? `ACM still names ${users.join(', ')} as its user` : 'ACM still counts it in use after the load balancer was deleted';
        if ((Date.now() - start) * ctx.scale > LINGER_TIMEOUT_MS) {
          throw new WpdeployError(`certificate ${actual.arn} is still in use: ${by}.`, {
            hint: 'Remove what still uses it (or wait for ACM to let go of it) and run `wpdeploy down` again.',
            cause: err,
          });
        }
        ctx.progress(`waiting for ACM to let go of the certificate: ${by}`);
        await sleep(Math.min(30_000, 5_000 * 2 ** attempt) / ctx.scale, ctx.signal);
        if (ctx.signal.aborted) throw new WpdeployError(`interrupted while waiting for ACM to let go of certificate ${actual.arn}.`);
      }
    }
  },

  outputs: (a) => ({
    arn: a.arn,
    domainName: a.domainName,
    status: a.state,
    // UNKNOWN only for a certificate that failed before ACM named the record (it is then replaced first)
    validationName: a.validation?.name ?? UNKNOWN,
    validationType: a.validation?.type ?? 'CNAME',
    validationValue: a.validation?.value ?? UNKNOWN,
  }),
});

export interface CertificateValidationSpec {
  certificateArn: string;
  domainName: string;
}

export interface CertificateValidationActual extends Actual {
  /** The certificate ARN. */
  id: string;
  state: string;
}

/** Waits until the certificate is ISSUED; DNS validation needs the CNAME in the zone first. */
async function waitIssued(ctx: ResourceContext, desired: CertificateValidationSpec): Promise<CertificateValidationActual> {
  const arn = desired.certificateArn;
  const c = await waitFor({
    what: `certificate for ${desired.domainName} to be issued`,
    expectedMs: VALIDATION_MS,
    timeoutMs: 30 * 60_000,
    minIntervalMs: 2_000,
    scale: ctx.scale,
    signal: ctx.signal,
    check: () => describe(ctx, arn),
    done: (v) => v?.Status === 'ISSUED',
    failed: (v) => (!v ? 'the certificate was deleted' : DEAD.has(v.Status ?? '') ? `it is ${v.Status}: ${v.FailureReason ?? 'ACM gives no reason'}` : undefined),
    onProgress: (v) => ctx.progress(`certificate is ${v?.Status ?? 'missing'}; ACM validates it once the CNAME resolves`),
  });
  return { id: arn, arn, state: c!.Status! };
}

export const certificateValidationKind: ResourceKind<CertificateValidationSpec, CertificateValidationActual, 'certificateArn' | 'status'> = defineKind({
  name: 'acm:certificate-validation',
  noun: 'certificate validation',
  timing: { createMs: VALIDATION_MS, deleteMs: 0 },
  foundBySpec: true,
  lookup: true,

  /** The certificate once ISSUED; undefined while it is pending (so `up` waits for it). */
  async find(_ctx, desired) {
    if (!desired || !known(desired.certificateArn)) return undefined;
    const c = await describe(_ctx, desired.certificateArn);
    return c?.Status === 'ISSUED' ? { id: c.CertificateArn!, arn: c.CertificateArn!, state: 'ISSUED' } : undefined;
  },

  diff(desired, actual) {
    return { changes: changesOf(['certificateArn', actual.id, desired.certificateArn]) };
  },

  create: (ctx, desired) => waitIssued(ctx, desired),
  update: (ctx, desired) => waitIssued(ctx, desired),

  /** The certificate step deletes the certificate; nothing to do here. */
  async delete() {},

  outputs: (a) => ({ certificateArn: a.id, status: a.state }),
});
