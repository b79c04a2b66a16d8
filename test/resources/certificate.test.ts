import {
  ACMClient, DeleteCertificateCommand, DescribeCertificateCommand, ListCertificatesCommand, ListTagsForCertificateCommand, RequestCertificateCommand,
  type CertificateDetail,
} from '@aws-sdk/client-acm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { toTagList } from '../../src/aws/tags.js';
import { certificateKind, certificateValidationKind, type CertificateActual } from '../../src/resources/certificate.js';
import { UNKNOWN } from '../../src/resources/types.js';
import { awsError, context, newClients, tagsOf, TOKEN } from './app-context.js';

const acm = mockClient(ACMClient);
let aws: AwsClients;
beforeEach(() => {
  acm.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const STEP = 'certificate';
const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/1111';
const DOMAIN = 'www.example.com';
const RECORD = { Name: '_x1.www.example.com.', Type: 'CNAME' as const, Value: '_y1.acm-validations.aws.' };
const cert = (over: Partial<CertificateDetail> = {}): CertificateDetail => ({
  CertificateArn: ARN, DomainName: DOMAIN, Status: 'PENDING_VALIDATION', InUseBy: [],
  DomainValidationOptions: [{ DomainName: DOMAIN, ValidationMethod: 'DNS', ResourceRecord: RECORD }],
  ...over,
});
const spec = { domainName: DOMAIN, tags: tagsOf(STEP) };
const ISSUED: CertificateActual = { id: ARN, arn: ARN, state: 'ISSUED', domainName: DOMAIN, inUseBy: [], tags: tagsOf(STEP) };

describe('certificateKind', () => {
  it('create: DNS validation, idempotency token, tags in the call; waits until ACM names the record', async () => {
    acm.on(RequestCertificateCommand).resolves({ CertificateArn: ARN });
    acm.on(DescribeCertificateCommand).resolvesOnce({ Certificate: cert({ DomainValidationOptions: [{ DomainName: DOMAIN }] }) }).resolves({ Certificate: cert() });
    const ctx = context(aws, STEP);
    const a = await certificateKind.create(ctx, spec);
    expect(acm.commandCalls(RequestCertificateCommand)[0]!.args[0].input).toEqual({
      DomainName: DOMAIN, ValidationMethod: 'DNS', IdempotencyToken: TOKEN, KeyAlgorithm: 'RSA_2048', Tags: toTagList(tagsOf(STEP)),
    });
    expect(ctx.recordId).toHaveBeenCalledWith(ARN, ARN);
    expect(certificateKind.outputs(a)).toMatchObject({ arn: ARN, validationName: RECORD.Name, validationValue: RECORD.Value, status: 'PENDING_VALIDATION' });
  });

  it('finds it by its recorded ARN; gone means undefined', async () => {
    acm.on(DescribeCertificateCommand).resolves({ Certificate: cert({ Status: 'ISSUED' }) });
    acm.on(ListTagsForCertificateCommand).resolves({ Tags: toTagList(tagsOf(STEP)) });
    const a = await certificateKind.find(context(aws, STEP, { recordedId: ARN }), spec);
    expect(a).toMatchObject({ id: ARN, state: 'ISSUED' });
    expect(certificateKind.diff(spec, a!)).toEqual({ changes: [] });
    acm.reset();
    acm.on(DescribeCertificateCommand).rejects(awsError('ResourceNotFoundException'));
    acm.on(ListCertificatesCommand).resolves({ CertificateSummaryList: [] });
    expect(await certificateKind.find(context(aws, STEP, { recordedId: ARN }), spec)).toBeUndefined();
  });

  it('without a record, finds the one for the domain with its tags, issued before pending', async () => {
    const other = `${ARN}-other`;
    const pending = `${ARN}-pending`;
    acm.on(ListCertificatesCommand).resolves({ CertificateSummaryList: [
      { CertificateArn: other, DomainName: DOMAIN }, { CertificateArn: pending, DomainName: DOMAIN }, { CertificateArn: ARN, DomainName: DOMAIN }, { CertificateArn: 'x', DomainName: 'other.example.com' },
    ] });
    acm.on(ListTagsForCertificateCommand, { CertificateArn: other }).resolves({ Tags: [{ Key: 'wpdeploy:stack', Value: 'someone-else' }] });
    acm.on(ListTagsForCertificateCommand, { CertificateArn: pending }).resolves({ Tags: toTagList(tagsOf(STEP)) });
    acm.on(ListTagsForCertificateCommand, { CertificateArn: ARN }).resolves({ Tags: toTagList(tagsOf(STEP)) });
    acm.on(DescribeCertificateCommand, { CertificateArn: pending }).resolves({ Certificate: cert({ CertificateArn: pending }) });
    acm.on(DescribeCertificateCommand, { CertificateArn: ARN }).resolves({ Certificate: cert({ Status: 'ISSUED' }) });
    const ctx = context(aws, STEP);
    expect((await certificateKind.find(ctx, spec))?.id).toBe(ARN);
    expect(ctx.warn).toHaveBeenCalledWith(expect.stringContaining('2 certificates'));
  });

  it('a failed certificate is replaced', () => {
    const d = certificateKind.diff(spec, { id: ARN, arn: ARN, state: 'FAILED', failure: 'CAA_ERROR', domainName: DOMAIN, inUseBy: [], tags: tagsOf(STEP) });
    expect(d.replace).toMatch(/FAILED \(CAA_ERROR\)/);
    expect(certificateKind.onReplace).toBe('recreate');
  });

  it('delete waits while ACM still counts it in use, saying so; gone is success', async () => {
    acm.on(DeleteCertificateCommand).rejectsOnce(awsError('ResourceInUseException')).resolves({});
    acm.on(DescribeCertificateCommand).resolves({ Certificate: cert({ InUseBy: ['arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/blog-alb/1'] }) });
    const ctx = context(aws, STEP);
    await certificateKind.delete(ctx, ISSUED);
    expect(acm.commandCalls(DeleteCertificateCommand)).toHaveLength(2);
    expect(ctx.progress).toHaveBeenCalledWith('waiting for ACM to let go of the certificate: ACM still names arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/blog-alb/1 as its user');
    acm.reset();
    acm.on(DeleteCertificateCommand).rejects(awsError('ResourceNotFoundException'));
    await certificateKind.delete(context(aws, STEP), ISSUED);
  });

  it('delete keeps retrying while ACM lets go of it, past the old two-minute retry, within 20 minutes', async () => {
    const until = Date.now() + (6 * 60_000) / 1000;
    acm.on(DeleteCertificateCommand).callsFake(() => {
      if (Date.now() < until) throw awsError('ResourceInUseException');
      return {};
    });
    acm.on(DescribeCertificateCommand).resolves({ Certificate: cert({ InUseBy: [] }) });
    const ctx = context(aws, STEP, { scale: 1000 });
    await certificateKind.delete(ctx, ISSUED);
    expect(ctx.progress).toHaveBeenCalledWith('waiting for ACM to let go of the certificate: ACM still counts it in use after the load balancer was deleted');
    acm.reset();
    acm.on(DeleteCertificateCommand).rejects(awsError('ResourceInUseException'));
    acm.on(DescribeCertificateCommand).resolves({ Certificate: cert({ InUseBy: [] }) });
    await expect(certificateKind.delete(context(aws, STEP, { scale: 20_000 }), ISSUED)).rejects.toThrow(/is still in use: ACM still counts it in use/);
  });
});

describe('certificateValidationKind', () => {
  const want = { certificateArn: ARN, domainName: DOMAIN };
  it('is found only once ISSUED, so up waits while it is pending', async () => {
    acm.on(DescribeCertificateCommand).resolvesOnce({ Certificate: cert() }).resolves({ Certificate: cert({ Status: 'ISSUED' }) });
    expect(await certificateValidationKind.find(context(aws, 'certificate-issued'), want)).toBeUndefined();
    expect(await certificateValidationKind.find(context(aws, 'certificate-issued'), want)).toMatchObject({ id: ARN, state: 'ISSUED' });
    expect(await certificateValidationKind.find(context(aws, 'certificate-issued'), { ...want, certificateArn: UNKNOWN })).toBeUndefined();
  });
  it('waits until ISSUED', async () => {
    acm.on(DescribeCertificateCommand).resolvesOnce({ Certificate: cert() }).resolvesOnce({ Certificate: cert() }).resolves({ Certificate: cert({ Status: 'ISSUED' }) });
    const ctx = context(aws, 'certificate-issued');
    expect(await certificateValidationKind.create(ctx, want)).toMatchObject({ state: 'ISSUED' });
    expect(ctx.progress).toHaveBeenCalledWith(expect.stringContaining('PENDING_VALIDATION'));
  });
  it('a validation that fails stops with the reason', async () => {
    acm.on(DescribeCertificateCommand).resolves({ Certificate: cert({ Status: 'VALIDATION_TIMED_OUT', FailureReason: 'NO_AVAILABLE_CONTACTS' }) });
    await expect(certificateValidationKind.create(context(aws, 'certificate-issued'), want)).rejects.toThrow(/VALIDATION_TIMED_OUT: NO_AVAILABLE_CONTACTS/);
  });
  it('a validation that never ends hits the bound', async () => {
    acm.on(DescribeCertificateCommand).resolves({ Certificate: cert() });
    await expect(certificateValidationKind.create(context(aws, 'certificate-issued', { scale: 100_000 }), want)).rejects.toThrow(/timed out/);
  });
});
